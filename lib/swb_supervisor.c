#include "swb_supervisor.h"

#include <stdio.h>
#include <string.h>

#include "swb_id.h"
#include "swb_mem.h"
#include "swb_router.h"
#include "swb_session.h"

struct swb_supervisor_s {
        const swb_config_t *cfg;
        swb_worker_t *worker;
        swb_session_store_t *sessions;
        swb_metric_t *m_route;
};

swb_supervisor_t *swb_supervisor_new(const swb_config_t *cfg, char *errstr,
                                     size_t errstr_size)
{
        static const char *const labels[] = {"domain", "method", NULL};
        swb_supervisor_t *s = swb_calloc(1, sizeof(*s));
        s->cfg = cfg;
        s->m_route = swb_metrics_counter(swb_metrics_default(), "swb_route_total",
                                         "Routing decisions, by domain and method.", labels);
        if (!(s->sessions = swb_session_store_new(cfg, errstr, errstr_size))) {
                swb_supervisor_destroy(s);
                return NULL;
        }
        return s;
}

void swb_supervisor_destroy(swb_supervisor_t *s)
{
        if (!s)
                return;
        swb_session_store_destroy(s->sessions);
        swb_free(s);
}

void swb_supervisor_decide(swb_route_t *route, const char *active,
                           const char *escalated_from, double switch_conf)
{
        if (escalated_from && *escalated_from) {
                if (!strcmp(route->domain, escalated_from) ||
                    !strcmp(route->domain, "out_of_scope")) {
                        bool cs = !strcmp(escalated_from, "customer_service");
                        route->domain = cs ? "out_of_scope" : "customer_service";
                        route->intent = cs ? "out_of_scope" : "escalated";
                }
                route->method = "escalation";
                return;
        }
        if (active && *active && strcmp(route->domain, active) &&
            route->confidence < switch_conf) {
                route->domain = active;
                route->intent = "follow_up";
                route->method = "sticky";
        }
}

void swb_supervisor_set_worker(swb_supervisor_t *s, swb_worker_t *w)
{
        s->worker = w;
}

swb_err_t swb_supervisor_validate(const json_t *req, char *errstr, size_t errstr_size)
{
        static const char *const required[] = {"session_id", "user_id", "text"};
        const char *rid = json_string_value(json_object_get(req, "request_id"));
        size_t i;

        if (!swb_id_is_uuid(rid))
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "request_id \"%.64s\" is not a UUID", rid ? rid : "");
        for (i = 0; i < SWB_ARRAY_LEN(required); i++) {
                const char *v = json_string_value(json_object_get(req, required[i]));
                size_t n = v ? strspn(v, " \t\r\n") : 0;
                if (!v || !v[n])
                        return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA, "%s is empty",
                                          required[i]);
        }
        if (strlen(json_string_value(json_object_get(req, "text"))) > SWB_SUPERVISOR_MAX_TEXT)
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "text is longer than %d bytes", SWB_SUPERVISOR_MAX_TEXT);
        return SWB_OK;
}

const char *swb_supervisor_oos_text(const char *locale)
{
        if (locale && !strncmp(locale, "id", 2))
                return "Maaf, saya asisten perjalanan dan tidak bisa membantu hal itu. Saya bisa "
                       "mencari dan memesan hotel, penerbangan, dan paket tur, serta membantu "
                       "pesanan, pembatalan, kurs mata uang, dan informasi perjalanan.";
        return "Sorry, I'm a travel assistant and can't help with that. I can search and book "
               "hotels, flights and tours, and help with your bookings, cancellations, currency "
               "rates and travel information.";
}

static swb_err_t swb__reject(swb_supervisor_t *s, swb_job_t *job, json_t *req,
                             const char *why)
{
        json_t *d = json_pack("{s:s}", "reason", why);
        swb_err_t err;
        swb_job_set_request(job, req);
        err = swb_job_audit(job, "rejected", "supervisor", NULL, d);
        json_decref(d);
        /* Answer when the sender can be told (it gave us ids to match on). */
        if (!err && swb_id_is_uuid(json_string_value(json_object_get(req, "request_id"))) &&
            json_string_length(json_object_get(req, "session_id")) > 0) {
                char *text = swb_asprintf("Your request could not be processed: %s.", why);
                err = swb_job_reply(job, "supervisor", text, "rejected");
                swb_free(text);
        }
        return err;
}

swb_err_t swb_supervisor_handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *msg,
                                char *errstr, size_t errstr_size)
{
        swb_supervisor_t *s = opaque;
        json_t *req = NULL, *routed = NULL, *d = NULL;
        swb_route_t route;
        swb_err_t err;
        char why[256], conf[32], active_buf[64], *topic = NULL;
        json_t *stack = NULL;
        const char *text, *sid, *escalated, *disc, *active;
        bool degraded = false;

        err = swb_codec_decode(swb_worker_codec(s->worker), SWB_MSG_AGENT_REQUEST, msg->payload,
                               msg->len, NULL, &req, errstr, errstr_size);
        if (err)
                return err;
        if (swb_supervisor_validate(req, why, sizeof(why))) {
                err = swb__reject(s, job, req, why);
                json_decref(req);
                if (err)
                        return swb_seterr(errstr, errstr_size, err, "producing rejection failed");
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA, "%s", why);
        }
        if (!json_integer_value(json_object_get(req, "created_at")))
                json_object_set_new(req, "created_at", json_integer(swb_now_ms()));
        swb_job_set_request(job, req);
        text = json_string_value(json_object_get(req, "text"));
        sid = json_string_value(json_object_get(req, "session_id"));
        escalated = json_string_value(
                json_object_get(json_object_get(req, "metadata"), "swb.escalated_from"));
        if ((err = swb_job_audit(job, "received", "supervisor",
                                 escalated && *escalated ? escalated : NULL, NULL)))
                goto out;

        /* an escalated request passes the supervisor twice: keep audit ids apart */
        disc = escalated && *escalated ? escalated : NULL;

        swb_router_rule(text, &route);
        stack = swb_session_stack(s->sessions, sid, &degraded);
        /* a copy: the stack's strings go away when it is edited below */
        snprintf(active_buf, sizeof(active_buf), "%s", swb_session_active(stack) ? swb_session_active(stack) : "");
        active = *active_buf ? active_buf : NULL;
        swb_supervisor_decide(&route, active, escalated, s->cfg->route_switch_confidence);
        swb_metric_inc2(s->m_route, route.domain, route.method, 1);
        snprintf(conf, sizeof(conf), "%.3f", route.confidence);
        d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "domain", route.domain, "intent",
                      route.intent, "confidence", conf, "method", route.method, "active",
                      active ? active : "", "state", degraded ? "unavailable" : "ok");
        if ((err = swb_job_audit(job, "classified", "supervisor", disc, d)))
                goto out;
        SWB_DBG(swb_job_corr(job), "classified as %s/%s (%.2f, %s)", route.domain, route.intent,
                route.confidence, route.method);

        if (escalated && *escalated)
                swb_session_pop(stack, escalated);
        if (!strcmp(route.domain, "out_of_scope")) {
                const char *answer = swb_supervisor_oos_text(
                        json_string_value(json_object_get(req, "locale")));
                if (!degraded &&
                    !swb_session_record(s->sessions, sid, stack, "user", text, "supervisor"))
                        swb_session_record(s->sessions, sid, NULL, "assistant", answer,
                                           "supervisor");
                err = swb_job_reply(job, "supervisor", answer, "out_of_scope");
                goto out;
        }
        swb_session_push(stack, route.domain);
        if (!degraded)
                swb_session_record(s->sessions, sid, stack, "user", text, route.domain);

        routed = json_deep_copy(req);
        json_object_set_new(routed, "domain", json_string(route.domain));
        json_object_set_new(routed, "intent", json_string(route.intent));
        json_object_set_new(routed, "confidence", json_real(route.confidence));
        json_object_set_new(routed, "method", json_string(route.method));
        json_object_set_new(routed, "routed_at", json_integer(swb_now_ms()));
        topic = swb_config_route_topic(s->cfg, route.domain);
        if ((err = swb_job_produce(job, topic, sid, SWB_MSG_ROUTED_REQUEST, routed)))
                goto out;
        json_decref(d);
        d = json_pack("{s:s, s:s, s:s}", "domain", route.domain, "topic", topic, "method",
                      route.method);
        err = swb_job_audit(job, "routed", "supervisor", disc, d);
out:
        if (err && errstr && !*errstr)
                swb_seterr(errstr, errstr_size, err, "producing outputs failed");
        swb_free(topic);
        json_decref(d);
        json_decref(routed);
        json_decref(stack);
        json_decref(req);
        return err;
}
