/*
 * swb_worker - the consume -> handle -> produce loop shared by every worker.
 *
 * A worker owns one consumer (manual offset store), one idempotent producer,
 * the codec, the HTTP endpoints (/health/live, /health/ready, /metrics) and
 * the SIGTERM drain. Each consumed message becomes a job; the handler
 * produces its outputs through swb_job_produce()/swb_job_audit(). The job's
 * offset is stored only when the handler has returned and every output's
 * delivery report succeeded, and only as part of the highest contiguous run
 * of completed offsets of its partition (swb_offsets). A job whose outputs
 * fail to deliver is handled again (ids are derived, so outputs are the same)
 * up to retry.max.attempts times, with exponential back-off and jitter, then
 * dead-lettered.
 *
 * A handler that returns an error has its message dead-lettered to topic.dlq:
 * the original key and bytes, with headers swb.error (class), swb.error.message,
 * swb.error.retriable, swb.original.topic, swb.original.partition,
 * swb.original.offset, swb.attempts and swb.first_seen (ms), plus an
 * AuditEvent of stage dead_lettered. The worker never stops on a bad message.
 *
 * Order and concurrency: messages with the same key (session_id) are handled
 * one at a time, in offset order; messages of different keys run concurrently
 * when handlers defer (swb_job_defer). Past worker.max.inflight messages in
 * flight the worker pauses its partitions but keeps polling (no rebalance for
 * slow work), and resumes below half.
 *
 * Dependencies: a handler that cannot work without a service (the agents'
 * PostgreSQL) declares it with swb_worker_add_dependency() and, when a job
 * failed because that service is down, says so with swb_job_dependency_down()
 * before returning (or completing with) a retriable error. Such a job is not
 * retried nor dead-lettered and its attempts are not counted: it is held,
 * keeping its key's turn; the worker pauses every assigned partition (polling
 * goes on, so membership is kept; partitions assigned later are paused too),
 * holds whatever else comes up for handling, and calls the dependency's probe
 * with back-off (retry.backoff.ms doubling up to health.probe.interval.ms).
 * When the probe answers, the held jobs are handled again in the order they
 * were held and the partitions resume (unless past worker.max.inflight).
 * Held jobs are never completed, so no offset is stored past them; on
 * SIGTERM they are abandoned at once (the group handles them again later).
 * Gauge swb_dependency_up{dependency} and counter
 * swb_dependency_outages_total{dependency} show it.
 *
 * Threading: everything runs on the thread that calls swb_worker_run(), except
 * the HTTP server's own thread (which only reads atomics and the metrics).
 */
#ifndef SWB_WORKER_H
#define SWB_WORKER_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "swb_codec.h"
#include "swb_config.h"
#include "swb_err.h"
#include "swb_http.h"
#include "swb_log.h"
#include "swb_metrics.h"

typedef struct swb_worker_s swb_worker_t;
typedef struct swb_job_s swb_job_t;

/**
 * Handle one message. Produce outputs with swb_job_*.
 * @returns SWB_OK, or an error to dead-letter the message (with errstr as the
 * reason). A retriable error is retried (up to 3 handlings) before that.
 */
typedef swb_err_t(swb_worker_handle_cb)(void *opaque, swb_job_t *job,
                                        const rd_kafka_message_t *msg, char *errstr,
                                        size_t errstr_size);

/**
 * Optional: drive the handler's own asynchronous I/O (e.g. the LLM client's
 * curl multi) from the poll loop; may block up to timeout_ms. Deferred jobs
 * are completed from here with swb_job_complete().
 */
typedef void(swb_worker_poll_cb)(void *opaque, int timeout_ms);

struct swb_worker_spec {
        const char *component; /* log component and audit agent name */
        const char *group_id;
        const char *const *topics;
        size_t topic_cnt;
        swb_worker_handle_cb *handle;
        swb_worker_poll_cb *poll; /* may be NULL */
        void *opaque;
};

/** @returns a new worker (connects nothing yet but librdkafka's clients), or NULL. */
swb_worker_t *swb_worker_new(const swb_config_t *cfg,
                             const struct swb_worker_spec *spec, char *errstr,
                             size_t errstr_size);
void swb_worker_destroy(swb_worker_t *w);

/** Poll until swb_worker_stop() (or SIGTERM/SIGINT when installed), then drain.
 *  @returns 0 on a clean stop. */
int swb_worker_run(swb_worker_t *w);
/** Ask the loop to stop; async-signal-safe. */
void swb_worker_stop(swb_worker_t *w);
/** Install SIGTERM/SIGINT handlers that stop `w`. */
void swb_worker_install_signals(swb_worker_t *w);

/**
 * Probe a dependency: @returns true when it answers now. Called from the poll
 * thread only while the dependency is marked down; it may block briefly (a
 * connect timeout), so keep it to one cheap round trip (e.g. SELECT 1).
 */
typedef bool(swb_worker_probe_cb)(void *opaque);

/**
 * Declare a dependency the handler cannot work without (see "Dependencies"
 * above). `name` (copied) labels logs and metrics; at most 4 per worker.
 * Call before swb_worker_run(), from the thread that runs it.
 * @returns SWB_OK, or SWB_ERR_INVALID_ARG (no room, or no probe).
 */
swb_err_t swb_worker_add_dependency(swb_worker_t *w, const char *name,
                                    swb_worker_probe_cb *probe, void *opaque);
/** @returns false while dependency `name` is marked down; true otherwise
 *  (also for a name never declared). Poll thread only. */
bool swb_worker_dependency_up(swb_worker_t *w, const char *name);

swb_codec_t *swb_worker_codec(swb_worker_t *w);
swb_metrics_t *swb_worker_metrics(swb_worker_t *w);
swb_http_t *swb_worker_http(swb_worker_t *w);
const swb_config_t *swb_worker_config(swb_worker_t *w);

/* ------------------------------------------------------------------ jobs */

/**
 * The handler will finish later: it returns SWB_OK now and calls
 * swb_job_complete() from the poll thread (e.g. from spec.poll) when done.
 */
void swb_job_defer(swb_job_t *job);
/** Finish a deferred job; a non-OK err is handled as if the handler had returned it. */
void swb_job_complete(swb_job_t *job, swb_err_t err, const char *errstr);
swb_worker_t *swb_job_worker(swb_job_t *job);
/** A failing dependency asked to be left alone this long (Retry-After): the
 *  next handling of this job waits at least that. */
void swb_job_retry_after(swb_job_t *job, int64_t ms);

/**
 * This handling failed because dependency `name` (declared with
 * swb_worker_add_dependency) is down, not because of the message: call it
 * before returning (or completing the job with) a retriable error, and the job
 * is held until the dependency answers instead of being retried or
 * dead-lettered. Ignored for a permanent error or an undeclared name.
 */
void swb_job_dependency_down(swb_job_t *job, const char *name);

/** Attach the decoded request (AgentRequest or RoutedRequest): its ids become
 *  the job's correlation ids and fill audit events. Takes a new reference. */
void swb_job_set_request(swb_job_t *job, json_t *req);
/** The attached request or NULL (borrowed). */
json_t *swb_job_request(swb_job_t *job);
const swb_corr_t *swb_job_corr(swb_job_t *job);
/** The W3C traceparent this job's outputs carry. */
const char *swb_job_traceparent(swb_job_t *job);

/**
 * Encode `obj` as `type` and produce it to `topic` with `key`; the job's
 * traceparent header is added. @returns an error if encoding or queueing failed
 * (then nothing was produced).
 */
swb_err_t swb_job_produce(swb_job_t *job, const char *topic, const char *key,
                          swb_msg_type_t type, const json_t *obj);

/**
 * Produce an AuditEvent for the attached request: stage, agent (NULL: the
 * worker's component), details (string values; may be NULL; borrowed).
 * event_id is derived from (request_id, stage, agent, discriminator) so a
 * replay produces the same ids. `discriminator` may be NULL.
 */
swb_err_t swb_job_audit(swb_job_t *job, const char *stage, const char *agent,
                        const char *discriminator, const json_t *details);

/** Usage figures an AuditEvent carries (model calls). */
struct swb_audit_usage {
        long long tokens_in, tokens_out;
        double cost_usd;
        long long duration_ms;
};

/** swb_job_audit() with usage figures (may be NULL). */
swb_err_t swb_job_audit_usage(swb_job_t *job, const char *stage, const char *agent,
                              const char *discriminator, const json_t *details,
                              const struct swb_audit_usage *usage);

/**
 * swb_job_audit_usage() with the details as a NULL-terminated list of key,
 * value strings (at most 32 pairs), for callers with no JSON at hand.
 */
swb_err_t swb_job_audit_kv(swb_job_t *job, const char *stage, const char *agent,
                           const char *discriminator, const char *const *kv,
                           const struct swb_audit_usage *usage);

/**
 * Produce the AgentReply for the attached request and its `replied` audit
 * event. reply_id is derived from (request_id, agent): a replayed request gets
 * the same reply_id. The reply goes to the request's reply_topic when that
 * matches reply.topic.allowed.prefixes, else to topic.replies; key = session_id.
 * @param status one of ok, out_of_scope, rejected, error.
 */
swb_err_t swb_job_reply(swb_job_t *job, const char *agent, const char *text,
                        const char *status);

#endif
