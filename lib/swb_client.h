/*
 * swb_client - what an upstream app does: publish an AgentRequest and wait
 * for its AgentReply (matched by request_id) and, optionally, its AuditEvents.
 * Used by swb-send and the black-box tests; a plain librdkafka client with no
 * consumer group: it assigns every partition of the reply (and audit) topic at
 * its current end before sending, so it sees only what comes after.
 *
 * Not thread-safe; one client per thread.
 */
#ifndef SWB_CLIENT_H
#define SWB_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "swb_config.h"
#include "swb_err.h"

typedef struct swb_client_s swb_client_t;

/** @param with_audit also follow topic.audit (see swb_client_audit). */
swb_client_t *swb_client_new(const swb_config_t *cfg, bool with_audit, char *errstr,
                             size_t errstr_size);
void swb_client_destroy(swb_client_t *c);

/**
 * Send `req` (an AgentRequest as JSON; request_id is generated when missing,
 * created_at set when 0) and wait up to timeout_ms for its reply.
 * @param reply set to a new reference on SWB_OK.
 * @returns SWB_ERR_TIMEOUT when no reply came in time.
 */
swb_err_t swb_client_request(swb_client_t *c, json_t *req, int timeout_ms,
                             json_t **reply, char *errstr, size_t errstr_size);

/**
 * Send the next requests with this W3C traceparent header (continue the
 * caller's trace); NULL: none (the supervisor starts a trace). Copied.
 */
void swb_client_set_traceparent(swb_client_t *c, const char *traceparent);

/** How long a send waits for the broker's acknowledgement. */
#define SWB_CLIENT_SEND_TIMEOUT_MS 10000

/**
 * Produce raw bytes to topic.requests (poison messages in tests) and wait for
 * the broker's acknowledgement. @returns SWB_OK once acknowledged; the
 * delivery error; or SWB_ERR_TIMEOUT when not confirmed within
 * SWB_CLIENT_SEND_TIMEOUT_MS (the message is withdrawn, but may have arrived:
 * resend with the same request_id, which the pipeline deduplicates).
 */
swb_err_t swb_client_send_raw(swb_client_t *c, const char *key, const void *buf,
                              size_t len, char *errstr, size_t errstr_size);

/**
 * Wait until at least `min_count` audit events of `request_id` arrived or
 * timeout_ms passed. @returns a new array reference of the events (maybe fewer).
 */
json_t *swb_client_audit(swb_client_t *c, const char *request_id, size_t min_count,
                         int timeout_ms);

#endif
