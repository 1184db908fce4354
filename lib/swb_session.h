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
 * Cost per request on the supervisor: one GET, then one pipelined write. The
 * _async forms send them on a second, non-blocking connection and return at
 * once, so the requests of many sessions share round trips; their callbacks
 * run from swb_session_poll() (or swb_session_store_destroy()), never from
 * the call itself.
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
 * Record a turn: write the stack (if not NULL) and append the turn, in one
 * round trip, refreshing both TTLs.
 */
swb_err_t swb_session_record(swb_session_store_t *st, const char *session_id,
                             const json_t *stack, const char *role, const char *text,
                             const char *agent);

/** With the stack (a new reference, empty when unknown or on error) and
 *  whether Redis failed. */
typedef void swb_session_stack_cb(void *opaque, json_t *stack, bool degraded);
/** With the outcome of a record. */
typedef void swb_session_done_cb(void *opaque, swb_err_t err);

/**
 * Read the dialog stack of a session without waiting: `cb` gets a JSON array
 * (empty for an unknown or expired session, or when Redis failed: then
 * degraded = true).
 * @returns SWB_OK: `cb` will run; otherwise (no redis.url, Redis down and in
 *          its reconnect back-off) the error, and `cb` will not run.
 */
swb_err_t swb_session_stack_async(swb_session_store_t *st, const char *session_id,
                                  swb_session_stack_cb *cb, void *opaque);
/**
 * swb_session_record() without waiting; `cb` (may be NULL) runs when every
 * command has answered or failed.
 * @returns as swb_session_stack_async().
 */
swb_err_t swb_session_record_async(swb_session_store_t *st, const char *session_id,
                                   const json_t *stack, const char *role,
                                   const char *text, const char *agent,
                                   swb_session_done_cb *cb, void *opaque);
/** Drive the _async requests: wait up to `timeout_ms` for Redis when some
 *  are in flight; run the callbacks that are due. */
void swb_session_poll(swb_session_store_t *st, int timeout_ms);
/** @returns the number of Redis commands in flight on the non-blocking connection. */
size_t swb_session_inflight(const swb_session_store_t *st);

/** The recent turns, oldest first. @returns a new reference (an empty array on error).
 */
json_t *swb_session_turns(swb_session_store_t *st, const char *session_id);

/** The active agent (last element of the stack), or NULL. Borrowed. */
const char *swb_session_active(const json_t *stack);
/** Make `agent` the active agent (moved to the top if already on the stack). */
void swb_session_push(json_t *stack, const char *agent);
/** Remove `agent` from the stack (escalation). */
void swb_session_pop(json_t *stack, const char *agent);

#endif
