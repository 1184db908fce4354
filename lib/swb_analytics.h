/*
 * swb_analytics - the audit analytics consumer: counts every AuditEvent of
 * topic.audit into PostgreSQL aggregates (infra/sql/010_analytics.sql), once.
 *
 * Per (agent, intent, hour): events, requests, replies by status, failed,
 * dead-lettered, tool and model calls, tokens, cost and a latency histogram.
 * Per (tenant, user, day): requests, bookings, tokens, spend. How each stage
 * counts is written at the top of swb_analytics.c and in the SQL file.
 *
 * Idempotent: an event is counted in one transaction with the insertion of
 * its event_id into analytics_processed_events; an event already there is
 * skipped (a replay of the topic does not double-count).
 *
 * As a worker (swb-analytics): swb_analytics_handle() and swb_analytics_poll()
 * are the swb_worker spec's handle and poll. While PostgreSQL is unreachable
 * the handler defers its jobs (offsets are not stored) and the poll callback
 * retries them in order with back-off: an outage delays counting, it never
 * dead-letters an event. An event that cannot be decoded, or that PostgreSQL
 * rejects for its data (SQLSTATE class 22 or 23), is dead-lettered.
 *
 * `swb-analytics report` reads the aggregates: swb_analytics_report.h.
 *
 * Threading: one analytics object is used from one thread (the worker's poll
 * thread), except the readiness check, which only reads an atomic.
 */
#ifndef SWB_ANALYTICS_H
#define SWB_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "swb_config.h"
#include "swb_err.h"
#include "swb_metrics.h"
#include "swb_worker.h"

typedef struct swb_analytics_s swb_analytics_t;

/**
 * @param pg_url   PostgreSQL URL (pg.url); the connection is tried now and,
 *                 if it fails, again at each event (so the worker can start
 *                 before PostgreSQL).
 * @param metrics  registry for the swb_analytics_* families, or NULL (none).
 * @returns a new analytics object, or NULL with errstr filled when the
 *          database answers but lacks the analytics tables (migration 010 not
 *          applied) or pg_url is empty.
 */
swb_analytics_t *swb_analytics_new(const char *pg_url, swb_metrics_t *metrics,
                                   char *errstr, size_t errstr_size);
/** Accepts NULL. Events still waiting for PostgreSQL are dropped (their jobs
 *  belong to the worker, which must be destroyed first). */
void swb_analytics_destroy(swb_analytics_t *a);

/**
 * Count one decoded AuditEvent (the swb_codec JSON form), once.
 * @param counted  (may be NULL) set to true when the event was counted now,
 *                 false when it had been counted before (a replay).
 * @returns SWB_OK; SWB_ERR_SCHEMA for an event without event_id or stage;
 *          else a swb_pg error (see swb_pg.h): nothing was counted then.
 */
swb_err_t swb_analytics_apply(swb_analytics_t *a, const json_t *event, bool *counted,
                              char *errstr, size_t errstr_size);

/** Wire the worker in: its codec decodes the events and a "postgres"
 *  readiness check is added to its HTTP server. */
void swb_analytics_set_worker(swb_analytics_t *a, swb_worker_t *w);

/** The worker's handler (spec.handle, opaque = the analytics object). */
swb_err_t swb_analytics_handle(void *opaque, swb_job_t *job,
                               const rd_kafka_message_t *msg, char *errstr,
                               size_t errstr_size);
/** The worker's poll callback (spec.poll): retries events deferred while
 *  PostgreSQL was unavailable; sleeps up to timeout_ms when it has to wait. */
void swb_analytics_poll(void *opaque, int timeout_ms);

/**
 * Delete processed event ids (and the per-request rows) older than
 * cfg->dedup_retention_hours, hourly, from the poll loop (swb_retention).
 * `cfg` must outlive `a`.
 */
void swb_analytics_set_retention(swb_analytics_t *a, const swb_config_t *cfg);

/** Events deferred, waiting for PostgreSQL. */
size_t swb_analytics_pending(const swb_analytics_t *a);

/** The latency bucket (its upper bound in ms, INFINITY for the last) of `ms`. */
double swb_analytics_latency_le(int64_t ms);
/** The lower bound (exclusive) of the bucket whose upper bound is `le`: the
 *  bound before it (0 for the first; the largest finite one for INFINITY).
 *  analytics_latency stores only the buckets that have counts; this restores
 *  the gaps before interpolating. */
double swb_analytics_latency_lower(double le);

#endif
