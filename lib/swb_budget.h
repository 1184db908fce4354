/*
 * swb_budget - model spend budgets per user and per tenant, daily and
 * monthly, in Redis counters shared by every agent instance:
 *
 *   swb:b:user:<user_id>:d:<yyyymmdd>       USD spent by the user that UTC day
 *   swb:b:user:<user_id>:m:<yyyymm>         ... that UTC month
 *   swb:b:tenant:<tenant_id>:d:<yyyymmdd>   ... by every user of the tenant
 *   swb:b:tenant:<tenant_id>:m:<yyyymm>
 *
 * Each counter grows by INCRBYFLOAT with the cost of every model call (USD at
 * llm.pricing, from swb_usage) and expires a day after its period could have
 * ended. Limits: budget.user.daily.usd, budget.user.monthly.usd,
 * budget.tenant.daily.usd, budget.tenant.monthly.usd (0 = unlimited; only
 * limited scopes are read and written). A scope is past its budget when its
 * counter has reached the limit: the next model call is refused (the agent
 * answers with swb_budget_message()) and swb_budget_exceeded_total{scope}
 * counts it (scope: user_daily, user_monthly, tenant_daily, tenant_monthly).
 *
 * Redis down or unset: budgets cannot be checked, so calls are allowed; one
 * log line per outage, and swb_cache_requests_total{cache="budget",
 * result="error"} counts each failed round trip (result="ok" the good ones).
 * Cost: one MGET per check, one pipelined round trip per accounted call.
 *
 * Threading: not thread-safe; one per poll thread (it owns its connection).
 */
#ifndef SWB_BUDGET_H
#define SWB_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "swb_config.h"
#include "swb_err.h"
#include "swb_log.h"

typedef struct swb_budget_s swb_budget_t;

/** What a check found: within every budget, or the first budget spent. */
typedef enum swb_budget_scope {
        SWB_BUDGET_OK = 0,
        SWB_BUDGET_USER_DAILY,
        SWB_BUDGET_USER_MONTHLY,
        SWB_BUDGET_TENANT_DAILY,
        SWB_BUDGET_TENANT_MONTHLY,
        SWB_BUDGET__CNT
} swb_budget_scope_t;

/**
 * @returns a new budget keeper (Redis may be down: it reconnects lazily;
 *          with no limit set it does no I/O at all), or NULL with errstr
 *          filled for a malformed redis.url.
 */
swb_budget_t *swb_budget_new(const swb_config_t *cfg, char *errstr, size_t errstr_size);
void swb_budget_destroy(swb_budget_t *b);

/** @returns true when at least one limit is set. */
bool swb_budget_enabled(const swb_budget_t *b);

/**
 * May `user_id` / `tenant_id` (either may be NULL or "": that scope is not
 * checked) call the model at time `now`? `corr` (may be NULL) goes on log lines.
 * @returns SWB_BUDGET_OK (also when Redis cannot be asked), or the first
 *          scope whose budget is spent (counted in swb_budget_exceeded_total).
 */
swb_budget_scope_t swb_budget_check(swb_budget_t *b, const char *user_id,
                                    const char *tenant_id, time_t now,
                                    const swb_corr_t *corr);

/**
 * Add `usd` (> 0; otherwise nothing happens) to the counters of the limited
 * scopes for time `now`. Best effort: a Redis error is counted and logged once.
 */
void swb_budget_add(swb_budget_t *b, const char *user_id, const char *tenant_id,
                    double usd, time_t now, const swb_corr_t *corr);

/** "user_daily", "user_monthly", "tenant_daily", "tenant_monthly" ("ok" for
 * SWB_BUDGET_OK). */
const char *swb_budget_scope_name(swb_budget_scope_t scope);
/** "user" or "tenant". */
const char *swb_budget_scope_who(swb_budget_scope_t scope);
/** "daily" or "monthly". */
const char *swb_budget_scope_period(swb_budget_scope_t scope);

/** The answer a refused user gets, in Indonesian for an "id*" locale, else English. */
const char *swb_budget_message(swb_budget_scope_t scope, const char *locale);

/**
 * The Redis key of `scope` for `id` at `now` (see the top of this file).
 * @returns a new string (swb_free()).
 */
char *swb_budget_key(swb_budget_scope_t scope, const char *id, time_t now);

#endif
