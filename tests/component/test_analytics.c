/*
 * component.analytics: lib/swb_analytics against the stack's PostgreSQL (and,
 * for the worker, its dev broker). AuditEvents are encoded and decoded with
 * swb_codec as on the wire, counted, checked against what was sent, replayed
 * (totals unchanged), and pushed through a real swb_worker whose PostgreSQL
 * connection is killed half-way. Every test uses agents, users and tenants
 * of its own, so the shared tables need no cleaning.
 */
#include "swb_test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "swb_analytics.h"
#include "swb_analytics_report.h"
#include "swb_codec.h"
#include "swb_config.h"
#include "swb_id.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_worker.h"

static struct {
        char *pg_url, *brokers;
        swb_codec_t *codec;
        swb_metrics_t *metrics;
        swb_analytics_t *a;
        swb_pg_t *pg; /* the test's own connection, for checks */
} T;

/* Sums of analytics_hourly. */
struct hourly {
        long long events, requests, ok, error, rejected, oos, other, failed, dlq, tools,
            models, tin, tout, lat_count, lat_sum;
        double cost;
};

struct user {
        long long events, requests, bookings, tin, tout;
        double cost;
};

static int group_setup(void **state)
{
        char errstr[512];
        T.pg_url = swb_test_stack_env("SWB_PG_URL");
        T.brokers = swb_test_stack_env("SWB_BROKERS");
        if (!T.pg_url || !T.brokers) {
                fprintf(stderr, "SWB_PG_URL / SWB_BROKERS not in the stack env\n");
                return -1;
        }
        T.codec = swb_codec_new(NULL, errstr, sizeof(errstr));
        T.metrics = swb_metrics_new();
        T.a = swb_analytics_new(T.pg_url, T.metrics, errstr, sizeof(errstr));
        T.pg = swb_pg_new(T.pg_url, errstr, sizeof(errstr));
        if (!T.codec || !T.a || !T.pg) {
                fprintf(stderr, "setup: %s\n", errstr);
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        swb_analytics_destroy(T.a);
        swb_metrics_destroy(T.metrics);
        swb_codec_destroy(T.codec);
        swb_pg_destroy(T.pg);
        free(T.pg_url);
        free(T.brokers);
        return 0;
}

/* ------------------------------------------------------------- helpers */

/* An AuditEvent with a fresh event_id; `details` is stolen (may be NULL). */
static json_t *mkev(const char *rid, const char *user, const char *tenant,
                    const char *stage, const char *agent, json_t *details,
                    long long tin, long long tout, double cost, long long dur,
                    long long at)
{
        char eid[SWB_UUID_LEN];
        swb_id_uuid4(eid);
        return json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:f, s:I, s:I}",
            "event_id", eid, "request_id", rid, "session_id", "s-1", "user_id", user,
            "tenant_id", tenant, "stage", stage, "agent", agent, "details",
            details ? details : json_object(), "tokens_in", (json_int_t)tin,
            "tokens_out", (json_int_t)tout, "cost_usd", cost, "duration_ms",
            (json_int_t)dur, "created_at", (json_int_t)at);
}

static void push(json_t *arr, json_t *ev)
{
        json_array_append_new(arr, ev);
}

/* Encode each event as on the wire, decode it, count it. @returns how many
 * were counted now (the others were duplicates). */
static int feed(json_t *events, bool reverse)
{
        size_t i, n = json_array_size(events);
        int counted_cnt = 0;
        for (i = 0; i < n; i++) {
                json_t *ev = json_array_get(events, reverse ? n - 1 - i : i),
                       *back = NULL;
                char errstr[512] = "";
                void *buf = NULL;
                size_t len = 0;
                bool counted = false;
                assert_int_equal(swb_codec_encode(T.codec, SWB_MSG_AUDIT_EVENT, ev,
                                                  &buf, &len, errstr, sizeof(errstr)),
                                 SWB_OK);
                assert_int_equal(swb_codec_decode(T.codec, SWB_MSG_AUDIT_EVENT, buf,
                                                  len, NULL, &back, errstr,
                                                  sizeof(errstr)),
                                 SWB_OK);
                if (swb_analytics_apply(T.a, back, &counted, errstr, sizeof(errstr)))
                        fail_msg("apply: %s", errstr);
                counted_cnt += counted;
                json_decref(back);
                swb_free(buf);
        }
        return counted_cnt;
}

static PGresult *query(const char *sql, int n, const char *const *p)
{
        PGresult *res = NULL;
        char errstr[512];
        if (swb_pg_exec(T.pg, sql, n, p, &res, errstr, sizeof(errstr)))
                fail_msg("%s: %s", sql, errstr);
        return res;
}

static long long ll(PGresult *res, int row, int col)
{
        return PQgetisnull(res, row, col)
                   ? 0
                   : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Sums of analytics_hourly for `agent` (every intent when intent is NULL). */
static struct hourly hourly(const char *agent, const char *intent)
{
        const char *p[] = {agent, intent};
        PGresult *res = query(
            "SELECT sum(events), sum(requests), sum(replied_ok), sum(replied_error), "
            "sum(replied_rejected), sum(replied_out_of_scope), sum(replied_other), "
            "sum(failed), sum(dead_lettered), sum(tool_calls), sum(model_calls), "
            "sum(tokens_in), sum(tokens_out), sum(latency_count), sum(latency_sum_ms), "
            "coalesce(sum(cost_usd), 0)::float8 FROM analytics_hourly "
            "WHERE agent = $1 AND ($2::text IS NULL OR intent = $2)",
            2, p);
        struct hourly h = {ll(res, 0, 0),  ll(res, 0, 1),
                           ll(res, 0, 2),  ll(res, 0, 3),
                           ll(res, 0, 4),  ll(res, 0, 5),
                           ll(res, 0, 6),  ll(res, 0, 7),
                           ll(res, 0, 8),  ll(res, 0, 9),
                           ll(res, 0, 10), ll(res, 0, 11),
                           ll(res, 0, 12), ll(res, 0, 13),
                           ll(res, 0, 14), strtod(PQgetvalue(res, 0, 15), NULL)};
        PQclear(res);
        return h;
}

static struct user user_totals(const char *tenant, const char *user)
{
        const char *p[] = {tenant, user};
        PGresult *res =
            query("SELECT sum(events), sum(requests), sum(bookings), "
                  "sum(tokens_in), sum(tokens_out), "
                  "coalesce(sum(cost_usd), 0)::float8 FROM analytics_user_daily "
                  "WHERE tenant_id = $1 AND user_id = $2",
                  2, p);
        struct user u = {ll(res, 0, 0), ll(res, 0, 1),
                         ll(res, 0, 2), ll(res, 0, 3),
                         ll(res, 0, 4), strtod(PQgetvalue(res, 0, 5), NULL)};
        PQclear(res);
        return u;
}

static void assert_hourly_equal(const struct hourly *a, const struct hourly *b)
{
        if (memcmp(a, b, offsetof(struct hourly, cost)))
                fprintf(stderr,
                        "got  events %lld requests %lld ok %lld error %lld rejected "
                        "%lld oos %lld "
                        "failed %lld dlq %lld lat %lld/%lld\n"
                        "want events %lld requests %lld ok %lld error %lld rejected "
                        "%lld oos %lld "
                        "failed %lld dlq %lld lat %lld/%lld\n",
                        a->events, a->requests, a->ok, a->error, a->rejected, a->oos,
                        a->failed, a->dlq, a->lat_count, a->lat_sum, b->events,
                        b->requests, b->ok, b->error, b->rejected, b->oos, b->failed,
                        b->dlq, b->lat_count, b->lat_sum);
        assert_memory_equal(a, b, offsetof(struct hourly, cost));
        assert_true(fabs(a->cost - b->cost) < 1e-9);
}

static long long pending_rows(const char *agent)
{
        const char *p[] = {agent};
        PGresult *res = query(
            "SELECT count(*) FROM analytics_pending_received WHERE agent = $1", 1, p);
        long long n = ll(res, 0, 0);
        PQclear(res);
        return n;
}

static double metric(swb_metrics_t *m, const char *name, const char *label,
                     const char *value)
{
        const char *const labels[] = {label, NULL};
        const char *const values[] = {value};
        swb_metric_t *f = swb_metrics_counter(m, name, NULL, labels);
        return swb_metric_value(f, values);
}

/* ------------------------------------------------------------- tests */

#define N_REQ 12

/* A day of traffic for one supervisor S and one agent A; totals equal what
 * was sent; replaying everything (in order, then reversed) changes nothing. */
static void test_totals_and_replay(void **state)
{
        char S[64], A[64], I[64], U[64], TN[64], rid[SWB_UUID_LEN];
        json_t *evs = json_array();
        long long t = swb_now_ms() - 60000, tin = 0, tout = 0, lat_sum = 0;
        double cost = 0;
        struct hourly hs, ha, want_s = {0}, want_a = {0}, h;
        struct user u;
        int i, n;

        snprintf(S, sizeof(S), "s%s", swb_test_unique());
        snprintf(A, sizeof(A), "a%s", swb_test_unique());
        snprintf(I, sizeof(I), "i%s", swb_test_unique());
        snprintf(U, sizeof(U), "u%s", swb_test_unique());
        snprintf(TN, sizeof(TN), "t%s", swb_test_unique());

        for (i = 0; i < N_REQ; i++, t += 10) {
                swb_id_uuid4(rid);
                push(evs, mkev(rid, U, TN, "received", S, NULL, 0, 0, 0, 0, t));
                push(evs, mkev(rid, U, TN, "classified", S,
                               json_pack("{s:s, s:s}", "intent", I, "domain", "hotel"),
                               0, 0, 0, 0, t + 1));
                push(evs, mkev(rid, U, TN, "routed", S, NULL, 0, 0, 0, 0, t + 2));
                push(evs, mkev(rid, U, TN, "received", A, NULL, 0, 0, 0, 0, t + 3));
                push(evs, mkev(rid, U, TN, "model_called", A,
                               json_pack("{s:s}", "model", "gpt-4o-mini"), 100 + i,
                               10 + i, 0.001 * (i + 1), 0, t + 4));
                push(evs,
                     mkev(rid, U, TN, "tool_called", A,
                          json_pack("{s:s, s:s}", "tool",
                                    i % 3 == 0 ? "book_hotel_room" : "search_hotels",
                                    "outcome", "ok"),
                          0, 0, 0, 0, t + 5));
                push(evs,
                     mkev(rid, U, TN, "replied", A,
                          json_pack("{s:s}", "status", i % 4 == 3 ? "error" : "ok"), 0,
                          0, 0, 50 * (i + 1), t + 6));
                tin += 100 + i;
                tout += 10 + i;
                cost += 0.001 * (i + 1);
                lat_sum += 50 * (i + 1);
        }
        /* out of scope: the supervisor answers; latency from its first event */
        swb_id_uuid4(rid);
        push(evs, mkev(rid, U, TN, "received", S, NULL, 0, 0, 0, 0, t));
        push(evs,
             mkev(rid, U, TN, "classified", S,
                  json_pack("{s:s}", "intent", "out_of_scope"), 0, 0, 0, 0, t + 1));
        push(evs,
             mkev(rid, U, TN, "replied", S,
                  json_pack("{s:s}", "status", "out_of_scope"), 0, 0, 0, 0, t + 2));
        /* rejected, never classified, and dead-lettered */
        swb_id_uuid4(rid);
        push(evs, mkev(rid, U, TN, "rejected", S,
                       json_pack("{s:s}", "reason", "text is empty"), 0, 0, 0, 0, t));
        push(evs, mkev(rid, U, TN, "replied", S,
                       json_pack("{s:s}", "status", "rejected"), 0, 0, 0, 0, t + 1));
        push(evs, mkev(rid, U, TN, "dead_lettered", S,
                       json_pack("{s:s}", "error", "schema"), 0, 0, 0, 0, t + 1));
        /* the agent fails */
        swb_id_uuid4(rid);
        push(evs, mkev(rid, U, TN, "received", S, NULL, 0, 0, 0, 0, t));
        push(evs, mkev(rid, U, TN, "classified", S, json_pack("{s:s}", "intent", I), 0,
                       0, 0, 0, t + 1));
        push(evs, mkev(rid, U, TN, "routed", S, NULL, 0, 0, 0, 0, t + 2));
        push(evs, mkev(rid, U, TN, "received", A, NULL, 0, 0, 0, 0, t + 3));
        push(evs, mkev(rid, U, TN, "failed", A, json_pack("{s:s}", "error", "internal"),
                       0, 0, 0, 0, t + 4));
        push(evs, mkev(rid, U, TN, "replied", A, json_pack("{s:s}", "status", "error"),
                       0, 0, 0, 0, t + 5));
        /* an undecodable message: no request, no user */
        push(evs, mkev("", "", "default", "dead_lettered", S,
                       json_pack("{s:s}", "error", "decode"), 0, 0, 0, 0, t));

        n = (int)json_array_size(evs);
        assert_int_equal(feed(evs, false), n);

        /* what was sent */
        want_s.events = 3 * N_REQ + 3 + 3 + 3 + 1;
        want_s.requests = N_REQ + 1 + 1;
        want_s.oos = 1;
        want_s.rejected = 1;
        want_s.dlq = 2;
        want_s.lat_count = 2;
        want_s.lat_sum = 2 + 1;
        want_a.events = 4 * N_REQ + 3;
        want_a.requests = N_REQ + 1;
        want_a.ok = N_REQ - N_REQ / 4;
        want_a.error = N_REQ / 4 + 1;
        want_a.failed = 1;
        want_a.tools = N_REQ;
        want_a.models = N_REQ;
        want_a.tin = tin;
        want_a.tout = tout;
        want_a.cost = cost;
        want_a.lat_count = N_REQ + 1;
        want_a.lat_sum = lat_sum + 5;
        hs = hourly(S, NULL);
        ha = hourly(A, NULL);
        assert_hourly_equal(&hs, &want_s);
        assert_hourly_equal(&ha, &want_a);

        /* by intent: every request under its classification, none left pending */
        assert_int_equal(hourly(S, I).requests, N_REQ + 1);
        assert_int_equal(hourly(S, I).events, 3 * N_REQ + 3);
        assert_int_equal(hourly(S, "out_of_scope").requests, 1);
        assert_int_equal(hourly(A, I).requests, N_REQ + 1);
        h = hourly(S, "unknown");
        assert_int_equal(h.events, 4);
        assert_int_equal(h.requests, 0);
        assert_int_equal(h.dlq, 2);
        assert_int_equal(pending_rows(S), 0);
        assert_int_equal(pending_rows(A), 0);

        u = user_totals(TN, U);
        assert_int_equal(u.events, n - 1);
        assert_int_equal(u.requests, N_REQ + 3);
        assert_int_equal(u.bookings, (N_REQ + 2) / 3);
        assert_int_equal(u.tin, tin);
        assert_int_equal(u.tout, tout);
        assert_true(fabs(u.cost - cost) < 1e-9);

        /* replays: nothing is counted again */
        assert_int_equal(feed(evs, false), 0);
        assert_int_equal(feed(evs, true), 0);
        h = hourly(S, NULL);
        assert_hourly_equal(&h, &want_s);
        h = hourly(A, NULL);
        assert_hourly_equal(&h, &want_a);
        assert_int_equal(user_totals(TN, U).events, n - 1);
        assert_int_equal(user_totals(TN, U).requests, N_REQ + 3);
        assert_true(metric(T.metrics, "swb_analytics_duplicate_events_total", "stage",
                           "replied") >= 2 * (N_REQ + 3));
        json_decref(evs);
}

/* The agent's events overtake the supervisor's `classified`: the pending
 * `received` events count under the intent once it is known. */
static void test_out_of_order(void **state)
{
        char S[64], A[64], I[64], U[64], rid[SWB_UUID_LEN];
        json_t *evs = json_array();
        long long t = swb_now_ms();
        struct hourly h;

        snprintf(S, sizeof(S), "s%s", swb_test_unique());
        snprintf(A, sizeof(A), "a%s", swb_test_unique());
        snprintf(I, sizeof(I), "i%s", swb_test_unique());
        snprintf(U, sizeof(U), "u%s", swb_test_unique());
        swb_id_uuid4(rid);
        push(evs, mkev(rid, U, "default", "received", S, NULL, 0, 0, 0, 0, t));
        push(evs, mkev(rid, U, "default", "received", A, NULL, 0, 0, 0, 0, t + 1));
        push(evs,
             mkev(rid, U, "default", "tool_called", A,
                  json_pack("{s:s, s:s}", "tool", "search_hotels", "outcome", "ok"), 0,
                  0, 0, 0, t + 2));
        assert_int_equal(feed(evs, false), 3);
        assert_int_equal(pending_rows(S), 1);
        assert_int_equal(pending_rows(A), 1);
        assert_int_equal(hourly(S, NULL).requests, 0);

        json_array_clear(evs);
        push(evs, mkev(rid, U, "default", "classified", S,
                       json_pack("{s:s}", "intent", I), 0, 0, 0, 0, t + 3));
        push(evs, mkev(rid, U, "default", "replied", A,
                       json_pack("{s:s}", "status", "ok"), 0, 0, 0, 0, t + 4));
        assert_int_equal(feed(evs, false), 2);
        assert_int_equal(pending_rows(S), 0);
        assert_int_equal(pending_rows(A), 0);
        h = hourly(S, I);
        assert_int_equal(h.requests, 1);
        assert_int_equal(h.events, 2);
        h = hourly(A, I);
        assert_int_equal(h.requests, 1);
        assert_int_equal(h.events, 2);
        assert_int_equal(h.ok, 1);
        assert_int_equal(h.lat_count, 1);
        assert_int_equal(h.lat_sum, 4); /* since the request's first event */
        h = hourly(A, "unknown");
        assert_int_equal(h.events, 1);
        assert_int_equal(h.tools, 1);
        json_decref(evs);
}

/* Booking detection is lenient about names and outcomes; numbers that make
 * no sense do not reach the sums. */
static void test_bookings_and_bad_numbers(void **state)
{
        static const char *const details[][2][2] = {
            {{"tool", "book_hotel_room"}, {"outcome", "ok"}},      /* booking */
            {{"tool", "BOOK_TOUR"}, {"outcome", "Confirmed"}},     /* booking */
            {{"tool", "create_booking"}, {"booking_id", "B-1"}},   /* booking */
            {{"name", "book_flight"}, {"status", "success"}},      /* booking */
            {{"tool", "book_flight"}, {"outcome", "error"}},       /* failed */
            {{"tool", "cancel_hotel_booking"}, {"outcome", "ok"}}, /* a cancellation */
            {{"tool", "search_hotels"}, {"outcome", "ok"}}, /* not a booking tool */
            {{"tool", "book_tour"}, {"note", "no outcome, no id"}}, /* unknown */
        };
        char A[64], U[64], rid[SWB_UUID_LEN];
        json_t *evs = json_array();
        long long t = swb_now_ms();
        struct user u;
        size_t i;

        snprintf(A, sizeof(A), "a%s", swb_test_unique());
        snprintf(U, sizeof(U), "u%s", swb_test_unique());
        swb_id_uuid4(rid);
        for (i = 0; i < SWB_ARRAY_LEN(details); i++)
                push(evs,
                     mkev(rid, U, "acme", "tool_called", A,
                          json_pack("{s:s, s:s}", details[i][0][0], details[i][0][1],
                                    details[i][1][0], details[i][1][1]),
                          0, 0, 0, 0, t));
        push(evs, mkev(rid, U, "acme", "model_called", A, NULL, -5, 7, -1.0, -3, t));
        assert_int_equal(feed(evs, false), (int)SWB_ARRAY_LEN(details) + 1);
        u = user_totals("acme", U);
        assert_int_equal(u.bookings, 4);
        assert_int_equal(u.tin, 0);
        assert_int_equal(u.tout, 7);
        assert_true(u.cost == 0);
        assert_int_equal(hourly(A, NULL).tools, SWB_ARRAY_LEN(details));

        /* no event_id: refused, nothing counted */
        {
                json_t *bad =
                    json_pack("{s:s, s:s}", "request_id", rid, "stage", "received");
                char errstr[256];
                assert_int_equal(
                    swb_analytics_apply(T.a, bad, NULL, errstr, sizeof(errstr)),
                    SWB_ERR_SCHEMA);
                json_decref(bad);
        }
        json_decref(evs);
}

static void test_percentiles(void **state)
{
        static const double le[] = {10, 20, 50, INFINITY};
        const int64_t cnt[] = {10, 0, 10, 0};
        const int64_t tail[] = {0, 0, 1, 3};
        const int64_t none[] = {0, 0, 0, 0};
        char A[64], rid[SWB_UUID_LEN];
        json_t *evs = json_array();
        long long t = swb_now_ms();
        double qle[64], p50, p95;
        int64_t qcnt[64];
        PGresult *res;
        const char *p[1];
        int i, m;

        assert_true(fabs(swb_analytics_report_percentile(le, cnt, 4, 0.25) - 5) < 1e-9);
        assert_true(fabs(swb_analytics_report_percentile(le, cnt, 4, 0.5) - 10) < 1e-9);
        assert_true(fabs(swb_analytics_report_percentile(le, cnt, 4, 0.75) - 35) <
                    1e-9);
        assert_true(swb_analytics_report_percentile(le, tail, 4, 0.99) == 50);
        assert_true(isnan(swb_analytics_report_percentile(le, none, 4, 0.5)));
        assert_true(swb_analytics_latency_le(0) == 1);
        assert_true(swb_analytics_latency_le(1) == 1);
        assert_true(swb_analytics_latency_le(250) == 300);
        assert_true(isinf(swb_analytics_latency_le(10000000)));
        assert_true(swb_analytics_latency_lower(1) == 0);
        assert_true(swb_analytics_latency_lower(300) == 200);
        assert_true(swb_analytics_latency_lower(INFINITY) == 300000);

        /* 50, 100, ..., 1000 ms through the database */
        snprintf(A, sizeof(A), "a%s", swb_test_unique());
        for (i = 1; i <= 20; i++) {
                swb_id_uuid4(rid);
                push(evs, mkev(rid, "", "default", "replied", A,
                               json_pack("{s:s}", "status", "ok"), 0, 0, 0, 50 * i, t));
        }
        assert_int_equal(feed(evs, false), 20);
        p[0] = A;
        res = query("SELECT le_ms, sum(count) FROM analytics_latency WHERE agent = $1 "
                    "GROUP BY le_ms ORDER BY le_ms",
                    1, p);
        /* only non-empty buckets are stored: put the empty ones back */
        for (i = 0, m = 0; i < PQntuples(res); i++) {
                double le_i = strtod(PQgetvalue(res, i, 0), NULL);
                double lo = swb_analytics_latency_lower(le_i);
                if (lo > (m ? qle[m - 1] : 0)) {
                        qle[m] = lo;
                        qcnt[m++] = 0;
                }
                qle[m] = le_i;
                qcnt[m++] = ll(res, i, 1);
        }
        PQclear(res);
        /* (300, 500] holds 350..500 after 6 samples; (700, 1000] 750..1000 after 14 */
        p50 = swb_analytics_report_percentile(qle, qcnt, (size_t)m, 0.5);
        p95 = swb_analytics_report_percentile(qle, qcnt, (size_t)m, 0.95);
        assert_true(fabs(p50 - 500) < 1e-9);
        assert_true(fabs(p95 - 950) < 1e-9);
        json_decref(evs);
}

static void test_report(void **state)
{
        char A[64], U[64], rid[SWB_UUID_LEN], errstr[512], *out = NULL;
        json_t *evs = json_array();
        long long t = swb_now_ms();
        size_t len = 0;
        FILE *fp;

        snprintf(A, sizeof(A), "a%s", swb_test_unique());
        snprintf(U, sizeof(U), "u%s", swb_test_unique());
        swb_id_uuid4(rid);
        /* a big spender, so the user is in the top 10 */
        push(evs, mkev(rid, U, "default", "model_called", A, NULL, 1000, 100, 12345.0,
                       0, t));
        push(evs, mkev(rid, U, "default", "replied", A,
                       json_pack("{s:s}", "status", "ok"), 0, 0, 0, 420, t));
        assert_int_equal(feed(evs, false), 2);
        fp = open_memstream(&out, &len);
        assert_int_equal(
            swb_analytics_report_print(T.pg_url, fp, 0, errstr, sizeof(errstr)),
            SWB_OK);
        fclose(fp);
        assert_non_null(strstr(out, "== last hour"));
        assert_non_null(strstr(out, "== last day"));
        assert_non_null(strstr(out, "top users by spend"));
        assert_non_null(strstr(out, A));
        assert_non_null(strstr(out, U));
        assert_non_null(strstr(out, "12345.0000"));
        free(out);

        assert_int_equal(swb_analytics_report_print("postgresql://swb@127.0.0.1:1/x",
                                                    stdout, 0, errstr, sizeof(errstr)),
                         SWB_ERR_TRANSPORT);
        json_decref(evs);
}

/* ------------------------------------------------------------- the worker */

static void *run_worker(void *arg)
{
        swb_worker_run(arg);
        return NULL;
}

struct user_wait {
        const char *tenant, *user;
        long long want;
};

static bool user_has(void *arg)
{
        struct user_wait *w = arg;
        return user_totals(w->tenant, w->user).events >= w->want;
}

struct dup_wait {
        double base, want;
};

static double dups_total(void)
{
        return metric(swb_metrics_default(), "swb_analytics_duplicate_events_total",
                      "stage", "received") +
               metric(swb_metrics_default(), "swb_analytics_duplicate_events_total",
                      "stage", "classified") +
               metric(swb_metrics_default(), "swb_analytics_duplicate_events_total",
                      "stage", "replied");
}

static bool dups_seen(void *arg)
{
        struct dup_wait *w = arg;
        return dups_total() - w->base >= w->want;
}

static void produce(rd_kafka_t *prod, const char *topic, const char *S, const char *U,
                    int requests)
{
        long long t = swb_now_ms();
        char rid[SWB_UUID_LEN], errstr[256];
        int i, j;
        for (i = 0; i < requests; i++) {
                json_t *evs[3];
                swb_id_uuid4(rid);
                evs[0] = mkev(rid, U, "default", "received", S, NULL, 0, 0, 0, 0, t);
                evs[1] = mkev(rid, U, "default", "classified", S,
                              json_pack("{s:s}", "intent", "hotel_search"), 0, 0, 0, 0,
                              t + 1);
                evs[2] = mkev(rid, U, "default", "replied", S,
                              json_pack("{s:s}", "status", "ok"), 0, 0, 0.01, 0, t + 2);
                for (j = 0; j < 3; j++) {
                        void *buf = NULL;
                        size_t len = 0;
                        assert_int_equal(swb_codec_encode(T.codec, SWB_MSG_AUDIT_EVENT,
                                                          evs[j], &buf, &len, errstr,
                                                          sizeof(errstr)),
                                         SWB_OK);
                        assert_int_equal(
                            rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
                                              RD_KAFKA_V_KEY(rid, strlen(rid)),
                                              RD_KAFKA_V_VALUE(buf, len),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                              RD_KAFKA_V_END),
                            0);
                        swb_free(buf);
                        json_decref(evs[j]);
                }
        }
        assert_int_equal(rd_kafka_flush(prod, 10000), 0);
}

/* Start a worker on `group`, wait for cond, stop it. */
static swb_analytics_t *start_worker(swb_config_t *cfg, const char *url,
                                     swb_worker_t **wp, pthread_t *th)
{
        static const char *topics[1];
        struct swb_worker_spec spec = {0};
        char errstr[512];
        swb_analytics_t *a =
            swb_analytics_new(url, swb_metrics_default(), errstr, sizeof(errstr));
        if (!a)
                fail_msg("analytics: %s", errstr);
        topics[0] = cfg->topic_audit;
        spec.component = "analytics";
        spec.group_id = cfg->group_analytics;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = swb_analytics_handle;
        spec.poll = swb_analytics_poll;
        spec.opaque = a;
        if (!(*wp = swb_worker_new(cfg, &spec, errstr, sizeof(errstr))))
                fail_msg("worker: %s", errstr);
        swb_analytics_set_worker(a, *wp);
        assert_int_equal(pthread_create(th, NULL, run_worker, *wp), 0);
        return a;
}

static void stop_worker(swb_analytics_t *a, swb_worker_t *w, pthread_t th)
{
        swb_worker_stop(w);
        pthread_join(th, NULL);
        assert_int_equal(swb_analytics_pending(a), 0);
        swb_worker_destroy(w);
        swb_analytics_destroy(a);
}

/* Through a real worker: the PostgreSQL connection is killed between two
 * batches (the events wait and are counted when it is back, none lost, none
 * dead-lettered); a second group replays the whole topic: totals unchanged. */
static void test_worker_outage_and_topic_replay(void **state)
{
        char topic[96], S[64], U[64], app[64], url[512], group[96], errstr[256];
        const char *topics[1];
        swb_config_t *cfg = swb_config_new();
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *prod;
        swb_analytics_t *a;
        swb_worker_t *w;
        pthread_t th;
        struct user_wait uw;
        struct dup_wait dw;
        struct hourly before, after;
        double errors0;
        PGresult *res;
        const char *p[1];

        snprintf(topic, sizeof(topic), "an.%s.audit", swb_test_unique());
        snprintf(group, sizeof(group), "an.%s", swb_test_unique());
        snprintf(S, sizeof(S), "s%s", swb_test_unique());
        snprintf(U, sizeof(U), "u%s", swb_test_unique());
        snprintf(app, sizeof(app), "swb-an-%s", swb_test_unique());
        snprintf(url, sizeof(url), "%s%sapplication_name=%s", T.pg_url,
                 strchr(T.pg_url, '?') ? "&" : "?", app);
        topics[0] = topic;
        assert_int_equal(swb_test_create_topics(T.brokers, topics, 1, 2), 0);
        rd_kafka_conf_set(conf, "bootstrap.servers", T.brokers, errstr, sizeof(errstr));
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(prod);

        swb_config_set(cfg, "brokers", T.brokers, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "topic.audit", topic, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "group.analytics", group, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "name", "test-analytics", SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "pg.url", url, SWB_CFG_SRC_FLAG, NULL, 0);
        errors0 = metric(swb_metrics_default(), "swb_analytics_pg_errors_total",
                         "retriable", "true");

        a = start_worker(cfg, url, &w, &th);
        produce(prod, topic, S, U, 10);
        uw = (struct user_wait){"default", U, 30};
        assert_true(swb_test_wait_for(user_has, &uw, 30000));

        /* kill its connection: the next transaction fails, the events wait */
        p[0] = app;
        res = query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = $1",
                    1, p);
        assert_int_equal(PQntuples(res), 1);
        PQclear(res);
        produce(prod, topic, S, U, 10);
        uw.want = 60;
        assert_true(swb_test_wait_for(user_has, &uw, 30000));
        assert_true(metric(swb_metrics_default(), "swb_analytics_pg_errors_total",
                           "retriable", "true") > errors0);
        stop_worker(a, w, th);
        assert_int_equal(swb_test_group_lag(T.brokers, group, topic), 0);
        before = hourly(S, NULL);
        assert_int_equal(before.events, 60);
        assert_int_equal(before.requests, 20);
        assert_int_equal(before.ok, 20);
        assert_int_equal(user_totals("default", U).events, 60);
        assert_int_equal(user_totals("default", U).requests, 20);

        /* a new group reads the topic from the start: all duplicates */
        snprintf(group, sizeof(group), "an.%s.replay", swb_test_unique());
        swb_config_set(cfg, "group.analytics", group, SWB_CFG_SRC_FLAG, NULL, 0);
        dw.base = dups_total();
        dw.want = 60;
        a = start_worker(cfg, url, &w, &th);
        assert_true(swb_test_wait_for(dups_seen, &dw, 30000));
        stop_worker(a, w, th);
        after = hourly(S, NULL);
        assert_hourly_equal(&after, &before);
        assert_int_equal(user_totals("default", U).events, 60);

        rd_kafka_destroy(prod);
        swb_config_destroy(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_totals_and_replay),
            cmocka_unit_test(test_out_of_order),
            cmocka_unit_test(test_bookings_and_bad_numbers),
            cmocka_unit_test(test_percentiles),
            cmocka_unit_test(test_report),
            cmocka_unit_test(test_worker_outage_and_topic_replay),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
