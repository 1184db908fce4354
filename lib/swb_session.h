/*
 * swb_session - per-session conversation state in Redis, shared by every
 * supervisor and agent instance, expiring session.ttl.s after the last turn:
 *
 *   swb:s:<session_id>        the dialog stack, a JSON array, active agent
 *                             last: ["customer_service","hotel"]; written by
 *                             the supervisor only (a session's requests share
 *                             a partition, so one supervisor at a time)
 *   swb:s:<session_id>:turns  a list of the last session.max.turns turns, JSON
 *                             {"role":"user"|"assistant","text":...,"agent":...,
 *                             "ts":ms}; appended atomically (RPUSH + LTRIM) by
 *                             the supervisor (user turns) and agents (replies)
 *
 * Cost per request on the supervisor: one GET, then one pipelined write.
 * Redis down: load returns an empty stack with *degraded = true and writes
 * return the error; the caller carries on statelessly. One log line per
 * outage; swb_cache_requests_total{cache="session",result="error"} counts.
 *
 * Not thread-safe: one store per poll thread.
 */
#ifndef SWB_SESSION_H
#define SWB_SESSION_H

#include <jansson.h>
#include <stdbool.h>

#include "swb_config.h"
#include "swb_err.h"

typedef struct swb_session_store_s swb_session_store_t;

/** @returns a store (Redis may be down: it reconnects lazily), or NULL on a bad URL.
 *  With no redis.url the store is permanently degraded (stateless). */
swb_session_store_t *swb_session_store_new(const swb_config_t *cfg, char *errstr,
                                           size_t errstr_size);
void swb_session_store_destroy(swb_session_store_t *st);

/**
 * The dialog stack of a session.
 * @returns a new reference to a JSON array (empty for an unknown or expired
 * session, or when Redis is unreachable: then *degraded = true).
 */
json_t *swb_session_stack(swb_session_store_t *st, const char *session_id, bool *degraded);

/**
 * Record a turn: write the stack (if not NULL) and append the turn, in one
 * round trip, refreshing both TTLs.
 */
swb_err_t swb_session_record(swb_session_store_t *st, const char *session_id,
                             const json_t *stack, const char *role, const char *text,
                             const char *agent);

/** The recent turns, oldest first. @returns a new reference (an empty array on error). */
json_t *swb_session_turns(swb_session_store_t *st, const char *session_id);

/** The active agent (last element of the stack), or NULL. Borrowed. */
const char *swb_session_active(const json_t *stack);
/** Make `agent` the active agent (moved to the top if already on the stack). */
void swb_session_push(json_t *stack, const char *agent);
/** Remove `agent` from the stack (escalation). */
void swb_session_pop(json_t *stack, const char *agent);

#endif
