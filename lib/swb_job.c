/* The outputs of a job: produce, audit, reply (see swb_worker.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_worker_int.h"

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

void swb_job_retry_after(swb_job_t *job, int64_t ms)
{
        job->retry_after_ms = ms > 0 ? ms : 0;
}

swb_worker_t *swb_job_worker(swb_job_t *job)
{
        return job->w;
}

void swb_job_defer(swb_job_t *job)
{
        if (job->deferred)
                return;
        job->deferred = true;
        job->refcnt++;
        job->w->deferred_cnt++;
}

void swb_job_complete(swb_job_t *job, swb_err_t err, const char *errstr)
{
        if (!job->deferred)
                return;
        job->deferred = false;
        job->w->deferred_cnt--;
        if (err && !job->failed) {
                job->failed = err;
                job->permanent = !swb_err_is_retriable(err);
                snprintf(job->errclass, sizeof(job->errclass), "%s", swb_err2str(err));
                snprintf(job->errmsg, sizeof(job->errmsg), "%s", errstr ? errstr : "");
        }
        swb__job_release(job);
}

/* Produce encoded bytes (copied) with the job's traceparent header. */
static swb_err_t swb__send(swb_job_t *job, const char *topic, const char *key,
                           const void *buf, size_t len)
{
        swb_header_t hdr = {"traceparent", job->traceparent, strlen(job->traceparent)};
        swb_err_t err;
        job->refcnt++;
        err = swb_producer_send(job->w->producer, topic, key, key ? strlen(key) : 0,
                                buf, len, &hdr, 1, job);
        if (err)
                job->refcnt--;
        else
                swb_metric_inc1(job->w->m_produced, topic, 1);
        return err;
}

swb_err_t swb_job_produce(swb_job_t *job, const char *topic, const char *key,
                          swb_msg_type_t type, const json_t *obj)
{
        const void *buf = NULL;
        size_t len = 0;
        char errstr[512];
        swb_err_t err = swb_codec_encode_scratch(job->w->codec, type, obj, &buf, &len,
                                                 errstr, sizeof(errstr));
        if (err) {
                SWB_ERR(&job->corr, "encoding %s for %s: %s", swb_codec_type_name(type),
                        topic, errstr);
                return err;
        }
        return swb__send(job, topic, key, buf, len);
}

static const char *swb__jstr(const json_t *obj, const char *key)
{
        const char *s = json_string_value(json_object_get(obj, key));
        return s ? s : "";
}

swb_err_t swb_job_audit(swb_job_t *job, const char *stage, const char *agent,
                        const char *discriminator, const json_t *details)
{
        return swb_job_audit_usage(job, stage, agent, discriminator, details, NULL);
}

#define SWB__AUDIT_MAX_DETAILS 32

swb_err_t swb_job_audit_usage(swb_job_t *job, const char *stage, const char *agent,
                              const char *discriminator, const json_t *details,
                              const struct swb_audit_usage *usage)
{
        const char *kv[2 * SWB__AUDIT_MAX_DETAILS + 1];
        const char *key;
        json_t *v;
        size_t n = 0;

        json_object_foreach((json_t *)details, key, v)
        {
                if (!json_is_string(v) || n == SWB__AUDIT_MAX_DETAILS) {
                        SWB_ERR(&job->corr, "audit %s: detail \"%s\" is %s", stage, key,
                                json_is_string(v) ? "one too many" : "not a string");
                        return SWB_ERR_SCHEMA;
                }
                kv[2 * n] = key;
                kv[2 * n++ + 1] = json_string_value(v);
        }
        kv[2 * n] = NULL;
        return swb_job_audit_kv(job, stage, agent, discriminator, kv, usage);
}

swb_err_t swb_job_audit_kv(swb_job_t *job, const char *stage, const char *agent,
                           const char *discriminator, const char *const *kv,
                           const struct swb_audit_usage *usage)
{
        const char *d[2 * SWB__AUDIT_MAX_DETAILS + 2];
        char event_id[SWB_UUID_LEN], off[64];
        const char *rid = job->request_id ? job->request_id : "";
        const char *tenant = swb__jstr(job->request, "tenant_id");
        const void *buf;
        size_t n = 0, len;
        char errstr[512];
        swb_err_t err;

        if (!agent)
                agent = job->w->spec.component;
        /* Messages that never decoded have no request id: derive the event id
         * from their position instead, which is just as stable. */
        if (!*rid)
                snprintf(off, sizeof(off), "%s/%" PRId32 "/%" PRId64,
                         rd_kafka_topic_name(job->msg->rkt), job->msg->partition,
                         job->msg->offset);
        swb_id_derive(event_id, "audit", *rid ? rid : off, stage, agent,
                      discriminator ? discriminator : "", NULL);
        for (size_t i = 0; kv && kv[2 * i] && n < SWB__AUDIT_MAX_DETAILS; i++) {
                if (!strcmp(kv[2 * i], "trace_id"))
                        continue; /* the job's, below */
                d[2 * n] = kv[2 * i];
                d[2 * n + 1] = kv[2 * i + 1];
                n++;
        }
        d[2 * n] = "trace_id";
        d[2 * n + 1] = job->trace_id;
        n++;
        {
#define SWB__S(f, v)                                                                   \
        {                                                                              \
                .name = f, .kind = SWB_AVRO_V_STR, .s = (v), .len = strlen(v)          \
        }
#define SWB__L(f, v)                                                                   \
        {                                                                              \
                .name = f, .kind = SWB_AVRO_V_LONG, .l = (v)                           \
        }
                const char *sid = swb__jstr(job->request, "session_id");
                const char *uid = swb__jstr(job->request, "user_id");
                const char *ten = *tenant ? tenant : "default";
                swb_avro_fieldval_t f[] = {
                    SWB__S("event_id", event_id),
                    SWB__S("request_id", rid),
                    SWB__S("session_id", sid),
                    SWB__S("user_id", uid),
                    SWB__S("tenant_id", ten),
                    SWB__S("stage", stage),
                    SWB__S("agent", agent),
                    {.name = "details", .kind = SWB_AVRO_V_STRMAP, .kv = d, .n_kv = n},
                    SWB__L("tokens_in", usage ? usage->tokens_in : 0),
                    SWB__L("tokens_out", usage ? usage->tokens_out : 0),
                    {.name = "cost_usd",
                     .kind = SWB_AVRO_V_DOUBLE,
                     .d = usage ? usage->cost_usd : 0.0},
                    SWB__L("duration_ms", usage ? usage->duration_ms : 0),
                    SWB__L("created_at",
                           swb_now_ms()), /* schemas/AuditEvent.avsc order */
                };
#undef SWB__S
#undef SWB__L
                err = swb_codec_encode_fields(job->w->codec, SWB_MSG_AUDIT_EVENT, f,
                                              SWB_ARRAY_LEN(f), &buf, &len, errstr,
                                              sizeof(errstr));
        }
        if (err) {
                SWB_ERR(&job->corr, "encoding the %s audit: %s", stage, errstr);
                return err;
        }
        return swb__send(job, job->w->cfg->topic_audit, rid, buf, len);
}

swb_err_t swb_job_reply(swb_job_t *job, const char *agent, const char *text,
                        const char *status)
{
        const swb_config_t *cfg = job->w->cfg;
        const char *rid = swb__jstr(job->request, "request_id");
        const char *sid = swb__jstr(job->request, "session_id");
        const char *tenant = swb__jstr(job->request, "tenant_id");
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
            *tenant ? tenant : "default", "agent", agent, "text", text, "status",
            status, "created_at", (json_int_t)swb_now_ms(), "request_created_at",
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
