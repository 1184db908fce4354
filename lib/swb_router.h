/*
 * swb_router - decides which domain a request goes to.
 *
 * For now a keyword rule over English and Indonesian words (method "rule");
 * the routing issue replaces it with the embedded classifier behind the same
 * call. Pure function of the text: thread-safe.
 */
#ifndef SWB_ROUTER_H
#define SWB_ROUTER_H

typedef struct swb_route {
        const char *domain; /* hotel, flight, tour, customer_service, out_of_scope */
        const char *intent; /* finer label, e.g. "hotel_search" */
        double confidence;  /* 0..1 */
        const char *method; /* rule, classifier, llm, sticky, fallback, escalation */
} swb_route_t;

/** Classify `text` (UTF-8). Never fails: unknown text is out_of_scope. */
void swb_router_rule(const char *text, swb_route_t *out);

#endif
