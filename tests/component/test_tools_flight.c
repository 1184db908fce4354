/*
 * component.tools_flight: the flight tools against the stack's PostgreSQL and
 * Redis: route search by city, destination or airport code, details, the
 * booking lifecycle, refusals, idempotent replays, the race for the last
 * seat, cache hits and invalidation, and Redis down.
 */
#include "swb_test_tools.h"

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

static long long seats_of(swb_pg_t *pg, long long flight_id)
{
        char id[32];
        snprintf(id, sizeof(id), "%lld", flight_id);
        return swb_test_sql_int(
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
                route = swb_test_sql1(
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
        id = swb_test_sql1(pg, sql, route);
        flight = atoll(id);
        swb_free(id);
        swb_free(sql);
        swb_free(route);
        return flight;
}

static int group_setup(void **state)
{
        return swb_test_tools_setup("flight", swb_tools_flight, swb_tools_flight_cnt, NULL);
}

/* ---- tests */

static void test_search(void **state)
{
        struct swb_test_user u;
        char tomorrow[16];
        json_t *r, *f;
        size_t i;

        swb_test_user_init(&u, "search", NULL);
        swb_test_day(u.pg, 1, tomorrow);
        r = swb_test_call(
            &u, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\",\"date\":\"%s\"}",
            tomorrow);
        assert_true(swb_test_jint(r, "count") >= 4);
        json_array_foreach(json_object_get(r, "flights"), i, f)
        {
                assert_true(!strcmp(swb_test_jstr(f, "origin"), "CGK") ||
                            !strcmp(swb_test_jstr(f, "origin"), "HLP"));
                assert_string_equal(swb_test_jstr(f, "destination"), "DPS");
                assert_memory_equal(swb_test_jstr(f, "departure_local"), tomorrow, 10);
                assert_true(swb_test_jint(f, "seats_available") >= 1);
                assert_string_equal(swb_test_jstr(f, "currency"), "IDR");
        }
        json_decref(r);

        /* codes, destinations and aliases; no date: the next 7 days */
        r = swb_test_call(&u, "search_flights_by_route",
                 "{\"origin\":\"cgk\",\"destination\":\"Bali\"}");
        assert_true(swb_test_jint(r, "count") >= 10);
        json_decref(r);
        r = swb_test_call(&u, "search_flights_by_route",
                 "{\"origin\":\"Bali\",\"destination\":\"Singapore\",\"date\":\"%s\"}",
                 tomorrow);
        assert_true(swb_test_jint(r, "count") >= 1);
        assert_string_equal(
            swb_test_jstr(json_array_get(json_object_get(r, "flights"), 0), "currency"), "USD");
        json_decref(r);
        r = swb_test_call(&u, "search_flights_by_route",
                 "{\"origin\":\"Jakarta\",\"destination\":\"Atlantis\"}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(strstr(swb_test_jstr(r, "message"), "Atlantis"));
        json_decref(r);
        r = swb_test_call(&u, "search_flights_by_route",
                 "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\",\"date\":\"%s\","
                 "\"max_fare\":1200000,\"passengers\":2}",
                 tomorrow);
        json_array_foreach(json_object_get(r, "flights"), i, f)
        {
                assert_true(json_number_value(json_object_get(f, "fare")) <= 1200000);
                assert_true(swb_test_jint(f, "seats_available") >= 2);
        }
        json_decref(r);

        r = swb_test_call(&u, "get_flights",
                 "{\"origin\":\"Surabaya\",\"date\":\"%s\",\"limit\":3}", tomorrow);
        assert_true(swb_test_jint(r, "count") >= 1 && swb_test_jint(r, "count") <= 3);
        json_decref(r);
        r = swb_test_call(&u, "get_flights", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 20);
        json_decref(r);

        r = swb_test_call(&u, "search_flights_by_route", "{\"origin\":\"Jakarta\"}");
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = swb_test_call(
            &u, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Bali\",\"date\":\"besok\"}");
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_details(void **state)
{
        struct swb_test_user u;
        long long flight;
        json_t *r;

        swb_test_user_init(&u, "details", NULL);
        flight = make_flight(u.pg, 9, 5, 0);
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(r, "origin_airport"),
                            "Soekarno-Hatta International Airport");
        assert_memory_equal(swb_test_jstr(r, "departure_local") + 11, "10:00", 5);
        assert_memory_equal(swb_test_jstr(r, "arrival_local") + 11, "12:55",
                            5); /* Bali is an hour ahead */
        assert_int_equal(swb_test_jint(r, "seats_available"), 9);
        json_decref(r);
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":99999999}");
        swb_test_assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct swb_test_user u;
        long long flight, booking, departed;
        json_t *r;

        swb_test_user_init(&u, "life", NULL);
        flight = make_flight(u.pg, 5, 6, 0);
        r = swb_test_call(
            &u, "book_flight",
            "{\"flight_id\":%lld,\"passengers\":2,\"contact_name\":\"Budi Santoso\"}",
            flight);
        swb_test_assert_ok(r);
        booking = swb_test_jint(r, "booking_id");
        assert_string_equal(swb_test_jstr(r, "status"), "pending");
        assert_int_equal(swb_test_jint(r, "amount"), 2000000);
        assert_int_equal(swb_test_jint(r, "passengers"), 2);
        assert_string_equal(swb_test_jstr(r, "origin"), "CGK");
        json_decref(r);
        assert_int_equal(seats_of(u.pg, flight), 3);

        r = swb_test_call(&u, "process_flight_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"virtual_account\"}",
                 booking);
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(json_object_get(r, "payment"), "method"),
                            "virtual_account");
        json_decref(r);
        r = swb_test_call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", booking);
        swb_test_assert_ok(r);
        assert_int_equal(swb_test_jint(r, "flight_id"), flight);
        assert_int_equal(swb_test_jint(r, "released"), 2);
        assert_int_equal(swb_test_jint(json_object_get(r, "refund"), "amount"), 2000000);
        json_decref(r);
        assert_int_equal(seats_of(u.pg, flight), 5);

        r = swb_test_call(&u, "book_flight", "{\"flight_id\":%lld,\"passengers\":6}", flight);
        swb_test_assert_error_code(r, SWB_TOOL_E_SOLD_OUT);
        json_decref(r);
        r = swb_test_call(&u, "book_flight", "{\"flight_id\":99999999}");
        swb_test_assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        r = swb_test_call(&u, "book_flight", "{\"flight_id\":%lld,\"passengers\":0}", flight);
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        departed = make_flight(u.pg, 5, 0, 3);
        r = swb_test_call(&u, "book_flight", "{\"flight_id\":%lld}", departed);
        swb_test_assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);

        /* Once the flight has left, its booking can be neither paid nor cancelled. */
        flight = make_flight(u.pg, 5, 1, 0);
        r = swb_test_call(&u, "book_flight", "{\"flight_id\":%lld}", flight);
        booking = swb_test_jint(r, "booking_id");
        json_decref(r);
        {
                char id[32];
                snprintf(id, sizeof(id), "%lld", flight);
                swb_free(
                    swb_test_sql1(u.pg,
                         "UPDATE flights SET depart_at = now() - interval '1 hour', "
                         "arrive_at = now() + interval '1 hour' "
                         "WHERE flight_id = $1::bigint RETURNING 1",
                         id));
        }
        r = swb_test_call(&u, "process_flight_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);
        r = swb_test_call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct swb_test_user a, b;
        long long flight, booking;
        json_t *r;

        swb_test_user_init(&a, "owner", NULL);
        swb_test_user_init(&b, "intruder", NULL);
        flight = make_flight(a.pg, 4, 8, 0);
        r = swb_test_call(&a, "book_flight", "{\"flight_id\":%lld}", flight);
        booking = swb_test_jint(r, "booking_id");
        json_decref(r);
        r = swb_test_call(&b, "process_flight_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        r = swb_test_call(&b, "cancel_flight_booking", "{\"booking_id\":%lld}", booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        assert_int_equal(seats_of(a.pg, flight), 3);
        swb_test_user_fini(&a);
        swb_test_user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct swb_test_user u;
        long long flight;
        json_t *r1, *r2, *p1, *p2;

        swb_test_user_init(&u, "replay", NULL);
        flight = make_flight(u.pg, 4, 9, 0);
        r1 = swb_test_call_as(&u, "book_flight", "c-book",
                     "{\"flight_id\":%lld,\"passengers\":2}", flight);
        r2 = swb_test_call_as(&u, "book_flight", "c-book",
                     "{\"flight_id\":%lld,\"passengers\":2}", flight);
        swb_test_assert_ok(r1);
        assert_true(json_equal(r1, r2));
        assert_int_equal(seats_of(u.pg, flight), 2);
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1", u.id), 1);
        p1 = swb_test_call_as(&u, "process_flight_payment", "c-pay",
                     "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                     swb_test_jint(r1, "booking_id"));
        p2 = swb_test_call_as(&u, "process_flight_payment", "c-pay",
                     "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                     swb_test_jint(r1, "booking_id"));
        assert_true(json_equal(p1, p2));
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM payments WHERE user_id = $1", u.id), 1);
        json_decref(r1);
        json_decref(r2);
        json_decref(p1);
        json_decref(p2);
        swb_test_user_fini(&u);
}

struct racer {
        struct swb_test_user u;
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
                swb_test_user_init(&r[i].u, "racer", NULL);
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
                swb_test_user_fini(&r[i].u);
}

static void test_cache_and_invalidation(void **state)
{
        struct swb_test_user u;
        long long flight;
        double hits, misses;
        json_t *r;

        swb_test_user_init(&u, "cache", swb_test_redis_url);
        flight = make_flight(u.pg, 6, 11, 0);
        hits = swb_test_cache_count("flights", "hit");
        misses = swb_test_cache_count("flights", "miss");
        json_decref(swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight));
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(swb_test_jint(r, "seats_available"), 6);
        json_decref(r);
        assert_true(swb_test_cache_count("flights", "hit") == hits + 1);
        assert_true(swb_test_cache_count("flights", "miss") == misses + 1);

        json_decref(
            swb_test_call(&u, "book_flight", "{\"flight_id\":%lld,\"passengers\":3}", flight));
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(swb_test_jint(r, "seats_available"),
                         3); /* invalidated by the booking */
        json_decref(r);
        assert_true(swb_test_cache_count("flights", "miss") == misses + 2);
        swb_test_user_fini(&u);
}

static void test_redis_down(void **state)
{
        struct swb_test_user u;
        char url[64];
        long long flight;
        double errors = swb_test_cache_count("flights", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        swb_test_user_init(&u, "noredis", url);
        flight = make_flight(u.pg, 2, 12, 0);
        r = swb_test_call(&u, "search_flights_by_route",
                 "{\"origin\":\"Jakarta\",\"destination\":\"Bali\"}");
        assert_true(swb_test_jint(r, "count") > 0);
        json_decref(r);
        r = swb_test_call(&u, "book_flight", "{\"flight_id\":%lld}", flight);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(swb_test_jint(r, "seats_available"), 1);
        json_decref(r);
        assert_true(swb_test_cache_count("flights", "error") >= errors + 2);
        swb_test_user_fini(&u);
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
                                           swb_test_tools_teardown);
}
