#include "swb_agent_int.h"

#include <stdio.h>
#include <string.h>

#include "swb_id.h"
#include "swb_mem.h"
#include "swb_retention.h"
#include "swb_tools.h"

swb_agent_t *swb_agent_new(const swb_config_t *cfg, const char *domain, char *errstr,
                           size_t errstr_size)
{
        static const char *const l_req[] = {"agent", "outcome", NULL};
        static const char *const l_agent[] = {"agent", NULL};
        static const char *const l_tool[] = {"agent", "tool", "outcome", NULL};
        static const char *const l_tname[] = {"tool", NULL};
        static const double dur_b[] = {0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                       5,    10,  30,   60,  120};
        static const double tool_b[] = {0.001, 0.005, 0.01, 0.025, 0.05,
                                        0.1,   0.25,  0.5,  1,     5};
        const struct swb_agent_plugin *p = swb_agent_find(domain);
        swb_metrics_t *m = swb_metrics_default();
        swb_agent_t *a;

        if (!p) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                           "unknown domain \"%s\" (known: hotel, flight, tour, "
                           "customer_service)",
                           domain ? domain : "");
                return NULL;
        }
        a = swb_calloc(1, sizeof(*a));
        a->cfg = cfg;
        a->plugin = p;
        a->m_req = swb_metrics_counter(
            m, "swb_requests_total", "Requests answered, by agent and outcome.", l_req);
        a->m_dur = swb_metrics_histogram(m, "swb_request_duration_seconds",
                                         "From the request's created_at to its reply.",
                                         l_agent, dur_b, SWB_ARRAY_LEN(dur_b));
        a->m_tool =
            swb_metrics_counter(m, "swb_tool_calls_total",
                                "Tool calls, by agent, tool and outcome.", l_tool);
        a->m_tool_dur = swb_metrics_histogram(m, "swb_tool_duration_seconds",
                                              "Duration of tool calls.", l_tname,
                                              tool_b, SWB_ARRAY_LEN(tool_b));
        if (swb_tools_check_table(p->tools, p->n_tools, errstr, errstr_size))
                goto fail;
        a->tools_spec = swb_tools_openai_spec(p->tools, p->n_tools);
        if (!(a->sessions = swb_session_store_new(cfg, errstr, errstr_size)) ||
            !(a->usage = swb_usage_new(cfg, errstr, errstr_size)) ||
            !(a->budget = swb_budget_new(cfg, errstr, errstr_size)))
                goto fail;
        if (cfg->redis_url && *cfg->redis_url) {
                struct swb_cache_conf cc = {0};
                cc.redis_url = cfg->redis_url;
                cc.ttl.hotels = cfg->cache_ttl_hotels;
                cc.ttl.flights = cfg->cache_ttl_flights;
                cc.ttl.tours = cfg->cache_ttl_tours;
                cc.ttl.availability = cfg->cache_ttl_availability;
                cc.ttl.user_bookings = cfg->cache_ttl_user_bookings;
                if (!(a->cache = swb_cache_new(&cc, errstr, errstr_size)))
                        goto fail;
        }
        if (cfg->llm_url && *cfg->llm_url) {
                if (swb_usage_model_new(cfg, cfg->llm_timeout_ms, true,
                                        cfg->llm_slow_ms, &a->llm, &a->breaker, errstr,
                                        errstr_size))
                        goto fail;
                SWB_INFO(NULL, "%s agent answers with the model %s at %s", p->name,
                         cfg->llm_model, cfg->llm_url);
        } else
                SWB_INFO(NULL,
                         "%s agent answers with its deterministic planner (no llm.url)",
                         p->name);
        {
                struct swb_tools_providers tp = {0};
                tp.search_url = cfg->search_url;
                tp.search_api_key = cfg->search_api_key;
                tp.rates_url = cfg->rates_url;
                tp.rates_api_key = cfg->rates_api_key;
                tp.rates_max_age_s = cfg->rates_max_age_s;
                swb_tools_set_providers(&tp);
        }
        if (!cfg->pg_url || !*cfg->pg_url)
                SWB_WARN(NULL,
                         "pg.url is not set: every tool call will fail as unavailable");
        else
                a->retention =
                    swb_retention_new(cfg, swb_retention_agent_rules, p->name);
        return a;
fail:
        swb_agent_destroy(a);
        return NULL;
}

void swb_agent_destroy(swb_agent_t *a)
{
        if (!a)
                return;
        swb_llm_destroy(a->llm); /* pending calls complete (with an error) first */
        swb_breaker_destroy(a->breaker);
        swb_usage_destroy(a->usage);
        swb_budget_destroy(a->budget);
        swb_cache_destroy(a->cache);
        swb_retention_destroy(a->retention);
        swb_pg_destroy(a->pg);
        swb_session_store_destroy(a->sessions);
        json_decref(a->tools_spec);
        swb_free(a);
}

static bool swb__pg_up(void *opaque);

void swb_agent_set_worker(swb_agent_t *a, swb_worker_t *w)
{
        a->worker = w;
        /* Without PostgreSQL no request can be answered: while it is down the
         * worker pauses and holds the requests instead of retrying them. */
        if (a->cfg->pg_url && *a->cfg->pg_url)
                a->pg_dependency =
                    !swb_worker_add_dependency(w, "postgres", swb__pg_up, a);
}

void swb_agent_poll(void *opaque, int timeout_ms)
{
        swb_agent_t *a = opaque;
        if (a->llm) {
                swb_llm_poll(a->llm, timeout_ms);
                swb__agent_llm_pump(a);
        }
        if (a->retention && swb_worker_dependency_up(a->worker, "postgres")) {
                swb_retention_run(a->retention, a->pg);
                swb_tools_booking_sweep(a->cfg, a->pg, a->cache, &a->next_sweep_ms);
        }
}

static swb_err_t swb__inbox_put(swb_agent_t *a, const json_t *req, const char *reply_id,
                                const char *text, const char *status,
                                const swb_corr_t *corr);

/* ------------------------------------------------------------------ runs */

struct swb_agent_run *swb__agent_run_from_ctx(const struct swb_agent_ctx *ctx)
{
        return (struct swb_agent_run *)((char *)ctx -
                                        offsetof(struct swb_agent_run, ctx));
}

void swb__agent_run_destroy(struct swb_agent_run *run)
{
        if (!run)
                return;
        json_decref(run->req);
        json_decref(run->turns);
        json_decref(run->messages);
        swb_free(run);
}

void swb__agent_stream(struct swb_agent_run *run, const char *kind, const char *text,
                       const char *tool)
{
        json_t *ev = json_pack(
            "{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I}", "request_id",
            json_string_value(json_object_get(run->req, "request_id")), "session_id",
            json_string_value(json_object_get(run->req, "session_id")), "reply_id",
            run->reply_id, "seq", run->seq++, "kind", kind, "agent",
            run->a->plugin->name, "text", text ? text : "", "tool", tool ? tool : "",
            "created_at", (json_int_t)swb_now_ms());
        if (swb_job_produce(run->job, run->a->cfg->topic_stream,
                            json_string_value(json_object_get(run->req, "session_id")),
                            SWB_MSG_STREAM_EVENT, ev))
                SWB_WARN(run->ctx.corr, "stream event %s could not be queued", kind);
        json_decref(ev);
}

swb_err_t swb__agent_reply(struct swb_agent_run *run, const char *text,
                           const char *status)
{
        swb_agent_t *a = run->a;
        int64_t created = json_integer_value(json_object_get(run->req, "created_at"));
        swb_err_t err =
            swb__inbox_put(a, run->req, run->reply_id, text, status, run->ctx.corr);
        if (err)
                return err; /* retriable: handled again, tools replay their first
                               results */
        if ((err = swb_job_reply(run->job, a->plugin->name, text, status)))
                return err;
        swb_session_record(a->sessions,
                           json_string_value(json_object_get(run->req, "session_id")),
                           NULL, "assistant", text, a->plugin->name);
        swb_metric_inc2(a->m_req, a->plugin->name, status, 1);
        if (created > 0)
                swb_metric_observe1(a->m_dur, a->plugin->name,
                                    (double)(swb_now_ms() - created) / 1000.0);
        return SWB_OK;
}

swb_err_t swb__agent_escalate(struct swb_agent_run *run)
{
        swb_agent_t *a = run->a;
        static const char *const route_fields[] = {"domain", "intent", "confidence",
                                                   "method", "routed_at"};
        json_t *back = json_deep_copy(run->req), *md, *d;
        swb_err_t err;
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(route_fields); i++)
                json_object_del(back, route_fields[i]);
        md = json_object_get(back, "metadata");
        if (!json_is_object(md))
                json_object_set_new(back, "metadata", md = json_object());
        json_object_set_new(md, "swb.escalated_from", json_string(a->plugin->name));
        err =
            swb_job_produce(run->job, a->cfg->topic_requests,
                            json_string_value(json_object_get(run->req, "session_id")),
                            SWB_MSG_AGENT_REQUEST, back);
        json_decref(back);
        if (err)
                return err;
        SWB_INFO(run->ctx.corr, "%s agent hands the request back to the supervisor",
                 a->plugin->name);
        swb_metric_inc2(a->m_req, a->plugin->name, "escalated", 1);
        d = json_pack("{s:s, s:s}", "escalated_to", "supervisor", "topic",
                      a->cfg->topic_requests);
        err = swb_job_audit(run->job, "routed", a->plugin->name, "escalation", d);
        json_decref(d);
        return err;
}

/* ----------------------------------------------------------------- inbox */

static const char *swb__str(const json_t *v, const char *dflt)
{
        const char *s = json_string_value(v);
        return s ? s : dflt;
}

/* The agent's PostgreSQL connection, connected on first use; NULL when
 * pg.url is unset or the server is unreachable (then *err says which). */
static swb_pg_t *swb__pg(swb_agent_t *a, const swb_corr_t *corr, swb_err_t *err)
{
        char errstr[512];
        *err = SWB_OK;
        if (a->pg)
                return a->pg;
        if (!a->cfg->pg_url || !*a->cfg->pg_url) {
                *err = SWB_ERR_UNAVAILABLE;
                return NULL;
        }
        if (!(a->pg = swb_pg_new(a->cfg->pg_url, errstr, sizeof(errstr)))) {
                SWB_WARN(corr, "PostgreSQL unreachable: %s", errstr);
                *err = SWB_ERR_TRANSPORT;
        }
        return a->pg;
}

static void swb__pg_broken(swb_agent_t *a, swb_err_t err)
{
        if (swb_err_is_retriable(err)) { /* reconnect next time */
                swb_pg_destroy(a->pg);
                a->pg = NULL;
        }
}

/* The worker's dependency probe: does PostgreSQL answer `SELECT 1` now, on
 * the agent's own connection (connecting afresh when there is none)? Quiet:
 * the worker logs the outage once. */
static bool swb__pg_up(void *opaque)
{
        swb_agent_t *a = opaque;
        char errstr[512];
        if (!a->pg && !(a->pg = swb_pg_new(a->cfg->pg_url, errstr, sizeof(errstr))))
                return false;
        if (swb_pg_ping(a->pg))
                return true;
        swb_pg_destroy(a->pg);
        a->pg = NULL;
        return false;
}

void swb__agent_failed(swb_agent_t *a, swb_job_t *job, swb_err_t err)
{
        /* A retriable failure is PostgreSQL's outage when PostgreSQL does not
         * answer now; anything else (a model 429, a serialization failure, a
         * produce error) keeps the ordinary retry path. */
        if (!err || !swb_err_is_retriable(err) || !a->pg_dependency)
                return;
        if (!swb_worker_dependency_up(a->worker, "postgres") || !swb__pg_up(a))
                swb_job_dependency_down(job, "postgres");
}

/*
 * The inbox (swb_inbox): the reply an agent gave to a request, written before
 * the reply is produced. A redelivered request is answered from it: same
 * reply_id, no tool and no model call. Without pg.url there is no inbox.
 */
static swb_err_t swb__inbox_get(swb_agent_t *a, const json_t *req,
                                const swb_corr_t *corr, json_t **stored)
{
        const char *params[2] = {a->plugin->name,
                                 json_string_value(json_object_get(req, "request_id"))};
        char errstr[512];
        PGresult *res = NULL;
        swb_err_t err;
        swb_pg_t *pg = swb__pg(a, corr, &err);
        *stored = NULL;
        if (!pg)
                return err == SWB_ERR_UNAVAILABLE ? SWB_OK : err;
        err = swb_pg_exec(pg,
                          "SELECT convert_from(reply, 'UTF8') FROM swb_inbox "
                          "WHERE agent = $1 AND request_id = $2",
                          2, params, &res, errstr, sizeof(errstr));
        if (err) {
                SWB_WARN(corr, "inbox lookup: %s", errstr);
                swb__pg_broken(a, err);
                return err;
        }
        if (PQntuples(res) == 1)
                *stored = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        PQclear(res);
        return SWB_OK;
}

static swb_err_t swb__inbox_put(swb_agent_t *a, const json_t *req, const char *reply_id,
                                const char *text, const char *status,
                                const swb_corr_t *corr)
{
        json_t *doc = json_pack("{s:s, s:s}", "text", text, "status", status);
        char *body = json_dumps(doc, JSON_COMPACT), errstr[512];
        const char *params[4] = {a->plugin->name,
                                 json_string_value(json_object_get(req, "request_id")),
                                 reply_id, body};
        PGresult *res = NULL;
        swb_err_t err;
        swb_pg_t *pg = swb__pg(a, corr, &err);
        if (pg) {
                err = swb_pg_exec(
                    pg,
                    "INSERT INTO swb_inbox (agent, request_id, reply_id, reply) "
                    "VALUES ($1, $2, $3, convert_to($4, 'UTF8')) "
                    "ON CONFLICT (agent, request_id) DO NOTHING",
                    4, params, &res, errstr, sizeof(errstr));
                if (err) {
                        SWB_WARN(corr, "inbox write: %s", errstr);
                        swb__pg_broken(a, err);
                }
                PQclear(res);
        } else if (err == SWB_ERR_UNAVAILABLE)
                err = SWB_OK; /* no pg.url: no inbox */
        free(body);
        json_decref(doc);
        return err;
}

/* ----------------------------------------------------------------- tools */

swb_err_t swb_agent_call_tool(const struct swb_agent_ctx *ctx, const char *tool,
                              const json_t *args, const char *call_id, json_t **result)
{
        struct swb_agent_run *run = swb__agent_run_from_ctx(ctx);
        swb_agent_t *a = ctx->agent;
        struct swb_tool_ctx tc;
        char ms[32];
        const char *code = NULL, *outcome;
        int64_t t0;
        swb_err_t err;
        json_t *d;

        *result = NULL;
        if (!swb__pg(a, ctx->corr, &err))
                return SWB_ERR_TRANSPORT; /* retriable: the message is handled again */
        memset(&tc, 0, sizeof(tc));
        tc.cfg = a->cfg;
        tc.pg = a->pg;
        tc.cache = a->cache;
        tc.user_id = json_string_value(json_object_get(ctx->request, "user_id"));
        tc.tenant_id = json_string_value(json_object_get(ctx->request, "tenant_id"));
        tc.request_id = json_string_value(json_object_get(ctx->request, "request_id"));
        tc.call_id = call_id;
        tc.locale = ctx->locale;
        tc.corr = ctx->corr;

        swb__agent_stream(run, "tool_start", NULL, tool);
        t0 = swb_mono_ms();
        err = swb_tools_call(a->plugin->tools, a->plugin->n_tools, tool, &tc, args,
                             result);
        snprintf(ms, sizeof(ms), "%lld", (long long)(swb_mono_ms() - t0));
        outcome = err                                  ? swb_err2str(err)
                  : swb_tools_is_error(*result, &code) ? code
                                                       : "ok";
        swb_metric_inc(a->m_tool, (const char *const[]){a->plugin->name, tool, outcome},
                       1);
        swb_metric_observe1(a->m_tool_dur, tool, (double)(swb_mono_ms() - t0) / 1000.0);
        d = json_pack("{s:s, s:s, s:s, s:s}", "tool", tool, "outcome", outcome,
                      "call_id", call_id, "duration_ms", ms);
        swb_job_audit(run->job, "tool_called", a->plugin->name, call_id, d);
        json_decref(d);
        swb__agent_stream(run, "tool_end", outcome, tool);
        if (err) {
                SWB_WARN(ctx->corr, "tool %s failed: %s", tool, swb_err2str(err));
                swb__pg_broken(a, err);
        }
        return err;
}

/* --------------------------------------------------------------- handler */

static swb_err_t swb__plan(struct swb_agent_run *run, char *errstr, size_t errstr_size)
{
        struct swb_agent_answer ans = {0};
        swb_err_t err = run->a->plugin->plan(&run->ctx, &ans, errstr, errstr_size);
        if (err) {
                swb_free(ans.text);
                return err;
        }
        if (ans.escalate)
                err = swb__agent_escalate(run);
        else {
                swb__agent_stream(run, "start", NULL, NULL);
                swb__agent_stream(run, "token", ans.text, NULL);
                swb__agent_stream(run, "done", NULL, NULL);
                err = swb__agent_reply(run, ans.text ? ans.text : "", "ok");
        }
        swb_free(ans.text);
        return err;
}

static swb_err_t swb__handle(swb_agent_t *a, swb_job_t *job,
                             const rd_kafka_message_t *msg, char *errstr,
                             size_t errstr_size)
{
        struct swb_agent_run *run;
        json_t *req = NULL;
        const char *domain;
        swb_err_t err;

        err = swb_codec_decode(swb_worker_codec(a->worker), SWB_MSG_ROUTED_REQUEST,
                               msg->payload, msg->len, NULL, &req, errstr, errstr_size);
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
        if ((err = swb_job_audit(job, "received", a->plugin->name, NULL, NULL))) {
                json_decref(req);
                return swb_seterr(errstr, errstr_size, err,
                                  "producing the audit failed");
        }
        {
                json_t *stored = NULL;
                if ((err = swb__inbox_get(a, req, swb_job_corr(job), &stored))) {
                        json_decref(req);
                        return swb_seterr(errstr, errstr_size, err,
                                          "inbox unavailable");
                }
                if (stored) {
                        /* answered before: the same reply again, nothing re-executed */
                        SWB_INFO(swb_job_corr(job),
                                 "redelivered request: replying from the inbox");
                        err = swb_job_reply(
                            job, a->plugin->name,
                            swb__str(json_object_get(stored, "text"), ""),
                            swb__str(json_object_get(stored, "status"), "ok"));
                        json_decref(stored);
                        json_decref(req);
                        return err;
                }
        }

        run = swb_calloc(1, sizeof(*run));
        run->a = a;
        run->job = job;
        run->req = req;
        swb_id_derive(run->reply_id, "reply",
                      json_string_value(json_object_get(req, "request_id")),
                      a->plugin->name, NULL);
        run->turns = swb_session_turns(
            a->sessions, json_string_value(json_object_get(req, "session_id")));
        run->ctx.cfg = a->cfg;
        run->ctx.request = req;
        run->ctx.text = json_string_value(json_object_get(req, "text"));
        run->ctx.locale = json_string_value(json_object_get(req, "locale"));
        run->ctx.corr = swb_job_corr(job);
        run->ctx.turns = run->turns;
        run->ctx.agent = a;
        run->ctx.job = job;

        if (a->llm)
                return swb__agent_llm_start(run, errstr,
                                            errstr_size); /* owns run now */
        err = swb__plan(run, errstr, errstr_size);
        if (err && !*errstr)
                swb_seterr(errstr, errstr_size, err, "answering failed");
        swb__agent_run_destroy(run);
        return err;
}

swb_err_t swb_agent_handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *msg,
                           char *errstr, size_t errstr_size)
{
        swb_agent_t *a = opaque;
        swb_err_t err = swb__handle(a, job, msg, errstr, errstr_size);
        swb__agent_failed(a, job, err);
        return err;
}
