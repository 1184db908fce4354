/*
 * swb_probe - readiness of PostgreSQL and Redis for /health/ready.
 *
 * A small thread of its own pings each dependency every interval, on
 * connections of its own (never the worker's), and keeps a "last known good"
 * flag per dependency. The readiness checks it registers ("postgres",
 * "redis") only read that flag and a short reason under a mutex: they are
 * fast and do no I/O, as swb_http requires. Until the first probe has
 * answered, a dependency is not ready. Transitions are logged once each.
 */
#ifndef SWB_PROBE_H
#define SWB_PROBE_H

#include "swb_http.h"

typedef struct swb_probe_s swb_probe_t;

/**
 * Start probing `pg_url` and/or `redis_url` (NULL or "": not needed, no check)
 * every `interval_ms` and register their readiness checks on `http`.
 * @returns the running probe, or NULL when there is nothing to probe.
 */
swb_probe_t *swb_probe_start(swb_http_t *http, const char *pg_url,
                             const char *redis_url, int interval_ms);

/**
 * Stop the thread (waits for a probe in progress: at most the connect
 * timeout) and free. Destroy `http` first: its checks point here. Accepts NULL.
 */
void swb_probe_destroy(swb_probe_t *p);

#endif
