/*
 * component.tools_flight: the flight tools against the stack's PostgreSQL and
 * Redis: route search by city, destination or airport code, details, the
 * booking lifecycle, refusals, idempotent replays, the race for the last
 * seat, cache hits and invalidation, and Redis down.
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
        snprintf(u->id, sizeof(u->id), "test-%s-%s-%s", "flight", tag,
                 swb_test_unique());
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
        err = swb_tools_call(swb_tools_flight, swb_tools_flight_cnt, tool, &u->ctx,
                             args, &res);
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

static long long seats_of(swb_pg_t *pg, long long flight_id)
{
        char id[32];
        snprintf(id, sizeof(id), "%lld", flight_id);
        return sql_int(
            pg, "SELECT seats_available FROM flights WHERE flight_id = $1::bigint", id);
}

/*
 * A flight of its own CGK -> DPS, `days` from today at 10:00 Jakarta time
 * (negative hours_ago: departed that many hours ago instead), with `seats`
 * seats at IDR 1,000,000. Its route never gets dated flights generated.
 * @returns the flight id.
 */
static long long make_flight(swb_pg_t *pg, int seats, int days, int hours_ago)
{
        char n[16], *route = NULL, *sql, *id;
        long long flight;

        snprintf(n, sizeof(n), "%d", seats);
        for (int tries = 0; !route && tries < 50; tries++)
                route = sql1(
                    pg,
                    "INSERT INTO flight_routes (flight_no, airline, origin, "
                    "destination, "
                    "depart_local, duration_min, aircraft, seats, base_fare, currency, "
                    "days_of_week) SELECT 'X' || chr(65 + floor(random() * 26)::int) "
                    "|| "
                    "floor(random() * 10000)::int, 'Test Air', 'CGK', 'DPS', '10:00', "
                    "115, 'Test', $1::int, 1000000, 'IDR', '{}' "
                    "ON CONFLICT (flight_no) DO NOTHING RETURNING route_id",
                    n);
        assert_non_null(route);
        if (hours_ago > 0)
                sql = swb_asprintf("INSERT INTO flights (route_id, flight_no, airline, "
                                   "origin, destination, "
                                   "depart_date, depart_at, arrive_at, seats_total, "
                                   "seats_available, fare, "
                                   "currency) SELECT route_id, flight_no, airline, "
                                   "origin, destination, "
                                   "CURRENT_DATE, now() - interval '%d hours', now() - "
                                   "interval '%d hours' + "
                                   "interval '115 minutes', seats, seats, base_fare, "
                                   "currency FROM flight_routes "
                                   "WHERE route_id = $1::int RETURNING flight_id",
                                   hours_ago, hours_ago);
        else
                sql = swb_asprintf(
                    "INSERT INTO flights (route_id, flight_no, airline, origin, "
                    "destination, "
                    "depart_date, depart_at, arrive_at, seats_total, seats_available, "
                    "fare, "
                    "currency) SELECT route_id, flight_no, airline, origin, "
                    "destination, "
                    "CURRENT_DATE + %d, (CURRENT_DATE + %d + time '10:00') AT TIME "
                    "ZONE "
                    "'Asia/Jakarta', (CURRENT_DATE + %d + time '11:55') AT TIME ZONE "
                    "'Asia/Jakarta', seats, seats, base_fare, currency FROM "
                    "flight_routes "
                    "WHERE route_id = $1::int RETURNING flight_id",
                    days, days, days);
        id = sql1(pg, sql, route);
        flight = atoll(id);
        swb_free(id);
        swb_free(sql);
        swb_free(route);
        return flight;
}

/* ---- tests */

static void test_search(void **state)
{
        struct user u;
        char tomorrow[16];
        json_t *r, *f;
        size_t i;

        user_init(&u, "search", NULL);
        day(u.pg, 1, tomorrow);
        r = call(
            &u, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\",\"date\":\"%s\"}",
            tomorrow);
        assert_true(jint(r, "count") >= 4);
        json_array_foreach(json_object_get(r, "flights"), i, f)
        {
                assert_true(!strcmp(jstr(f, "origin"), "CGK") ||
                            !strcmp(jstr(f, "origin"), "HLP"));
                assert_string_equal(jstr(f, "destination"), "DPS");
                assert_memory_equal(jstr(f, "departure_local"), tomorrow, 10);
                assert_true(jint(f, "seats_available") >= 1);
                assert_string_equal(jstr(f, "currency"), "IDR");
        }
        json_decref(r);

        /* codes, destinations and aliases; no date: the next 7 days */
        r = call(&u, "search_flights_by_route",
                 "{\"origin\":\"cgk\",\"destination\":\"Bali\"}");
        assert_true(jint(r, "count") >= 10);
        json_decref(r);
        r = call(&u, "search_flights_by_route",
                 "{\"origin\":\"Bali\",\"destination\":\"Singapore\",\"date\":\"%s\"}",
                 tomorrow);
        assert_true(jint(r, "count") >= 1);
        assert_string_equal(
            jstr(json_array_get(json_object_get(r, "flights"), 0), "currency"), "USD");
        json_decref(r);
        r = call(&u, "search_flights_by_route",
                 "{\"origin\":\"Jakarta\",\"destination\":\"Atlantis\"}");
        assert_int_equal(jint(r, "count"), 0);
        assert_non_null(strstr(jstr(r, "message"), "Atlantis"));
        json_decref(r);
        r = call(&u, "search_flights_by_route",
                 "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\",\"date\":\"%s\","
                 "\"max_fare\":1200000,\"passengers\":2}",
                 tomorrow);
        json_array_foreach(json_object_get(r, "flights"), i, f)
        {
                assert_true(json_number_value(json_object_get(f, "fare")) <= 1200000);
                assert_true(jint(f, "seats_available") >= 2);
        }
        json_decref(r);

        r = call(&u, "get_flights",
                 "{\"origin\":\"Surabaya\",\"date\":\"%s\",\"limit\":3}", tomorrow);
        assert_true(jint(r, "count") >= 1 && jint(r, "count") <= 3);
        json_decref(r);
        r = call(&u, "get_flights", "{}");
        assert_int_equal(jint(r, "count"), 20);
        json_decref(r);

        r = call(&u, "search_flights_by_route", "{\"origin\":\"Jakarta\"}");
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = call(
            &u, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Bali\",\"date\":\"besok\"}");
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        user_fini(&u);
}

static void test_details(void **state)
{
        struct user u;
        long long flight;
        json_t *r;

        user_init(&u, "details", NULL);
        flight = make_flight(u.pg, 9, 5, 0);
        r = call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_ok(r);
        assert_string_equal(jstr(r, "origin_airport"),
                            "Soekarno-Hatta International Airport");
        assert_memory_equal(jstr(r, "departure_local") + 11, "10:00", 5);
        assert_memory_equal(jstr(r, "arrival_local") + 11, "12:55",
                            5); /* Bali is an hour ahead */
        assert_int_equal(jint(r, "seats_available"), 9);
        json_decref(r);
        r = call(&u, "get_flight_details", "{\"flight_id\":99999999}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct user u;
        long long flight, booking, departed;
        json_t *r;

        user_init(&u, "life", NULL);
        flight = make_flight(u.pg, 5, 6, 0);
        r = call(
            &u, "book_flight",
            "{\"flight_id\":%lld,\"passengers\":2,\"contact_name\":\"Budi Santoso\"}",
            flight);
        assert_ok(r);
        booking = jint(r, "booking_id");
        assert_string_equal(jstr(r, "status"), "pending");
        assert_int_equal(jint(r, "amount"), 2000000);
        assert_int_equal(jint(r, "passengers"), 2);
        assert_string_equal(jstr(r, "origin"), "CGK");
        json_decref(r);
        assert_int_equal(seats_of(u.pg, flight), 3);

        r = call(&u, "process_flight_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"virtual_account\"}",
                 booking);
        assert_ok(r);
        assert_string_equal(jstr(json_object_get(r, "payment"), "method"),
                            "virtual_account");
        json_decref(r);
        r = call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", booking);
        assert_ok(r);
        assert_int_equal(jint(r, "flight_id"), flight);
        assert_int_equal(jint(r, "released"), 2);
        assert_int_equal(jint(json_object_get(r, "refund"), "amount"), 2000000);
        json_decref(r);
        assert_int_equal(seats_of(u.pg, flight), 5);

        r = call(&u, "book_flight", "{\"flight_id\":%lld,\"passengers\":6}", flight);
        assert_error_code(r, SWB_TOOL_E_SOLD_OUT);
        json_decref(r);
        r = call(&u, "book_flight", "{\"flight_id\":99999999}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        r = call(&u, "book_flight", "{\"flight_id\":%lld,\"passengers\":0}", flight);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        departed = make_flight(u.pg, 5, 0, 3);
        r = call(&u, "book_flight", "{\"flight_id\":%lld}", departed);
        assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);

        /* Once the flight has left, its booking can be neither paid nor cancelled. */
        flight = make_flight(u.pg, 5, 1, 0);
        r = call(&u, "book_flight", "{\"flight_id\":%lld}", flight);
        booking = jint(r, "booking_id");
        json_decref(r);
        {
                char id[32];
                snprintf(id, sizeof(id), "%lld", flight);
                swb_free(
                    sql1(u.pg,
                         "UPDATE flights SET depart_at = now() - interval '1 hour', "
                         "arrive_at = now() + interval '1 hour' "
                         "WHERE flight_id = $1::bigint RETURNING 1",
                         id));
        }
        r = call(&u, "process_flight_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", booking);
        assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);
        r = call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", booking);
        assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);
        user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct user a, b;
        long long flight, booking;
        json_t *r;

        user_init(&a, "owner", NULL);
        user_init(&b, "intruder", NULL);
        flight = make_flight(a.pg, 4, 8, 0);
        r = call(&a, "book_flight", "{\"flight_id\":%lld}", flight);
        booking = jint(r, "booking_id");
        json_decref(r);
        r = call(&b, "process_flight_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        r = call(&b, "cancel_flight_booking", "{\"booking_id\":%lld}", booking);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        assert_int_equal(seats_of(a.pg, flight), 3);
        user_fini(&a);
        user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct user u;
        long long flight;
        json_t *r1, *r2, *p1, *p2;

        user_init(&u, "replay", NULL);
        flight = make_flight(u.pg, 4, 9, 0);
        r1 = call_as(&u, "book_flight", "c-book",
                     "{\"flight_id\":%lld,\"passengers\":2}", flight);
        r2 = call_as(&u, "book_flight", "c-book",
                     "{\"flight_id\":%lld,\"passengers\":2}", flight);
        assert_ok(r1);
        assert_true(json_equal(r1, r2));
        assert_int_equal(seats_of(u.pg, flight), 2);
        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1", u.id), 1);
        p1 = call_as(&u, "process_flight_payment", "c-pay",
                     "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                     jint(r1, "booking_id"));
        p2 = call_as(&u, "process_flight_payment", "c-pay",
                     "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                     jint(r1, "booking_id"));
        assert_true(json_equal(p1, p2));
        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM payments WHERE user_id = $1", u.id), 1);
        json_decref(r1);
        json_decref(r2);
        json_decref(p1);
        json_decref(p2);
        user_fini(&u);
}

struct racer {
        struct user u;
        long long flight;
        pthread_barrier_t *go;
        json_t *res;
};

static void *race(void *arg)
{
        struct racer *r = arg;
        json_t *args = json_pack("{s:I}", "flight_id", (json_int_t)r->flight);
        snprintf(r->u.call, sizeof(r->u.call), "race");
        pthread_barrier_wait(r->go);
        if (swb_tools_call(swb_tools_flight, swb_tools_flight_cnt, "book_flight",
                           &r->u.ctx, args, &r->res))
                r->res = NULL;
        json_decref(args);
        return NULL;
}

static void test_race_last_seat(void **state)
{
        enum { N = 4 };
        struct racer r[N];
        pthread_t th[N];
        pthread_barrier_t go;
        long long flight;
        int wins = 0, sold_out = 0;

        for (int i = 0; i < N; i++)
                user_init(&r[i].u, "racer", NULL);
        flight = make_flight(r[0].u.pg, 1, 10, 0);
        pthread_barrier_init(&go, NULL, N);
        for (int i = 0; i < N; i++) {
                r[i].flight = flight, r[i].go = &go, r[i].res = NULL;
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
        assert_int_equal(seats_of(r[0].u.pg, flight), 0);
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
        long long flight;
        double hits, misses;
        json_t *r;

        user_init(&u, "cache", redis_url);
        flight = make_flight(u.pg, 6, 11, 0);
        hits = cache_count("flights", "hit");
        misses = cache_count("flights", "miss");
        json_decref(call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight));
        r = call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(jint(r, "seats_available"), 6);
        json_decref(r);
        assert_true(cache_count("flights", "hit") == hits + 1);
        assert_true(cache_count("flights", "miss") == misses + 1);

        json_decref(
            call(&u, "book_flight", "{\"flight_id\":%lld,\"passengers\":3}", flight));
        r = call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(jint(r, "seats_available"),
                         3); /* invalidated by the booking */
        json_decref(r);
        assert_true(cache_count("flights", "miss") == misses + 2);
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
        char url[64];
        long long flight;
        double errors = cache_count("flights", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", dead_port());
        user_init(&u, "noredis", url);
        flight = make_flight(u.pg, 2, 12, 0);
        r = call(&u, "search_flights_by_route",
                 "{\"origin\":\"Jakarta\",\"destination\":\"Bali\"}");
        assert_true(jint(r, "count") > 0);
        json_decref(r);
        r = call(&u, "book_flight", "{\"flight_id\":%lld}", flight);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(jint(r, "seats_available"), 1);
        json_decref(r);
        assert_true(cache_count("flights", "error") >= errors + 2);
        user_fini(&u);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_search),
            cmocka_unit_test(test_details),
            cmocka_unit_test(test_lifecycle),
            cmocka_unit_test(test_other_users_booking),
            cmocka_unit_test(test_idempotent_replay),
            cmocka_unit_test(test_race_last_seat),
            cmocka_unit_test(test_cache_and_invalidation),
            cmocka_unit_test(test_redis_down),
        };
        return cmocka_run_group_tests_name("component.tools_flight", tests, group_setup,
                                           group_teardown);
}
