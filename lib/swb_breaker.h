/*
 * swb_breaker - protection of a dependency (the model): a circuit breaker
 * and an adaptive concurrency limit.
 *
 * Circuit: closed; `failures` consecutive failed calls open it; after
 * `open_ms` it is half-open and lets exactly one probe call through; the
 * probe's success closes it, its failure opens it again.
 * Limit (AIMD): starts at `max`; each good call adds 1/limit (about +1 per
 * round trip of the whole window), each overload (429, 5xx, timeout, an
 * answer slower than `slow_ms`) halves it, never below 1.
 * swb_llm_circuit_open{model} shows the circuit.
 *
 * Not thread-safe: owned by the worker's poll thread. The clock is injectable.
 */
#ifndef SWB_BREAKER_H
#define SWB_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "swb_err.h"

typedef struct swb_breaker_s swb_breaker_t;

struct swb_breaker_opts {
        const char *name;   /* the metric label (model) */
        int failures;       /* consecutive failures that open the circuit */
        int open_ms;        /* open -> half-open after this */
        int max;            /* the concurrency limit's ceiling */
        int slow_ms;        /* slower answers count as overload */
        int64_t (*now_ms)(void); /* NULL = monotonic clock */
};

swb_breaker_t *swb_breaker_new(const struct swb_breaker_opts *o);
void swb_breaker_destroy(swb_breaker_t *b);

/**
 * May a call start now, with `inflight` calls already running?
 * @returns SWB_OK; SWB_ERR_UNAVAILABLE while the circuit is open (answer
 * without the model); SWB_ERR_CONFLICT when the concurrency limit is reached
 * (wait and ask again). A half-open circuit grants one probe.
 */
swb_err_t swb_breaker_acquire(swb_breaker_t *b, int inflight);

/**
 * Report the outcome of a call that acquire() allowed. A Retry-After the
 * provider sent (retry_after_ms > 0) holds every new call back that long.
 */
void swb_breaker_release(swb_breaker_t *b, swb_err_t err, int64_t latency_ms,
                         int64_t retry_after_ms);

bool swb_breaker_is_open(swb_breaker_t *b);
/** The current concurrency limit. */
int swb_breaker_limit(const swb_breaker_t *b);

#endif
