#include "swb_worker.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "swb_id.h"
#include "swb_kafka.h"
#include "swb_mem.h"
#include "swb_offsets.h"

#define SWB_JOB_MAX_HANDLINGS 3

struct swb_job_s {
        swb_worker_t *w;
        rd_kafka_message_t *msg;
        int refcnt;
        swb_err_t failed; /* first delivery error, or SWB_OK */
        int handlings;
        int64_t first_seen_ms;
        bool orphaned;       /* its partition was revoked: do not store */
        bool dead_lettering; /* this handling is the DLQ produce */
        bool permanent;      /* the handler failed permanently: no retry */
        bool dlq_pending; /* dead-lettering failed: dead-letter again, do not re-handle
                           */
        int64_t retry_at_ms; /* monotonic time before which it is not retried */
        json_t *request;
        char *request_id, *session_id;
        char trace_id[SWB_TRACE_ID_LEN];
        char traceparent[SWB_TRACEPARENT_LEN];
        swb_corr_t corr;
        char errclass[32];
        char errmsg[512];
        swb_job_t *next_retry;
};

struct swb_worker_s {
        const swb_config_t *cfg;
        struct swb_worker_spec spec;
        swb_codec_t *codec;
        swb_producer_t *producer;
        swb_consumer_t *consumer;
        swb_offsets_t *offsets;
        swb_metrics_t *metrics;
        swb_http_t *http;
        char *port_file;
        volatile sig_atomic_t stop;
        swb_job_t *retry_head;
        swb_job_t **live; /* jobs not finished, for revoke */
        size_t live_cnt, live_cap;
        swb_metric_t *m_consumed, *m_produced, *m_dlq, *m_inflight;
};

static swb_worker_t *swb__signal_worker;

/* --------------------------------------------------------------- helpers */

static void swb__live_add(swb_worker_t *w, swb_job_t *job)
{
        if (w->live_cnt == w->live_cap) {
                w->live_cap = w->live_cap ? w->live_cap * 2 : 64;
                w->live = swb_realloc(w->live, w->live_cap * sizeof(*w->live));
        }
        w->live[w->live_cnt++] = job;
}

static void swb__live_del(swb_worker_t *w, swb_job_t *job)
{
        size_t i;
        for (i = 0; i < w->live_cnt; i++)
                if (w->live[i] == job) {
                        w->live[i] = w->live[--w->live_cnt];
                        return;
                }
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

static void swb__job_release(swb_job_t *job);

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

/* ------------------------------------------------------------- lifecycle */

static void swb__revoke_cb(void *opaque, const rd_kafka_topic_partition_list_t *parts,
                           bool lost)
{
        swb_worker_t *w = opaque;
        int i;
        size_t j;
        /* Give in-flight outputs a moment to be delivered so their offsets are
         * stored before the wrapper commits; what is still open is abandoned
         * (the next owner of the partition handles it again). */
        if (!lost)
                swb_producer_flush(w->producer, 2000);
        for (i = 0; i < parts->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &parts->elems[i];
                for (j = 0; j < w->live_cnt; j++)
                        if (w->live[j]->msg->partition == p->partition &&
                            !strcmp(rd_kafka_topic_name(w->live[j]->msg->rkt),
                                    p->topic))
                                w->live[j]->orphaned = true;
                swb_offsets_forget(w->offsets, p->topic, p->partition);
        }
}

swb_worker_t *swb_worker_new(const swb_config_t *cfg,
                             const struct swb_worker_spec *spec, char *errstr,
                             size_t errstr_size)
{
        static const char *const topic_label[] = {"topic", NULL};
        static const char *const reason_label[] = {"reason", NULL};
        swb_worker_t *w = swb_calloc(1, sizeof(*w));

        w->cfg = cfg;
        w->spec = *spec;
        w->offsets = swb_offsets_new();
        w->metrics = swb_metrics_default();
        swb_metrics_register_build_info(w->metrics, SWB_VERSION);
        w->m_consumed =
            swb_metrics_counter(w->metrics, "swb_messages_consumed_total",
                                "Messages consumed, by topic.", topic_label);
        w->m_produced =
            swb_metrics_counter(w->metrics, "swb_messages_produced_total",
                                "Messages delivered, by topic.", topic_label);
        w->m_dlq =
            swb_metrics_counter(w->metrics, "swb_dlq_total",
                                "Messages dead-lettered, by reason.", reason_label);
        w->m_inflight = swb_metrics_gauge(w->metrics, "swb_inflight_requests",
                                          "Messages being handled.", NULL);

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
        size_t i;
        if (!w)
                return;
        if (swb__signal_worker == w)
                swb__signal_worker = NULL;
        swb_consumer_destroy(w->consumer);
        swb_producer_destroy(w->producer, 0);
        /* the producer is gone: jobs still referenced by it are freed here */
        for (i = 0; i < w->live_cnt; i++)
                swb__job_destroy(w->live[i]);
        swb_free(w->live);
        swb_http_destroy(w->http);
        if (w->port_file) {
                unlink(w->port_file);
                swb_free(w->port_file);
        }
        swb_codec_destroy(w->codec);
        swb_offsets_destroy(w->offsets);
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

/* ------------------------------------------------------------------ jobs */

void swb_job_set_request(swb_job_t *job, json_t *req)
{
        json_incref(req);
        json_decref(job->request);
        job->request = req;
        swb_free(job->request_id);
        swb_free(job->session_id);
        job->request_id =
            swb_strdup(json_string_value(json_object_get(req, "request_id")));
        job->session_id =
            swb_strdup(json_string_value(json_object_get(req, "session_id")));
        job->corr.request_id = job->request_id;
        job->corr.session_id = job->session_id;
}

json_t *swb_job_request(swb_job_t *job)
{
        return job->request;
}

const swb_corr_t *swb_job_corr(swb_job_t *job)
{
        return &job->corr;
}

const char *swb_job_traceparent(swb_job_t *job)
{
        return job->traceparent;
}

swb_err_t swb_job_produce(swb_job_t *job, const char *topic, const char *key,
                          swb_msg_type_t type, const json_t *obj)
{
        void *buf = NULL;
        size_t len = 0;
        char errstr[512];
        swb_header_t hdr = {"traceparent", job->traceparent, strlen(job->traceparent)};
        swb_err_t err = swb_codec_encode(job->w->codec, type, obj, &buf, &len, errstr,
                                         sizeof(errstr));
        if (err) {
                SWB_ERR(&job->corr, "encoding %s for %s: %s", swb_codec_type_name(type),
                        topic, errstr);
                return err;
        }
        job->refcnt++;
        err = swb_producer_send(job->w->producer, topic, key, key ? strlen(key) : 0,
                                buf, len, &hdr, 1, job);
        swb_free(buf);
        if (err)
                job->refcnt--;
        else
                swb_metric_inc1(job->w->m_produced, topic, 1);
        return err;
}

static const char *swb__jstr(const json_t *obj, const char *key)
{
        const char *s = json_string_value(json_object_get(obj, key));
        return s ? s : "";
}

swb_err_t swb_job_audit(swb_job_t *job, const char *stage, const char *agent,
                        const char *discriminator, const json_t *details)
{
        char event_id[SWB_UUID_LEN];
        const char *rid = job->request_id ? job->request_id : "";
        json_t *ev, *d;
        swb_err_t err;
        char off[64];

        if (!agent)
                agent = job->w->spec.component;
        /* Messages that never decoded have no request id: derive the event id
         * from their position instead, which is just as stable. */
        snprintf(off, sizeof(off), "%s/%" PRId32 "/%" PRId64,
                 rd_kafka_topic_name(job->msg->rkt), job->msg->partition,
                 job->msg->offset);
        swb_id_derive(event_id, "audit", *rid ? rid : off, stage, agent,
                      discriminator ? discriminator : "", NULL);
        d = details ? json_deep_copy(details) : json_object();
        json_object_set_new(d, "trace_id", json_string(job->trace_id));
        ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "event_id",
                       event_id, "request_id", rid, "session_id",
                       swb__jstr(job->request, "session_id"), "user_id",
                       swb__jstr(job->request, "user_id"), "tenant_id",
                       job->request ? swb__jstr(job->request, "tenant_id") : "default",
                       "stage", stage, "agent", agent, "details", d, "created_at",
                       (json_int_t)swb_now_ms());
        if (!*json_string_value(json_object_get(ev, "tenant_id")))
                json_object_set_new(ev, "tenant_id", json_string("default"));
        err = swb_job_produce(job, job->w->cfg->topic_audit, rid, SWB_MSG_AUDIT_EVENT,
                              ev);
        json_decref(ev);
        return err;
}

/* ------------------------------------------------------------ processing */

static void swb__dead_letter(swb_worker_t *w, swb_job_t *job)
{
        rd_kafka_message_t *m = job->msg;
        char part[16], off[24], att[8], seen[24];
        const char *retr = swb_err_is_retriable(job->failed) ? "true" : "false";
        swb_header_t h[8];
        json_t *details;

        snprintf(part, sizeof(part), "%" PRId32, m->partition);
        snprintf(off, sizeof(off), "%" PRId64, m->offset);
        snprintf(att, sizeof(att), "%d", job->handlings);
        snprintf(seen, sizeof(seen), "%" PRId64, job->first_seen_ms);
        h[0] = (swb_header_t){"swb.error", job->errclass, strlen(job->errclass)};
        h[1] = (swb_header_t){"swb.error.message", job->errmsg, strlen(job->errmsg)};
        h[2] = (swb_header_t){"swb.error.retriable", retr, strlen(retr)};
        h[3] = (swb_header_t){"swb.original.topic", rd_kafka_topic_name(m->rkt),
                              strlen(rd_kafka_topic_name(m->rkt))};
        h[4] = (swb_header_t){"swb.original.partition", part, strlen(part)};
        h[5] = (swb_header_t){"swb.original.offset", off, strlen(off)};
        h[6] = (swb_header_t){"swb.attempts", att, strlen(att)};
        h[7] = (swb_header_t){"swb.first_seen", seen, strlen(seen)};

        SWB_WARN(&job->corr, "dead-lettering %s[%s]@%s: %s: %s",
                 rd_kafka_topic_name(m->rkt), part, off, job->errclass, job->errmsg);
        job->dead_lettering = true;
        job->dlq_pending = false;
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
        details = json_pack(
            "{s:s, s:s, s:s, s:s, s:s}", "error", job->errclass, "message", job->errmsg,
            "topic", rd_kafka_topic_name(m->rkt), "partition", part, "offset", off);
        if (swb_job_audit(job, "dead_lettered", NULL, NULL, details))
                job->failed = SWB_ERR_KAFKA_RETRIABLE;
        json_decref(details);
        swb__job_release(job);
}

static void swb__handle(swb_worker_t *w, swb_job_t *job)
{
        char errstr[512] = "";
        swb_err_t err;
        char tp[SWB_TRACEPARENT_LEN];
        const void *val = NULL;
        size_t size = 0;

        job->handlings++;
        job->failed = SWB_OK;
        job->permanent = false;
        job->refcnt = 1; /* the handler's reference */
        {
                rd_kafka_headers_t *hdrs = NULL;
                if (!rd_kafka_message_headers(job->msg, &hdrs) && hdrs)
                        rd_kafka_header_get_last(hdrs, "traceparent", &val, &size);
        }
        if (job->handlings == 1) {
                swb_id_traceparent(val, size, tp, job->trace_id);
                memcpy(job->traceparent, tp, sizeof(tp));
                job->corr.trace_id = job->trace_id;
        }

        if ((int)job->msg->len > w->cfg->max_message_bytes) {
                err = swb_seterr(errstr, sizeof(errstr), SWB_ERR_TOO_LARGE,
                                 "message of %zu bytes exceeds max.message.bytes %d",
                                 job->msg->len, w->cfg->max_message_bytes);
        } else
                err = w->spec.handle(w->spec.opaque, job, job->msg, errstr,
                                     sizeof(errstr));
        if (err) {
                job->failed = err;
                snprintf(job->errclass, sizeof(job->errclass), "%s", swb_err2str(err));
                snprintf(job->errmsg, sizeof(job->errmsg), "%s", errstr);
                job->permanent = !swb_err_is_retriable(err);
        }
        swb__job_release(job);
}

static void swb__job_release(swb_job_t *job)
{
        swb_worker_t *w = job->w;
        int64_t off;

        if (--job->refcnt > 0)
                return;
        if (job->failed && !job->orphaned) {
                /* Handle again, or dead-letter (again), from the poll loop: never
                 * from within a delivery callback, and after a back-off. */
                int n = job->dead_lettering ? 3 : job->handlings;
                bool now =
                    job->permanent && !job->dead_lettering; /* straight to the DLQ */
                job->dlq_pending = job->dead_lettering || job->permanent ||
                                   job->handlings >= SWB_JOB_MAX_HANDLINGS;
                job->dead_lettering = false;
                job->retry_at_ms = now ? 0 : swb_mono_ms() + (100 << (n < 6 ? n : 6));
                job->next_retry = w->retry_head;
                w->retry_head = job;
                return;
        }
        swb__live_del(w, job);
        swb_metric_inc(w->m_inflight, NULL, -1);
        if (!job->orphaned) {
                off = swb_offsets_done(w->offsets, rd_kafka_topic_name(job->msg->rkt),
                                       job->msg->partition, job->msg->offset);
                if (off >= 0)
                        swb_consumer_store(w->consumer,
                                           rd_kafka_topic_name(job->msg->rkt),
                                           job->msg->partition, off);
        }
        swb__job_destroy(job);
}

static void swb__run_retries(swb_worker_t *w)
{
        swb_job_t *job = w->retry_head, *next;
        int64_t now = swb_mono_ms();
        w->retry_head = NULL;
        for (; job; job = next) {
                next = job->next_retry;
                job->next_retry = NULL;
                if (job->orphaned) {
                        swb__live_del(w, job);
                        swb_metric_inc(w->m_inflight, NULL, -1);
                        swb__job_destroy(job);
                } else if (job->retry_at_ms > now) {
                        job->next_retry = w->retry_head; /* not yet */
                        w->retry_head = job;
                } else if (job->dlq_pending) {
                        swb__dead_letter(w, job);
                } else {
                        SWB_INFO(&job->corr, "handling again (attempt %d): %s",
                                 job->handlings + 1, job->errmsg);
                        swb__handle(w, job);
                }
        }
}

static void swb__consume(swb_worker_t *w, rd_kafka_message_t *m)
{
        swb_job_t *job = swb_calloc(1, sizeof(*job));
        const char *topic = rd_kafka_topic_name(m->rkt);
        job->w = w;
        job->msg = m;
        job->first_seen_ms = swb_now_ms();
        swb_metric_inc1(w->m_consumed, topic, 1);
        swb_metric_inc(w->m_inflight, NULL, 1);
        swb_offsets_begin(w->offsets, topic, m->partition, m->offset);
        swb__live_add(w, job);
        swb__handle(w, job);
}

int swb_worker_run(swb_worker_t *w)
{
        int64_t deadline;
        while (!w->stop) {
                rd_kafka_message_t *m = swb_consumer_poll(w->consumer, 50);
                if (m)
                        swb__consume(w, m);
                swb_producer_poll(w->producer, 0);
                if (w->retry_head)
                        swb__run_retries(w);
        }
        SWB_INFO(NULL, "stopping: draining %zu in-flight message(s)", w->live_cnt);
        deadline = swb_mono_ms() + w->cfg->shutdown_timeout_ms;
        while ((w->live_cnt || w->retry_head) && swb_mono_ms() < deadline) {
                swb_producer_poll(w->producer, 20);
                if (w->retry_head)
                        swb__run_retries(w);
        }
        if (w->live_cnt)
                SWB_WARN(
                    NULL,
                    "abandoning %zu message(s) after shutdown.timeout.ms; they will "
                    "be handled again by the group",
                    w->live_cnt);
        swb_consumer_close(w->consumer);
        swb_producer_flush(w->producer, 2000);
        SWB_INFO(NULL, "stopped cleanly");
        return 0;
}

swb_err_t swb_job_reply(swb_job_t *job, const char *agent, const char *text,
                        const char *status)
{
        const swb_config_t *cfg = job->w->cfg;
        const char *rid = swb__jstr(job->request, "request_id");
        const char *sid = swb__jstr(job->request, "session_id");
        const char *rt =
            json_string_value(json_object_get(job->request, "reply_topic"));
        const char *topic = cfg->topic_replies;
        char reply_id[SWB_UUID_LEN];
        json_t *reply, *details;
        swb_err_t err;

        if (rt && *rt) {
                if (swb_config_reply_topic_allowed(cfg, rt))
                        topic = rt;
                else
                        SWB_WARN(&job->corr,
                                 "reply_topic \"%s\" is not allowed; replying on %s",
                                 rt, topic);
        }
        swb_id_derive(reply_id, "reply", rid, agent, NULL);
        reply = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "request_id", rid,
            "reply_id", reply_id, "session_id", sid, "user_id",
            swb__jstr(job->request, "user_id"), "tenant_id",
            *swb__jstr(job->request, "tenant_id") ? swb__jstr(job->request, "tenant_id")
                                                  : "default",
            "agent", agent, "text", text, "status", status, "created_at",
            (json_int_t)swb_now_ms(), "request_created_at",
            json_integer_value(json_object_get(job->request, "created_at")));
        err = swb_job_produce(job, topic, sid, SWB_MSG_AGENT_REPLY, reply);
        json_decref(reply);
        if (err)
                return err;
        details = json_pack("{s:s, s:s, s:s}", "reply_id", reply_id, "status", status,
                            "topic", topic);
        err = swb_job_audit(job, "replied", agent, NULL, details);
        json_decref(details);
        return err;
}
