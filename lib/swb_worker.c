#include "swb_worker.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "swb_mem.h"
#include "swb_worker_int.h"

static swb_worker_t *swb__signal_worker;

static void swb__handle(swb_worker_t *w, swb_job_t *job);
static void swb__start(swb_worker_t *w, swb_job_t *job);

/* --------------------------------------------------------------- the live set */

static void swb__live_add(swb_worker_t *w, swb_job_t *job)
{
        if (w->live_cnt == w->live_cap) {
                w->live_cap = w->live_cap ? w->live_cap * 2 : 64;
                w->live = swb_realloc(w->live, w->live_cap * sizeof(*w->live));
        }
        job->live_idx = w->live_cnt;
        w->live[w->live_cnt++] = job;
        swb_metric_set0(w->m_inflight, (double)w->live_cnt);
}

static void swb__live_del(swb_worker_t *w, swb_job_t *job)
{
        swb_job_t *last = w->live[--w->live_cnt];
        w->live[job->live_idx] = last;
        last->live_idx = job->live_idx;
        swb_metric_set0(w->m_inflight, (double)w->live_cnt);
}

static void swb__job_destroy(swb_job_t *job)
{
        if (!job)
                return;
        if (job->msg)
                rd_kafka_message_destroy(job->msg);
        json_decref(job->request);
        swb_free(job->request_id);
        swb_free(job->session_id);
        swb_free(job);
}

void swb__ready_append(swb_worker_t *w, swb_job_t *job)
{
        job->next = NULL;
        if (w->ready_tail)
                w->ready_tail->next = job;
        else
                w->ready_head = job;
        w->ready_tail = job;
}

/* The job leaves the worker: give its key's turn to the next message of that key. */
void swb__job_finish(swb_worker_t *w, swb_job_t *job)
{
        swb__live_del(w, job);
        if (job->keyed) {
                swb_job_t *next =
                    swb_keyq_done(w->keys, job->msg->key, job->msg->key_len);
                if (next)
                        swb__ready_append(w, next);
        }
        swb__job_destroy(job);
}

/* -------------------------------------------------------------- callbacks */

static void swb__dr_cb(void *opaque, void *msg_opaque, swb_err_t err,
                       const char *errstr)
{
        swb_job_t *job = msg_opaque;
        if (!job)
                return;
        if (err && !job->failed) {
                job->failed = err;
                snprintf(job->errclass, sizeof(job->errclass), "delivery");
                snprintf(job->errmsg, sizeof(job->errmsg), "delivery failed: %s",
                         errstr ? errstr : swb_err2str(err));
                SWB_WARN(&job->corr, "%s", job->errmsg);
        }
        swb__job_release(job);
}

static bool swb__check_kafka(void *opaque, char *why, size_t why_size)
{
        swb_worker_t *w = opaque;
        if (w->consumer && swb_consumer_joined(w->consumer))
                return true;
        snprintf(why, why_size, "consumer group not joined yet");
        return false;
}

struct swb__tp {
        const char *topic;
        int32_t partition;
};

static bool swb__job_in_tp(void *item, void *arg)
{
        swb_job_t *job = item;
        const struct swb__tp *tp = arg;
        return job->msg->partition == tp->partition &&
               !strcmp(rd_kafka_topic_name(job->msg->rkt), tp->topic);
}

static void swb__drop_waiting(void *item, void *arg)
{
        swb_job_t *job = item;
        swb__live_del(job->w, job);
        swb__job_destroy(job);
}

static void swb__revoke_cb(void *opaque, const rd_kafka_topic_partition_list_t *parts,
                           bool lost)
{
        swb_worker_t *w = opaque;
        int i;
        size_t j;
        /* Give in-flight outputs a moment to be delivered so their offsets are
         * stored before the wrapper commits; what is still open is abandoned
         * (the partition's next owner handles it again). */
        if (!lost)
                swb_producer_flush(w->producer, 2000);
        for (i = 0; i < parts->cnt; i++) {
                struct swb__tp tp = {parts->elems[i].topic, parts->elems[i].partition};
                swb_job_t **r;
                /* waiting, held and ready jobs of the partition are simply dropped */
                swb_keyq_remove_if(w->keys, swb__job_in_tp, swb__drop_waiting, &tp);
                for (r = &w->held_head; *r;) {
                        if (swb__job_in_tp(*r, &tp)) {
                                swb_job_t *job = *r;
                                *r = job->next;
                                w->held_cnt--;
                                job->orphaned = true;
                                swb__job_finish(w, job);
                        } else
                                r = &(*r)->next;
                }
                w->held_tail = NULL;
                for (r = &w->held_head; *r; r = &(*r)->next)
                        w->held_tail = *r;
                for (r = &w->ready_head; *r;) {
                        if (swb__job_in_tp(*r, &tp)) {
                                swb_job_t *job = *r;
                                *r = job->next;
                                job->orphaned = true;
                                swb__job_finish(w, job);
                        } else
                                r = &(*r)->next;
                }
                w->ready_tail = NULL;
                for (r = &w->ready_head; *r; r = &(*r)->next)
                        w->ready_tail = *r;
                /* running ones finish, but never store */
                for (j = 0; j < w->live_cnt; j++)
                        if (swb__job_in_tp(w->live[j], &tp))
                                w->live[j]->orphaned = true;
                swb_offsets_forget(w->offsets, tp.topic, tp.partition);
        }
}

/* ------------------------------------------------------------- lifecycle */

swb_worker_t *swb_worker_new(const swb_config_t *cfg,
                             const struct swb_worker_spec *spec, char *errstr,
                             size_t errstr_size)
{
        static const char *const topic_label[] = {"topic", NULL};
        static const char *const reason_label[] = {"reason", NULL};
        static const char *const dep_label[] = {"dependency", NULL};
        swb_worker_t *w = swb_calloc(1, sizeof(*w));

        w->cfg = cfg;
        w->spec = *spec;
        w->offsets = swb_offsets_new();
        w->keys = swb_keyq_new();
        w->metrics = swb_metrics_default();
        swb_metrics_register_build_info(w->metrics, SWB_VERSION);
        w->m_consumed =
            swb_metrics_counter(w->metrics, "swb_messages_consumed_total",
                                "Messages consumed, by topic.", topic_label);
        w->m_produced =
            swb_metrics_counter(w->metrics, "swb_messages_produced_total",
                                "Messages produced, by topic.", topic_label);
        w->m_dlq =
            swb_metrics_counter(w->metrics, "swb_dlq_total",
                                "Messages dead-lettered, by reason.", reason_label);
        w->m_inflight =
            swb_metrics_gauge(w->metrics, "swb_inflight_requests",
                              "Messages consumed and not yet finished.", NULL);
        w->m_dep_up = swb_metrics_gauge(
            w->metrics, "swb_dependency_up",
            "0 while a dependency the handler needs is down (consumption paused, its "
            "messages held), else 1.",
            dep_label);
        w->m_dep_outages = swb_metrics_counter(
            w->metrics, "swb_dependency_outages_total",
            "Times the worker paused consumption because a dependency was down.",
            dep_label);

        if (!(w->codec = swb_codec_new(cfg->schema_registry_url, errstr, errstr_size)))
                goto fail;
        if (!(w->producer = swb_producer_new(cfg, swb__dr_cb, w, errstr, errstr_size)))
                goto fail;
        if (!(w->consumer =
                  swb_consumer_new(cfg, spec->group_id, spec->topics, spec->topic_cnt,
                                   swb__revoke_cb, w, errstr, errstr_size)))
                goto fail;
        if (!(w->http = swb_http_new(cfg->http_bind, cfg->http_port, w->metrics, errstr,
                                     errstr_size)))
                goto fail;
        swb_http_add_check(w->http, "kafka", swb__check_kafka, w);
        if (cfg->run_dir && *cfg->run_dir) {
                w->port_file = swb_asprintf("%s/%s.port", cfg->run_dir, cfg->name);
                if (swb_http_write_port_file(w->http, w->port_file, errstr,
                                             errstr_size))
                        goto fail;
        }
        SWB_INFO(NULL, "%s started: group %s, http port %d", spec->component,
                 spec->group_id, swb_http_port(w->http));
        return w;
fail:
        swb_worker_destroy(w);
        return NULL;
}

void swb_worker_destroy(swb_worker_t *w)
{
        int i;
        if (!w)
                return;
        if (swb__signal_worker == w)
                swb__signal_worker = NULL;
        swb_consumer_destroy(w->consumer);
        swb_producer_destroy(w->producer, 0);
        /* the producer is gone: jobs it still referenced are freed here */
        while (w->live_cnt)
                swb__job_finish(w, w->live[w->live_cnt - 1]);
        swb_free(w->live);
        swb_http_destroy(w->http);
        if (w->port_file) {
                unlink(w->port_file);
                swb_free(w->port_file);
        }
        swb_keyq_destroy(w->keys);
        swb_codec_destroy(w->codec);
        swb_offsets_destroy(w->offsets);
        for (i = 0; i < w->dep_cnt; i++)
                swb_free(w->deps[i].name);
        swb_free(w);
}

static void swb__on_signal(int sig)
{
        if (swb__signal_worker)
                swb__signal_worker->stop = 1;
}

void swb_worker_install_signals(swb_worker_t *w)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = swb__on_signal;
        sigemptyset(&sa.sa_mask);
        swb__signal_worker = w;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

void swb_worker_stop(swb_worker_t *w)
{
        w->stop = 1;
}

swb_codec_t *swb_worker_codec(swb_worker_t *w)
{
        return w->codec;
}
swb_metrics_t *swb_worker_metrics(swb_worker_t *w)
{
        return w->metrics;
}
swb_http_t *swb_worker_http(swb_worker_t *w)
{
        return w->http;
}
const swb_config_t *swb_worker_config(swb_worker_t *w)
{
        return w->cfg;
}

/* ------------------------------------------------------------ processing */

static void swb__dead_letter(swb_worker_t *w, swb_job_t *job)
{
        rd_kafka_message_t *m = job->msg;
        const char *topic = rd_kafka_topic_name(m->rkt);
        char part[16], off[24], att[8], seen[24];
        const char *retr = swb_err_is_retriable(job->failed) ? "true" : "false";
        swb_header_t h[8];
        json_t *details;

        snprintf(part, sizeof(part), "%" PRId32, m->partition);
        snprintf(off, sizeof(off), "%" PRId64, m->offset);
        snprintf(att, sizeof(att), "%d", job->handlings - job->dep_holds);
        snprintf(seen, sizeof(seen), "%" PRId64, job->first_seen_ms);
        h[0] = (swb_header_t){"swb.error", job->errclass, strlen(job->errclass)};
        h[1] = (swb_header_t){"swb.error.message", job->errmsg, strlen(job->errmsg)};
        h[2] = (swb_header_t){"swb.error.retriable", retr, strlen(retr)};
        h[3] = (swb_header_t){"swb.original.topic", topic, strlen(topic)};
        h[4] = (swb_header_t){"swb.original.partition", part, strlen(part)};
        h[5] = (swb_header_t){"swb.original.offset", off, strlen(off)};
        h[6] = (swb_header_t){"swb.attempts", att, strlen(att)};
        h[7] = (swb_header_t){"swb.first_seen", seen, strlen(seen)};

        SWB_WARN(&job->corr, "dead-lettering %s[%s]@%s: %s: %s", topic, part, off,
                 job->errclass, job->errmsg);
        job->dead_lettering = true;
        job->dlq_pending = false;
        job->dep = 0;
        job->failed = SWB_OK;
        job->refcnt =
            1; /* held while queueing, so no delivery report can finish the job */
        job->refcnt++;
        if (swb_producer_send(w->producer, w->cfg->topic_dlq, m->key, m->key_len,
                              m->payload, m->len, h, SWB_ARRAY_LEN(h), job)) {
                job->refcnt--;
                job->failed = SWB_ERR_KAFKA_RETRIABLE;
        } else
                swb_metric_inc1(w->m_dlq, job->errclass, 1);
        details =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "error", job->errclass, "message",
                      job->errmsg, "topic", topic, "partition", part, "offset", off);
        if (swb_job_audit(job, "dead_lettered", NULL, NULL, details))
                job->failed = SWB_ERR_KAFKA_RETRIABLE;
        json_decref(details);
        swb__job_release(job);
}

static void swb__handle(swb_worker_t *w, swb_job_t *job)
{
        char errstr[512] = "";
        swb_err_t err;
        rd_kafka_headers_t *hdrs = NULL;
        const void *val = NULL;
        size_t size = 0;

        job->handlings++;
        job->failed = SWB_OK;
        job->permanent = false;
        job->dep = 0;
        job->refcnt = 1; /* the handler's hold */
        if (job->handlings == 1) {
                if (!rd_kafka_message_headers(job->msg, &hdrs) && hdrs)
                        rd_kafka_header_get_last(hdrs, "traceparent", &val, &size);
                swb_id_traceparent(val, size, job->traceparent, job->trace_id);
                job->corr.trace_id = job->trace_id;
        }

        if (job->msg->len > (size_t)w->cfg->max_message_bytes)
                err = swb_seterr(errstr, sizeof(errstr), SWB_ERR_TOO_LARGE,
                                 "message of %zu bytes exceeds max.message.bytes %d",
                                 job->msg->len, w->cfg->max_message_bytes);
        else
                err = w->spec.handle(w->spec.opaque, job, job->msg, errstr,
                                     sizeof(errstr));
        if (err) {
                if (job->deferred) { /* a handler that fails does not complete later */
                        job->deferred = false;
                        w->deferred_cnt--;
                        job->refcnt--;
                }
                job->failed = err;
                job->permanent = !swb_err_is_retriable(err);
                snprintf(job->errclass, sizeof(job->errclass), "%s", swb_err2str(err));
                snprintf(job->errmsg, sizeof(job->errmsg), "%s", errstr);
        }
        swb__job_release(job);
}

/* Exponential back-off with +-50% jitter, at least the Retry-After asked for. */
static int64_t swb__backoff(swb_worker_t *w, int attempt, int64_t retry_after_ms)
{
        int64_t d = w->cfg->retry_backoff_ms;
        unsigned r;
        while (--attempt > 0 && d < w->cfg->retry_backoff_max_ms)
                d *= 2;
        if (d > w->cfg->retry_backoff_max_ms)
                d = w->cfg->retry_backoff_max_ms;
        r = (unsigned)swb_id_hash64(&d, sizeof(d), (uint64_t)swb_mono_ms()) % 1000;
        d = d / 2 + d * (int64_t)r / 1000; /* [d/2, 3d/2) */
        return d > retry_after_ms ? d : retry_after_ms;
}

/* Handle a job whose turn came, or hold it while a dependency is down. */
static void swb__start(swb_worker_t *w, swb_job_t *job)
{
        if (w->deps_down)
                swb__held_append(w, job);
        else
                swb__handle(w, job);
}

void swb__job_release(swb_job_t *job)
{
        swb_worker_t *w = job->w;
        int64_t off;

        if (--job->refcnt > 0)
                return;
        if (job->failed && !job->orphaned && job->dep && !job->permanent &&
            !job->dead_lettering) {
                swb__dep_hold(w, job); /* not an attempt: it waits for the dependency */
                return;
        }
        if (job->failed && !job->orphaned) {
                /* Handle again, or dead-letter (again), from the poll loop: never
                 * from within a delivery callback, and after a back-off. The job
                 * keeps its key's turn, so the session's order holds. */
                bool now =
                    job->permanent && !job->dead_lettering; /* straight to the DLQ */
                job->dlq_pending =
                    job->dead_lettering || job->permanent ||
                    job->handlings - job->dep_holds >= w->cfg->retry_max_attempts;
                job->retry_at_ms =
                    now ? 0
                        : swb_mono_ms() +
                              swb__backoff(w,
                                           job->dead_lettering
                                               ? 3
                                               : job->handlings - job->dep_holds,
                                           job->retry_after_ms);
                job->dead_lettering = false;
                job->next = w->retry_head;
                w->retry_head = job;
                return;
        }
        if (!job->orphaned) {
                const char *topic = rd_kafka_topic_name(job->msg->rkt);
                off = swb_offsets_done(w->offsets, topic, job->msg->partition,
                                       job->msg->offset);
                if (off >= 0)
                        swb_consumer_store(w->consumer, topic, job->msg->partition,
                                           off);
        }
        swb__job_finish(w, job);
}

static void swb__run_retries(swb_worker_t *w)
{
        swb_job_t *job = w->retry_head, *next;
        int64_t now = swb_mono_ms();
        w->retry_head = NULL;
        for (; job; job = next) {
                next = job->next;
                job->next = NULL;
                if (job->orphaned) {
                        swb__job_finish(w, job);
                } else if (job->retry_at_ms > now) {
                        job->next = w->retry_head; /* not yet */
                        w->retry_head = job;
                } else if (job->dlq_pending) {
                        swb__dead_letter(w, job);
                } else if (w->deps_down) {
                        swb__held_append(w, job); /* it would fail the same way */
                } else {
                        SWB_INFO(&job->corr, "handling again (attempt %d): %s",
                                 job->handlings + 1, job->errmsg);
                        swb__handle(w, job);
                }
        }
}

void swb__run_ready(swb_worker_t *w)
{
        while (w->ready_head) {
                swb_job_t *job = w->ready_head;
                w->ready_head = job->next;
                if (!w->ready_head)
                        w->ready_tail = NULL;
                job->next = NULL;
                swb__start(w, job);
        }
}

static void swb__consume(swb_worker_t *w, rd_kafka_message_t *m)
{
        swb_job_t *job = swb_calloc(1, sizeof(*job));
        const char *topic = rd_kafka_topic_name(m->rkt);
        job->w = w;
        job->msg = m;
        job->first_seen_ms = swb_now_ms();
        w->last_consumed_ms = swb_mono_ms();
        swb_metric_inc1(w->m_consumed, topic, 1);
        swb_offsets_begin(w->offsets, topic, m->partition, m->offset);
        swb__live_add(w, job);
        /* Keyed messages wait for their key's turn; unkeyed ones run at once. */
        job->keyed = m->key_len > 0;
        if (!job->keyed || swb_keyq_push(w->keys, m->key, m->key_len, job))
                swb__start(w, job);
}

/* Pause every assigned partition (polling goes on, so the group membership is
 * kept) past max.inflight until below half, and while a dependency is down;
 * pause again what a rebalance assigned meanwhile. */
static void swb__flow_control(swb_worker_t *w)
{
        rd_kafka_t *rk = swb_consumer_handle(w->consumer);
        rd_kafka_topic_partition_list_t *a = NULL;
        long reb = swb_consumer_rebalances(w->consumer);
        size_t max = (size_t)w->cfg->max_inflight;
        bool full = w->live_cnt >= max, busy;
        bool want;

        /* At the limit, first just stop taking messages (swb__step): a pause
         * throws away what the consumer prefetched, which costs a refetch
         * when resumed. Pause only when the limit holds for pause.after.ms. */
        if (!full)
                w->full_since_ms = 0;
        else if (!w->full_since_ms)
                w->full_since_ms = swb_mono_ms();
        busy = w->busy
                   ? w->live_cnt > max / 2
                   : full && swb_mono_ms() - w->full_since_ms >= w->cfg->pause_after_ms;
        want = busy || w->deps_down > 0;

        if (want == w->paused && (!want || reb == w->paused_rebalances)) {
                w->busy = busy;
                return;
        }
        if (rd_kafka_assignment(rk, &a) || !a)
                return;
        if (want)
                rd_kafka_pause_partitions(rk, a);
        else
                rd_kafka_resume_partitions(rk, a);
        /* the dependency lines say why they pause and resume */
        if (want != w->paused && (want ? busy : w->busy))
                SWB_INFO(NULL, "%s %d partition(s): %zu message(s) in flight",
                         want ? "pausing" : "resuming", a->cnt, w->live_cnt);
        else if (want != w->paused)
                SWB_DBG(NULL, "%s %d partition(s)%s", want ? "pausing" : "resuming",
                        a->cnt, w->deps_down ? ": a dependency is down" : "");
        rd_kafka_topic_partition_list_destroy(a);
        w->busy = busy;
        w->paused = want;
        w->paused_rebalances = reb;
}

static void swb__step(swb_worker_t *w, int timeout_ms)
{
        bool async = w->spec.poll && w->deferred_cnt;
        /* at worker.max.inflight, not paused (yet): leave messages in the
         * consumer's queue and wait for deliveries instead */
        bool hold = !w->paused && w->live_cnt >= (size_t)w->cfg->max_inflight;
        rd_kafka_message_t *m =
            hold ? NULL : swb_consumer_poll(w->consumer, async ? 0 : timeout_ms);
        if (m)
                swb__consume(w, m);
        swb_producer_poll(w->producer, hold && !async ? 5 : 0);
        if (w->spec.poll)
                w->spec.poll(w->spec.opaque, async && !m ? 10 : 0);
        if (w->deps_down)
                swb__dep_probe(w);
        else if (w->dep_cnt && !w->live_cnt)
                swb__dep_idle_probe(w);
        swb__run_ready(w);
        if (w->retry_head)
                swb__run_retries(w);
        swb__flow_control(w);
}

int swb_worker_run(swb_worker_t *w)
{
        int64_t deadline;
        while (!w->stop)
                swb__step(w, 50);
        SWB_INFO(NULL, "stopping: draining %zu in-flight message(s)%s", w->live_cnt,
                 w->deps_down ? "; abandoning those held for a dependency" : "");
        {
                rd_kafka_topic_partition_list_t *a = NULL;
                if (!rd_kafka_assignment(swb_consumer_handle(w->consumer), &a) && a) {
                        rd_kafka_pause_partitions(swb_consumer_handle(w->consumer), a);
                        rd_kafka_topic_partition_list_destroy(a);
                }
        }
        deadline = swb_mono_ms() + w->cfg->shutdown_timeout_ms;
        while (w->live_cnt && swb_mono_ms() < deadline) {
                swb_producer_poll(w->producer, w->deferred_cnt ? 0 : 10);
                if (w->spec.poll)
                        w->spec.poll(w->spec.opaque, 10);
                swb__run_ready(w);
                if (w->retry_head)
                        swb__run_retries(w);
                if (w->deps_down)
                        swb__dep_abandon(w);
        }
        if (w->live_cnt)
                SWB_WARN(
                    NULL,
                    "abandoning %zu message(s) after shutdown.timeout.ms; the group "
                    "will handle them again",
                    w->live_cnt);
        {
                /* what is left of the shutdown budget, at least 1 s, to leave the group
                 */
                int64_t left = deadline - swb_mono_ms();
                swb_consumer_close_timeout(w->consumer, left > 1000 ? (int)left : 1000);
        }
        swb_producer_flush(w->producer, 1000);
        SWB_INFO(NULL, "stopped cleanly");
        return 0;
}
