#include "swb_supervisor.h"

#include <stdio.h>
#include <string.h>

#include "swb_id.h"
#include "swb_mem.h"
#include "swb_breaker.h"
#include "swb_llm.h"
#include "swb_router.h"
#include "swb_session.h"
#include "swb_usage.h"

struct swb_supervisor_s {
        const swb_config_t *cfg;
        swb_worker_t *worker;
        swb_session_store_t *sessions;
        swb_router_t *router;
        swb_llm_t *llm; /* NULL without llm.url */
        swb_breaker_t *breaker;
        swb_usage_t *usage;
        swb_metric_t *m_route;
};

swb_supervisor_t *swb_supervisor_new(const swb_config_t *cfg, char *errstr,
                                     size_t errstr_size)
{
        static const char *const labels[] = {"domain", "method", NULL};
        swb_supervisor_t *s = swb_calloc(1, sizeof(*s));
        s->cfg = cfg;
        s->m_route =
            swb_metrics_counter(swb_metrics_default(), "swb_route_total",
                                "Routing decisions, by domain and method.", labels);
        if (!(s->router = swb_router_new(cfg, errstr, errstr_size)) ||
            !(s->sessions = swb_session_store_new(cfg, errstr, errstr_size)) ||
            !(s->usage = swb_usage_new(cfg, errstr, errstr_size)))
                goto fail;
        if (cfg->llm_url && *cfg->llm_url) {
                if (swb_usage_model_new(cfg, cfg->route_llm_timeout_ms, false, 0,
                                        &s->llm, &s->breaker, errstr, errstr_size))
                        goto fail;
                SWB_INFO(NULL, "model routing on: %s (%s) below confidence %.2f",
                         cfg->llm_url, cfg->llm_model, cfg->route_llm_threshold);
        }
        return s;
fail:
        swb_supervisor_destroy(s);
        return NULL;
}

void swb_supervisor_destroy(swb_supervisor_t *s)
{
        if (!s)
                return;
        swb_llm_destroy(s->llm); /* pending calls complete with an error first */
        s->llm = NULL;           /* (and session reads still due may not ask it) */
        swb_breaker_destroy(s->breaker);
        swb_usage_destroy(s->usage);
        swb_session_store_destroy(s->sessions);
        swb_router_destroy(s->router);
        swb_free(s);
}

void swb_supervisor_decide(swb_route_t *route, const char *active,
                           const char *escalated_from, double switch_conf)
{
        if (escalated_from && *escalated_from) {
                if (!strcmp(route->domain, escalated_from) ||
                    !strcmp(route->domain, "out_of_scope")) {
                        /* the best other agent, else the general desk */
                        bool cs = !strcmp(escalated_from, "customer_service");
                        if (route->alt && strcmp(route->alt, escalated_from))
                                route->domain = route->alt;
                        else
                                route->domain =
                                    cs ? "out_of_scope" : "customer_service";
                        route->intent = "escalated";
                }
                route->method = "escalation";
                return;
        }
        /* Leave the active agent only for another agent the classifier is sure
         * of: short follow-ups ("yes, the second one", "the morning one") look
         * like confident small talk to it, so out_of_scope never breaks the
         * conversation; the agent can hand a request back (escalation). */
        if (active && *active && strcmp(route->domain, active) &&
            (route->confidence < switch_conf ||
             !strcmp(route->domain, "out_of_scope"))) {
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
                        return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                          "%s is empty", required[i]);
        }
        if (strlen(json_string_value(json_object_get(req, "text"))) >
            SWB_SUPERVISOR_MAX_TEXT)
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "text is longer than %d bytes",
                                  SWB_SUPERVISOR_MAX_TEXT);
        return SWB_OK;
}

const char *swb_supervisor_oos_text(const char *locale)
{
        if (locale && !strncmp(locale, "id", 2))
                return "Maaf, saya asisten perjalanan dan tidak bisa membantu hal itu. "
                       "Saya bisa "
                       "mencari dan memesan hotel, penerbangan, dan paket tur, serta "
                       "membantu "
                       "pesanan, pembatalan, kurs mata uang, dan informasi perjalanan.";
        return "Sorry, I'm a travel assistant and can't help with that. I can search "
               "and book "
               "hotels, flights and tours, and help with your bookings, cancellations, "
               "currency "
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
        if (!err &&
            swb_id_is_uuid(json_string_value(json_object_get(req, "request_id"))) &&
            json_string_length(json_object_get(req, "session_id")) > 0) {
                char *text =
                    swb_asprintf("Your request could not be processed: %s.", why);
                err = swb_job_reply(job, "supervisor", text, "rejected");
                swb_free(text);
        }
        return err;
}

/* One request between classification and routing: it may wait for the model. */
struct swb__pending {
        swb_supervisor_t *s;
        swb_job_t *job;
        json_t *req, *stack;
        const char *text, *sid, *escalated, *disc;
        char active[64];
        bool degraded;
        bool deferred; /* for the session read: finished by swb__finish() */
        int recording; /* session writes in flight */
        swb_route_t route;
        int64_t t0;
        swb_err_t err; /* the outcome, kept while the writes finish */
        char errstr[256];
};

static void swb__pending_destroy(struct swb__pending *p)
{
        json_decref(p->req);
        json_decref(p->stack);
        swb_free(p);
}

/* A deferred request is done: complete its job, now or when the session
 * writes have answered (swb__recorded). */
static void swb__finish(struct swb__pending *p, swb_err_t err, const char *errstr)
{
        p->err = err;
        snprintf(p->errstr, sizeof(p->errstr), "%s", errstr ? errstr : "");
        if (p->recording)
                return; /* swb__recorded() */
        swb_job_complete(p->job, p->err, p->errstr);
        swb__pending_destroy(p);
}

static void swb__recorded(void *opaque, swb_err_t err)
{
        struct swb__pending *p = opaque;
        (void)err; /* logged and counted by swb_session; the routing stands */
        if (--p->recording > 0)
                return;
        swb_job_complete(p->job, p->err, p->errstr);
        swb__pending_destroy(p);
}

/* Record a turn of the session, on the non-blocking connection: only when
 * its state was read there (so the request is deferred, and its job waits
 * for the write too). */
static void swb__record(struct swb__pending *p, const json_t *stack, const char *role,
                        const char *text, const char *agent)
{
        if (!p->degraded &&
            !swb_session_record_async(p->s->sessions, p->sid, stack, role, text, agent,
                                      swb__recorded, p))
                p->recording++;
}

/* Phase 2: the decision is known (classifier, model or fallback): combine it
 * with the conversation, audit it, and route or answer. */
static swb_err_t swb__route(struct swb__pending *p, char *errstr, size_t errstr_size)
{
        swb_supervisor_t *s = p->s;
        swb_job_t *job = p->job;
        swb_route_t route = p->route;
        const char *active = *p->active ? p->active : NULL;
        json_t *routed = NULL;
        char conf[32], *topic = NULL;
        swb_err_t err;

        swb_supervisor_decide(&route, active, p->escalated,
                              s->cfg->route_switch_confidence);
        swb_metric_inc2(s->m_route, route.domain, route.method, 1);
        snprintf(conf, sizeof(conf), "%.3f", route.confidence);
        {
                const char *const d[] = {
                    "domain",     route.domain,
                    "intent",     route.intent,
                    "confidence", conf,
                    "method",     route.method,
                    "active",     active ? active : "",
                    "state",      p->degraded ? "unavailable" : "ok",
                    NULL};
                if ((err = swb_job_audit_kv(job, "classified", "supervisor", p->disc, d,
                                            NULL)))
                        goto out;
        }
        SWB_DBG(swb_job_corr(job), "classified as %s/%s (%.2f, %s)", route.domain,
                route.intent, route.confidence, route.method);

        if (p->escalated)
                swb_session_pop(p->stack, p->escalated);
        if (!strcmp(route.domain, "out_of_scope")) {
                const char *answer = swb_supervisor_oos_text(
                    json_string_value(json_object_get(p->req, "locale")));
                swb__record(p, p->stack, "user", p->text, "supervisor");
                swb__record(p, NULL, "assistant", answer, "supervisor");
                err = swb_job_reply(job, "supervisor", answer, "out_of_scope");
                goto out;
        }
        swb_session_push(p->stack, route.domain);
        swb__record(p, p->stack, "user", p->text, route.domain);

        routed = json_copy(p->req); /* shallow: the values are only read */
        json_object_set_new(routed, "domain", json_string(route.domain));
        json_object_set_new(routed, "intent", json_string(route.intent));
        json_object_set_new(routed, "confidence", json_real(route.confidence));
        json_object_set_new(routed, "method", json_string(route.method));
        json_object_set_new(routed, "routed_at", json_integer(swb_now_ms()));
        topic = swb_config_route_topic(s->cfg, route.domain);
        if ((err = swb_job_produce(job, topic, p->sid, SWB_MSG_ROUTED_REQUEST, routed)))
                goto out;
        {
                const char *const d[] = {"domain", route.domain, "topic", topic,
                                         "method", route.method, NULL};
                err = swb_job_audit_kv(job, "routed", "supervisor", p->disc, d, NULL);
        }
out:
        if (err && errstr && !*errstr)
                swb_seterr(errstr, errstr_size, err, "producing outputs failed");
        swb_free(topic);
        json_decref(routed);
        return err;
}

/* The routing tools the model chooses from, and the domain each means. */
static const struct {
        const char *tool, *domain, *description;
} swb__route_tools[] = {
    {"ToHotelAgent", "hotel",
     "Hotels: search, rooms and availability, booking, payment and cancellation of "
     "stays."},
    {"ToFlightAgent", "flight",
     "Flights: search by route and date, booking, payment and cancellation of "
     "tickets."},
    {"ToTourAgent", "tour",
     "Tours and travel packages: search by destination, dates, booking, payment."},
    {"ToCustomerServiceAgent", "customer_service",
     "The user's bookings and their history, cancellations, refunds, currency rates, "
     "visas, luggage, travel rules and general travel questions."},
    {"OutOfScope", "out_of_scope",
     "Anything that is not about travel with this agency."},
};

static json_t *swb__route_tools_json(void)
{
        json_t *tools = json_array();
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(swb__route_tools); i++)
                json_array_append_new(
                    tools,
                    json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:{}}}}", "type", "function",
                              "function", "name", swb__route_tools[i].tool,
                              "description", swb__route_tools[i].description,
                              "parameters", "type", "object", "properties"));
        return tools;
}

static void swb__llm_done(void *opaque, swb_llm_result_t *res)
{
        struct swb__pending *p = opaque;
        swb_supervisor_t *s = p->s;
        const char *tool = res->n_tool_calls ? res->tool_calls[0].name : NULL;
        struct swb_audit_usage usage = {0};
        char errstr[512] = "";
        const char *model = res->model ? res->model : s->cfg->llm_model;
        swb_err_t err;
        json_t *d;
        size_t i;

        swb_breaker_release(s->breaker, res->err, res->latency_ms, res->retry_after_ms);
        usage.cost_usd = swb_usage_account(s->usage, model, res);
        usage.tokens_in = res->has_usage ? res->usage.prompt_tokens : 0;
        usage.tokens_out = res->has_usage ? res->usage.completion_tokens : 0;
        usage.duration_ms = res->latency_ms;
        for (i = 0; tool && i < SWB_ARRAY_LEN(swb__route_tools); i++)
                if (!strcmp(tool, swb__route_tools[i].tool)) {
                        p->route.domain = swb__route_tools[i].domain;
                        p->route.intent = "llm_routed";
                        p->route.confidence =
                            1.0; /* the model decided, with the context */
                        p->route.method = "llm";
                        break;
                }
        if (res->err || !tool || i == SWB_ARRAY_LEN(swb__route_tools)) {
                SWB_WARN(swb_job_corr(p->job),
                         "model routing failed (%s); using the classifier",
                         res->err ? res->errmsg
                         : tool   ? "unknown tool"
                                  : "no tool call");
                p->route.method = "fallback";
        }
        d = json_pack("{s:s, s:s, s:s, s:s}", "purpose", "routing", "model", model,
                      "outcome",
                      res->err ? swb_err2str(res->err)
                      : tool   ? "ok"
                               : "no_tool_call",
                      "tool", tool ? tool : "");
        err = swb_job_audit_usage(p->job, "model_called", "supervisor", p->disc, d,
                                  &usage);
        json_decref(d);
        swb_llm_result_destroy(res);
        if (!err)
                err = swb__route(p, errstr, sizeof(errstr));
        p->deferred = true; /* the model call deferred it */
        swb__finish(p, err, errstr);
}

static swb_err_t swb__ask_model(struct swb__pending *p, char *errstr,
                                size_t errstr_size)
{
        swb_supervisor_t *s = p->s;
        json_t *msgs, *tools, *turns, *extra;
        struct swb_llm_call_opts o = {0};
        char *sys;
        size_t i;
        swb_err_t err;

        /* circuit open, Retry-After or at the limit: the classifier decides,
         * before any work (the turns are a Redis round trip) */
        if ((err = swb_breaker_acquire(s->breaker, (int)swb_llm_inflight(s->llm)))) {
                p->route.method = "fallback";
                return swb_seterr(errstr, errstr_size, err,
                                  "model routing unavailable");
        }
        msgs = json_array();
        tools = swb__route_tools_json();
        extra = json_pack("{s:s, s:i}", "tool_choice", "required", "max_tokens", 50);
        sys = swb_asprintf("You route messages for a travel agency's assistant "
                           "(English and Indonesian). "
                           "Call exactly one tool: the agent that should answer the "
                           "user's last message.%s%s",
                           *p->active ? " The agent currently talking with the user is "
                                      : "",
                           p->active);
        json_array_append_new(
            msgs, json_pack("{s:s, s:s}", "role", "system", "content", sys));
        swb_free(sys);
        turns = p->degraded ? json_array() : swb_session_turns(s->sessions, p->sid);
        for (i = 0; i < json_array_size(turns); i++) {
                json_t *t = json_array_get(turns, i);
                const char *role = json_string_value(json_object_get(t, "role"));
                json_array_append_new(
                    msgs,
                    json_pack("{s:s, s:O}", "role",
                              role && !strcmp(role, "assistant") ? "assistant" : "user",
                              "content", json_object_get(t, "text")));
        }
        json_decref(turns);
        json_array_append_new(
            msgs, json_pack("{s:s, s:s}", "role", "user", "content", p->text));
        o.timeout_ms = s->cfg->route_llm_timeout_ms;
        o.stream = SWB_LLM_STREAM_OFF;
        o.extra = extra;
        o.request_id = json_string_value(json_object_get(p->req, "request_id"));
        swb_job_defer(p->job);
        err = swb_llm_call(s->llm, msgs, tools, &o, swb__llm_done, NULL, p);
        if (err) {
                swb_breaker_release(s->breaker, SWB_OK, 0, 0);
                p->route.method = "fallback";
                if (!p->deferred) /* undo the defer; route without it */
                        swb_job_complete(p->job, SWB_OK, NULL);
                swb_seterr(errstr, errstr_size, err, "model call could not start");
        }
        json_decref(msgs);
        json_decref(tools);
        json_decref(extra);
        return err;
}

static swb_err_t swb__decide(struct swb__pending *p, char *errstr, size_t errstr_size);
static void swb__stack_done(void *opaque, json_t *stack, bool degraded);

swb_err_t swb_supervisor_handle(void *opaque, swb_job_t *job,
                                const rd_kafka_message_t *msg, char *errstr,
                                size_t errstr_size)
{
        swb_supervisor_t *s = opaque;
        json_t *req = NULL;
        struct swb__pending *p;
        swb_err_t err;
        char why[256];
        const char *escalated;

        err = swb_codec_decode(swb_worker_codec(s->worker), SWB_MSG_AGENT_REQUEST,
                               msg->payload, msg->len, NULL, &req, errstr, errstr_size);
        if (err)
                return err;
        if (swb_supervisor_validate(req, why, sizeof(why))) {
                err = swb__reject(s, job, req, why);
                json_decref(req);
                if (err)
                        return swb_seterr(errstr, errstr_size, err,
                                          "producing rejection failed");
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA, "%s", why);
        }
        if (!json_integer_value(json_object_get(req, "created_at")))
                json_object_set_new(req, "created_at", json_integer(swb_now_ms()));
        swb_job_set_request(job, req);

        p = swb_calloc(1, sizeof(*p));
        p->s = s;
        p->job = job;
        p->req = req; /* the reference from decode */
        p->t0 = swb_mono_ms();
        p->text = json_string_value(json_object_get(req, "text"));
        p->sid = json_string_value(json_object_get(req, "session_id"));
        escalated = json_string_value(
            json_object_get(json_object_get(req, "metadata"), "swb.escalated_from"));
        /* an escalated request passes the supervisor twice: keep audit ids apart */
        p->escalated = p->disc = escalated && *escalated ? escalated : NULL;
        if ((err = swb_job_audit_kv(job, "received", "supervisor", p->disc, NULL,
                                    NULL))) {
                swb__pending_destroy(p);
                return swb_seterr(errstr, errstr_size, err,
                                  "producing the audit failed");
        }

        swb_router_route(s->router, p->text, &p->route);
        /* the session's state from Redis without blocking: requests of other
         * sessions go on meanwhile (this one's are behind it in its key's turn);
         * the callback never runs from the call itself */
        if (!swb_session_stack_async(s->sessions, p->sid, swb__stack_done, p)) {
                swb_job_defer(job);
                p->deferred = true;
                return SWB_OK;
        }
        p->stack = json_array();
        p->degraded = true;
        return swb__decide(p, errstr, errstr_size);
}

/* Phase 2 (the state is known): ask the model when unsure, else route.
 * @returns the outcome when done now; SWB_OK when the model finishes it. */
static swb_err_t swb__decide(struct swb__pending *p, char *errstr, size_t errstr_size)
{
        swb_supervisor_t *s = p->s;
        const char *active = swb_session_active(p->stack);
        swb_err_t err;
        /* a copy: the stack's strings go away when it is edited */
        snprintf(p->active, sizeof(p->active), "%s", active ? active : "");
        if (s->llm && !p->escalated &&
            p->route.confidence < s->cfg->route_llm_threshold &&
            !swb__ask_model(p, errstr, errstr_size))
                return SWB_OK; /* swb__llm_done finishes it */
        *errstr = '\0';
        err = swb__route(p, errstr, errstr_size);
        if (p->deferred) {
                swb__finish(p, err, errstr);
                return SWB_OK;
        }
        swb__pending_destroy(p);
        return err;
}

static void swb__stack_done(void *opaque, json_t *stack, bool degraded)
{
        struct swb__pending *p = opaque;
        char errstr[256] = "";
        p->stack = stack;
        p->degraded = degraded;
        swb__decide(p, errstr, sizeof(errstr));
}

void swb_supervisor_poll(void *opaque, int timeout_ms)
{
        swb_supervisor_t *s = opaque;
        bool redis = swb_session_inflight(s->sessions) > 0;
        bool model = s->llm && swb_llm_inflight(s->llm) > 0;
        /* wait on whichever has work; the other is only served */
        swb_session_poll(s->sessions, redis && !model ? timeout_ms : 0);
        if (s->llm)
                swb_llm_poll(s->llm, redis ? 0 : timeout_ms);
}
