/*
 * component.tools_tour: the tour tools against the stack's PostgreSQL and
 * Redis: search by destination, details, availability per date, the
 * booking lifecycle, refusals, idempotent replays, the race for the last
 * place, cache hits and invalidation, and Redis down.
 */
#include "swb_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_cache.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_pg.h"
#include "swb_tools.h"

static char *pg_url, *redis_url;

static int group_setup(void **state)
{
        pg_url = swb_test_stack_env("SWB_PG_URL");
        redis_url = swb_test_stack_env("SWB_REDIS_URL");
        if (!pg_url || !redis_url) {
                fprintf(stderr, "SWB_PG_URL / SWB_REDIS_URL not in the stack env\n");
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        free(pg_url);
        free(redis_url);
        return 0;
}

/* ---- helpers: one user with a PostgreSQL connection, optionally a cache */

struct user {
        char id[96];
        char request[96];
        char call[32];
        swb_pg_t *pg;
        swb_cache_t *cache;
        struct swb_tool_ctx ctx;
};

static swb_pg_t *pg_connect(void)
{
        char errstr[512];
        swb_pg_t *pg = swb_pg_new(pg_url, errstr, sizeof(errstr));
        if (!pg)
                fail_msg("swb_pg_new: %s", errstr);
        return pg;
}

static swb_cache_t *cache_at(const char *url)
{
        char errstr[256];
        struct swb_cache_conf conf = {.redis_url = url};
        swb_cache_t *c = swb_cache_new(&conf, errstr, sizeof(errstr));
        if (!c)
                fail_msg("swb_cache_new: %s", errstr);
        return c;
}

static void user_init(struct user *u, const char *tag, const char *cache_url)
{
        memset(u, 0, sizeof(*u));
        snprintf(u->id, sizeof(u->id), "test-%s-%s-%s", "tour", tag, swb_test_unique());
        snprintf(u->request, sizeof(u->request), "req-%s", swb_test_unique());
        u->pg = pg_connect();
        u->cache = cache_url ? cache_at(cache_url) : NULL;
        u->ctx.pg = u->pg;
        u->ctx.cache = u->cache;
        u->ctx.user_id = u->id;
        u->ctx.request_id = u->request;
        u->ctx.call_id = u->call;
        u->ctx.locale = "en";
}

static void user_fini(struct user *u)
{
        swb_cache_destroy(u->cache);
        swb_pg_destroy(u->pg);
}

/* Call a tool with a fresh call id (or `call_id` to replay one). */
static json_t *call_as(struct user *u, const char *tool, const char *call_id,
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
        err = swb_tools_call(swb_tools_tour, swb_tools_tour_cnt, tool, &u->ctx, args,
                             &res);
        json_decref(args);
        if (err)
                fail_msg("%s: %s", tool, swb_err2str(err));
        assert_non_null(res);
        return res;
}

#define call(u, tool, ...) call_as(u, tool, NULL, __VA_ARGS__)

static void assert_error_code(json_t *res, const char *code)
{
        const char *got = NULL;
        if (!swb_tools_is_error(res, &got) || strcmp(got, code)) {
                char *dump = json_dumps(res, JSON_COMPACT);
                fail_msg("expected error %s, got %s", code, dump);
        }
}

static void assert_ok(json_t *res)
{
        if (swb_tools_is_error(res, NULL)) {
                char *dump = json_dumps(res, JSON_COMPACT);
                fail_msg("unexpected error result %s", dump);
        }
}

/* One value from the database, as text (a new string), or NULL. */
static char *sql1(swb_pg_t *pg, const char *sql, const char *p1)
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

static long long sql_int(swb_pg_t *pg, const char *sql, const char *p1)
{
        char *s = sql1(pg, sql, p1);
        long long v = s ? atoll(s) : -1;
        swb_free(s);
        return v;
}

/* A date `days` after the database's today. */
static void day(swb_pg_t *pg, int days, char out[16])
{
        char n[16], *s;
        snprintf(n, sizeof(n), "%d", days);
        s = sql1(pg, "SELECT (CURRENT_DATE + $1::int)::text", n);
        snprintf(out, 16, "%s", s);
        swb_free(s);
}

static long long jint(const json_t *o, const char *key)
{
        return (long long)json_integer_value(json_object_get(o, key));
}

static const char *jstr(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static long long places_of(swb_pg_t *pg, long long tour_id, const char *date)
{
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT available FROM tour_departures WHERE tour_id = %lld AND "
                 "tour_date = $1::date",
                 tour_id);
        return sql_int(pg, sql, date);
}

/* A tour of its own in Testland (destination of its own), running Mondays
 * only in its data, with departures of `capacity` places on the next 20 days.
 * @returns the tour id. */
static long long make_tour(swb_pg_t *pg, int capacity)
{
        char name[128], *s, *sql;
        long long tour;

        snprintf(name, sizeof(name), "Testland %s", swb_test_unique());
        sql = swb_asprintf(
            "WITH d AS (INSERT INTO destinations (name, country, country_code, "
            "timezone) "
            "VALUES ($1, 'Testland', 'TL', 'Asia/Jakarta') RETURNING destination_id) "
            "INSERT INTO tours (name, destination_id, city, category, duration_hours, "
            "price, "
            "currency, capacity, rating, meeting_point, start_time, days_of_week, "
            "description) "
            "SELECT $1 || ' Walk', destination_id, $1, 'city', 3, 250000, 'IDR', %d, "
            "4.5, "
            "'Town square', '09:00', '{1}', 'test' FROM d RETURNING tour_id",
            capacity);
        s = sql1(pg, sql, name);
        tour = atoll(s);
        swb_free(s);
        swb_free(sql);
        sql = swb_asprintf(
            "INSERT INTO tour_departures (tour_id, tour_date, capacity, available) "
            "SELECT %lld, d::date, %d, %d FROM generate_series(CURRENT_DATE, "
            "CURRENT_DATE + 20, interval '1 day') d RETURNING 1",
            tour, capacity, capacity);
        swb_free(sql1(pg, sql, NULL));
        swb_free(sql);
        return tour;
}

/* ---- tests */

static void test_search(void **state)
{
        struct user u;
        json_t *r, *t;
        char date[16];
        size_t i;

        user_init(&u, "search", NULL);
        r = call(&u, "search_tours_by_destination", "{\"destination\":\"Yogyakarta\"}");
        assert_true(jint(r, "count") >= 5);
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_string_equal(jstr(t, "destination"), "Yogyakarta");
        json_decref(r);
        /* as people ask */
        r = call(&u, "search_tours_by_destination",
                 "{\"destination\":\"what tours do you have in Jogja\"}");
        assert_true(jint(r, "count") >= 5);
        json_decref(r);
        r = call(&u, "search_tours_by_destination",
                 "{\"destination\":\"tur di Bali\",\"category\":\"food\"}");
        assert_true(jint(r, "count") >= 1);
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_string_equal(jstr(t, "category"), "food");
        json_decref(r);
        /* Prambanan & Ramayana runs Tue/Thu/Sat only: a date filters by weekday. */
        day(u.pg, 1, date);
        r = call(&u, "search_tours_by_destination",
                 "{\"destination\":\"Yogyakarta\",\"date\":\"%s\",\"limit\":50}", date);
        assert_true(jint(r, "count") >= 3);
        json_decref(r);
        r = call(&u, "search_tours_by_destination", "{\"destination\":\"Atlantis\"}");
        assert_int_equal(jint(r, "count"), 0);
        assert_non_null(strstr(jstr(r, "message"), "Yogyakarta"));
        json_decref(r);
        r = call(&u, "get_tours", "{\"max_price\":60,\"category\":\"city\"}");
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_true(json_number_value(json_object_get(t, "price")) <= 60);
        json_decref(r);
        r = call(&u, "get_tours", "{\"category\":\"skydiving\"}");
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        user_fini(&u);
}

static void test_details_and_availability(void **state)
{
        struct user u;
        char date[16];
        long long tour;
        json_t *r;

        user_init(&u, "details", NULL);
        tour = make_tour(u.pg, 8);
        r = call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour);
        assert_ok(r);
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(r, "runs_on"), 0)), "Mon");
        assert_string_equal(jstr(r, "meeting_point"), "Town square");
        json_decref(r);
        r = call(&u, "get_tour_details", "{\"tour_id\":9999999}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);

        day(u.pg, 2, date);
        r = call(&u, "check_tour_availability",
                 "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":3}", tour, date);
        assert_ok(r);
        assert_int_equal(json_array_size(json_object_get(r, "departures")), 1);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 8);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "departures"), 0), "total_price"),
            750000);
        json_decref(r);
        r = call(&u, "check_tour_availability", "{\"tour_id\":%lld}", tour);
        assert_int_equal(json_array_size(json_object_get(r, "departures")),
                         15); /* today + 14 */
        json_decref(r);
        day(u.pg, 40, date);
        r = call(&u, "check_tour_availability", "{\"tour_id\":%lld,\"date\":\"%s\"}",
                 tour, date);
        assert_int_equal(json_array_size(json_object_get(r, "departures")), 0);
        assert_non_null(jstr(r, "message"));
        json_decref(r);
        r = call(&u, "check_tour_availability",
                 "{\"tour_id\":%lld,\"date\":\"2020-01-01\"}", tour);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct user u;
        char date[16], far[16];
        long long tour, booking;
        json_t *r;

        user_init(&u, "life", NULL);
        tour = make_tour(u.pg, 6);
        day(u.pg, 3, date);
        r = call(&u, "book_tour",
                 "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":4}", tour, date);
        assert_ok(r);
        booking = jint(r, "booking_id");
        assert_int_equal(jint(r, "amount"), 1000000);
        assert_string_equal(jstr(r, "date"), date);
        json_decref(r);
        assert_int_equal(places_of(u.pg, tour, date), 2);
        r = call(&u, "book_tour",
                 "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":3}", tour, date);
        assert_error_code(r, SWB_TOOL_E_SOLD_OUT);
        json_decref(r);

        r = call(&u, "process_tour_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", booking);
        assert_ok(r);
        assert_int_equal(jint(r, "tour_id"), tour);
        assert_int_equal(jint(r, "released"), 4);
        json_decref(r);
        assert_int_equal(places_of(u.pg, tour, date), 6);

        day(u.pg, 45, far);
        r = call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, far);
        assert_error_code(r, SWB_TOOL_E_SOLD_OUT); /* no departure that day */
        json_decref(r);
        r = call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"2020-02-02\"}", tour);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = call(&u, "book_tour", "{\"tour_id\":9999999,\"date\":\"%s\"}", date);
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        r = call(&u, "book_tour", "{\"tour_id\":%lld}", tour);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct user a, b;
        char date[16];
        long long tour, booking;
        json_t *r;

        user_init(&a, "owner", NULL);
        user_init(&b, "intruder", NULL);
        tour = make_tour(a.pg, 5);
        day(a.pg, 4, date);
        r = call(&a, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, date);
        booking = jint(r, "booking_id");
        json_decref(r);
        r = call(&b, "process_tour_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", booking);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        r = call(&b, "cancel_tour_booking", "{\"booking_id\":%lld}", booking);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        assert_int_equal(places_of(a.pg, tour, date), 4);
        user_fini(&a);
        user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct user u;
        char date[16];
        long long tour;
        json_t *r1, *r2;

        user_init(&u, "replay", NULL);
        tour = make_tour(u.pg, 5);
        day(u.pg, 5, date);
        r1 = call_as(&u, "book_tour", "t-1",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}", tour,
                     date);
        r2 = call_as(&u, "book_tour", "t-1",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}", tour,
                     date);
        assert_ok(r1);
        assert_true(json_equal(r1, r2));
        assert_int_equal(places_of(u.pg, tour, date), 3);
        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1", u.id), 1);
        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM tool_results WHERE user_id = $1", u.id),
            1);
        json_decref(r1);
        json_decref(r2);
        /* A refusal is replayed too: the first answer stands. */
        r1 = call_as(&u, "book_tour", "t-2",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":9}", tour,
                     date);
        assert_error_code(r1, SWB_TOOL_E_SOLD_OUT);
        r2 = call_as(&u, "book_tour", "t-2",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":9}", tour,
                     date);
        assert_true(json_equal(r1, r2));
        json_decref(r1);
        json_decref(r2);
        user_fini(&u);
}

struct racer {
        struct user u;
        long long tour;
        const char *date;
        pthread_barrier_t *go;
        json_t *res;
};

static void *race(void *arg)
{
        struct racer *r = arg;
        json_t *args =
            json_pack("{s:I,s:s}", "tour_id", (json_int_t)r->tour, "date", r->date);
        snprintf(r->u.call, sizeof(r->u.call), "race");
        pthread_barrier_wait(r->go);
        if (swb_tools_call(swb_tools_tour, swb_tools_tour_cnt, "book_tour", &r->u.ctx,
                           args, &r->res))
                r->res = NULL;
        json_decref(args);
        return NULL;
}

static void test_race_last_place(void **state)
{
        enum { N = 3 };
        struct racer r[N];
        pthread_t th[N];
        pthread_barrier_t go;
        char date[16];
        long long tour;
        int wins = 0, sold_out = 0;

        for (int i = 0; i < N; i++)
                user_init(&r[i].u, "racer", NULL);
        tour = make_tour(r[0].u.pg, 1);
        day(r[0].u.pg, 6, date);
        pthread_barrier_init(&go, NULL, N);
        for (int i = 0; i < N; i++) {
                r[i].tour = tour, r[i].date = date, r[i].go = &go, r[i].res = NULL;
                pthread_create(&th[i], NULL, race, &r[i]);
        }
        for (int i = 0; i < N; i++)
                pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < N; i++) {
                const char *code = NULL;
                assert_non_null(r[i].res);
                if (!swb_tools_is_error(r[i].res, &code))
                        wins++;
                else if (!strcmp(code, SWB_TOOL_E_SOLD_OUT))
                        sold_out++;
                json_decref(r[i].res);
        }
        assert_int_equal(wins, 1);
        assert_int_equal(sold_out, N - 1);
        assert_int_equal(places_of(r[0].u.pg, tour, date), 0);
        for (int i = 0; i < N; i++)
                user_fini(&r[i].u);
}

static double cache_count(const char *type, const char *result)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_metric_t *f = swb_metrics_counter(swb_metrics_default(),
                                              "swb_cache_requests_total", "x", labels);
        const char *const v[] = {type, result};
        return swb_metric_value(f, v);
}

static void test_cache_and_invalidation(void **state)
{
        struct user u;
        char date[16];
        long long tour;
        double hits, misses;
        json_t *r;

        user_init(&u, "cache", redis_url);
        tour = make_tour(u.pg, 7);
        day(u.pg, 7, date);
        hits = cache_count("availability", "hit");
        misses = cache_count("availability", "miss");
#define AV "{\"tour_id\":%lld,\"date\":\"%s\"}"
        json_decref(call(&u, "check_tour_availability", AV, tour, date));
        r = call(&u, "check_tour_availability", AV, tour, date);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 7);
        json_decref(r);
        assert_true(cache_count("availability", "hit") == hits + 1);
        assert_true(cache_count("availability", "miss") == misses + 1);
        json_decref(call(&u, "book_tour",
                         "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}", tour,
                         date));
        r = call(&u, "check_tour_availability", AV, tour, date);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 5);
        json_decref(r);
        assert_true(cache_count("availability", "miss") == misses + 2);

        /* tour searches: tours type */
        hits = cache_count("tours", "hit");
        json_decref(call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour));
        json_decref(call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour));
        assert_true(cache_count("tours", "hit") == hits + 1);
        user_fini(&u);
}

static int dead_port(void)
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

static void test_redis_down(void **state)
{
        struct user u;
        char url[64], date[16];
        long long tour;
        double errors = cache_count("tours", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", dead_port());
        user_init(&u, "noredis", url);
        tour = make_tour(u.pg, 3);
        day(u.pg, 8, date);
        r = call(&u, "search_tours_by_destination", "{\"destination\":\"Bali\"}");
        assert_true(jint(r, "count") > 0);
        json_decref(r);
        r = call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, date);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "check_tour_availability", "{\"tour_id\":%lld,\"date\":\"%s\"}",
                 tour, date);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 2);
        json_decref(r);
        assert_true(cache_count("tours", "error") >= errors + 1);
        user_fini(&u);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_search),
            cmocka_unit_test(test_details_and_availability),
            cmocka_unit_test(test_lifecycle),
            cmocka_unit_test(test_other_users_booking),
            cmocka_unit_test(test_idempotent_replay),
            cmocka_unit_test(test_race_last_place),
            cmocka_unit_test(test_cache_and_invalidation),
            cmocka_unit_test(test_redis_down),
        };
        return cmocka_run_group_tests_name("component.tools_tour", tests, group_setup,
                                           group_teardown);
}
