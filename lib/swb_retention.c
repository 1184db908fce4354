#include "swb_retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"

#define SWB__RET_BATCH     5000
#define SWB__RET_BUDGET_MS 200
#define SWB__RET_EVERY_MS  (3600 * 1000)
#define SWB__RET_AGAIN_MS  (60 * 1000)

const struct swb_retention_rule swb_retention_agent_rules[] = {
    {"swb_inbox", "created_at", "agent"},
    {"tool_results", "created_at", NULL},
    {NULL, NULL, NULL},
};

const struct swb_retention_rule swb_retention_analytics_rules[] = {
    {"analytics_processed_events", "processed_at", NULL},
    {"analytics_requests", "updated_at", NULL},
    {"analytics_pending_received", "hour", NULL},
    {NULL, NULL, NULL},
};

struct swb_retention_s {
        const swb_config_t *cfg;
        const struct swb_retention_rule *rules;
        int n;
        char *filter;
        int64_t next_ms;
};

swb_retention_t *swb_retention_new(const swb_config_t *cfg,
                                   const struct swb_retention_rule *rules,
                                   const char *filter)
{
        swb_retention_t *r = swb_calloc(1, sizeof(*r));
        r->cfg = cfg;
        r->rules = rules;
        while (rules[r->n].table)
                r->n++;
        r->filter = filter ? swb_strdup(filter) : NULL;
        r->next_ms = swb_mono_ms() + SWB__RET_AGAIN_MS;
        return r;
}

void swb_retention_destroy(swb_retention_t *r)
{
        if (!r)
                return;
        swb_free(r->filter);
        swb_free(r);
}

long swb_retention_prune(swb_pg_t *pg, const struct swb_retention_rule *rule,
                         const char *filter, int hours, int batch, char *errstr,
                         size_t errstr_size)
{
        char sql[768], h[16], b[16];
        const char *params[3] = {h, b, filter};
        PGresult *res = NULL;
        long n;
        /* names come from the caller's static rules, never from input */
        snprintf(
            sql, sizeof(sql),
            "DELETE FROM %s WHERE ctid IN (SELECT ctid FROM %s WHERE %s < now() - "
            "make_interval(hours => $1::int)%s%s%s LIMIT $2::int FOR UPDATE SKIP "
            "LOCKED)",
            rule->table, rule->table, rule->time_col, rule->filter_col ? " AND " : "",
            rule->filter_col ? rule->filter_col : "", rule->filter_col ? " = $3" : "");
        snprintf(h, sizeof(h), "%d", hours);
        snprintf(b, sizeof(b), "%d", batch);
        if (swb_pg_exec(pg, sql, rule->filter_col ? 3 : 2, params, &res, errstr,
                        errstr_size))
                return -1;
        n = atol(PQcmdTuples(res));
        PQclear(res);
        return n;
}

long swb_retention_run(swb_retention_t *r, swb_pg_t *pg)
{
        int64_t t0 = swb_mono_ms(), deadline = t0 + SWB__RET_BUDGET_MS;
        long total = 0;
        bool done = true;
        char errstr[512];

        if (!pg || t0 < r->next_ms)
                return 0;
        for (int i = 0; i < r->n && done; i++) {
                for (;;) {
                        long n = swb_retention_prune(
                            pg, &r->rules[i], r->filter, r->cfg->dedup_retention_hours,
                            SWB__RET_BATCH, errstr, sizeof(errstr));
                        if (n < 0) {
                                SWB_WARN(NULL, "pruning %s: %s (again in a minute)",
                                         r->rules[i].table, errstr);
                                done = false;
                                break;
                        }
                        total += n;
                        if (n < SWB__RET_BATCH)
                                break;
                        if (swb_mono_ms() >= deadline) {
                                done = false; /* more to do: soon, not now */
                                break;
                        }
                }
        }
        r->next_ms = swb_mono_ms() + (done ? SWB__RET_EVERY_MS : SWB__RET_AGAIN_MS);
        if (total)
                SWB_INFO(
                    NULL,
                    "deleted %ld deduplication record(s) older than %d h in %lld ms",
                    total, r->cfg->dedup_retention_hours,
                    (long long)(swb_mono_ms() - t0));
        return total;
}
