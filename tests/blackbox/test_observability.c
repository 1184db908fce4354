/*
 * Black-box: what operators see. With a scripted fake OpenAI-compatible
 * server behind the agents (each request: one tool call, then an answer):
 *
 *  - every process (supervisor, four agents) answers /health/live,
 *    /health/ready (with its PostgreSQL and Redis checks) and /metrics;
 *    the agents declare PostgreSQL as a dependency, up and never down yet;
 *  - the metric families exist on the processes that own them, and the
 *    counters and histograms grow with traffic (read, send more, read again),
 *    tokens and cost included; no label carries a user, session or request id;
 *  - budgets: with a tiny daily user budget the second request of a user is
 *    answered with the budget message (English or Indonesian) without a model
 *    call, audited as rejected;
 *  - an agent pointed at a dead PostgreSQL is live but not ready, and says
 *    postgres is why.
 */
#include "swb_test_pipeline.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "swb_fake_llm.h"
#include "swb_mem.h"

static const char *const domains[] = {"hotel", "flight", "tour", "customer_service",
                                      NULL};
static const char *const procs[] = {"supervisor",       "hotel", "flight", "tour",
                                    "customer_service", NULL};

/* A request each agent answers, and the read-only tool the fake model calls there. */
static const struct {
        const char *agent, *text;
        struct swb_fake_llm_tool_call call;
} traffic[] = {
    {"hotel",
     "Find me a hotel in Bali",
     {NULL, "search_hotels_by_location", "{\"location\":\"Bali\"}"}},
    {"flight",
     "flights from Jakarta to Denpasar tomorrow",
     {NULL, "get_flights", "{}"}},
    {"tour", "what tours do you have in Yogyakarta", {NULL, "get_tours", "{}"}},
    {"customer_service", "show my bookings", {NULL, "get_user_booking_history", "{}"}},
};

/* The families and who owns them; `grows`: a counter or histogram that must
 * increase with traffic on that owner. */
static const struct {
        const char *name;
        bool supervisor, agents, grows_supervisor, grows_agents, histogram;
} families[] = {
    {"swb_messages_consumed_total", true, true, true, true, false},
    {"swb_messages_produced_total", true, true, true, true, false},
    {"swb_requests_total", false, true, false, true, false},
    {"swb_request_duration_seconds", false, true, false, true, true},
    {"swb_route_total", true, false, true, false, false},
    {"swb_tool_calls_total", false, true, false, true, false},
    {"swb_tool_duration_seconds", false, true, false, true, true},
    {"swb_llm_requests_total", false, true, false, true, false},
    {"swb_llm_tokens_total", false, true, false, true, false},
    {"swb_llm_cost_usd_total", false, true, false, true, false},
    {"swb_cache_requests_total", true, true, true, true, false},
    {"swb_dlq_total", true, true, true, true, false},
    {"swb_inflight_requests", true, true, false, false, false},
    {"swb_consumer_lag", true, true, false, false, false},
    {"swb_build_info", true, true, false, false, false},
    /* every worker prints the HELP and TYPE lines; only the agents, which
     * declare PostgreSQL, have series */
    {"swb_dependency_up", false, true, false, false, false},
    {"swb_dependency_outages_total", false, true, false, false, false},
};

#define N_PROCS    5
#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

static struct {
        swb_fake_llm_t *fake;
        swb_test_pipeline_t *p;
        json_t *ids; /* user, session and request ids sent: must never be labels */
} T;

/* The model: a tool call for the user's message (the first of the offered
 * tools the test knows), then an answer once the tool result is in. */
static bool script(void *opaque, const json_t *request, uint64_t seq,
                   struct swb_fake_llm_reply *reply, char *scratch, size_t scratch_size)
{
        const json_t *msgs = json_object_get(request, "messages");
        const json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
        const json_t *tools = json_object_get(request, "tools");
        const char *role = json_string_value(json_object_get(last, "role"));
        size_t i, j;

        reply->kind = SWB_FAKE_LLM_COMPLETION;
        reply->prompt_tokens = 100;
        reply->completion_tokens = 20;
        if (role && !strcmp(role, "tool")) {
                snprintf(scratch, scratch_size, "Here is what I found.");
                reply->content = scratch;
                return true;
        }
        for (i = 0; i < SWB_ARRAY_LEN(traffic); i++)
                for (j = 0; j < json_array_size(tools); j++) {
                        const char *name = json_string_value(json_object_get(
                            json_object_get(json_array_get(tools, j), "function"),
                            "name"));
                        if (name && !strcmp(name, traffic[i].call.name)) {
                                reply->tool_calls = &traffic[i].call;
                                reply->n_tool_calls = 1;
                                return true;
                        }
                }
        reply->content = "ok";
        return true;
}

static int setup(void **state)
{
        char errstr[256], url[256];
        const char *env[6];
        T.fake = swb_fake_llm_new(NULL, errstr, sizeof(errstr));
        assert_non_null(T.fake);
        swb_fake_llm_set_handler(T.fake, script, NULL);
        snprintf(url, sizeof(url), "SWB_LLM_URL=%s", swb_fake_llm_url(T.fake));
        env[0] = url;
        env[1] = "SWB_ROUTE_LLM_THRESHOLD=0"; /* routing stays with the classifier */
        /* one model round trip of the fake costs more than this: a user's first
         * request is answered, the next ones that day hit the budget */
        env[2] = "SWB_BUDGET_USER_DAILY_USD=0.000001";
        env[3] = "SWB_KAFKA_STATISTICS_INTERVAL_MS=500"; /* the lag gauge, sooner */
        env[4] = "SWB_HEALTH_PROBE_INTERVAL_MS=500";
        env[5] = NULL;
        T.p = swb_test_pipeline_start(domains, env);
        T.ids = json_array();
        return 0;
}

static int teardown(void **state)
{
        swb_test_pipeline_stop(T.p);
        swb_fake_llm_destroy(T.fake);
        json_decref(T.ids);
        return 0;
}

/* ------------------------------------------------------------- helpers */

/* Ask as a fresh user in a fresh session; @returns the reply. */
static json_t *ask_as(const char *user, const char *session, const char *text,
                      const char *locale, char *request_id, size_t request_id_size)
{
        json_t *req = swb_test_request(session, text, locale), *reply;
        json_object_set_new(req, "user_id", json_string(user));
        reply = swb_test_ask(T.p, req, 30000);
        json_array_append_new(T.ids, json_string(user));
        json_array_append_new(T.ids, json_string(session));
        json_array_append(T.ids, json_object_get(req, "request_id"));
        if (request_id)
                snprintf(request_id, request_id_size, "%s",
                         json_string_value(json_object_get(req, "request_id")));
        json_decref(req);
        return reply;
}

/* Produce an undecodable message to `topic`: its consumer dead-letters it. */
static void send_poison(const char *topic)
{
        char errstr[512];
        swb_config_t *cfg = swb_config_new();
        swb_client_t *c;
        int i;
        for (i = 0; T.p->env[i]; i++) {
                char *envp[] = {T.p->env[i], NULL};
                assert_int_equal(swb_config_load_env(cfg, envp, errstr, sizeof(errstr)),
                                 SWB_OK);
        }
        assert_int_equal(
            swb_config_set(cfg, "topic.requests", topic, SWB_CFG_SRC_FLAG, NULL, 0),
            SWB_OK);
        c = swb_client_new(cfg, false, errstr, sizeof(errstr));
        assert_non_null(c);
        assert_int_equal(
            swb_client_send_raw(c, "poison", "\x01not avro", 9, errstr, sizeof(errstr)),
            SWB_OK);
        swb_client_destroy(c);
        swb_config_destroy(cfg);
}

/* One request per agent (each by a new user), and one poison message per worker. */
static void traffic_round(void)
{
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(traffic); i++) {
                char user[64], session[64];
                json_t *reply;
                snprintf(user, sizeof(user), "obs-user-%s", swb_test_unique());
                snprintf(session, sizeof(session), "obs-session-%s", swb_test_unique());
                reply = ask_as(user, session, traffic[i].text, "en", NULL, 0);
                assert_string_equal(json_string_value(json_object_get(reply, "agent")),
                                    traffic[i].agent);
                assert_string_equal(json_string_value(json_object_get(reply, "status")),
                                    "ok");
                json_decref(reply);
        }
        send_poison(swb_test_topic(T.p, "requests"));
        for (i = 0; i < SWB_ARRAY_LEN(traffic); i++) {
                char suffix[64];
                snprintf(suffix, sizeof(suffix), "route.%s", traffic[i].agent);
                send_poison(swb_test_topic(T.p, suffix));
        }
}

static bool is_agent(const char *proc)
{
        return strcmp(proc, "supervisor") != 0;
}

static char *metrics_of(const char *proc)
{
        long status = 0;
        char *body = swb_test_http_get(T.p, proc, "/metrics", &status);
        if (!body || status != 200)
                fail_msg("%s: GET /metrics answered %ld", proc, status);
        return body;
}

/* Sum of the samples named exactly `sample` (any labels). */
static double sample_sum(const char *text, const char *sample, int *found)
{
        size_t n = strlen(sample);
        const char *line, *next;
        double sum = 0;
        *found = 0;
        for (line = text; line && *line; line = next) {
                const char *sp;
                next = strchr(line, '\n');
                next = next ? next + 1 : NULL;
                if (*line == '#' || strncmp(line, sample, n) ||
                    (line[n] != '{' && line[n] != ' '))
                        continue;
                sp = line + n;
                if (*sp == '{') {
                        sp = strstr(sp, "} ");
                        if (!sp)
                                continue;
                        sp++;
                }
                sum += strtod(sp, NULL);
                (*found)++;
        }
        return sum;
}

/* A family's size: sum of its samples (a histogram: its _count). */
static double family_value(const char *text, size_t f, int *found)
{
        char sample[128];
        snprintf(sample, sizeof(sample), "%s%s", families[f].name,
                 families[f].histogram ? "_count" : "");
        return sample_sum(text, sample, found);
}

static bool owns(const char *proc, size_t f)
{
        return is_agent(proc) ? families[f].agents : families[f].supervisor;
}

static bool grows(const char *proc, size_t f)
{
        return is_agent(proc) ? families[f].grows_agents : families[f].grows_supervisor;
}

static void snapshot(double values[N_PROCS][N_FAMILIES])
{
        size_t i, f;
        for (i = 0; procs[i]; i++) {
                char *text = metrics_of(procs[i]);
                for (f = 0; f < N_FAMILIES; f++) {
                        int found;
                        values[i][f] = family_value(text, f, &found);
                }
                free(text);
        }
}

struct grown {
        double (*before)[N_FAMILIES];
        char what[256];
};

/* Every growing family of every process is above its value in `before`. */
static bool all_grown(void *arg)
{
        struct grown *g = arg;
        double now[N_PROCS][N_FAMILIES];
        size_t i, f;
        snapshot(now);
        for (i = 0; procs[i]; i++)
                for (f = 0; f < N_FAMILIES; f++)
                        if (owns(procs[i], f) && grows(procs[i], f) &&
                            !(now[i][f] > g->before[i][f])) {
                                snprintf(g->what, sizeof(g->what),
                                         "%s: %s stayed at %g", procs[i],
                                         families[f].name, now[i][f]);
                                return false;
                        }
        return true;
}

/* Every process has a swb_consumer_lag sample (after a commit and a stats tick). */
static bool lag_reported(void *arg)
{
        size_t i;
        for (i = 0; procs[i]; i++) {
                char *text = metrics_of(procs[i]);
                int found;
                sample_sum(text, "swb_consumer_lag", &found);
                free(text);
                if (!found) {
                        snprintf(arg, 128, "%s", procs[i]);
                        return false;
                }
        }
        return true;
}

/* Every process answers /health/ready with 200. */
static bool all_ready(void *arg)
{
        size_t i;
        for (i = 0; procs[i]; i++) {
                long status = 0;
                char *body = swb_test_http_get(T.p, procs[i], "/health/ready", &status);
                if (status != 200) {
                        snprintf(arg, 512, "%s: %ld %s", procs[i], status,
                                 body ? body : "");
                        free(body);
                        return false;
                }
                free(body);
        }
        return true;
}

/* An agent's PostgreSQL dependency is up and has had no outage; the
 * supervisor declares none. */
static void check_dependency(const char *proc)
{
        char *text = metrics_of(proc);
        int found;
        double up = sample_sum(text, "swb_dependency_up", &found);
        if (!is_agent(proc)) {
                assert_int_equal(found, 0);
                free(text);
                return;
        }
        assert_int_equal(found, 1);
        assert_true(up == 1);
        assert_non_null(
            strstr(text, "\nswb_dependency_up{dependency=\"postgres\"} 1\n"));
        assert_non_null(strstr(
            text, "\nswb_dependency_outages_total{dependency=\"postgres\"} 0\n"));
        free(text);
}

/* ---------------------------------------------------------------- tests */

static void test_endpoints(void **state)
{
        char why[512] = "";
        size_t i;
        if (!swb_test_wait_for(all_ready, why, 30000))
                fail_msg("not ready: %s", why);
        for (i = 0; procs[i]; i++) {
                long status = 0;
                char *body = swb_test_http_get(T.p, procs[i], "/health/live", &status);
                json_t *ready, *checks;
                assert_non_null(body);
                assert_int_equal(status, 200);
                free(body);
                body = swb_test_http_get(T.p, procs[i], "/health/ready", &status);
                assert_int_equal(status, 200);
                ready = json_loads(body, 0, NULL);
                free(body);
                checks = json_object_get(ready, "checks");
                assert_string_equal(json_string_value(json_object_get(checks, "kafka")),
                                    "ok");
                /* Redis everywhere (sessions), PostgreSQL on the agents (tools) */
                assert_string_equal(json_string_value(json_object_get(checks, "redis")),
                                    "ok");
                if (is_agent(procs[i]))
                        assert_string_equal(
                            json_string_value(json_object_get(checks, "postgres")),
                            "ok");
                else
                        assert_null(json_object_get(checks, "postgres"));
                json_decref(ready);
                check_dependency(procs[i]);
        }
}

static void test_families_move_with_traffic(void **state)
{
        double before[N_PROCS][N_FAMILIES];
        struct grown g = {before, ""};
        char who[128] = "";
        size_t i, f, k;

        traffic_round();
        if (!swb_test_wait_for(lag_reported, who, 30000))
                fail_msg("%s reports no swb_consumer_lag", who);
        /* every family exists where it belongs */
        for (i = 0; procs[i]; i++) {
                char *text = metrics_of(procs[i]);
                for (f = 0; f < N_FAMILIES; f++) {
                        char type[160];
                        snprintf(type, sizeof(type), "# TYPE %s ", families[f].name);
                        if (owns(procs[i], f) && !strstr(text, type))
                                fail_msg("%s has no %s", procs[i], families[f].name);
                }
                assert_non_null(strstr(text, "swb_build_info{version=\""));
                free(text);
        }
        snapshot(before);
        traffic_round();
        if (!swb_test_wait_for(all_grown, &g, 20000))
                fail_msg("no growth with traffic: %s", g.what);

        /* tokens and cost of the agents' model calls: 100 in + 20 out per call */
        for (i = 0; procs[i]; i++) {
                char *text;
                int found;
                if (!is_agent(procs[i]))
                        continue;
                text = metrics_of(procs[i]);
                assert_true(sample_sum(text, "swb_llm_tokens_total", &found) >=
                            2 * 2 * 120);
                assert_true(sample_sum(text, "swb_llm_cost_usd_total", &found) > 0);
                free(text);
        }

        /* no label carries a user, session or request id */
        for (i = 0; procs[i]; i++) {
                char *text = metrics_of(procs[i]);
                for (k = 0; k < json_array_size(T.ids); k++) {
                        const char *id = json_string_value(json_array_get(T.ids, k));
                        if (strstr(text, id))
                                fail_msg("%s exposes \"%s\" in /metrics", procs[i], id);
                }
                assert_null(strstr(text, "user_id=\""));
                assert_null(strstr(text, "session_id=\""));
                assert_null(strstr(text, "request_id=\""));
                assert_null(strstr(text, "{user=\""));
                free(text);
        }
}

static void test_budget_refuses_model_call(void **state)
{
        char user[64], session[64], rid[64];
        json_t *reply, *audit;
        uint64_t calls;
        bool rejected = false;
        size_t i;
        char *text;
        int found;
        double refused;

        snprintf(user, sizeof(user), "obs-budget-%s", swb_test_unique());
        snprintf(session, sizeof(session), "obs-budget-s-%s", swb_test_unique());
        /* the first request is answered by the model and spends the budget */
        reply = ask_as(user, session, "Find me a hotel in Bali", "en", NULL, 0);
        assert_string_equal(json_string_value(json_object_get(reply, "status")), "ok");
        json_decref(reply);

        /* the second one is not sent to the model */
        calls = swb_fake_llm_request_count(T.fake);
        reply =
            ask_as(user, session, "Find me a hotel in Lombok", "en", rid, sizeof(rid));
        assert_string_equal(json_string_value(json_object_get(reply, "agent")),
                            "hotel");
        assert_string_equal(json_string_value(json_object_get(reply, "status")),
                            "rejected");
        assert_non_null(
            strstr(json_string_value(json_object_get(reply, "text")), "budget"));
        json_decref(reply);
        assert_int_equal(swb_fake_llm_request_count(T.fake), calls);

        /* audited: rejected, reason budget, scope user, period daily */
        audit = swb_client_audit(T.p->client, rid, 6,
                                 (int)(10000 * swb_test_tmout_multip()));
        for (i = 0; i < json_array_size(audit); i++) {
                json_t *e = json_array_get(audit, i),
                       *d = json_object_get(e, "details");
                if (strcmp(json_string_value(json_object_get(e, "stage")), "rejected"))
                        continue;
                assert_string_equal(json_string_value(json_object_get(e, "agent")),
                                    "hotel");
                assert_string_equal(json_string_value(json_object_get(d, "reason")),
                                    "budget");
                assert_string_equal(json_string_value(json_object_get(d, "scope")),
                                    "user");
                assert_string_equal(json_string_value(json_object_get(d, "period")),
                                    "daily");
                rejected = true;
        }
        json_decref(audit);
        if (!rejected)
                fail_msg("no rejected audit event for the refused request");

        /* in the user's language */
        reply = ask_as(user, session, "Cari hotel di Bali", "id", NULL, 0);
        assert_string_equal(json_string_value(json_object_get(reply, "status")),
                            "rejected");
        assert_non_null(
            strstr(json_string_value(json_object_get(reply, "text")), "anggaran"));
        json_decref(reply);
        assert_int_equal(swb_fake_llm_request_count(T.fake), calls);

        text = metrics_of("hotel");
        refused = sample_sum(text, "swb_budget_exceeded_total", &found);
        assert_true(refused >= 2);
        assert_non_null(
            strstr(text, "swb_budget_exceeded_total{scope=\"user_daily\"}"));
        assert_non_null(
            strstr(text, "swb_requests_total{agent=\"hotel\",outcome=\"rejected\"}"));
        free(text);
}

struct dead {
        const char *name;
        char body[512];
};

static bool names_postgres(void *arg)
{
        struct dead *d = arg;
        long status = 0;
        char *body = swb_test_http_get(T.p, d->name, "/health/ready", &status);
        json_t *j = body ? json_loads(body, 0, NULL) : NULL;
        const char *pg = json_string_value(
            json_object_get(json_object_get(j, "checks"), "postgres"));
        bool ok =
            status == 503 && pg && strcmp(pg, "ok") && strcmp(pg, "not probed yet");
        snprintf(d->body, sizeof(d->body), "%ld %s", status,
                 body ? body : "(no answer)");
        json_decref(j);
        free(body);
        return ok;
}

static void test_dead_postgres_not_ready(void **state)
{
        static const char *const override[] = {
            "SWB_PG_URL=", "SWB_NAME=", "SWB_GROUP_AGENT_PREFIX=",
            "SWB_TOPIC_ROUTE_PREFIX=", NULL};
        const char *argv[] = {"--domain", "hotel", NULL};
        const char *envp[48];
        char group[128], route[128], log[300];
        struct dead d = {"deadpg", ""};
        long status = 0;
        char *body;
        int i, j, k = 0, rc;
        pid_t pid;

        for (i = 0; T.p->env[i]; i++) {
                bool skip = false;
                for (j = 0; override[j]; j++)
                        skip |= !strncmp(T.p->env[i], override[j], strlen(override[j]));
                if (!skip)
                        envp[k++] = T.p->env[i];
        }
        snprintf(group, sizeof(group), "SWB_GROUP_AGENT_PREFIX=%s-deadpg-",
                 T.p->prefix);
        envp[k++] = "SWB_PG_URL=postgresql://x@127.0.0.1:1/x";
        envp[k++] = "SWB_NAME=deadpg";
        /* a group and topic of its own: the pipeline's hotel agent keeps its work */
        snprintf(route, sizeof(route), "SWB_TOPIC_ROUTE_PREFIX=%s.deadpg.",
                 T.p->prefix);
        envp[k++] = group;
        envp[k++] = route;
        envp[k] = NULL;
        snprintf(log, sizeof(log), "%s/deadpg.log", T.p->rundir);
        pid = swb_test_spawn("swb-agent", argv, envp, log);
        assert_true(pid > 0);

        if (!swb_test_wait_for(names_postgres, &d, 20000))
                fail_msg("readiness with a dead PostgreSQL: %s", d.body);
        body = swb_test_http_get(T.p, "deadpg", "/health/live", &status);
        assert_int_equal(status, 200);
        free(body);
        /* a clean stop: the probe thread ends with the process */
        rc = swb_test_stop(pid, SIGTERM, 15000);
        assert_true(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_endpoints),
            cmocka_unit_test(test_families_move_with_traffic),
            cmocka_unit_test(test_budget_refuses_model_call),
            cmocka_unit_test(test_dead_postgres_not_ready),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
