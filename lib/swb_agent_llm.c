/*
 * The agent's loop with a model: OpenAI chat completions with the agent's
 * tools, streamed (content tokens become StreamEvents on topic.stream), until
 * the model answers or agent.max.tool.rounds rounds of tool calls have run
 * (then it must answer without tools). An unknown tool or arguments that fail
 * the tool's schema are answered to the model as errors and never run
 * (swb_tools_call). Every call is accounted (tokens, cost) and audited.
 * The job stays deferred while the loop runs; everything happens on the
 * worker's poll thread (swb_agent_poll drives the calls).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "swb_agent_int.h"
#include "swb_mem.h"

static void swb__done(void *opaque, swb_llm_result_t *res);

static void swb__on_delta(void *opaque, const swb_llm_delta_t *d)
{
        struct swb_agent_run *run = opaque;
        char *text;
        if (d->kind != SWB_LLM_DELTA_CONTENT || !d->len)
                return;
        text = swb_strndup(d->text, d->len);
        swb__agent_stream(run, "token", text, NULL);
        swb_free(text);
}

static swb_err_t swb__call(struct swb_agent_run *run)
{
        swb_agent_t *a = run->a;
        struct swb_llm_call_opts o = {0};
        json_t *extra = NULL;
        swb_err_t err;
        if (run->round >= a->cfg->agent_max_tool_rounds)
                extra = json_pack("{s:s}", "tool_choice", "none"); /* answer now */
        o.extra = extra;
        o.request_id = json_string_value(json_object_get(run->req, "request_id"));
        err = swb_llm_call(a->llm, run->messages, a->tools_spec, &o, swb__done,
                           swb__on_delta, run);
        json_decref(extra);
        return err;
}

/* Finish the run: complete the deferred job with `err` and free the run. */
static void swb__finish(struct swb_agent_run *run, swb_err_t err, const char *errstr)
{
        swb_job_t *job = run->job;
        swb__agent_failed(run->a, job, err);
        swb__agent_run_destroy(run);
        swb_job_complete(job, err, errstr);
}

static swb_err_t swb__run_tools(struct swb_agent_run *run, const swb_llm_result_t *res)
{
        size_t i;
        json_array_append_new(run->messages, swb_llm_result_message(res));
        for (i = 0; i < res->n_tool_calls; i++) {
                const swb_llm_tool_call_t *tc = &res->tool_calls[i];
                json_error_t jerr;
                json_t *args =
                    json_loads(tc->arguments ? tc->arguments : "{}", 0, &jerr);
                json_t *result = NULL;
                char call_id[32], *content;
                swb_err_t err;
                snprintf(call_id, sizeof(call_id), "r%d-c%zu", run->round, i);
                if (!json_is_object(args)) {
                        result = json_pack("{s:{s:s, s:s}}", "error", "code",
                                           "invalid_argument", "message",
                                           "arguments are not a JSON object");
                        err = SWB_OK;
                } else
                        err = swb_agent_call_tool(&run->ctx, tc->name ? tc->name : "",
                                                  args, call_id, &result);
                json_decref(args);
                if (err) {
                        json_decref(result);
                        return err;
                }
                content = json_dumps(result, JSON_COMPACT);
                json_array_append_new(
                    run->messages,
                    json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id",
                              tc->id ? tc->id : call_id, "content", content));
                free(content);
                json_decref(result);
        }
        return SWB_OK;
}

/* No model for this run (it failed, its circuit is open, or it asked us to
 * wait): the deterministic planner answers, and the audit says why. */
static void swb__without_model(struct swb_agent_run *run, const char *why,
                               const char *disc)
{
        swb_agent_t *a = run->a;
        struct swb_agent_answer ans = {0};
        char errstr[512] = "";
        json_t *d = json_pack("{s:s, s:s}", "error", why, "fallback", "planner");
        swb_err_t err;
        swb_job_audit(run->job, "failed", a->plugin->name, disc, d);
        json_decref(d);
        err = a->plugin->plan(&run->ctx, &ans, errstr, sizeof(errstr));
        if (!err && ans.escalate)
                err = swb__agent_escalate(run);
        else if (!err) {
                swb__agent_stream(run, "token", ans.text, NULL);
                swb__agent_stream(run, "done", NULL, NULL);
                err = swb__agent_reply(run, ans.text ? ans.text : "", "ok");
        }
        swb_free(ans.text);
        swb__finish(run, err, errstr);
}

/* Start the run's first call if the model has room; else queue it. */
static void swb__admit(struct swb_agent_run *run)
{
        swb_agent_t *a = run->a;
        swb_err_t err = swb_breaker_acquire(a->breaker, (int)swb_llm_inflight(a->llm));
        if (err == SWB_ERR_UNAVAILABLE) {
                swb__without_model(run, "circuit_open", "round-0");
                return;
        }
        if (err == SWB_ERR_CONFLICT) { /* at the concurrency limit: wait in line */
                run->next_wait = NULL;
                if (a->wait_tail)
                        a->wait_tail->next_wait = run;
                else
                        a->wait_head = run;
                a->wait_tail = run;
                return;
        }
        if ((err = swb__call(run))) {
                swb_breaker_release(a->breaker, SWB_OK, 0, 0); /* it never started */
                swb__finish(run, err, "the model call could not start");
        }
}

void swb__agent_llm_pump(swb_agent_t *a)
{
        while (a->wait_head) {
                struct swb_agent_run *run = a->wait_head;
                swb_err_t err =
                    swb_breaker_acquire(a->breaker, (int)swb_llm_inflight(a->llm));
                if (err == SWB_ERR_CONFLICT)
                        return;
                a->wait_head = run->next_wait;
                if (!a->wait_head)
                        a->wait_tail = NULL;
                if (err == SWB_ERR_UNAVAILABLE)
                        swb__without_model(run, "circuit_open", "round-0");
                else if ((err = swb__call(run))) {
                        swb_breaker_release(a->breaker, SWB_OK, 0, 0);
                        swb__finish(run, err, "the model call could not start");
                }
        }
}

static void swb__done(void *opaque, swb_llm_result_t *res)
{
        struct swb_agent_run *run = opaque;
        swb_agent_t *a = run->a;
        const char *model = res->model ? res->model : a->cfg->llm_model;
        struct swb_audit_usage u = {0};
        char disc[32], ncalls[16];
        swb_err_t err;
        json_t *d;

        run->round++;
        u.cost_usd = swb_usage_account(a->usage, model, res);
        swb_budget_add(a->budget,
                       json_string_value(json_object_get(run->req, "user_id")),
                       json_string_value(json_object_get(run->req, "tenant_id")),
                       u.cost_usd, time(NULL), run->ctx.corr);
        u.tokens_in = res->has_usage ? res->usage.prompt_tokens : 0;
        u.tokens_out = res->has_usage ? res->usage.completion_tokens : 0;
        u.duration_ms = res->latency_ms;
        snprintf(disc, sizeof(disc), "round-%d", run->round);
        snprintf(ncalls, sizeof(ncalls), "%zu", res->n_tool_calls);
        d = json_pack("{s:s, s:s, s:s, s:s}", "purpose", "answer", "model", model,
                      "outcome", res->err ? swb_err2str(res->err) : "ok", "tool_calls",
                      ncalls);
        if (swb_job_audit_usage(run->job, "model_called", a->plugin->name, disc, d, &u))
                SWB_WARN(run->ctx.corr,
                         "the model_called audit event could not be queued");
        json_decref(d);

        swb_breaker_release(a->breaker, res->err, res->latency_ms, res->retry_after_ms);
        if (res->err) {
                SWB_WARN(run->ctx.corr,
                         "model call failed (%s: %s); the planner answers",
                         swb_err2str(res->err), res->errmsg);
                swb__without_model(run, swb_err2str(res->err), disc);
                swb_llm_result_destroy(res);
                return;
        }
        if (res->n_tool_calls) {
                err = swb__run_tools(run, res);
                swb_llm_result_destroy(res);
                if (!err)
                        err = swb__call(run);
                if (err)
                        swb__finish(run, err, "tool call or next model round failed");
                return;
        }
        swb__agent_stream(run, "done", NULL, NULL);
        err = swb__agent_reply(run, res->content ? res->content : "", "ok");
        swb_llm_result_destroy(res);
        swb__finish(run, err, err ? "producing the reply failed" : NULL);
}

/* Past a spend budget (swb_budget): answer with the budget message instead of
 * calling the model, audited as rejected. @returns true when it answered; then
 * *err is how that went and the run is gone. */
static bool swb__budget_refused(struct swb_agent_run *run, swb_err_t *err, char *errstr,
                                size_t errstr_size)
{
        swb_agent_t *a = run->a;
        const char *user = json_string_value(json_object_get(run->req, "user_id"));
        const char *tenant = json_string_value(json_object_get(run->req, "tenant_id"));
        swb_budget_scope_t over =
            swb_budget_check(a->budget, user, tenant, time(NULL), run->ctx.corr);
        const char *text = swb_budget_message(over, run->ctx.locale);
        json_t *d;
        if (!over)
                return false;
        d = json_pack("{s:s, s:s, s:s}", "reason", "budget", "scope",
                      swb_budget_scope_who(over), "period",
                      swb_budget_scope_period(over));
        *err = swb_job_audit(run->job, "rejected", a->plugin->name, "budget", d);
        json_decref(d);
        swb__agent_stream(run, "start", NULL, NULL);
        swb__agent_stream(run, "token", text, NULL);
        swb__agent_stream(run, "done", NULL, NULL);
        if (!*err)
                *err = swb__agent_reply(run, text, "rejected");
        if (*err)
                swb_seterr(errstr, errstr_size, *err,
                           "answering past the budget failed");
        swb__agent_run_destroy(run);
        return true;
}

swb_err_t swb__agent_llm_start(struct swb_agent_run *run, char *errstr,
                               size_t errstr_size)
{
        swb_agent_t *a = run->a;
        const char *text = run->ctx.text;
        size_t i, n = json_array_size(run->turns);
        char *sys, today[16];
        time_t now = time(NULL);
        struct tm tm;
        swb_err_t err;

        if (swb__budget_refused(run, &err, errstr, errstr_size))
                return err; /* answered without the model */
        gmtime_r(&now, &tm);
        strftime(today, sizeof(today), "%Y-%m-%d", &tm);
        sys = swb_asprintf(
            "%s\nThe user's locale is %s; answer in the user's language. "
            "Today is %s. Use the tools for facts; never invent ids or prices.",
            a->plugin->system_prompt ? a->plugin->system_prompt
                                     : a->plugin->description,
            run->ctx.locale ? run->ctx.locale : "en", today);
        run->messages = json_array();
        json_array_append_new(
            run->messages, json_pack("{s:s, s:s}", "role", "system", "content", sys));
        swb_free(sys);
        /* the supervisor already recorded this request as the last user turn */
        if (n) {
                json_t *last = json_array_get(run->turns, n - 1);
                const char *r = json_string_value(json_object_get(last, "role"));
                const char *t = json_string_value(json_object_get(last, "text"));
                if (r && t && !strcmp(r, "user") && !strcmp(t, text))
                        n--;
        }
        for (i = 0; i < n; i++) {
                json_t *t = json_array_get(run->turns, i);
                const char *r = json_string_value(json_object_get(t, "role"));
                json_array_append_new(
                    run->messages,
                    json_pack("{s:s, s:O}", "role",
                              r && !strcmp(r, "assistant") ? "assistant" : "user",
                              "content", json_object_get(t, "text")));
        }
        json_array_append_new(run->messages,
                              json_pack("{s:s, s:s}", "role", "user", "content", text));
        swb__agent_stream(run, "start", NULL, NULL);
        swb_job_defer(run->job);
        swb__admit(run); /* completes the job itself, now or later */
        return SWB_OK;
}
