#include "swb_analytics_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "swb_analytics.h"
#include "swb_id.h"
#include "swb_mem.h"
#include "swb_pg.h"

double swb_analytics_report_percentile(const double *le, const int64_t *cnt, size_t n,
                                       double q)
{
        int64_t total = 0, cum = 0;
        double rank, lower = 0;
        size_t i;

        for (i = 0; i < n; i++)
                total += cnt[i] > 0 ? cnt[i] : 0;
        if (!total)
                return NAN;
        rank = q * (double)total;
        for (i = 0; i < n; i++) {
                int64_t c = cnt[i] > 0 ? cnt[i] : 0;
                if (c && (double)(cum + c) >= rank) {
                        if (isinf(le[i]))
                                return lower;
                        return lower +
                               (le[i] - lower) * ((rank - (double)cum) / (double)c);
                }
                cum += c;
                if (!isinf(le[i]))
                        lower = le[i];
        }
        return lower;
}

/* One window of the report: from the start of the hour `back` before now. */
static swb_err_t swb__report_window(swb_pg_t *pg, FILE *fp, const char *now_s,
                                    const char *title, const char *back, bool users,
                                    char *errstr, size_t errstr_size)
{
        static const char sql_start[] =
            "SELECT to_char(date_trunc('hour', to_timestamp($1::bigint / 1000.0) - "
            "$2::interval), 'YYYY-MM-DD HH24:MI'), "
            "to_char(to_timestamp($1::bigint / 1000.0) - $2::interval, 'YYYY-MM-DD')";
        static const char sql_agents[] =
            "SELECT agent, sum(requests), sum(replied_ok), sum(replied_error), "
            "sum(replied_rejected), sum(replied_out_of_scope), sum(replied_other), "
            "sum(failed), sum(dead_lettered), sum(tokens_in), sum(tokens_out), "
            "sum(cost_usd)::float8, sum(events) FROM analytics_hourly "
            "WHERE hour >= date_trunc('hour', to_timestamp($1::bigint / 1000.0) - "
            "$2::interval) GROUP BY agent ORDER BY sum(requests) DESC, agent";
        static const char sql_latency[] =
            "SELECT agent, le_ms, sum(count) FROM analytics_latency "
            "WHERE hour >= date_trunc('hour', to_timestamp($1::bigint / 1000.0) - "
            "$2::interval) GROUP BY agent, le_ms ORDER BY agent, le_ms";
        static const char sql_users[] =
            "SELECT tenant_id, user_id, sum(requests), sum(bookings), "
            "sum(tokens_in + tokens_out), sum(cost_usd)::float8 FROM "
            "analytics_user_daily "
            "WHERE day >= (to_timestamp($1::bigint / 1000.0) - $2::interval)::date "
            "GROUP BY tenant_id, user_id ORDER BY 6 DESC, 3 DESC, 2 LIMIT 10";
        const char *p[] = {now_s, back};
        PGresult *start = NULL, *ag = NULL, *lat = NULL, *us = NULL;
        long long tot[12] = {0};
        double tot_cost = 0;
        swb_err_t err;
        int i, j, n;

        if ((err = swb_pg_exec(pg, sql_start, 2, p, &start, errstr, errstr_size)) ||
            (err = swb_pg_exec(pg, sql_agents, 2, p, &ag, errstr, errstr_size)) ||
            (err = swb_pg_exec(pg, sql_latency, 2, p, &lat, errstr, errstr_size)) ||
            (users &&
             (err = swb_pg_exec(pg, sql_users, 2, p, &us, errstr, errstr_size))))
                goto out;

        fprintf(fp, "== %s (hours since %s UTC) ==\n", title, PQgetvalue(start, 0, 0));
        n = PQntuples(ag);
        if (!n) {
                fprintf(fp, "no audit events in this window\n\n");
                goto out;
        }
        fprintf(fp, "%-24s %8s %7s %6s %8s %6s %6s %5s %8s %8s %8s %10s %10s %10s\n",
                "agent", "requests", "ok", "error", "rejected", "oos", "failed", "dlq",
                "p50 ms", "p95 ms", "p99 ms", "tokens in", "tokens out", "cost USD");
        for (i = 0; i < n; i++) {
                const char *agent = PQgetvalue(ag, i, 0);
                double le[80], q[3];
                int64_t cnt[80];
                size_t m = 0;
                char qs[3][16];
                /* the stored (non-empty) buckets, with the empty ones between */
                for (j = 0; j < PQntuples(lat) && m + 2 <= SWB_ARRAY_LEN(le); j++) {
                        double b, lo;
                        if (strcmp(PQgetvalue(lat, j, 0), agent))
                                continue;
                        b = strtod(PQgetvalue(lat, j, 1), NULL);
                        lo = swb_analytics_latency_lower(b);
                        if (lo > (m ? le[m - 1] : 0)) {
                                le[m] = lo;
                                cnt[m++] = 0;
                        }
                        le[m] = b;
                        cnt[m++] = strtoll(PQgetvalue(lat, j, 2), NULL, 10);
                }
                q[0] = swb_analytics_report_percentile(le, cnt, m, 0.50);
                q[1] = swb_analytics_report_percentile(le, cnt, m, 0.95);
                q[2] = swb_analytics_report_percentile(le, cnt, m, 0.99);
                for (j = 0; j < 3; j++)
                        if (isnan(q[j]))
                                snprintf(qs[j], sizeof(qs[j]), "-");
                        else
                                snprintf(qs[j], sizeof(qs[j]), "%.0f", q[j]);
                for (j = 1; j <= 10; j++)
                        tot[j] += strtoll(PQgetvalue(ag, i, j), NULL, 10);
                tot_cost += strtod(PQgetvalue(ag, i, 11), NULL);
                fprintf(fp,
                        "%-24.24s %8s %7s %6s %8s %6s %6s %5s %8s %8s %8s %10s %10s "
                        "%10.4f\n",
                        agent, PQgetvalue(ag, i, 1), PQgetvalue(ag, i, 2),
                        PQgetvalue(ag, i, 3), PQgetvalue(ag, i, 4),
                        PQgetvalue(ag, i, 5), PQgetvalue(ag, i, 7),
                        PQgetvalue(ag, i, 8), qs[0], qs[1], qs[2], PQgetvalue(ag, i, 9),
                        PQgetvalue(ag, i, 10), strtod(PQgetvalue(ag, i, 11), NULL));
        }
        fprintf(
            fp,
            "%-24s %8s %7lld %6lld %8lld %6lld %6lld %5lld %8s %8s %8s %10lld %10lld "
            "%10.4f\n",
            "(all agents)", "", tot[2], tot[3], tot[4], tot[5], tot[7], tot[8], "", "",
            "", tot[9], tot[10], tot_cost);
        if (tot[6])
                fprintf(fp, "(%lld replies with another status)\n", tot[6]);
        if (users) {
                fprintf(fp, "\ntop users by spend (UTC days since %s)\n",
                        PQgetvalue(start, 0, 1));
                if (!PQntuples(us))
                        fprintf(fp, "  none\n");
                else
                        fprintf(fp, "  %-16s %-24s %8s %8s %10s %10s\n", "tenant",
                                "user", "requests", "bookings", "tokens", "cost USD");
                for (i = 0; i < PQntuples(us); i++)
                        fprintf(fp, "  %-16.16s %-24.24s %8s %8s %10s %10.4f\n",
                                PQgetvalue(us, i, 0), PQgetvalue(us, i, 1),
                                PQgetvalue(us, i, 2), PQgetvalue(us, i, 3),
                                PQgetvalue(us, i, 4),
                                strtod(PQgetvalue(us, i, 5), NULL));
        }
        fprintf(fp, "\n");
out:
        PQclear(start);
        PQclear(ag);
        PQclear(lat);
        PQclear(us);
        return err;
}

swb_err_t swb_analytics_report_print(const char *pg_url, FILE *fp, int64_t now_ms,
                                     char *errstr, size_t errstr_size)
{
        swb_pg_t *pg;
        char now_s[24], perr[512];
        swb_err_t err;

        if (!pg_url || !*pg_url)
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "pg.url (SWB_PG_URL) is empty");
        if (!(pg = swb_pg_new(pg_url, perr, sizeof(perr))))
                return swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT, "%s", perr);
        snprintf(now_s, sizeof(now_s), "%" PRId64, now_ms > 0 ? now_ms : swb_now_ms());
        err =
            swb_pg_exec(pg, "SET TIME ZONE 'UTC'", 0, NULL, NULL, errstr, errstr_size);
        if (!err)
                err = swb__report_window(pg, fp, now_s, "last hour", "1 hour", false,
                                         errstr, errstr_size);
        if (!err)
                err = swb__report_window(pg, fp, now_s, "last day", "24 hours", true,
                                         errstr, errstr_size);
        swb_pg_destroy(pg);
        return err;
}
