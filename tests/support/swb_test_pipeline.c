#include "swb_test_pipeline.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "swb_mem.h"

static void add_env(swb_test_pipeline_t *p, int *n, const char *kv)
{
        const char *eq = strchr(kv, '=');
        int i;
        /* a later entry for the same variable replaces the earlier one */
        for (i = 0; i < *n; i++)
                if (eq && !strncmp(p->env[i], kv, (size_t)(eq - kv) + 1)) {
                        swb_free(p->env[i]);
                        p->env[i] = swb_strdup(kv);
                        return;
                }
        assert_true(*n + 1 < (int)SWB_ARRAY_LEN(p->env));
        p->env[(*n)++] = swb_strdup(kv);
        p->env[*n] = NULL;
}

static void add_envf(swb_test_pipeline_t *p, int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_envf(swb_test_pipeline_t *p, int *n, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        add_env(p, n, buf);
}

const char *swb_test_topic(const swb_test_pipeline_t *p, const char *suffix)
{
        static char buf[256];
        snprintf(buf, sizeof(buf), "%s.%s", p->prefix, suffix);
        return buf;
}

swb_test_pipeline_t *swb_test_pipeline_start(const char *const *domains,
                                             const char *const *extra_env)
{
        return swb_test_pipeline_start_on(NULL, domains, extra_env);
}

swb_test_pipeline_t *swb_test_pipeline_start_on(const char *brokers,
                                                const char *const *domains,
                                                const char *const *extra_env)
{
        static const char *const suffixes[] = {"requests",
                                               "route.hotel",
                                               "route.flight",
                                               "route.tour",
                                               "route.customer_service",
                                               "replies",
                                               "audit",
                                               "dlq"};
        swb_test_pipeline_t *p = swb_calloc(1, sizeof(*p));
        char errstr[512], *names[8], *redis;
        const char *topics[8];
        int n = 0, i;

        p->brokers = brokers ? strdup(brokers) : swb_test_stack_env("SWB_BROKERS");
        assert_non_null(p->brokers);
        snprintf(p->prefix, sizeof(p->prefix), "bb%s", swb_test_unique());
        snprintf(p->rundir, sizeof(p->rundir), "/tmp/swb-bb-%s", swb_test_unique());
        mkdir(p->rundir, 0755);
        for (i = 0; i < 8; i++)
                topics[i] = names[i] = swb_asprintf("%s.%s", p->prefix, suffixes[i]);
        assert_int_equal(swb_test_create_topics(p->brokers, topics, 8, 4), 0);
        for (i = 0; i < 8; i++)
                swb_free(names[i]);

        add_envf(p, &n, "SWB_BROKERS=%s", p->brokers);
        if ((redis = swb_test_stack_env("SWB_REDIS_URL"))) {
                add_envf(p, &n, "SWB_REDIS_URL=%s", redis);
                free(redis);
        }
        if ((redis = swb_test_stack_env("SWB_PG_URL"))) {
                add_envf(p, &n, "SWB_PG_URL=%s", redis);
                free(redis);
        }
        add_envf(p, &n, "SWB_TOPIC_REQUESTS=%s.requests", p->prefix);
        add_envf(p, &n, "SWB_TOPIC_ROUTE_PREFIX=%s.route.", p->prefix);
        add_envf(p, &n, "SWB_TOPIC_REPLIES=%s.replies", p->prefix);
        add_envf(p, &n, "SWB_TOPIC_AUDIT=%s.audit", p->prefix);
        add_envf(p, &n, "SWB_TOPIC_DLQ=%s.dlq", p->prefix);
        add_envf(p, &n, "SWB_TOPIC_STREAM=%s.stream", p->prefix);
        add_envf(p, &n, "SWB_GROUP_SUPERVISOR=%s-supervisor", p->prefix);
        add_envf(p, &n, "SWB_GROUP_AGENT_PREFIX=%s-agent-", p->prefix);
        add_envf(p, &n, "SWB_REPLY_TOPIC_ALLOWED_PREFIXES=%s.replies", p->prefix);
        add_envf(p, &n, "SWB_RUN_DIR=%s", p->rundir);
        for (i = 0; extra_env && extra_env[i]; i++)
                add_env(p, &n, extra_env[i]);

        /* the supervisor, then one agent per domain */
        for (i = -1; i < 0 || domains[i]; i++) {
                char log[300], name[32];
                const char *argv_sup[] = {NULL};
                const char *argv_agent[] = {"--domain", i >= 0 ? domains[i] : "", NULL};
                const char *envp[42];
                int k = 0, j;
                snprintf(name, sizeof(name), "%s", i < 0 ? "supervisor" : domains[i]);
                for (j = 0; p->env[j]; j++)
                        envp[k++] = p->env[j];
                envp[k++] = NULL;
                snprintf(log, sizeof(log), "%s/%s.log", p->rundir, name);
                {
                        char *nm = swb_asprintf("SWB_NAME=%s", name);
                        envp[k - 1] = nm;
                        envp[k] = NULL;
                        p->pids[p->n] =
                            swb_test_spawn(i < 0 ? "swb-supervisor" : "swb-agent",
                                           i < 0 ? argv_sup : argv_agent, envp, log);
                        swb_free(nm);
                }
                assert_true(p->pids[p->n] > 0);
                snprintf(p->names[p->n], sizeof(p->names[0]), "%s", name);
                p->n++;
        }

        p->cfg = swb_config_new();
        for (i = 0; p->env[i]; i++) {
                char *envp[] = {p->env[i], NULL};
                if (swb_config_load_env(p->cfg, envp, errstr, sizeof(errstr)))
                        fail_msg("config: %s", errstr);
        }
        p->client = swb_client_new(p->cfg, true, errstr, sizeof(errstr));
        if (!p->client)
                fail_msg("client: %s", errstr);
        return p;
}

void swb_test_pipeline_stop(swb_test_pipeline_t *p)
{
        int i;
        if (!p)
                return;
        for (i = 0; i < p->n; i++)
                if (p->pids[i] > 0)
                        swb_test_stop(p->pids[i], SIGKILL, 5000);
        swb_client_destroy(p->client);
        swb_config_destroy(p->cfg);
        /* leave nothing behind (SWB_TEST_KEEP=1 keeps the workers' logs) */
        if (!getenv("SWB_TEST_KEEP")) {
                char *cmd = swb_asprintf("rm -rf '%s'", p->rundir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", p->rundir);
                swb_free(cmd);
        }
        for (i = 0; p->env[i]; i++)
                swb_free(p->env[i]);
        free(p->brokers);
        swb_free(p);
}

json_t *swb_test_request(const char *session, const char *text, const char *locale)
{
        return json_pack("{s:s, s:s, s:s, s:s}", "session_id", session, "user_id",
                         "bb-user", "text", text, "locale", locale);
}

json_t *swb_test_ask(swb_test_pipeline_t *p, json_t *req, int timeout_ms)
{
        json_t *reply = NULL;
        char errstr[512];
        swb_err_t err = swb_client_request(p->client, req,
                                           (int)(timeout_ms * swb_test_tmout_multip()),
                                           &reply, errstr, sizeof(errstr));
        if (err)
                fail_msg("no reply to \"%s\": %s",
                         json_string_value(json_object_get(req, "text")), errstr);
        return reply;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
        char **buf = arg;
        size_t old = *buf ? strlen(*buf) : 0, n = size * nmemb;
        *buf = realloc(*buf, old + n + 1);
        memcpy(*buf + old, ptr, n);
        (*buf)[old + n] = '\0';
        return n;
}

char *swb_test_http_get(const swb_test_pipeline_t *p, const char *name,
                        const char *path, long *status)
{
        char file[300], url[300], port[16] = "";
        FILE *fp;
        CURL *c;
        char *body = NULL;
        snprintf(file, sizeof(file), "%s/%s.port", p->rundir, name);
        if (!(fp = fopen(file, "r")))
                return NULL;
        if (!fgets(port, sizeof(port), fp))
                port[0] = '\0';
        fclose(fp);
        port[strcspn(port, "\r\n")] = '\0';
        snprintf(url, sizeof(url), "http://127.0.0.1:%s%s", port, path);
        c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        if (curl_easy_perform(c) == CURLE_OK) {
                if (status)
                        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
                if (!body)
                        body = strdup("");
        } else {
                free(body);
                body = NULL;
        }
        curl_easy_cleanup(c);
        return body;
}
