/*
 * component.budget: lib/swb_budget against the stack's Redis (SWB_REDIS_URL):
 * key names and periods, spend adding up to a refusal per scope, expiry, and
 * Redis down (calls allowed, errors counted).
 */
#include "swb_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "swb_budget.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_redis.h"

static time_t utc(int y, int mon, int d, int h, int min)
{
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = min;
        return timegm(&tm);
}

static swb_config_t *config(const char *url, const char *ud, const char *um,
                            const char *td, const char *tm)
{
        swb_config_t *cfg = swb_config_new();
        assert_int_equal(
            swb_config_set(cfg, "redis.url", url, SWB_CFG_SRC_FLAG, NULL, 0), SWB_OK);
        assert_int_equal(
            swb_config_set(cfg, "budget.user.daily.usd", ud, SWB_CFG_SRC_FLAG, NULL, 0),
            SWB_OK);
        assert_int_equal(swb_config_set(cfg, "budget.user.monthly.usd", um,
                                        SWB_CFG_SRC_FLAG, NULL, 0),
                         SWB_OK);
        assert_int_equal(swb_config_set(cfg, "budget.tenant.daily.usd", td,
                                        SWB_CFG_SRC_FLAG, NULL, 0),
                         SWB_OK);
        assert_int_equal(swb_config_set(cfg, "budget.tenant.monthly.usd", tm,
                                        SWB_CFG_SRC_FLAG, NULL, 0),
                         SWB_OK);
        return cfg;
}

static double metric(const char *name, const char *const *labels,
                     const char *const *values)
{
        return swb_metric_value(
            swb_metrics_counter(swb_metrics_default(), name, "", labels), values);
}

static double exceeded(const char *scope)
{
        static const char *const l[] = {"scope", NULL};
        return metric("swb_budget_exceeded_total", l, (const char *const[]){scope});
}

static double budget_requests(const char *result)
{
        static const char *const l[] = {"cache", "result", NULL};
        return metric("swb_cache_requests_total", l,
                      (const char *const[]){"budget", result});
}

static long long ttl_of(const char *key)
{
        char errstr[256];
        swb_redis_t *r =
            swb_redis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        redisReply *rep = NULL;
        long long ttl;
        assert_non_null(r);
        assert_int_equal(swb_redis_cmd(r, &rep, errstr, sizeof(errstr), "TTL %s", key),
                         SWB_OK);
        ttl = rep->integer;
        freeReplyObject(rep);
        swb_redis_destroy(r);
        return ttl;
}

static void test_keys_and_messages(void **state)
{
        time_t t = utc(2026, 1, 31, 23, 30);
        char *k;
        k = swb_budget_key(SWB_BUDGET_USER_DAILY, "u1", t);
        assert_string_equal(k, "swb:b:user:u1:d:20260131");
        swb_free(k);
        k = swb_budget_key(SWB_BUDGET_USER_MONTHLY, "u1", t);
        assert_string_equal(k, "swb:b:user:u1:m:202601");
        swb_free(k);
        k = swb_budget_key(SWB_BUDGET_TENANT_DAILY, "acme",
                           t + 3600); /* the next day */
        assert_string_equal(k, "swb:b:tenant:acme:d:20260201");
        swb_free(k);
        k = swb_budget_key(SWB_BUDGET_TENANT_MONTHLY, "acme", t + 3600);
        assert_string_equal(k, "swb:b:tenant:acme:m:202602");
        swb_free(k);

        assert_string_equal(swb_budget_scope_name(SWB_BUDGET_USER_DAILY), "user_daily");
        assert_string_equal(swb_budget_scope_name(SWB_BUDGET_TENANT_MONTHLY),
                            "tenant_monthly");
        assert_string_equal(swb_budget_scope_who(SWB_BUDGET_TENANT_DAILY), "tenant");
        assert_string_equal(swb_budget_scope_period(SWB_BUDGET_USER_MONTHLY),
                            "monthly");
        for (int s = SWB_BUDGET_USER_DAILY; s < SWB_BUDGET__CNT; s++) {
                assert_non_null(strstr(swb_budget_message(s, "en"), "budget"));
                assert_non_null(strstr(swb_budget_message(s, NULL), "budget"));
                assert_non_null(strstr(swb_budget_message(s, "id-ID"), "anggaran"));
        }
}

static void test_disabled_does_nothing(void **state)
{
        swb_config_t *cfg = config("redis://127.0.0.1:1/0", "0", "0", "0", "0");
        swb_budget_t *b = swb_budget_new(cfg, NULL, 0);
        double errors = budget_requests("error");
        assert_non_null(b);
        assert_false(swb_budget_enabled(b));
        assert_int_equal(swb_budget_check(b, "u", "t", time(NULL), NULL),
                         SWB_BUDGET_OK);
        swb_budget_add(b, "u", "t", 1.0, time(NULL), NULL);
        assert_true(budget_requests("error") == errors); /* no I/O at all */
        swb_budget_destroy(b);
        swb_budget_destroy(NULL);
        swb_config_destroy(cfg);
}

static void test_user_daily(void **state)
{
        swb_config_t *cfg = config(swb_test_redis_url, "0.001", "0", "0", "0");
        swb_budget_t *b = swb_budget_new(cfg, NULL, 0);
        time_t t = utc(2026, 1, 31, 23, 30);
        char user[64], other[64], *key;
        double before = exceeded("user_daily");
        long long ttl;

        snprintf(user, sizeof(user), "bu-%s", swb_test_unique());
        snprintf(other, sizeof(other), "bo-%s", swb_test_unique());
        assert_true(swb_budget_enabled(b));
        assert_int_equal(swb_budget_check(b, user, "t", t, NULL), SWB_BUDGET_OK);
        swb_budget_add(b, user, "t", 0.0006, t, NULL);
        assert_int_equal(swb_budget_check(b, user, "t", t, NULL), SWB_BUDGET_OK);
        swb_budget_add(b, user, "t", 0.0004, t, NULL); /* reaches the limit: spent */
        swb_budget_add(b, user, "t", 0, t, NULL);      /* nothing */
        assert_int_equal(swb_budget_check(b, user, "t", t, NULL),
                         SWB_BUDGET_USER_DAILY);
        assert_true(exceeded("user_daily") == before + 1);
        /* another user, and the same user the next day, may go on */
        assert_int_equal(swb_budget_check(b, other, "t", t, NULL), SWB_BUDGET_OK);
        assert_int_equal(swb_budget_check(b, user, "t", t + 1800, NULL), SWB_BUDGET_OK);
        /* no user id: nothing to check */
        assert_int_equal(swb_budget_check(b, NULL, "t", t, NULL), SWB_BUDGET_OK);
        /* the counter expires an hour after its day ended */
        key = swb_budget_key(SWB_BUDGET_USER_DAILY, user, t);
        ttl = ttl_of(key);
        assert_true(ttl > 5000 && ttl <= 1800 + 3600);
        swb_free(key);
        /* unlimited scopes are not written */
        key = swb_budget_key(SWB_BUDGET_TENANT_DAILY, "t", t);
        assert_true(ttl_of(key) == -2);
        swb_free(key);
        swb_budget_destroy(b);
        swb_config_destroy(cfg);
}

static void test_monthly_and_tenant(void **state)
{
        swb_config_t *cfg = config(swb_test_redis_url, "0", "0.05", "0", "0.02");
        swb_budget_t *b = swb_budget_new(cfg, NULL, 0);
        time_t t = utc(2026, 2, 10, 12, 0);
        char tenant[64], u1[64], u2[64], u3[64], *key;
        double before = exceeded("tenant_monthly");
        long long ttl;

        snprintf(tenant, sizeof(tenant), "bt-%s", swb_test_unique());
        snprintf(u1, sizeof(u1), "b1-%s", swb_test_unique());
        snprintf(u2, sizeof(u2), "b2-%s", swb_test_unique());
        snprintf(u3, sizeof(u3), "b3-%s", swb_test_unique());
        swb_budget_add(b, u1, tenant, 0.01, t, NULL);
        assert_int_equal(swb_budget_check(b, u3, tenant, t, NULL), SWB_BUDGET_OK);
        swb_budget_add(b, u2, tenant, 0.01, t + 86400 * 5,
                       NULL); /* later the same month */
        /* together the tenant's users spent its month: a third user is refused too */
        assert_int_equal(swb_budget_check(b, u3, tenant, t, NULL),
                         SWB_BUDGET_TENANT_MONTHLY);
        assert_true(exceeded("tenant_monthly") == before + 1);
        /* next month */
        assert_int_equal(swb_budget_check(b, u3, tenant, utc(2026, 3, 1, 0, 1), NULL),
                         SWB_BUDGET_OK);
        /* a user's own month */
        swb_budget_add(b, u3, "elsewhere", 0.06, t, NULL);
        assert_int_equal(swb_budget_check(b, u3, "elsewhere", t, NULL),
                         SWB_BUDGET_USER_MONTHLY);
        key = swb_budget_key(SWB_BUDGET_TENANT_MONTHLY, tenant, t);
        ttl = ttl_of(key); /* written last on the 15th at noon: 13.5 days + 1 h left */
        assert_true(ttl > 13 * 86400 && ttl <= 13 * 86400 + 43200 + 3600);
        swb_free(key);
        swb_budget_destroy(b);
        swb_config_destroy(cfg);
}

static void test_redis_down_allows(void **state)
{
        char url[64];
        swb_config_t *cfg;
        swb_budget_t *b;
        double errors = budget_requests("error");
        int64_t t0 = swb_test_now_ms();
        int i;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        cfg = config(url, "0.000001", "0", "0", "0");
        b = swb_budget_new(cfg, NULL, 0);
        assert_non_null(b);
        for (i = 0; i < 20; i++) {
                swb_budget_add(b, "u", "t", 1.0, time(NULL), NULL);
                assert_int_equal(swb_budget_check(b, "u", "t", time(NULL), NULL),
                                 SWB_BUDGET_OK);
        }
        assert_true(budget_requests("error") == errors + 40);
        assert_true(swb_test_now_ms() - t0 <
                    2000 * swb_test_tmout_multip()); /* fails fast */
        swb_budget_destroy(b);
        swb_config_destroy(cfg);

        /* a malformed URL is a configuration error */
        cfg = config("http://x", "1", "0", "0", "0");
        {
                char errstr[256] = "";
                assert_null(swb_budget_new(cfg, errstr, sizeof(errstr)));
                assert_non_null(strstr(errstr, "redis"));
        }
        swb_config_destroy(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_keys_and_messages),
            cmocka_unit_test(test_disabled_does_nothing),
            cmocka_unit_test(test_user_daily),
            cmocka_unit_test(test_monthly_and_tenant),
            cmocka_unit_test(test_redis_down_allows),
        };
        return cmocka_run_group_tests(tests, swb_test_redis_setup,
                                      swb_test_redis_teardown);
}
