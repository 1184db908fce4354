/*
 * swb_supervisor - the supervisor's message handler: decode and validate an
 * AgentRequest, classify it (asking the model with routing tools when the
 * classifier is unsure and llm.url is set; a model timeout or error falls
 * back to the classifier), combine that with the conversation (swb_session),
 * and either publish a RoutedRequest to the domain's topic or (out of scope)
 * answer it itself. Audits every stage; the method used (rule, classifier,
 * llm, sticky, fallback, escalation) goes into the routed event and audit.
 */
#ifndef SWB_SUPERVISOR_H
#define SWB_SUPERVISOR_H

#include "swb_config.h"
#include "swb_router.h"
#include "swb_worker.h"

/** Longest request text accepted, in bytes. */
#define SWB_SUPERVISOR_MAX_TEXT 8000

typedef struct swb_supervisor_s swb_supervisor_t;

swb_supervisor_t *swb_supervisor_new(const swb_config_t *cfg, char *errstr,
                                     size_t errstr_size);
void swb_supervisor_destroy(swb_supervisor_t *s);
void swb_supervisor_set_worker(swb_supervisor_t *s, swb_worker_t *w);

/**
 * swb_worker handler; opaque is the swb_supervisor_t. A request the
 * classifier is unsure of is deferred while the model routes it (llm.url).
 */
swb_err_t swb_supervisor_handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *msg,
                                char *errstr, size_t errstr_size);
/** swb_worker poll hook: drives the model calls. */
void swb_supervisor_poll(void *opaque, int timeout_ms);

/**
 * Validate a decoded AgentRequest beyond its schema.
 * @returns SWB_OK or SWB_ERR_SCHEMA with the reason in errstr.
 */
swb_err_t swb_supervisor_validate(const json_t *req, char *errstr, size_t errstr_size);

/**
 * Combine the classifier's route with the conversation: with an active agent,
 * a request stays there (method "sticky") unless the classifier is at least
 * `switch_conf` sure of another agent (out_of_scope never breaks a
 * conversation: follow-ups look like small talk to the classifier); an escalated request (handed back by
 * `escalated_from`) never goes back to that agent (method "escalation": its
 * best other route, else customer_service, the general desk). Pure function.
 * @param route   in: the classifier's decision; out: the final one.
 */
void swb_supervisor_decide(swb_route_t *route, const char *active,
                           const char *escalated_from, double switch_conf);

/** The supervisor's own answer to an out-of-scope request, in the user's language. */
const char *swb_supervisor_oos_text(const char *locale);

#endif
