/* swb_budget - spend budgets in Redis counters; see swb_budget.h. */
#include "swb_budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_redis.h"

#define SWB__BUDGET_TIMEOUT_MS 200
#define SWB__BUDGET_SLACK_S    3600 /* counters outlive their period by this much */

struct swb_budget_s {
        swb_redis_t *redis;            /* NULL without redis.url */
        double limit[SWB_BUDGET__CNT]; /* USD; 0 = unlimited */
        bool enabled;
        bool down; /* for one log line per outage */
        swb_metric_t *m_exceeded, *m_req;
};

static const char *const swb__names[SWB_BUDGET__CNT] = {
    [SWB_BUDGET_OK] = "ok",
    [SWB_BUDGET_USER_DAILY] = "user_daily",
    [SWB_BUDGET_USER_MONTHLY] = "user_monthly",
    [SWB_BUDGET_TENANT_DAILY] = "tenant_daily",
    [SWB_BUDGET_TENANT_MONTHLY] = "tenant_monthly",
};

static bool swb__is_user(swb_budget_scope_t s)
{
        return s == SWB_BUDGET_USER_DAILY || s == SWB_BUDGET_USER_MONTHLY;
}

static bool swb__is_daily(swb_budget_scope_t s)
{
        return s == SWB_BUDGET_USER_DAILY || s == SWB_BUDGET_TENANT_DAILY;
}

const char *swb_budget_scope_name(swb_budget_scope_t scope)
{
        return (unsigned)scope < SWB_BUDGET__CNT ? swb__names[scope] : "unknown";
}

const char *swb_budget_scope_who(swb_budget_scope_t scope)
{
        return swb__is_user(scope) ? "user" : "tenant";
}

const char *swb_budget_scope_period(swb_budget_scope_t scope)
{
        return swb__is_daily(scope) ? "daily" : "monthly";
}

const char *swb_budget_message(swb_budget_scope_t scope, const char *locale)
{
        bool id = locale && !strncmp(locale, "id", 2);
        switch (scope) {
        case SWB_BUDGET_USER_DAILY:
                return id ? "Maaf, batas anggaran harian Anda untuk asisten ini sudah "
                            "tercapai. "
                            "Silakan coba lagi besok."
                          : "Sorry, you have reached your daily usage budget for the "
                            "assistant. "
                            "Please try again tomorrow.";
        case SWB_BUDGET_USER_MONTHLY:
                return id ? "Maaf, batas anggaran bulanan Anda untuk asisten ini sudah "
                            "tercapai. "
                            "Silakan coba lagi bulan depan."
                          : "Sorry, you have reached your monthly usage budget for the "
                            "assistant. Please try again next month.";
        case SWB_BUDGET_TENANT_DAILY:
                return id ? "Maaf, batas anggaran harian organisasi Anda untuk asisten "
                            "ini sudah "
                            "tercapai. Silakan coba lagi besok atau hubungi "
                            "administrator Anda."
                          : "Sorry, your organisation has reached its daily usage "
                            "budget for the "
                            "assistant. Please try again tomorrow or contact your "
                            "administrator.";
        case SWB_BUDGET_TENANT_MONTHLY:
                return id ? "Maaf, batas anggaran bulanan organisasi Anda untuk "
                            "asisten ini "
                            "sudah tercapai. Silakan hubungi administrator Anda."
                          : "Sorry, your organisation has reached its monthly usage "
                            "budget for "
                            "the assistant. Please contact your administrator.";
        default:
                return "";
        }
}

/* The UTC period containing `now`: its label and the seconds until it ends. */
static long swb__period(swb_budget_scope_t scope, time_t now, char *label, size_t size)
{
        struct tm tm, end;
        gmtime_r(&now, &tm);
        end = tm;
        end.tm_hour = end.tm_min = end.tm_sec = 0;
        if (swb__is_daily(scope)) {
                strftime(label, size, "%Y%m%d", &tm);
                end.tm_mday++;
        } else {
                strftime(label, size, "%Y%m", &tm);
                end.tm_mday = 1;
                end.tm_mon++;
        }
        return (long)(timegm(&end) - now); /* timegm normalises the overflow */
}

char *swb_budget_key(swb_budget_scope_t scope, const char *id, time_t now)
{
        char label[16];
        swb__period(scope, now, label, sizeof(label));
        return swb_asprintf("swb:b:%s:%s:%c:%s", swb_budget_scope_who(scope),
                            id ? id : "", swb__is_daily(scope) ? 'd' : 'm', label);
}

swb_budget_t *swb_budget_new(const swb_config_t *cfg, char *errstr, size_t errstr_size)
{
        static const char *const l_scope[] = {"scope", NULL};
        static const char *const l_cache[] = {"cache", "result", NULL};
        swb_budget_t *b = swb_calloc(1, sizeof(*b));
        swb_metrics_t *m = swb_metrics_default();
        int i;

        b->limit[SWB_BUDGET_USER_DAILY] = cfg->budget_user_daily_usd;
        b->limit[SWB_BUDGET_USER_MONTHLY] = cfg->budget_user_monthly_usd;
        b->limit[SWB_BUDGET_TENANT_DAILY] = cfg->budget_tenant_daily_usd;
        b->limit[SWB_BUDGET_TENANT_MONTHLY] = cfg->budget_tenant_monthly_usd;
        for (i = 1; i < SWB_BUDGET__CNT; i++)
                b->enabled |= b->limit[i] > 0;
        b->m_exceeded =
            swb_metrics_counter(m, "swb_budget_exceeded_total",
                                "Model calls refused because a budget was spent, by "
                                "scope.",
                                l_scope);
        b->m_req =
            swb_metrics_counter(m, "swb_cache_requests_total",
                                "Cache and state-store requests, by result.", l_cache);
        if (!b->enabled)
                return b;
        if (!cfg->redis_url || !*cfg->redis_url) {
                SWB_WARN(
                    NULL,
                    "budgets are set but redis.url is not: they cannot be enforced");
                return b;
        }
        if (!(b->redis = swb_redis_new(cfg->redis_url, SWB__BUDGET_TIMEOUT_MS, errstr,
                                       errstr_size))) {
                swb_budget_destroy(b);
                return NULL;
        }
        return b;
}

void swb_budget_destroy(swb_budget_t *b)
{
        if (!b)
                return;
        swb_redis_destroy(b->redis);
        swb_free(b);
}

bool swb_budget_enabled(const swb_budget_t *b)
{
        return b && b->enabled;
}

/* Count a round trip's result; one log line per outage. */
static void swb__result(swb_budget_t *b, swb_err_t err, const char *what,
                        const char *errstr, const swb_corr_t *corr)
{
        swb_metric_inc2(b->m_req, "budget", err ? "error" : "ok", 1);
        if (err && !b->down)
                SWB_WARN(
                    corr,
                    "budgets cannot be checked (%s: %s); model calls are allowed until "
                    "Redis is back",
                    what, errstr);
        else if (!err && b->down)
                SWB_INFO(corr, "Redis reachable again: budgets are enforced");
        b->down = err != SWB_OK;
}

/* The limited scopes that apply to these ids, in check order. */
static int swb__scopes(const swb_budget_t *b, const char *user_id,
                       const char *tenant_id, swb_budget_scope_t *out, const char **ids)
{
        int i, n = 0;
        for (i = 1; i < SWB_BUDGET__CNT; i++) {
                const char *id =
                    swb__is_user((swb_budget_scope_t)i) ? user_id : tenant_id;
                if (b->limit[i] > 0 && id && *id) {
                        out[n] = (swb_budget_scope_t)i;
                        ids[n++] = id;
                }
        }
        return n;
}

swb_budget_scope_t swb_budget_check(swb_budget_t *b, const char *user_id,
                                    const char *tenant_id, time_t now,
                                    const swb_corr_t *corr)
{
        swb_budget_scope_t scopes[SWB_BUDGET__CNT], found = SWB_BUDGET_OK;
        const char *ids[SWB_BUDGET__CNT], *argv[SWB_BUDGET__CNT + 1];
        char *keys[SWB_BUDGET__CNT], errstr[256] = "";
        redisReply *r = NULL;
        int i, n;
        swb_err_t err;

        if (!b || !b->enabled)
                return SWB_BUDGET_OK;
        if (!(n = swb__scopes(b, user_id, tenant_id, scopes, ids)))
                return SWB_BUDGET_OK;
        if (!b->redis) {
                swb__result(b, SWB_ERR_CONFIG, "MGET", "redis.url is not set", corr);
                return SWB_BUDGET_OK;
        }
        argv[0] = "MGET";
        for (i = 0; i < n; i++)
                argv[i + 1] = keys[i] = swb_budget_key(scopes[i], ids[i], now);
        err =
            swb_redis_cmd_argv(b->redis, &r, errstr, sizeof(errstr), n + 1, argv, NULL);
        swb__result(b, err, "MGET", errstr, corr);
        for (i = 0; !err && r->type == REDIS_REPLY_ARRAY && (size_t)i < r->elements;
             i++) {
                const redisReply *e = r->element[i];
                if (e->type == REDIS_REPLY_STRING &&
                    strtod(e->str, NULL) >= b->limit[scopes[i]]) {
                        found = scopes[i];
                        break;
                }
        }
        if (r)
                freeReplyObject(r);
        for (i = 0; i < n; i++)
                swb_free(keys[i]);
        if (found) {
                swb_metric_inc1(b->m_exceeded, swb_budget_scope_name(found), 1);
                SWB_INFO(corr,
                         "%s budget of %.6g USD is spent: the model is not called",
                         swb_budget_scope_name(found), b->limit[found]);
        }
        return found;
}

void swb_budget_add(swb_budget_t *b, const char *user_id, const char *tenant_id,
                    double usd, time_t now, const swb_corr_t *corr)
{
        swb_budget_scope_t scopes[SWB_BUDGET__CNT];
        const char *ids[SWB_BUDGET__CNT], *args[2 * SWB_BUDGET__CNT][3];
        const char **argvs[2 * SWB_BUDGET__CNT];
        int argcs[2 * SWB_BUDGET__CNT];
        char *keys[SWB_BUDGET__CNT], amount[32], ttl[SWB_BUDGET__CNT][24],
            errstr[256] = "";
        int i, n;
        swb_err_t err;

        if (!b || !b->enabled || !(usd > 0))
                return;
        if (!(n = swb__scopes(b, user_id, tenant_id, scopes, ids)))
                return;
        if (!b->redis) {
                swb__result(b, SWB_ERR_CONFIG, "INCRBYFLOAT", "redis.url is not set",
                            corr);
                return;
        }
        snprintf(amount, sizeof(amount), "%.12g", usd);
        for (i = 0; i < n; i++) {
                char label[16];
                long left = swb__period(scopes[i], now, label, sizeof(label));
                keys[i] = swb_budget_key(scopes[i], ids[i], now);
                snprintf(ttl[i], sizeof(ttl[i]), "%ld", left + SWB__BUDGET_SLACK_S);
                args[2 * i][0] = "INCRBYFLOAT";
                args[2 * i][1] = keys[i];
                args[2 * i][2] = amount;
                args[2 * i + 1][0] = "EXPIRE";
                args[2 * i + 1][1] = keys[i];
                args[2 * i + 1][2] = ttl[i];
                argvs[2 * i] = args[2 * i];
                argvs[2 * i + 1] = args[2 * i + 1];
                argcs[2 * i] = argcs[2 * i + 1] = 3;
        }
        err = swb_redis_pipeline(b->redis, 2 * n, argcs, argvs, errstr, sizeof(errstr));
        swb__result(b, err, "INCRBYFLOAT", errstr, corr);
        for (i = 0; i < n; i++)
                swb_free(keys[i]);
}
