/*
 * swb_router - decides which domain a request goes to.
 *
 * The embedded intent classifier (swb_classifier, models/router.swbm) is the
 * default: intent-level linear model, intents mapped to routes, calibrated
 * confidence, out of scope a route of its own (method "classifier"). The
 * keyword rule (method "rule") is kept as an explicit choice
 * (route.model=rule) and for tests. Thread-safe after _new.
 */
#ifndef SWB_ROUTER_H
#define SWB_ROUTER_H

#include "swb_config.h"
#include "swb_err.h"

typedef struct swb_route {
        const char *domain; /* hotel, flight, tour, customer_service, out_of_scope */
        const char *intent; /* finer label, e.g. "book_hotel" */
        double confidence;  /* 0..1 */
        const char *method; /* rule, classifier, llm, sticky, fallback, escalation */
        const char *alt;    /* the best other agent (never out_of_scope), or NULL */
} swb_route_t;

typedef struct swb_router_s swb_router_t;

/**
 * Load the router of route.model. @returns NULL with errstr filled when the
 * model cannot be found or loaded (never a silent fallback to the rule).
 */
swb_router_t *swb_router_new(const swb_config_t *cfg, char *errstr, size_t errstr_size);
void swb_router_destroy(swb_router_t *r);

/** Classify `text` (UTF-8). Never fails: unknown text is out_of_scope. */
void swb_router_route(const swb_router_t *r, const char *text, swb_route_t *out);

/** The keyword rule alone (no model). */
void swb_router_rule(const char *text, swb_route_t *out);

#endif
