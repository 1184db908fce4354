#include "swb_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"

typedef enum { SWB_CT_STR, SWB_CT_INT, SWB_CT_DOUBLE } swb_ctype_t;

struct swb_config_row {
        const char *name;
        swb_ctype_t type;
        const char *def;
        size_t offset;
        int min, max; /* SWB_CT_INT */
        int secret;
        const char *desc;
};

#define STR(n, f, d, desc)          {n, SWB_CT_STR, d, offsetof(swb_config_t, f), 0, 0, 0, desc}
#define SECRET(n, f, d, desc)       {n, SWB_CT_STR, d, offsetof(swb_config_t, f), 0, 0, 1, desc}
#define INT(n, f, d, lo, hi, desc)  {n, SWB_CT_INT, d, offsetof(swb_config_t, f), lo, hi, 0, desc}
#define DBL(n, f, d, lo, hi, desc)  {n, SWB_CT_DOUBLE, d, offsetof(swb_config_t, f), lo, hi, 0, desc}

/* The one table. Keep rows grouped; docs/configuration.md is generated from it. */
static const struct swb_config_row swb__rows[] = {
        STR("name", name, "", "Process name used in logs and run files (default: the program name)."),
        STR("log.level", log_level, "info", "Log level: debug, info, warn, error, off."),
        STR("run.dir", run_dir, "", "Directory for <name>.pid and <name>.port files; empty: none."),
        INT("http.port", http_port, "0", 0, 65535, "HTTP port for /health/* and /metrics; 0 picks a free one."),
        STR("http.bind", http_bind, "127.0.0.1", "Address the HTTP endpoints bind to."),
        STR("brokers", brokers, "127.0.0.1:9092", "Kafka bootstrap servers (bootstrap.servers)."),
        STR("topic.requests", topic_requests, "swb.requests", "Incoming AgentRequests (key = session_id)."),
        STR("topic.route.prefix", topic_route_prefix, "swb.route.", "Routed requests go to <prefix><domain>."),
        STR("topic.replies", topic_replies, "swb.replies", "AgentReplies."),
        STR("topic.stream", topic_stream, "swb.stream", "StreamEvents (partial replies)."),
        STR("topic.audit", topic_audit, "swb.audit", "AuditEvents, one per stage."),
        STR("topic.dlq", topic_dlq, "swb.dlq", "Dead letters: the original bytes with swb.error.* headers."),
        STR("group.supervisor", group_supervisor, "swb-supervisor", "Consumer group of the supervisors."),
        STR("group.agent.prefix", group_agent_prefix, "swb-agent-", "Agents of domain D join group <prefix>D."),
        STR("group.analytics", group_analytics, "swb-analytics", "Consumer group of swb-analytics (reads topic.audit)."),
        STR("reply.topic.allowed.prefixes", reply_topic_allowed_prefixes, "swb.replies",
            "Comma-separated prefixes a request's reply_topic must start with to be honoured; "
            "otherwise replies go to topic.replies."),
        STR("group.instance.id", group_instance_id, "", "Static group membership id (group.instance.id); empty: dynamic."),
        INT("max.message.bytes", max_message_bytes, "1000000", 1024, 100000000,
            "Larger incoming messages are dead-lettered as too_large."),
        INT("worker.max.inflight", max_inflight, "1000", 1, 1000000,
            "Messages a worker holds in flight; at it, the worker stops taking messages (they "
            "wait in the consumer's queue); still there after worker.pause.after.ms, its "
            "partitions are paused (polling goes on) and resumed below half."),
        INT("worker.pause.after.ms", pause_after_ms, "1000", 0, 60000,
            "How long a worker at worker.max.inflight waits for in-flight work to finish before "
            "pausing its partitions (a pause drops the consumer's prefetched messages; keep it "
            "well below max.poll.interval.ms)."),
        INT("dedup.retention.hours", dedup_retention_hours, "168", 1, 87600,
            "How long agents keep inbox replies and write-tool results, and swb-analytics "
            "its processed event ids, to make redeliveries harmless; older ones are deleted "
            "hourly. Keep it above the topics' retention (a message redelivered after it "
            "would run again)."),
        INT("retry.max.attempts", retry_max_attempts, "3", 1, 1000,
            "Handlings of a message failing with a transient error before it is dead-lettered."),
        INT("retry.backoff.ms", retry_backoff_ms, "200", 1, 600000,
            "First retry delay; doubles per attempt, with +-50% jitter; a Retry-After from the "
            "model is honoured when longer."),
        INT("retry.backoff.max.ms", retry_backoff_max_ms, "30000", 1, 3600000,
            "Longest retry delay."),
        INT("shutdown.timeout.ms", shutdown_timeout_ms, "7000", 100, 600000,
            "On SIGTERM, how long in-flight work may take before the worker closes anyway."),
        STR("schema.registry.url", schema_registry_url, "",
            "Confluent-compatible Schema Registry; empty: Avro single-object encoding."),
        STR("pg.url", pg_url, "", "PostgreSQL connection URL (libpq)."),
        STR("redis.url", redis_url, "", "Redis URL, redis://host:port/db."),
        INT("session.ttl.s", session_ttl_s, "900", 1, 2592000,
            "Conversation state (dialog stack, recent turns) expires this long after the last turn."),
        INT("session.max.turns", session_max_turns, "10", 0, 200,
            "Recent turns kept per session (shown to the model, used for follow-ups)."),
        STR("route.model", route_model, "",
            "The supervisor's intent classifier (models/router.swbm, built by swb-train); empty: "
            "that file next to the binaries (../../models, ../share/switchboard) or in ./models; "
            "\"rule\": the keyword rule instead. A model that is set but cannot load stops the "
            "supervisor."),
        DBL("route.switch.confidence", route_switch_confidence, "0.8", 0, 1,
            "While an agent is active, a request goes elsewhere only when the classifier is at "
            "least this confident; otherwise it is a follow-up (sticky)."),
        DBL("route.llm.threshold", route_llm_threshold, "0.6", 0, 1,
            "With llm.url set, requests the classifier is less sure of than this are routed by "
            "the model (routing tools); its timeout or error falls back to the classifier."),
        INT("route.llm.timeout.ms", route_llm_timeout_ms, "3000", 100, 600000,
            "Deadline of one routing call to the model."),
        STR("llm.url", llm_url, "", "OpenAI-compatible chat-completions base URL; empty: deterministic planner."),
        SECRET("llm.api.key", llm_api_key, "", "Bearer token for llm.url."),
        STR("llm.model", llm_model, "gpt-4o-mini", "Model name sent to llm.url."),
        INT("llm.timeout.ms", llm_timeout_ms, "60000", 100, 3600000,
            "Deadline of one agent call to the model."),
        INT("llm.max.inflight", llm_max_inflight, "512", 1, 100000,
            "Most model calls in flight per process; the adaptive limit moves below it "
            "(additive increase, halved on 429, 5xx, timeouts or slow answers)."),
        INT("llm.breaker.failures", llm_breaker_failures, "5", 1, 1000,
            "Consecutive failed model calls that open the circuit; while open, agents answer "
            "with the deterministic planner and routing uses the classifier."),
        INT("llm.breaker.open.ms", llm_breaker_open_ms, "30000", 100, 3600000,
            "How long the circuit stays open before one probe call is let through."),
        INT("llm.slow.ms", llm_slow_ms, "20000", 100, 3600000,
            "A model answer slower than this counts as overload for the adaptive limit."),
        STR("llm.pricing", llm_pricing,
            "gpt-4o-mini=0.15/0.60,gpt-4o=2.50/10.00,gpt-4.1-mini=0.40/1.60,gpt-4.1=2.00/8.00,"
            "gpt-3.5-turbo=0.50/1.50",
            "USD per 1M input/output tokens per model (model=in/out, comma-separated); cost of "
            "a call = its reported usage at these prices; unknown models cost 0 and are logged."),
        STR("domain", domain, "", "swb-agent: the domain served (hotel, flight, tour, customer_service)."),
        STR("search.url", search_url, "",
            "Tavily-compatible web search for search_general_info / search_travel_articles; "
            "empty: the knowledge base answers."),
        SECRET("search.api.key", search_api_key, "", "API key of search.url."),
        STR("rates.url", rates_url, "",
            "Currency rates provider (GET, JSON {\"base\":\"USD\",\"rates\":{...}}) refreshing the "
            "rates table; empty: the table's rates as seeded."),
        SECRET("rates.api.key", rates_api_key, "", "API key of rates.url."),
        INT("rates.max.age.s", rates_max_age_s, "3600", 1, 604800,
            "Rates older than this are refreshed from rates.url when asked for."),
        INT("agent.max.tool.rounds", agent_max_tool_rounds, "6", 1, 50,
            "With a model: rounds of tool calls before the agent asks for a final answer."),
        INT("booking.hold.minutes", booking_hold_minutes, "30", 0, 10080,
            "How long a new (pending, unpaid) booking holds its rooms, seats or tour places. "
            "Past it the booking can no longer be paid, and the agents (checking every "
            "minute) cancel it with cancel_reason \"payment window expired\" and put its "
            "inventory back on sale. 0: holds never expire."),
        INT("cache.ttl.hotels", cache_ttl_hotels, "3600", 0, 604800, "Read cache TTL (s) of hotel data."),
        INT("cache.ttl.flights", cache_ttl_flights, "1800", 0, 604800, "Read cache TTL (s) of flight data."),
        INT("cache.ttl.tours", cache_ttl_tours, "3600", 0, 604800, "Read cache TTL (s) of tour data."),
        INT("cache.ttl.availability", cache_ttl_availability, "300", 0, 604800,
            "Read cache TTL (s) of room, seat and tour availability."),
        INT("cache.ttl.user.bookings", cache_ttl_user_bookings, "600", 0, 604800,
            "Read cache TTL (s) of a user's bookings."),
        STR("env", env, "",
            "Environment profile: dev (log.level=debug, route.llm.timeout.ms=5000), staging "
            "(log.level=info, route.llm.timeout.ms=3000) or prod (log.level=info, "
            "route.llm.timeout.ms=2000); these apply only to keys not set explicitly "
            "(--print-config shows them as profile). Empty: none. Other values are errors."),
        STR("policy", policy, "",
            "Cost policy: cost_optimized (llm.model=gpt-4o-mini, agent.max.tool.rounds=3, "
            "llm.timeout.ms=30000, route.llm.threshold=0.4), balanced (llm.model=gpt-4o-mini, "
            "agent.max.tool.rounds=6, llm.timeout.ms=60000, route.llm.threshold=0.6) or "
            "quality_optimized (llm.model=gpt-4o, agent.max.tool.rounds=8, "
            "llm.timeout.ms=120000, route.llm.threshold=0.75); these apply only to keys not "
            "set explicitly. Empty: none. Other values are errors."),
        DBL("budget.user.daily.usd", budget_user_daily_usd, "0", 0, 1000000000,
            "Model spend (USD at llm.pricing) a user may cause per UTC day; past it the agent "
            "answers with a budget message instead of calling the model. 0: unlimited."),
        DBL("budget.user.monthly.usd", budget_user_monthly_usd, "0", 0, 1000000000,
            "As budget.user.daily.usd, per UTC calendar month. 0: unlimited."),
        DBL("budget.tenant.daily.usd", budget_tenant_daily_usd, "0", 0, 1000000000,
            "As budget.user.daily.usd, for all users of a tenant (the request's tenant_id) "
            "together. 0: unlimited."),
        DBL("budget.tenant.monthly.usd", budget_tenant_monthly_usd, "0", 0, 1000000000,
            "As budget.tenant.daily.usd, per UTC calendar month. 0: unlimited."),
        INT("health.probe.interval.ms", health_probe_interval_ms, "2000", 100, 600000,
            "How often a background probe checks PostgreSQL and Redis (on connections of its "
            "own) for /health/ready. Also the longest delay between a worker's probes "
            "of a dependency that is down (the first after retry.backoff.ms, then "
            "doubling, +-50% jitter)."),
};

/* SWB_* variables that belong to tools and scripts, not to the table. */
static const char *const swb__env_ignored[] = {
        "SWB_CONFIG_FILE", "SWB_TEST_STATE", "SWB_BIN_DIR", "SWB_TEST_TIMEOUT_MULTIPLIER",
        "SWB_STATE", "SWB_SANITIZE", "SWB_BUILD_DIR", "SWB_TEST_KEEP", NULL,
};

/* Per-row source, kept beside the struct (not in it) so the struct stays plain. */
struct swb_config_priv {
        swb_config_t pub;
        unsigned char src[SWB_ARRAY_LEN(swb__rows)];
};

static const struct swb_config_row *swb__row(const char *key, size_t *idx)
{
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(swb__rows); i++)
                if (!strcmp(swb__rows[i].name, key)) {
                        if (idx)
                                *idx = i;
                        return &swb__rows[i];
                }
        return NULL;
}

static swb_err_t swb__set_row(swb_config_t *cfg, const struct swb_config_row *row,
                              const char *value, char *errstr, size_t errstr_size)
{
        void *field = (char *)cfg + row->offset;
        if (row->type == SWB_CT_STR) {
                char **s = field;
                swb_free(*s);
                *s = swb_strdup(value);
                return SWB_OK;
        } else if (row->type == SWB_CT_DOUBLE) {
                char *end;
                double v;
                errno = 0;
                v = strtod(value, &end);
                while (end && isspace((unsigned char)*end))
                        end++;
                if (errno || end == value || *end || v < row->min || v > row->max)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "%s: \"%s\" is not a number in [%d, %d]", row->name,
                                          value, row->min, row->max);
                *(double *)field = v;
                return SWB_OK;
        } else {
                char *end;
                long v;
                errno = 0;
                v = strtol(value, &end, 10);
                while (end && isspace((unsigned char)*end))
                        end++;
                if (errno || end == value || *end || v < row->min || v > row->max)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "%s: \"%s\" is not an integer in [%d, %d]",
                                          row->name, value, row->min, row->max);
                *(int *)field = (int)v;
                return SWB_OK;
        }
}

swb_config_t *swb_config_new(void)
{
        struct swb_config_priv *p = swb_calloc(1, sizeof(*p));
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(swb__rows); i++)
                (void)swb__set_row(&p->pub, &swb__rows[i], swb__rows[i].def, NULL, 0);
        return &p->pub;
}

void swb_config_destroy(swb_config_t *cfg)
{
        size_t i;
        if (!cfg)
                return;
        for (i = 0; i < SWB_ARRAY_LEN(swb__rows); i++)
                if (swb__rows[i].type == SWB_CT_STR)
                        swb_free(*(char **)((char *)cfg + swb__rows[i].offset));
        for (i = 0; i < cfg->kafka_props_cnt * 2; i++)
                swb_free(cfg->kafka_props[i]);
        swb_free(cfg->kafka_props);
        swb_free(cfg);
}

static void swb__kafka_prop(swb_config_t *cfg, const char *name, const char *value)
{
        size_t i;
        for (i = 0; i < cfg->kafka_props_cnt; i++)
                if (!strcmp(cfg->kafka_props[2 * i], name)) {
                        swb_free(cfg->kafka_props[2 * i + 1]);
                        cfg->kafka_props[2 * i + 1] = swb_strdup(value);
                        return;
                }
        cfg->kafka_props = swb_realloc(cfg->kafka_props,
                                       (cfg->kafka_props_cnt + 1) * 2 * sizeof(char *));
        cfg->kafka_props[2 * cfg->kafka_props_cnt] = swb_strdup(name);
        cfg->kafka_props[2 * cfg->kafka_props_cnt + 1] = swb_strdup(value);
        cfg->kafka_props_cnt++;
}

swb_err_t swb_config_set(swb_config_t *cfg, const char *key, const char *value,
                         swb_config_source_t src, char *errstr, size_t errstr_size)
{
        size_t idx;
        const struct swb_config_row *row;
        swb_err_t err;

        if (!strncmp(key, "kafka.", 6) && key[6]) {
                swb__kafka_prop(cfg, key + 6, value);
                return SWB_OK;
        }
        row = swb__row(key, &idx);
        if (!row)
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "unknown configuration key \"%s\"", key);
        err = swb__set_row(cfg, row, value, errstr, errstr_size);
        if (!err)
                ((struct swb_config_priv *)cfg)->src[idx] = (unsigned char)src;
        return err;
}

static char *swb__trim(char *s)
{
        char *e;
        while (isspace((unsigned char)*s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

swb_err_t swb_config_load_file(swb_config_t *cfg, const char *path, char *errstr,
                               size_t errstr_size)
{
        FILE *fp = fopen(path, "r");
        char line[4096];
        int lineno = 0;
        swb_err_t err = SWB_OK;

        if (!fp)
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "%s: %s", path,
                                  strerror(errno));
        while (!err && fgets(line, sizeof(line), fp)) {
                char *s = swb__trim(line), *eq, msg[512];
                lineno++;
                if (!*s || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        err = swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                         "%s:%d: expected key = value", path, lineno);
                        break;
                }
                *eq = '\0';
                err = swb_config_set(cfg, swb__trim(s), swb__trim(eq + 1), SWB_CFG_SRC_FILE,
                                     msg, sizeof(msg));
                if (err)
                        swb_seterr(errstr, errstr_size, err, "%s:%d: %s", path, lineno, msg);
        }
        fclose(fp);
        return err;
}

/* SWB_LLM_API_KEY -> the row whose name maps to it; kafka.* is derived. */
static void swb__env_to_key(const char *env, size_t n, char *key, size_t key_size)
{
        size_t i;
        for (i = 0; i < n && i + 1 < key_size; i++)
                key[i] = env[i] == '_' ? '.' : (char)tolower((unsigned char)env[i]);
        key[i] = '\0';
}

static const struct swb_config_row *swb__row_by_env(const char *name, size_t n)
{
        size_t i;
        char key[256];
        swb__env_to_key(name, n, key, sizeof(key));
        for (i = 0; i < SWB_ARRAY_LEN(swb__rows); i++) {
                char want[256];
                swb__env_to_key(swb__rows[i].name, strlen(swb__rows[i].name), want,
                                sizeof(want));
                /* row names use '.', env uses '_': compare with both mapped to '.' */
                if (!strcmp(key, want))
                        return &swb__rows[i];
        }
        return NULL;
}

swb_err_t swb_config_load_env(swb_config_t *cfg, char **envp, char *errstr,
                              size_t errstr_size)
{
        char **e;
        for (e = envp; e && *e; e++) {
                const char *var = *e, *eq = strchr(var, '=');
                const struct swb_config_row *row;
                size_t i, n;
                int ignored = 0;
                if (strncmp(var, "SWB_", 4) || !eq)
                        continue;
                n = (size_t)(eq - var);
                for (i = 0; swb__env_ignored[i]; i++)
                        if (strlen(swb__env_ignored[i]) == n &&
                            !strncmp(swb__env_ignored[i], var, n))
                                ignored = 1;
                if (ignored)
                        continue;
                if (n > 10 && !strncmp(var + 4, "KAFKA_", 6)) {
                        char key[256];
                        swb__env_to_key(var + 10, n - 10, key, sizeof(key));
                        swb__kafka_prop(cfg, key, eq + 1);
                        continue;
                }
                row = swb__row_by_env(var + 4, n - 4);
                if (!row)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "unknown configuration variable %.*s", (int)n, var);
                {
                        swb_err_t err = swb_config_set(cfg, row->name, eq + 1,
                                                       SWB_CFG_SRC_ENV, errstr, errstr_size);
                        if (err)
                                return err;
                }
        }
        return SWB_OK;
}

swb_err_t swb_config_from_args(swb_config_t *cfg, int *argcp, char **argv, char **envp,
                               char *errstr, size_t errstr_size)
{
        int argc = *argcp, i, out = 1;
        const char *file = NULL;
        char **e;
        swb_err_t err;

        for (e = envp; e && *e; e++)
                if (!strncmp(*e, "SWB_CONFIG_FILE=", 16))
                        file = *e + 16;
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--config") && i + 1 < argc)
                        file = argv[i + 1];
                else if (!strncmp(argv[i], "--config=", 9))
                        file = argv[i] + 9;
        }
        if (file && *file && (err = swb_config_load_file(cfg, file, errstr, errstr_size)))
                return err;
        if ((err = swb_config_load_env(cfg, envp, errstr, errstr_size)))
                return err;

        for (i = 1; i < argc; i++) {
                char *a = argv[i], key[256];
                const char *val, *eq;
                size_t n;
                if (!strcmp(a, "--config")) {
                        i++;
                        continue;
                }
                if (!strncmp(a, "--config=", 9))
                        continue;
                if (strncmp(a, "--", 2) || !a[2]) {
                        argv[out++] = a;
                        continue;
                }
                eq = strchr(a + 2, '=');
                n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
                if (n >= sizeof(key)) {
                        argv[out++] = a;
                        continue;
                }
                memcpy(key, a + 2, n);
                key[n] = '\0';
                if (strncmp(key, "kafka.", 6) && !swb__row(key, NULL)) {
                        argv[out++] = a; /* the caller's own flag */
                        continue;
                }
                if (eq)
                        val = eq + 1;
                else if (i + 1 < argc)
                        val = argv[++i];
                else
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "--%s needs a value", key);
                if ((err = swb_config_set(cfg, key, val, SWB_CFG_SRC_FLAG, errstr,
                                          errstr_size)))
                        return err;
        }
        argv[out] = NULL;
        *argcp = out;
        return SWB_OK;
}

int swb_config_source(const swb_config_t *cfg, const char *key)
{
        size_t idx;
        if (!swb__row(key, &idx))
                return -1;
        return ((const struct swb_config_priv *)cfg)->src[idx];
}

static const char *const swb__src_names[] = {"default", "file", "env", "flag", "profile"};

void swb_config_print(const swb_config_t *cfg, FILE *fp)
{
        size_t i;
        const struct swb_config_priv *p = (const struct swb_config_priv *)cfg;
        for (i = 0; i < SWB_ARRAY_LEN(swb__rows); i++) {
                const struct swb_config_row *r = &swb__rows[i];
                const void *field = (const char *)cfg + r->offset;
                if (r->type == SWB_CT_INT)
                        fprintf(fp, "%-30s = %-40d # %s\n", r->name, *(const int *)field,
                                swb__src_names[p->src[i]]);
                else if (r->type == SWB_CT_DOUBLE)
                        fprintf(fp, "%-30s = %-40g # %s\n", r->name, *(const double *)field,
                                swb__src_names[p->src[i]]);
                else {
                        const char *v = *(char *const *)field;
                        fprintf(fp, "%-30s = %-40s # %s\n", r->name,
                                r->secret && v && *v ? "********" : v,
                                swb__src_names[p->src[i]]);
                }
        }
        for (i = 0; i < cfg->kafka_props_cnt; i++)
                fprintf(fp, "kafka.%-24s = %-40s # passthrough\n", cfg->kafka_props[2 * i],
                        cfg->kafka_props[2 * i + 1]);
}

void swb_config_write_docs(FILE *fp)
{
        size_t i, j;
        fprintf(fp, "# Configuration reference\n\n"
                    "<!-- generated by `swb-config --docs` from lib/swb_config.c: do not "
                    "edit -->\n\n"
                    "Every switchboard process reads the same table. Precedence, lowest "
                    "first: default, file (`--config FILE` or `SWB_CONFIG_FILE`, `key = "
                    "value` lines), environment (`SWB_` + the key upper-cased with `.` "
                    "as `_`), flags (`--key=value`). Unknown keys are rejected. Keys "
                    "starting with `kafka.` pass through to librdkafka (e.g. "
                    "`--kafka.linger.ms=5`, `SWB_KAFKA_LINGER_MS=5`). `--print-config` "
                    "shows the effective values and where each came from.\n\n"
                    "| key | environment | type | default | description |\n"
                    "|---|---|---|---|---|\n");
        for (i = 0; i < SWB_ARRAY_LEN(swb__rows); i++) {
                const struct swb_config_row *r = &swb__rows[i];
                char env[256];
                size_t n = strlen(r->name);
                for (j = 0; j < n && j + 1 < sizeof(env); j++)
                        env[j] = r->name[j] == '.' ? '_' : (char)toupper((unsigned char)r->name[j]);
                env[j] = '\0';
                fprintf(fp, "| `%s` | `SWB_%s` | %s | `%s` | %s |\n", r->name, env,
                        r->type == SWB_CT_INT      ? "int"
                        : r->type == SWB_CT_DOUBLE ? "number"
                                                   : "string",
                        r->def, r->desc);
        }
}

char *swb_config_route_topic(const swb_config_t *cfg, const char *domain)
{
        return swb_asprintf("%s%s", cfg->topic_route_prefix, domain);
}

bool swb_config_reply_topic_allowed(const swb_config_t *cfg, const char *topic)
{
        const char *p = cfg->reply_topic_allowed_prefixes;
        if (!topic || !*topic)
                return false;
        while (p && *p) {
                const char *c = strchr(p, ',');
                size_t n = c ? (size_t)(c - p) : strlen(p);
                while (n && isspace((unsigned char)*p)) {
                        p++;
                        n--;
                }
                while (n && isspace((unsigned char)p[n - 1]))
                        n--;
                if (n && !strncmp(topic, p, n))
                        return true;
                p = c ? c + 1 : NULL;
        }
        return false;
}
