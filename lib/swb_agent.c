#include "swb_agent.h"

#include <string.h>

#include "swb_mem.h"
#include "swb_session.h"

struct swb_agent_s {
        const swb_config_t *cfg;
        const struct swb_agent_plugin *plugin;
        swb_worker_t *worker;
        swb_session_store_t *sessions;
};

swb_agent_t *swb_agent_new(const swb_config_t *cfg, const char *domain, char *errstr,
                           size_t errstr_size)
{
        const struct swb_agent_plugin *p = swb_agent_find(domain);
        swb_agent_t *a;
        if (!p) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                           "unknown domain \"%s\" (known: hotel, flight, tour, customer_service)",
                           domain ? domain : "");
                return NULL;
        }
        a = swb_calloc(1, sizeof(*a));
        a->cfg = cfg;
        a->plugin = p;
        if (!(a->sessions = swb_session_store_new(cfg, errstr, errstr_size))) {
                swb_agent_destroy(a);
                return NULL;
        }
        return a;
}

void swb_agent_destroy(swb_agent_t *a)
{
        if (!a)
                return;
        swb_session_store_destroy(a->sessions);
        swb_free(a);
}

void swb_agent_set_worker(swb_agent_t *a, swb_worker_t *w)
{
        a->worker = w;
}

swb_err_t swb_agent_handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *msg,
                           char *errstr, size_t errstr_size)
{
        swb_agent_t *a = opaque;
        json_t *req = NULL;
        swb_err_t err;
        const char *domain;
        char *reply = NULL;
        struct swb_agent_ctx ctx;
        char perr[256] = "";

        err = swb_codec_decode(swb_worker_codec(a->worker), SWB_MSG_ROUTED_REQUEST, msg->payload,
                               msg->len, NULL, &req, errstr, errstr_size);
        if (err)
                return err;
        swb_job_set_request(job, req);
        domain = json_string_value(json_object_get(req, "domain"));
        if (!domain || strcmp(domain, a->plugin->name)) {
                json_decref(req);
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "routed to domain \"%s\" but this is the %s agent",
                                  domain ? domain : "", a->plugin->name);
        }
        if ((err = swb_job_audit(job, "received", a->plugin->name, NULL, NULL)))
                goto out;

        memset(&ctx, 0, sizeof(ctx));
        ctx.cfg = a->cfg;
        ctx.request = req;
        ctx.text = json_string_value(json_object_get(req, "text"));
        ctx.locale = json_string_value(json_object_get(req, "locale"));
        ctx.corr = swb_job_corr(job);
        err = a->plugin->plan(&ctx, &reply, perr, sizeof(perr));
        if (err) {
                json_t *d = json_pack("{s:s, s:s}", "error", swb_err2str(err), "message", perr);
                SWB_WARN(ctx.corr, "%s agent failed: %s", a->plugin->name, perr);
                if (swb_err_is_retriable(err)) {
                        json_decref(d);
                        swb_seterr(errstr, errstr_size, err, "%s", perr);
                        goto out;
                }
                swb_job_audit(job, "failed", a->plugin->name, NULL, d);
                json_decref(d);
                err = swb_job_reply(job, a->plugin->name,
                                    "Sorry, something went wrong on our side while answering. "
                                    "Please try again.",
                                    "error");
                goto out;
        }
        SWB_DBG(ctx.corr, "%s agent answered", a->plugin->name);
        err = swb_job_reply(job, a->plugin->name, reply, "ok");
        if (!err)
                swb_session_record(a->sessions, json_string_value(json_object_get(req, "session_id")),
                                   NULL, "assistant", reply, a->plugin->name);
out:
        if (err && !*errstr)
                swb_seterr(errstr, errstr_size, err, "producing outputs failed");
        swb_free(reply);
        json_decref(req);
        return err;
}
