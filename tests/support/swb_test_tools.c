#include "swb_test_tools.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_tools.h"

char *swb_test_pg_url, *swb_test_redis_url;

static const char *swb__domain = "tools";
static const struct swb_tool *swb__tools;
static size_t swb__n_tools;
static swb_test_tool_dispatch_fn *swb__dispatch;

int swb_test_tools_setup(const char *domain, const struct swb_tool *tools, size_t n,
                         swb_test_tool_dispatch_fn *dispatch)
{
        swb__domain = domain;
        swb__tools = tools;
        swb__n_tools = n;
        swb__dispatch = dispatch;
        swb_test_pg_url = swb_test_stack_env("SWB_PG_URL");
        swb_test_redis_url = swb_test_stack_env("SWB_REDIS_URL");
        if (!swb_test_pg_url || !swb_test_redis_url) {
                fprintf(stderr, "SWB_PG_URL / SWB_REDIS_URL not in the stack env\n");
                return -1;
        }
        return 0;
}

int swb_test_tools_teardown(void **state)
{
        free(swb_test_pg_url);
        free(swb_test_redis_url);
        return 0;
}

swb_pg_t *swb_test_pg_connect(void)
{
        char errstr[512];
        swb_pg_t *pg = swb_pg_new(swb_test_pg_url, errstr, sizeof(errstr));
        if (!pg)
                fail_msg("swb_pg_new: %s", errstr);
        return pg;
}

swb_cache_t *swb_test_cache_at(const char *url)
{
        char errstr[256];
        struct swb_cache_conf conf = {.redis_url = url};
        swb_cache_t *c = swb_cache_new(&conf, errstr, sizeof(errstr));
        if (!c)
                fail_msg("swb_cache_new: %s", errstr);
        return c;
}

void swb_test_user_init(struct swb_test_user *u, const char *tag, const char *cache_url)
{
        memset(u, 0, sizeof(*u));
        snprintf(u->id, sizeof(u->id), "test-%s-%s-%s", swb__domain, tag,
                 swb_test_unique());
        snprintf(u->request, sizeof(u->request), "req-%s", swb_test_unique());
        u->pg = swb_test_pg_connect();
        u->cache = cache_url ? swb_test_cache_at(cache_url) : NULL;
        u->ctx.pg = u->pg;
        u->ctx.cache = u->cache;
        u->ctx.user_id = u->id;
        u->ctx.request_id = u->request;
        u->ctx.call_id = u->call;
        u->ctx.locale = "en";
}

void swb_test_user_fini(struct swb_test_user *u)
{
        swb_cache_destroy(u->cache);
        swb_pg_destroy(u->pg);
}

json_t *swb_test_call_as(struct swb_test_user *u, const char *tool, const char *call_id,
                         const char *fmt, ...)
{
        static int seq;
        char args_json[1024];
        json_error_t jerr;
        json_t *args, *res = NULL;
        va_list ap;
        swb_err_t err;

        va_start(ap, fmt);
        vsnprintf(args_json, sizeof(args_json), fmt, ap);
        va_end(ap);
        if (call_id)
                snprintf(u->call, sizeof(u->call), "%s", call_id);
        else
                snprintf(u->call, sizeof(u->call), "call-%d",
                         __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
        if (!(args = json_loads(args_json, 0, &jerr)))
                fail_msg("bad args %s: %s", args_json, jerr.text);
        err = swb__dispatch
                  ? swb__dispatch(tool, &u->ctx, args, &res)
                  : swb_tools_call(swb__tools, swb__n_tools, tool, &u->ctx, args, &res);
        json_decref(args);
        if (err)
                fail_msg("%s: %s", tool, swb_err2str(err));
        assert_non_null(res);
        return res;
}

void swb_test_assert_error_code(json_t *res, const char *code)
{
        const char *got = NULL;
        if (!swb_tools_is_error(res, &got) || strcmp(got, code)) {
                char *dump = json_dumps(res, JSON_COMPACT);
                fail_msg("expected error %s, got %s", code, dump);
        }
}

void swb_test_assert_ok(json_t *res)
{
        if (swb_tools_is_error(res, NULL)) {
                char *dump = json_dumps(res, JSON_COMPACT);
                fail_msg("unexpected error result %s", dump);
        }
}

char *swb_test_sql1(swb_pg_t *pg, const char *sql, const char *p1)
{
        char errstr[512];
        const char *p[] = {p1};
        PGresult *res = NULL;
        char *out = NULL;

        if (swb_pg_exec(pg, sql, p1 ? 1 : 0, p, &res, errstr, sizeof(errstr)))
                fail_msg("%s: %s", sql, errstr);
        if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
                out = swb_strdup(PQgetvalue(res, 0, 0));
        PQclear(res);
        return out;
}

long long swb_test_sql_int(swb_pg_t *pg, const char *sql, const char *p1)
{
        char *s = swb_test_sql1(pg, sql, p1);
        long long v = s ? atoll(s) : -1;
        swb_free(s);
        return v;
}

void swb_test_day(swb_pg_t *pg, int days, char out[16])
{
        char n[16], *s;
        snprintf(n, sizeof(n), "%d", days);
        s = swb_test_sql1(pg, "SELECT (CURRENT_DATE + $1::int)::text", n);
        snprintf(out, 16, "%s", s);
        swb_free(s);
}

long long swb_test_jint(const json_t *o, const char *key)
{
        return (long long)json_integer_value(json_object_get(o, key));
}

const char *swb_test_jstr(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

double swb_test_cache_count(const char *type, const char *result)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_metric_t *f = swb_metrics_counter(swb_metrics_default(),
                                              "swb_cache_requests_total", "x", labels);
        const char *const v[] = {type, result};
        return swb_metric_value(f, v);
}

int swb_test_dead_port(void)
{
        struct sockaddr_in sin = {.sin_family = AF_INET};
        socklen_t len = sizeof(sin);
        int fd = socket(AF_INET, SOCK_STREAM, 0), port;
        assert_true(fd >= 0);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
        port = ntohs(sin.sin_port);
        close(fd);
        return port;
}
