/*
 * swb_analytics - counting AuditEvents into PostgreSQL (see swb_analytics.h
 * and infra/sql/010_analytics.sql).
 *
 * How each event counts, in one transaction:
 *   1. its event_id goes into analytics_processed_events; if it was there,
 *      nothing else happens (a replay);
 *   2. its request's row in analytics_requests is created or updated: the
 *      intent (and domain) of a `classified` event, the earliest event time;
 *   3. `received` adds a request to (agent, intent, hour). A `received` seen
 *      before its request's `classified` (the supervisor's own, always) waits
 *      in analytics_pending_received and is counted (event and request), under
 *      the intent, when the `classified` event comes;
 *   4. every event adds to (agent, intent, hour): events, tokens, cost; by
 *      stage: replied_<status>, failed, dead_lettered, tool_calls,
 *      model_calls; `replied` also adds a latency sample (duration_ms, or the
 *      time since the request's first event) to analytics_latency;
 *   5. an event with a user_id adds to (day, tenant, user): events, tokens,
 *      spend; `replied` a request; a `tool_called` that made a booking
 *      (details.tool "book..." and a successful details.outcome) a booking.
 * Events of requests never classified (rejected, dead-lettered) count under
 * intent "unknown"; an agent's events that overtake their `classified` event
 * (it comes from another process) do as well.
 * Tokens and cost are summed over every stage: a worker reports each LLM
 * call's usage once, on the event of that call.
 */
#include "swb_analytics.h"
#include "swb_analytics_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_retention.h"

#define SWB_ANALYTICS_BACKOFF_MIN_MS 100
#define SWB_ANALYTICS_BACKOFF_MAX_MS 5000

/* An event waiting for PostgreSQL; its job is deferred. */
struct swb__pending {
        swb_job_t *job;
        json_t *event;
        struct swb__pending *next;
};

struct swb_analytics_s {
        char *pg_url;
        swb_pg_t *pg;
        swb_worker_t *worker;
        atomic_bool pg_ok;
        char why[512];    /* last PostgreSQL failure (poll thread) */
        char sqlstate[6]; /* of the last failed statement */
        struct swb__pending *head, *tail;
        size_t pending_cnt;
        int64_t retry_at_ms; /* monotonic */
        int backoff_ms;
        swb_retention_t *retention; /* NULL until swb_analytics_set_retention */
        swb_metric_t *m_events, *m_dups, *m_pending, *m_errors, *m_apply, *m_last;
};

/* Deltas of analytics_hourly, in the column order of swb__sql_hourly. */
enum {
        H_REQUESTS,
        H_OK,
        H_ERROR,
        H_REJECTED,
        H_OOS,
        H_OTHER,
        H_FAILED,
        H_DLQ,
        H_TOOLS,
        H_MODELS,
        H_LAT_COUNT,
        H_LAT_SUM,
        H__CNT
};

/* ------------------------------------------------------------- lifecycle */

static double swb__mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static swb_err_t swb__connect(swb_analytics_t *a, char *errstr, size_t errstr_size)
{
        char perr[512];
        swb_err_t err;

        if (a->pg)
                return SWB_OK;
        if (!(a->pg = swb_pg_new(a->pg_url, perr, sizeof(perr))))
                return swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT, "%s", perr);
        /* (Hours and days are computed from epoch ms, in UTC, whatever the
         * session's TimeZone: nothing to set here that a reconnect would lose.) */
        err = swb_pg_exec(a->pg, "SELECT 1 FROM analytics_processed_events LIMIT 0", 0,
                          NULL, NULL, perr, sizeof(perr));
        if (err) {
                snprintf(a->sqlstate, sizeof(a->sqlstate), "%s",
                         swb_pg_sqlstate(a->pg));
                swb_pg_destroy(a->pg);
                a->pg = NULL;
                if (!strcmp(a->sqlstate, "42P01"))
                        return swb_seterr(errstr, errstr_size, SWB_ERR_PG,
                                          "the analytics tables are missing: apply "
                                          "infra/sql/010_analytics.sql (%s)",
                                          perr);
                return swb_seterr(errstr, errstr_size, err, "%s", perr);
        }
        return SWB_OK;
}

swb_analytics_t *swb_analytics_new(const char *pg_url, swb_metrics_t *metrics,
                                   char *errstr, size_t errstr_size)
{
        static const char *const stage_label[] = {"stage", NULL};
        static const char *const retriable_label[] = {"retriable", NULL};
        static const double apply_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025,  0.05,  0.1,    0.25,  1};
        swb_analytics_t *a = swb_calloc(1, sizeof(*a));
        char perr[512];
        swb_err_t err;

        a->backoff_ms = SWB_ANALYTICS_BACKOFF_MIN_MS;
        if (!pg_url || !*pg_url) {
                swb_seterr(
                    errstr, errstr_size, SWB_ERR_CONFIG,
                    "pg.url (SWB_PG_URL) is empty: swb-analytics needs PostgreSQL");
                goto fail;
        }
        a->pg_url = swb_strdup(pg_url);
        if (metrics) {
                a->m_events =
                    swb_metrics_counter(metrics, "swb_analytics_events_total",
                                        "Audit events counted, by stage.", stage_label);
                a->m_dups = swb_metrics_counter(
                    metrics, "swb_analytics_duplicate_events_total",
                    "Audit events skipped because they had been counted (replays).",
                    stage_label);
                a->m_pending = swb_metrics_gauge(
                    metrics, "swb_analytics_pending_events",
                    "Audit events waiting for PostgreSQL to come back.", NULL);
                a->m_errors = swb_metrics_counter(
                    metrics, "swb_analytics_pg_errors_total",
                    "Failed aggregate transactions.", retriable_label);
                a->m_apply = swb_metrics_histogram(
                    metrics, "swb_analytics_apply_duration_seconds",
                    "Time to count one audit event (one transaction).", NULL,
                    apply_bounds, SWB_ARRAY_LEN(apply_bounds));
                a->m_last = swb_metrics_gauge(
                    metrics, "swb_analytics_last_event_timestamp_seconds",
                    "created_at of the last audit event counted (freshness).", NULL);
                swb_metric_set0(a->m_pending, 0);
        }
        err = swb__connect(a, perr, sizeof(perr));
        if (err == SWB_ERR_PG && !strcmp(a->sqlstate, "42P01")) {
                swb_seterr(errstr, errstr_size, err, "%s", perr);
                goto fail;
        }
        if (err) {
                SWB_WARN(NULL, "PostgreSQL not available yet (%s); events wait for it",
                         perr);
                snprintf(a->why, sizeof(a->why), "%s", perr);
        }
        atomic_store(&a->pg_ok, err == SWB_OK);
        return a;
fail:
        swb_analytics_destroy(a);
        return NULL;
}

void swb_analytics_destroy(swb_analytics_t *a)
{
        struct swb__pending *p, *next;
        if (!a)
                return;
        for (p = a->head; p; p = next) {
                next = p->next;
                json_decref(p->event);
                swb_free(p);
        }
        swb_retention_destroy(a->retention);
        swb_pg_destroy(a->pg);
        swb_free(a->pg_url);
        swb_free(a);
}

/* ------------------------------------------------------------- counting */

static swb_err_t swb__exec(swb_analytics_t *a, const char *sql, int n,
                           const char *const *p, PGresult **res, char *errstr,
                           size_t errstr_size)
{
        swb_err_t err = swb_pg_exec(a->pg, sql, n, p, res, errstr, errstr_size);
        if (err)
                snprintf(a->sqlstate, sizeof(a->sqlstate), "%s",
                         swb_pg_sqlstate(a->pg));
        return err;
}

static const char swb__sql_processed[] =
    "INSERT INTO analytics_processed_events (event_id, request_id, stage) "
    "VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING 1";

static const char swb__sql_request[] =
    "INSERT INTO analytics_requests AS r "
    "(request_id, tenant_id, user_id, intent, domain, first_at) "
    "VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint / 1000.0)) "
    "ON CONFLICT (request_id) DO UPDATE SET "
    "intent = COALESCE(EXCLUDED.intent, r.intent), "
    "domain = COALESCE(EXCLUDED.domain, r.domain), "
    "user_id = CASE WHEN r.user_id = '' THEN EXCLUDED.user_id ELSE r.user_id END, "
    "first_at = LEAST(r.first_at, EXCLUDED.first_at), updated_at = now() "
    "RETURNING intent, round(extract(epoch FROM first_at) * 1000)::bigint, (xmax = 0)";

static const char swb__sql_pending_add[] =
    "INSERT INTO analytics_pending_received AS p (request_id, agent, hour) "
    "VALUES ($1, $2, to_timestamp($3::bigint / 1000.0)) "
    "ON CONFLICT (request_id, agent, hour) DO UPDATE SET n = p.n + 1";

static const char swb__sql_pending_move[] =
    "WITH moved AS (DELETE FROM analytics_pending_received WHERE request_id = $1 "
    "RETURNING agent, hour, n) "
    "INSERT INTO analytics_hourly AS h (hour, agent, intent, events, requests) "
    "SELECT hour, agent, $2, sum(n), sum(n) FROM moved GROUP BY hour, agent "
    "ON CONFLICT (hour, agent, intent) DO UPDATE SET events = h.events + "
    "EXCLUDED.events, requests = h.requests + EXCLUDED.requests";

static const char swb__sql_hourly[] =
    "INSERT INTO analytics_hourly AS h (hour, agent, intent, events, requests, "
    "replied_ok, "
    "replied_error, replied_rejected, replied_out_of_scope, replied_other, failed, "
    "dead_lettered, tool_calls, model_calls, latency_count, latency_sum_ms, tokens_in, "
    "tokens_out, cost_usd) "
    "VALUES (to_timestamp($1::bigint / 1000.0), $2, $3, 1, $4, $5, $6, $7, $8, $9, "
    "$10, $11, "
    "$12, $13, $14, $15, $16, $17, $18) "
    "ON CONFLICT (hour, agent, intent) DO UPDATE SET "
    "events = h.events + 1, "
    "requests = h.requests + EXCLUDED.requests, "
    "replied_ok = h.replied_ok + EXCLUDED.replied_ok, "
    "replied_error = h.replied_error + EXCLUDED.replied_error, "
    "replied_rejected = h.replied_rejected + EXCLUDED.replied_rejected, "
    "replied_out_of_scope = h.replied_out_of_scope + EXCLUDED.replied_out_of_scope, "
    "replied_other = h.replied_other + EXCLUDED.replied_other, "
    "failed = h.failed + EXCLUDED.failed, "
    "dead_lettered = h.dead_lettered + EXCLUDED.dead_lettered, "
    "tool_calls = h.tool_calls + EXCLUDED.tool_calls, "
    "model_calls = h.model_calls + EXCLUDED.model_calls, "
    "latency_count = h.latency_count + EXCLUDED.latency_count, "
    "latency_sum_ms = h.latency_sum_ms + EXCLUDED.latency_sum_ms, "
    "tokens_in = h.tokens_in + EXCLUDED.tokens_in, "
    "tokens_out = h.tokens_out + EXCLUDED.tokens_out, "
    "cost_usd = h.cost_usd + EXCLUDED.cost_usd";

static const char swb__sql_latency[] =
    "INSERT INTO analytics_latency AS h (hour, agent, intent, le_ms, count) "
    "VALUES (to_timestamp($1::bigint / 1000.0), $2, $3, $4::float8, 1) "
    "ON CONFLICT (hour, agent, intent, le_ms) DO UPDATE SET count = h.count + 1";

static const char swb__sql_user[] =
    "INSERT INTO analytics_user_daily AS u (day, tenant_id, user_id, events, requests, "
    "bookings, tokens_in, tokens_out, cost_usd) "
    "VALUES ((to_timestamp($1::bigint / 1000.0) AT TIME ZONE 'UTC')::date, $2, $3, 1, "
    "$4, "
    "$5, $6, $7, $8) "
    "ON CONFLICT (day, tenant_id, user_id) DO UPDATE SET "
    "events = u.events + 1, "
    "requests = u.requests + EXCLUDED.requests, "
    "bookings = u.bookings + EXCLUDED.bookings, "
    "tokens_in = u.tokens_in + EXCLUDED.tokens_in, "
    "tokens_out = u.tokens_out + EXCLUDED.tokens_out, "
    "cost_usd = u.cost_usd + EXCLUDED.cost_usd";

/* Steps 2-5 of the comment at the top; inside the transaction. */
static swb_err_t swb__count(swb_analytics_t *a, const struct swb__ev *ev, char *errstr,
                            size_t errstr_size)
{
        const bool classified = !strcmp(ev->stage, "classified");
        const bool replied = !strcmp(ev->stage, "replied");
        const char *cls_intent =
            classified ? swb__analytics_str(ev->details, "intent", NULL) : NULL;
        char *intent = NULL, num[H__CNT][24], le_s[32];
        int64_t d[H__CNT] = {0}, first_at = 0, latency = -1;
        bool created = false, booking = false;
        PGresult *res = NULL;
        swb_err_t err = SWB_OK;
        int i;

        if (*ev->request_id) {
                const char *p[] = {
                    ev->request_id,
                    ev->tenant_id,
                    ev->user_id,
                    cls_intent,
                    classified ? swb__analytics_str(ev->details, "domain", NULL) : NULL,
                    ev->created_s};
                if ((err = swb__exec(a, swb__sql_request, 6, p, &res, errstr,
                                     errstr_size)))
                        return err;
                if (!PQgetisnull(res, 0, 0))
                        intent = swb_strdup(PQgetvalue(res, 0, 0));
                first_at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
                created = !strcmp(PQgetvalue(res, 0, 2), "t");
                PQclear(res);
        }

        if (!strcmp(ev->stage, "received")) {
                if (!intent && *ev->request_id && !ev->tokens_in && !ev->tokens_out &&
                    ev->cost == 0) {
                        /* the event and its request count when the intent is known */
                        const char *p[] = {ev->request_id, ev->agent, ev->hour_s};
                        err = swb__exec(a, swb__sql_pending_add, 3, p, NULL, errstr,
                                        errstr_size);
                        goto user;
                }
                d[H_REQUESTS] = 1;
        } else if (classified && *ev->request_id) {
                const char *p[] = {ev->request_id, intent ? intent : "unknown"};
                if ((err = swb__exec(a, swb__sql_pending_move, 2, p, NULL, errstr,
                                     errstr_size)))
                        goto out;
        } else if (replied) {
                static const char *const ok[] = {"ok", "success", NULL};
                static const char *const error[] = {"error", "failed", "timeout", NULL};
                const char *status = swb__analytics_str(ev->details, "status", "");
                if (swb__analytics_ieq_any(status, ok))
                        d[H_OK] = 1;
                else if (swb__analytics_ieq_any(status, error))
                        d[H_ERROR] = 1;
                else if (!strcasecmp(status, "rejected"))
                        d[H_REJECTED] = 1;
                else if (!strcasecmp(status, "out_of_scope"))
                        d[H_OOS] = 1;
                else
                        d[H_OTHER] = 1;
                if (ev->duration_ms > 0)
                        latency = ev->duration_ms;
                else if (!created && first_at > 0 && ev->created_at >= first_at)
                        latency = ev->created_at - first_at;
                if (latency >= 0) {
                        d[H_LAT_COUNT] = 1;
                        d[H_LAT_SUM] = latency;
                }
        } else if (!strcmp(ev->stage, "failed")) {
                d[H_FAILED] = 1;
        } else if (!strcmp(ev->stage, "dead_lettered")) {
                d[H_DLQ] = 1;
        } else if (!strcmp(ev->stage, "tool_called")) {
                d[H_TOOLS] = 1;
                booking = swb__analytics_is_booking(ev->details);
        } else if (!strcmp(ev->stage, "model_called")) {
                d[H_MODELS] = 1;
        }

        for (i = 0; i < H__CNT; i++)
                snprintf(num[i], sizeof(num[i]), "%" PRId64, d[i]);
        {
                const char *p[18] = {ev->hour_s, ev->agent,
                                     intent ? intent : "unknown"};
                for (i = 0; i < H__CNT; i++)
                        p[3 + i] = num[i];
                p[15] = ev->tin_s;
                p[16] = ev->tout_s;
                p[17] = ev->cost_s;
                if ((err = swb__exec(a, swb__sql_hourly, 18, p, NULL, errstr,
                                     errstr_size)))
                        goto out;
        }
        if (latency >= 0) {
                const char *p[] = {ev->hour_s, ev->agent, intent ? intent : "unknown",
                                   le_s};
                double le = swb_analytics_latency_le(latency);
                if (isinf(le))
                        snprintf(le_s, sizeof(le_s), "Infinity");
                else
                        snprintf(le_s, sizeof(le_s), "%.0f", le);
                if ((err = swb__exec(a, swb__sql_latency, 4, p, NULL, errstr,
                                     errstr_size)))
                        goto out;
        }
user:
        if (!err && *ev->user_id) {
                const char *p[] = {ev->created_s,       ev->tenant_id,
                                   ev->user_id,         replied ? "1" : "0",
                                   booking ? "1" : "0", ev->tin_s,
                                   ev->tout_s,          ev->cost_s};
                err = swb__exec(a, swb__sql_user, 8, p, NULL, errstr, errstr_size);
        }
out:
        swb_free(intent);
        return err;
}

swb_err_t swb_analytics_apply(swb_analytics_t *a, const json_t *event, bool *counted,
                              char *errstr, size_t errstr_size)
{
        struct swb__ev ev;
        PGresult *res = NULL;
        double t0 = swb__mono_s();
        bool fresh = false;
        swb_err_t err;

        if (counted)
                *counted = false;
        a->sqlstate[0] = '\0';
        swb__analytics_ev_parse(event, &ev);
        if (!*ev.event_id || !*ev.stage)
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "audit event without event_id or stage");
        if ((err = swb__connect(a, errstr, errstr_size)))
                goto fail;
        if ((err = swb_pg_begin(a->pg, errstr, errstr_size)))
                goto fail;
        {
                const char *p[] = {ev.event_id, ev.request_id, ev.stage};
                err = swb__exec(a, swb__sql_processed, 3, p, &res, errstr, errstr_size);
        }
        if (!err) {
                fresh = PQntuples(res) == 1;
                PQclear(res);
                if (fresh)
                        err = swb__count(a, &ev, errstr, errstr_size);
        }
        if (!err)
                err = swb_pg_commit(a->pg, errstr, errstr_size);
        if (err) {
                swb_pg_rollback(a->pg, NULL, 0);
                goto fail;
        }
        atomic_store(&a->pg_ok, true);
        swb_metric_observe0(a->m_apply, swb__mono_s() - t0);
        if (fresh) {
                swb_metric_inc1(a->m_events, ev.stage, 1);
                swb_metric_set0(a->m_last, (double)ev.created_at / 1000.0);
        } else {
                swb_metric_inc1(a->m_dups, ev.stage, 1);
        }
        if (counted)
                *counted = fresh;
        return SWB_OK;
fail:
        swb_metric_inc1(a->m_errors, swb_err_is_retriable(err) ? "true" : "false", 1);
        return err;
}

/* ------------------------------------------------------------- the worker */

/* Wait and retry, rather than dead-letter: PostgreSQL unreachable or busy, or
 * a statement error that is not about this event's data (a missing table is
 * a deployment to fix, and must not turn the audit topic into dead letters). */
static bool swb__should_wait(const swb_analytics_t *a, swb_err_t err)
{
        if (swb_err_is_retriable(err))
                return true;
        return err == SWB_ERR_PG && strncmp(a->sqlstate, "22", 2) &&
               strncmp(a->sqlstate, "23", 2);
}

static void swb__waiting(swb_analytics_t *a, const char *why)
{
        if (atomic_load(&a->pg_ok) || strcmp(a->why, why))
                SWB_WARN(NULL, "PostgreSQL: %s; %zu event(s) wait, retrying", why,
                         a->pending_cnt + 1);
        snprintf(a->why, sizeof(a->why), "%s", why);
        atomic_store(&a->pg_ok, false);
        a->retry_at_ms = swb_mono_ms() + a->backoff_ms;
        a->backoff_ms = a->backoff_ms * 2 > SWB_ANALYTICS_BACKOFF_MAX_MS
                            ? SWB_ANALYTICS_BACKOFF_MAX_MS
                            : a->backoff_ms * 2;
}

static bool swb__check_pg(void *opaque, char *why, size_t why_size)
{
        swb_analytics_t *a = opaque;
        if (atomic_load(&a->pg_ok))
                return true;
        snprintf(why, why_size, "PostgreSQL unavailable; events wait");
        return false;
}

void swb_analytics_set_worker(swb_analytics_t *a, swb_worker_t *w)
{
        a->worker = w;
        swb_http_add_check(swb_worker_http(w), "postgres", swb__check_pg, a);
}

size_t swb_analytics_pending(const swb_analytics_t *a)
{
        return a->pending_cnt;
}

swb_err_t swb_analytics_handle(void *opaque, swb_job_t *job,
                               const rd_kafka_message_t *msg, char *errstr,
                               size_t errstr_size)
{
        swb_analytics_t *a = opaque;
        struct swb__pending *p;
        json_t *event = NULL;
        swb_err_t err;

        err =
            swb_codec_decode(swb_worker_codec(a->worker), SWB_MSG_AUDIT_EVENT,
                             msg->payload, msg->len, NULL, &event, errstr, errstr_size);
        if (err)
                return err;
        /* Behind events already waiting: wait too, in order. */
        if (!a->head) {
                err = swb_analytics_apply(a, event, NULL, errstr, errstr_size);
                if (!err || !swb__should_wait(a, err)) {
                        json_decref(event);
                        return err;
                }
                swb__waiting(a, errstr);
        }
        p = swb_calloc(1, sizeof(*p));
        p->job = job;
        p->event = event;
        if (a->tail)
                a->tail->next = p;
        else
                a->head = p;
        a->tail = p;
        a->pending_cnt++;
        swb_metric_set0(a->m_pending, (double)a->pending_cnt);
        swb_job_defer(job);
        return SWB_OK;
}

void swb_analytics_set_retention(swb_analytics_t *a, const swb_config_t *cfg)
{
        swb_retention_destroy(a->retention);
        a->retention = swb_retention_new(cfg, swb_retention_analytics_rules, NULL);
}

void swb_analytics_poll(void *opaque, int timeout_ms)
{
        swb_analytics_t *a = opaque;
        int64_t now = swb_mono_ms();
        char errstr[512];

        if (a->retention && !a->head && atomic_load(&a->pg_ok))
                swb_retention_run(a->retention, a->pg);
        if (!a->head)
                return;
        if (now < a->retry_at_ms) {
                int64_t wait = a->retry_at_ms - now;
                if (timeout_ms > 0)
                        poll(NULL, 0, (int)(wait < timeout_ms ? wait : timeout_ms));
                return;
        }
        while (a->head) {
                struct swb__pending *p = a->head;
                swb_err_t err;
                errstr[0] = '\0';
                err = swb_analytics_apply(a, p->event, NULL, errstr, sizeof(errstr));
                if (err && swb__should_wait(a, err)) {
                        swb__waiting(a, errstr);
                        return;
                }
                if (a->backoff_ms != SWB_ANALYTICS_BACKOFF_MIN_MS && !err)
                        SWB_INFO(NULL,
                                 "PostgreSQL is back; counting %zu waiting event(s)",
                                 a->pending_cnt);
                a->backoff_ms = SWB_ANALYTICS_BACKOFF_MIN_MS;
                a->head = p->next;
                if (!a->head)
                        a->tail = NULL;
                a->pending_cnt--;
                swb_metric_set0(a->m_pending, (double)a->pending_cnt);
                json_decref(p->event);
                swb_job_complete(p->job, err, err ? errstr : NULL);
                swb_free(p);
        }
}
