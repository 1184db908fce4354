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
        job->request_id = swb_strdup(json_string_value(json_object_get(req, "request_id")));
        job->session_id = swb_strdup(json_string_value(json_object_get(req, "session_id")));
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

swb_err_t swb_job_produce(swb_job_t *job, const char *topic, const char *key,
                          swb_msg_type_t type, const json_t *obj)
{
        const void *buf = NULL;
        size_t len = 0;
        char errstr[512];
        swb_header_t hdr = {"traceparent", job->traceparent, strlen(job->traceparent)};
        swb_err_t err = swb_codec_encode_scratch(job->w->codec, type, obj, &buf, &len, errstr,
                                                 sizeof(errstr));
        if (err) {
                SWB_ERR(&job->corr, "encoding %s for %s: %s", swb_codec_type_name(type), topic,
                        errstr);
                return err;
        }
        job->refcnt++;
        err = swb_producer_send(job->w->producer, topic, key, key ? strlen(key) : 0, buf, len,
                                &hdr, 1, job); /* copies the payload */
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
        return swb_job_audit_usage(job, stage, agent, discriminator, details, NULL);
}

swb_err_t swb_job_audit_usage(swb_job_t *job, const char *stage, const char *agent,
                              const char *discriminator, const json_t *details,
                              const struct swb_audit_usage *usage)
{
        char event_id[SWB_UUID_LEN], off[64];
        const char *rid = job->request_id ? job->request_id : "";
        const char *tenant = swb__jstr(job->request, "tenant_id");
        json_t *ev, *d;
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
        d = details ? json_deep_copy(details) : json_object();
        json_object_set_new(d, "trace_id", json_string(job->trace_id));
        ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "event_id", event_id,
                       "request_id", rid, "session_id", swb__jstr(job->request, "session_id"),
                       "user_id", swb__jstr(job->request, "user_id"), "tenant_id",
                       *tenant ? tenant : "default", "stage", stage, "agent", agent, "details", d,
                       "created_at", (json_int_t)swb_now_ms());
        if (usage) {
                json_object_set_new(ev, "tokens_in", json_integer(usage->tokens_in));
                json_object_set_new(ev, "tokens_out", json_integer(usage->tokens_out));
                json_object_set_new(ev, "cost_usd", json_real(usage->cost_usd));
                json_object_set_new(ev, "duration_ms", json_integer(usage->duration_ms));
        }
        err = swb_job_produce(job, job->w->cfg->topic_audit, rid, SWB_MSG_AUDIT_EVENT, ev);
        json_decref(ev);
        return err;
}

swb_err_t swb_job_reply(swb_job_t *job, const char *agent, const char *text,
                        const char *status)
{
        const swb_config_t *cfg = job->w->cfg;
        const char *rid = swb__jstr(job->request, "request_id");
        const char *sid = swb__jstr(job->request, "session_id");
        const char *tenant = swb__jstr(job->request, "tenant_id");
        const char *rt = json_string_value(json_object_get(job->request, "reply_topic"));
        const char *topic = cfg->topic_replies;
        char reply_id[SWB_UUID_LEN];
        json_t *reply, *details;
        swb_err_t err;

        if (rt && *rt) {
                if (swb_config_reply_topic_allowed(cfg, rt))
                        topic = rt;
                else
                        SWB_WARN(&job->corr, "reply_topic \"%s\" is not allowed; replying on %s",
                                 rt, topic);
        }
        swb_id_derive(reply_id, "reply", rid, agent, NULL);
        reply = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "request_id", rid,
                          "reply_id", reply_id, "session_id", sid, "user_id",
                          swb__jstr(job->request, "user_id"), "tenant_id",
                          *tenant ? tenant : "default", "agent", agent, "text", text, "status",
                          status, "created_at", (json_int_t)swb_now_ms(), "request_created_at",
                          json_integer_value(json_object_get(job->request, "created_at")));
        err = swb_job_produce(job, topic, sid, SWB_MSG_AGENT_REPLY, reply);
        json_decref(reply);
        if (err)
                return err;
        details = json_pack("{s:s, s:s, s:s}", "reply_id", reply_id, "status", status, "topic",
                            topic);
        err = swb_job_audit(job, "replied", agent, NULL, details);
        json_decref(details);
        return err;
}
