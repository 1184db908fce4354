/*
 * Black-box: Debian's real Prometheus against real switchboard processes.
 *
 * promtool validates infra/prometheus (config, rules, the rules' unit tests
 * alerts_test.yml). Then swb-analytics and swb-supervisor run against the
 * stack (topics and groups of their own) with their run files in a scratch
 * state folder, infra/scripts/prometheus-targets.sh turns those into scrape
 * targets, and /usr/bin/prometheus runs the shipped prometheus.yml (its
 * intervals shortened to 1 s) on a free loopback port. Through its HTTP API:
 * every target is up, every rule group loaded and evaluates without error,
 * every expression of the Grafana dashboard parses, the analytics counters
 * move with a request, and SwbWorkerDown goes pending when the supervisor is
 * killed. Skipped when Prometheus is not installed (Debian package
 * `prometheus`).
 */
#include "swb_test.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "swb_client.h"
#include "swb_config.h"
#include "swb_mem.h"

#define PROMETHEUS "/usr/bin/prometheus"
#define PROMTOOL   "/usr/bin/promtool"

static const char *const alert_names[] = {
    "SwbLatencyP95High",   "SwbErrorRateHigh", "SwbDlqGrowing", "SwbConsumerLagGrowing",
    "SwbModelCircuitOpen", "SwbBudgetBurn",    "SwbWorkerDown", "SwbDependencyDown",
};

static struct {
        char dir[256], run[300], prefix[64];
        char *brokers, *pg_url;
        char *env[16];
        int env_cnt;
        pid_t analytics, supervisor, prometheus;
        int prom_port;
        swb_config_t *cfg;
        swb_client_t *client;
} T;

/* ------------------------------------------------------------- helpers */

static char *slurp(const char *path)
{
        FILE *fp = fopen(path, "r");
        char *buf = NULL;
        size_t len = 0, n;
        char chunk[4096];
        if (!fp)
                return NULL;
        while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
                buf = swb_realloc(buf, len + n + 1);
                memcpy(buf + len, chunk, n);
                len += n;
        }
        fclose(fp);
        if (buf)
                buf[len] = '\0';
        return buf;
}

static bool write_file(const char *path, const char *text)
{
        FILE *fp = fopen(path, "w");
        if (!fp)
                return false;
        fputs(text, fp);
        return fclose(fp) == 0;
}

/* Replace the one occurrence of `from` in *s (if any). */
static void replace_once(char **s, const char *from, const char *to)
{
        char *at = strstr(*s, from), *out;
        if (!at)
                return;
        out = swb_asprintf("%.*s%s%s", (int)(at - *s), *s, to, at + strlen(from));
        swb_free(*s);
        *s = out;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int free_port(void)
{
        struct sockaddr_in sa = {0};
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
            !getsockname(fd, (struct sockaddr *)&sa, &len))
                port = ntohs(sa.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

struct buf {
        char *data;
        size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
        struct buf *b = arg;
        size_t n = size * nmemb;
        b->data = swb_realloc(b->data, b->len + n + 1);
        memcpy(b->data + b->len, ptr, n);
        b->len += n;
        b->data[b->len] = '\0';
        return n;
}

/* GET http://127.0.0.1:<port><path>. @returns the body (swb_free) or NULL;
 * *status gets the HTTP status (0 when nothing answered). */
static char *http_get(int port, const char *path, long *status)
{
        CURL *c = curl_easy_init();
        struct buf b = {NULL, 0};
        char *url = swb_asprintf("http://127.0.0.1:%d%s", port, path);
        *status = 0;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_easy_cleanup(c);
        swb_free(url);
        return b.data;
}

/* GET a Prometheus API path; @returns its "data" (new reference) when the
 * answer is {"status":"success"}, else NULL. */
static json_t *prom_api(const char *path)
{
        long status;
        char *body = http_get(T.prom_port, path, &status);
        json_t *doc = body ? json_loads(body, 0, NULL) : NULL, *data = NULL;
        if (doc && status == 200 &&
            !strcmp(json_string_value(json_object_get(doc, "status")) ?: "", "success"))
                data = json_incref(json_object_get(doc, "data"));
        json_decref(doc);
        swb_free(body);
        return data;
}

static json_t *prom_query(const char *expr)
{
        CURL *c = curl_easy_init();
        char *esc = curl_easy_escape(c, expr, 0), *path;
        json_t *data;
        path = swb_asprintf("/api/v1/query?query=%s", esc);
        data = prom_api(path);
        curl_free(esc);
        curl_easy_cleanup(c);
        swb_free(path);
        return data;
}

static double query_scalar(const char *expr)
{
        json_t *data = prom_query(expr), *v;
        double out = -1;
        v = json_array_get(
            json_object_get(json_array_get(json_object_get(data, "result"), 0),
                            "value"),
            1);
        if (json_is_string(v))
                out = strtod(json_string_value(v), NULL);
        json_decref(data);
        return out;
}

static bool prom_ready(void *arg)
{
        long status;
        char *body = http_get(T.prom_port, "/-/ready", &status);
        swb_free(body);
        return status == 200;
}

static bool port_file(void *arg)
{
        char *path = swb_asprintf("%s/%s.port", T.run, (const char *)arg);
        bool ok = access(path, R_OK) == 0;
        swb_free(path);
        return ok;
}

/* Run a shell command (takes ownership of `cmd`). @returns its status. */
static int run_cmd(char *cmd)
{
        int rc = system(cmd);
        if (rc)
                fprintf(stderr, "failed (%d): %s\n", rc, cmd);
        swb_free(cmd);
        return rc;
}

/* ------------------------------------------------------------- setup */

static void add_env(const char *fmt, const char *v)
{
        T.env[T.env_cnt++] = swb_asprintf(fmt, v);
        T.env[T.env_cnt] = NULL;
}

static pid_t spawn_worker(const char *prog, const char *name)
{
        const char *env[20], *argv[] = {NULL};
        char *log = swb_asprintf("%s/%s.log", T.dir, name),
             *nm = swb_asprintf("SWB_NAME=%s", name);
        pid_t pid;
        int i;
        for (i = 0; i < T.env_cnt; i++)
                env[i] = T.env[i];
        env[i++] = nm;
        env[i] = NULL;
        pid = swb_test_spawn(prog, argv, env, log);
        swb_free(log);
        swb_free(nm);
        return pid;
}

static int setup(void **state)
{
        char errstr[512], *names[8];
        const char *topics[8];
        int i;

        if (access(PROMETHEUS, X_OK)) {
                fprintf(stderr,
                        "skipping: %s not installed (Debian package prometheus)\n",
                        PROMETHEUS);
                return 0;
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        T.brokers = swb_test_stack_env("SWB_BROKERS");
        T.pg_url = swb_test_stack_env("SWB_PG_URL");
        assert_non_null(T.brokers);
        assert_non_null(T.pg_url);
        snprintf(T.prefix, sizeof(T.prefix), "pm%s", swb_test_unique());
        snprintf(T.dir, sizeof(T.dir), "/tmp/swb-prom-%s", swb_test_unique());
        snprintf(T.run, sizeof(T.run), "%s/.swb/run", T.dir);
        assert_int_equal(
            run_cmd(swb_asprintf("mkdir -p '%s' '%s/infra/prometheus'", T.run, T.dir)),
            0);

        names[0] = swb_asprintf("%s.requests", T.prefix);
        names[1] = swb_asprintf("%s.route.hotel", T.prefix);
        names[2] = swb_asprintf("%s.route.flight", T.prefix);
        names[3] = swb_asprintf("%s.route.tour", T.prefix);
        names[4] = swb_asprintf("%s.route.customer_service", T.prefix);
        names[5] = swb_asprintf("%s.replies", T.prefix);
        names[6] = swb_asprintf("%s.audit", T.prefix);
        names[7] = swb_asprintf("%s.dlq", T.prefix);
        for (i = 0; i < 8; i++)
                topics[i] = names[i];
        assert_int_equal(swb_test_create_topics(T.brokers, topics, 8, 2), 0);
        for (i = 0; i < 8; i++)
                swb_free(names[i]);

        add_env("SWB_BROKERS=%s", T.brokers);
        add_env("SWB_PG_URL=%s", T.pg_url);
        add_env("SWB_TOPIC_REQUESTS=%s.requests", T.prefix);
        add_env("SWB_TOPIC_ROUTE_PREFIX=%s.route.", T.prefix);
        add_env("SWB_TOPIC_REPLIES=%s.replies", T.prefix);
        add_env("SWB_TOPIC_AUDIT=%s.audit", T.prefix);
        add_env("SWB_TOPIC_DLQ=%s.dlq", T.prefix);
        add_env("SWB_TOPIC_STREAM=%s.stream", T.prefix);
        add_env("SWB_GROUP_SUPERVISOR=%s-supervisor", T.prefix);
        add_env("SWB_GROUP_ANALYTICS=%s-analytics", T.prefix);
        add_env("SWB_REPLY_TOPIC_ALLOWED_PREFIXES=%s.replies", T.prefix);
        add_env("SWB_RUN_DIR=%s", T.run);

        T.analytics = spawn_worker("swb-analytics", "analytics");
        T.supervisor = spawn_worker("swb-supervisor", "supervisor");
        assert_true(T.analytics > 0 && T.supervisor > 0);

        T.cfg = swb_config_new();
        for (i = 0; T.env[i]; i++) {
                char *envp[] = {T.env[i], NULL};
                assert_int_equal(
                    swb_config_load_env(T.cfg, envp, errstr, sizeof(errstr)), SWB_OK);
        }
        T.client = swb_client_new(T.cfg, true, errstr, sizeof(errstr));
        if (!T.client)
                fail_msg("client: %s", errstr);
        return 0;
}

static int teardown(void **state)
{
        int i;
        if (T.prometheus > 0)
                assert_int_equal(swb_test_stop(T.prometheus, SIGTERM, 20000), 0);
        if (T.supervisor > 0)
                swb_test_stop(T.supervisor, SIGKILL, 5000);
        if (T.analytics > 0) {
                int st = swb_test_stop(T.analytics, SIGTERM, 20000);
                assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        swb_client_destroy(T.client);
        swb_config_destroy(T.cfg);
        for (i = 0; i < T.env_cnt; i++)
                swb_free(T.env[i]);
        if (*T.dir)
                nftw(T.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(T.brokers);
        free(T.pg_url);
        if (T.env_cnt)
                curl_global_cleanup();
        return 0;
}

/* ------------------------------------------------------------- tests */

static void test_promtool(void **state)
{
        if (access(PROMTOOL, X_OK))
                skip();
        assert_int_equal(
            run_cmd(swb_strdup("cd '" SWB_SOURCE_DIR "/infra/prometheus' && " PROMTOOL
                               " check rules alerts.yml && " PROMTOOL
                               " test rules alerts_test.yml")),
            0);
        /* `check config` warns (only) that the dev stack's targets file is absent */
        assert_int_equal(
            run_cmd(swb_strdup(PROMTOOL " check config '" SWB_SOURCE_DIR
                                        "/infra/prometheus/prometheus.yml' 2>&1")),
            0);
}

struct targets_state {
        size_t up, total;
        bool analytics, supervisor;
};

static bool targets_up(void *arg)
{
        struct targets_state *s = arg;
        json_t *data = prom_api("/api/v1/targets?state=active"), *t;
        size_t i;
        memset(s, 0, sizeof(*s));
        json_array_foreach(json_object_get(data, "activeTargets"), i, t)
        {
                const char *worker = json_string_value(
                    json_object_get(json_object_get(t, "labels"), "worker"));
                s->total++;
                if (strcmp(json_string_value(json_object_get(t, "health")) ?: "", "up"))
                        continue;
                s->up++;
                s->analytics |= worker && !strcmp(worker, "analytics");
                s->supervisor |= worker && !strcmp(worker, "supervisor");
        }
        json_decref(data);
        return s->total == 2 && s->up == 2 && s->analytics && s->supervisor;
}

struct rules_state {
        size_t groups, rules, evaluated, alerts_found;
        char bad[256];
};

static bool rules_evaluated(void *arg)
{
        struct rules_state *s = arg;
        json_t *data = prom_api("/api/v1/rules"), *g, *r;
        size_t i, j, k;
        memset(s, 0, sizeof(*s));
        json_array_foreach(json_object_get(data, "groups"), i, g)
        {
                s->groups++;
                json_array_foreach(json_object_get(g, "rules"), j, r)
                {
                        const char *name =
                            json_string_value(json_object_get(r, "name"));
                        const char *health =
                            json_string_value(json_object_get(r, "health"));
                        const char *last =
                            json_string_value(json_object_get(r, "lastEvaluation"));
                        s->rules++;
                        for (k = 0; k < SWB_ARRAY_LEN(alert_names); k++)
                                s->alerts_found +=
                                    name && !strcmp(name, alert_names[k]);
                        if (health && !strcmp(health, "ok") && last &&
                            strncmp(last, "0001-", 5))
                                s->evaluated++;
                        else if (health && strcmp(health, "unknown"))
                                snprintf(
                                    s->bad, sizeof(s->bad), "%s: %s %s", name, health,
                                    json_string_value(json_object_get(r, "lastError"))
                                        ?: "");
                }
        }
        json_decref(data);
        return s->groups == 2 && s->rules > 0 && s->evaluated == s->rules;
}

static bool analytics_counted(void *arg)
{
        return query_scalar("sum(swb_analytics_events_total)") >= 3;
}

static bool worker_down_alert(void *arg)
{
        json_t *data = prom_api("/api/v1/alerts"), *a;
        bool found = false;
        size_t i;
        json_array_foreach(json_object_get(data, "alerts"), i, a)
        {
                json_t *labels = json_object_get(a, "labels");
                found |=
                    !strcmp(json_string_value(json_object_get(labels, "alertname"))
                                ?: "",
                            "SwbWorkerDown") &&
                    !strcmp(json_string_value(json_object_get(labels, "worker")) ?: "",
                            "supervisor");
        }
        json_decref(data);
        return found;
}

/* Every expression of the dashboard, with Grafana's variables filled in, is
 * valid PromQL for this Prometheus. */
static void check_dashboard(json_t *panels, size_t *checked)
{
        json_t *p, *t;
        size_t i, j;
        json_array_foreach(panels, i, p)
        {
                check_dashboard(json_object_get(p, "panels"), checked);
                json_array_foreach(json_object_get(p, "targets"), j, t)
                {
                        char *expr =
                            swb_strdup(json_string_value(json_object_get(t, "expr")));
                        json_t *data;
                        int n;
                        for (n = 0; n < 8; n++) {
                                replace_once(&expr, "$__rate_interval", "1m");
                                replace_once(&expr, "$__range", "1h");
                                replace_once(&expr, "$agent", ".*");
                        }
                        data = prom_query(expr);
                        if (!data)
                                fail_msg(
                                    "dashboard panel \"%s\": Prometheus rejects %s",
                                    json_string_value(json_object_get(p, "title")),
                                    expr);
                        json_decref(data);
                        swb_free(expr);
                        (*checked)++;
                }
        }
}

static void test_prometheus_scrapes_and_evaluates(void **state)
{
        char *cfg_text, *path, *dash_path, *targets_json;
        struct targets_state ts;
        struct rules_state rs;
        json_t *req, *reply = NULL, *dash, *data;
        char errstr[512];
        size_t checked = 0;
        int tries;

        if (access(PROMETHEUS, X_OK))
                skip();
        /* the workers are up when they have written their port files */
        assert_true(swb_test_wait_for(port_file, "analytics", 30000));
        assert_true(swb_test_wait_for(port_file, "supervisor", 30000));

        /* scrape targets from the run files, as for the dev stack */
        assert_int_equal(run_cmd(swb_asprintf("'" SWB_SOURCE_DIR
                                              "/infra/scripts/prometheus-targets.sh' "
                                              "--state '%s/.swb'",
                                              T.dir)),
                         0);
        path = swb_asprintf("%s/.swb/prometheus/targets.json", T.dir);
        targets_json = slurp(path);
        swb_free(path);
        assert_non_null(targets_json);
        assert_non_null(strstr(targets_json, "\"worker\": \"analytics\""));
        assert_non_null(strstr(targets_json, "\"worker\": \"supervisor\""));
        swb_free(targets_json);

        /* the shipped config, in the same relative place to the targets file
         * (DIR/infra/prometheus -> DIR/.swb/prometheus), with 1 s intervals */
        cfg_text = slurp(SWB_SOURCE_DIR "/infra/prometheus/prometheus.yml");
        assert_non_null(cfg_text);
        replace_once(&cfg_text, "scrape_interval: 15s", "scrape_interval: 1s");
        replace_once(&cfg_text, "evaluation_interval: 15s", "evaluation_interval: 1s");
        replace_once(&cfg_text, "scrape_timeout: 5s", "scrape_timeout: 1s");
        replace_once(&cfg_text, "refresh_interval: 30s", "refresh_interval: 1s");
        path = swb_asprintf("%s/infra/prometheus/prometheus.yml", T.dir);
        assert_true(write_file(path, cfg_text));
        swb_free(path);
        swb_free(cfg_text);
        path = swb_asprintf("%s/infra/prometheus/alerts.yml", T.dir);
        assert_int_equal(symlink(SWB_SOURCE_DIR "/infra/prometheus/alerts.yml", path),
                         0);
        swb_free(path);

        for (tries = 0; tries < 3 && T.prometheus <= 0; tries++) {
                char *a_cfg = swb_asprintf(
                    "--config.file=%s/infra/prometheus/prometheus.yml", T.dir);
                char *a_db = swb_asprintf("--storage.tsdb.path=%s/data", T.dir);
                char *a_web, *log = swb_asprintf("%s/prometheus.log", T.dir);
                T.prom_port = free_port();
                a_web = swb_asprintf("--web.listen-address=127.0.0.1:%d", T.prom_port);
                {
                        const char *argv[] = {a_cfg, a_db, a_web, "--log.level=warn",
                                              NULL};
                        T.prometheus = swb_test_spawn(PROMETHEUS, argv, NULL, log);
                }
                if (T.prometheus > 0 && !swb_test_wait_for(prom_ready, NULL, 30000)) {
                        /* e.g. the port was taken in between: try another */
                        swb_test_stop(T.prometheus, SIGKILL, 5000);
                        T.prometheus = 0;
                }
                swb_free(a_cfg);
                swb_free(a_db);
                swb_free(a_web);
                swb_free(log);
        }
        assert_true(T.prometheus > 0);

        if (!swb_test_wait_for(targets_up, &ts, 60000))
                fail_msg("targets: %zu of %zu up (analytics %d, supervisor %d)", ts.up,
                         ts.total, ts.analytics, ts.supervisor);
        if (!swb_test_wait_for(rules_evaluated, &rs, 60000))
                fail_msg("rules: %zu groups, %zu of %zu evaluated ok; %s", rs.groups,
                         rs.evaluated, rs.rules, rs.bad);
        assert_int_equal(rs.alerts_found, SWB_ARRAY_LEN(alert_names));

        /* both processes export the common families */
        assert_true(query_scalar("count(swb_build_info)") == 2);
        data = prom_query("swb_messages_consumed_total");
        assert_non_null(data);
        json_decref(data);

        dash_path = SWB_SOURCE_DIR "/infra/grafana/switchboard.json";
        dash = json_load_file(dash_path, 0, NULL);
        assert_non_null(dash);
        check_dashboard(json_object_get(dash, "panels"), &checked);
        assert_true(checked >= 20);
        json_decref(dash);

        /* a request: its audit events reach swb-analytics, whose counters move */
        req = json_pack("{s:s, s:s, s:s, s:s}", "session_id", "prom-session", "user_id",
                        "prom-user", "text", "what is the capital of France", "locale",
                        "en");
        if (swb_client_request(T.client, req, (int)(60000 * swb_test_tmout_multip()),
                               &reply, errstr, sizeof(errstr)))
                fail_msg("no reply: %s", errstr);
        assert_string_equal(json_string_value(json_object_get(reply, "status")),
                            "out_of_scope");
        json_decref(reply);
        json_decref(req);
        assert_true(swb_test_wait_for(analytics_counted, NULL, 30000));

        /* a worker dies: its target goes down and SwbWorkerDown is pending */
        assert_int_equal(swb_test_stop(T.supervisor, SIGKILL, 5000) != -1, 1);
        T.supervisor = 0;
        assert_true(swb_test_wait_for(worker_down_alert, NULL, 30000));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_promtool),
            cmocka_unit_test(test_prometheus_scrapes_and_evaluates),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
