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

static int group_setup(void **state)
{
        return swb_test_tools_setup("flight", swb_tools_flight, swb_tools_flight_cnt,
                                    NULL);
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
        swb_test_expect_list(&u, "search_flights_by_route", "flights", 10, NULL, NULL,
                             "{\"origin\":\"cgk\",\"destination\":\"Bali\"}");
        r = swb_test_call(
            &u, "search_flights_by_route",
            "{\"origin\":\"Bali\",\"destination\":\"Singapore\",\"date\":\"%s\"}",
            tomorrow);
        assert_true(swb_test_jint(r, "count") >= 1);
        assert_string_equal(
            swb_test_jstr(json_array_get(json_object_get(r, "flights"), 0), "currency"),
            "USD");
        json_decref(r);
        r = swb_test_call(&u, "search_flights_by_route",
                          "{\"origin\":\"Jakarta\",\"destination\":\"Atlantis\"}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(strstr(swb_test_jstr(r, "message"), "Atlantis"));
        json_decref(r);
        r = swb_test_call(
            &u, "search_flights_by_route",
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
                          "{\"origin\":\"Surabaya\",\"date\":\"%s\",\"limit\":3}",
                          tomorrow);
        assert_true(swb_test_jint(r, "count") >= 1 && swb_test_jint(r, "count") <= 3);
        json_decref(r);
        r = swb_test_call(&u, "get_flights", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 20);
        json_decref(r);

        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "search_flights_by_route",
                              "{\"origin\":\"Jakarta\"}");
        swb_test_expect_error(
            &u, SWB_TOOL_E_INVALID, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Bali\",\"date\":\"besok\"}");
        swb_test_user_fini(&u);
}

static void test_details(void **state)
{
        struct swb_test_user u;
        long long flight;
        json_t *r;

        swb_test_user_init(&u, "details", NULL);
        flight = swb_test_make_flight(u.pg, 9, 5, 0);
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(r, "origin_airport"),
                            "Soekarno-Hatta International Airport");
        assert_memory_equal(swb_test_jstr(r, "departure_local") + 11, "10:00", 5);
        assert_memory_equal(swb_test_jstr(r, "arrival_local") + 11, "12:55",
                            5); /* Bali is an hour ahead */
        assert_int_equal(swb_test_jint(r, "seats_available"), 9);
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "get_flight_details",
                              "{\"flight_id\":99999999}");
        swb_test_user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct swb_test_user u;
        long long flight, booking, departed;
        json_t *r;

        swb_test_user_init(&u, "life", NULL);
        flight = swb_test_make_flight(u.pg, 5, 6, 0);
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
        assert_int_equal(swb_test_seats_left(u.pg, flight), 3);

        r = swb_test_call(
            &u, "process_flight_payment",
            "{\"booking_id\":%lld,\"payment_method\":\"virtual_account\"}", booking);
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(json_object_get(r, "payment"), "method"),
                            "virtual_account");
        json_decref(r);
        r = swb_test_call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}",
                          booking);
        swb_test_assert_ok(r);
        assert_int_equal(swb_test_jint(r, "flight_id"), flight);
        assert_int_equal(swb_test_jint(r, "released"), 2);
        assert_int_equal(swb_test_jint(json_object_get(r, "refund"), "amount"),
                         2000000);
        json_decref(r);
        assert_int_equal(swb_test_seats_left(u.pg, flight), 5);

        swb_test_expect_error(&u, SWB_TOOL_E_SOLD_OUT, "book_flight",
                              "{\"flight_id\":%lld,\"passengers\":6}", flight);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "book_flight",
                              "{\"flight_id\":99999999}");
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "book_flight",
                              "{\"flight_id\":%lld,\"passengers\":0}", flight);
        departed = swb_test_make_flight(u.pg, 5, 0, 3);
        swb_test_expect_error(&u, SWB_TOOL_E_STATE, "book_flight",
                              "{\"flight_id\":%lld}", departed);

        /* Once the flight has left, its booking can be neither paid nor cancelled. */
        flight = swb_test_make_flight(u.pg, 5, 1, 0);
        booking = swb_test_book(&u, "book_flight", "{\"flight_id\":%lld}", flight);
        {
                char id[32];
                snprintf(id, sizeof(id), "%lld", flight);
                swb_free(swb_test_sql1(
                    u.pg,
                    "UPDATE flights SET depart_at = now() - interval '1 hour', "
                    "arrive_at = now() + interval '1 hour' "
                    "WHERE flight_id = $1::bigint RETURNING 1",
                    id));
        }
        swb_test_expect_error(&u, SWB_TOOL_E_STATE, "process_flight_payment",
                              "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}",
                              booking);
        swb_test_expect_error(&u, SWB_TOOL_E_STATE, "cancel_flight_booking",
                              "{\"booking_id\":%lld}", booking);
        swb_test_user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct swb_test_user a, b;
        long long flight, booking;

        swb_test_user_init(&a, "owner", NULL);
        swb_test_user_init(&b, "intruder", NULL);
        flight = swb_test_make_flight(a.pg, 4, 8, 0);
        booking = swb_test_book(&a, "book_flight", "{\"flight_id\":%lld}", flight);
        swb_test_expect_error(
            &b, SWB_TOOL_E_FORBIDDEN, "process_flight_payment",
            "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        swb_test_expect_error(&b, SWB_TOOL_E_FORBIDDEN, "cancel_flight_booking",
                              "{\"booking_id\":%lld}", booking);
        assert_int_equal(swb_test_seats_left(a.pg, flight), 3);
        swb_test_user_fini(&a);
        swb_test_user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct swb_test_user u;
        long long flight;
        json_t *r1, *r2, *p1, *p2;

        swb_test_user_init(&u, "replay", NULL);
        flight = swb_test_make_flight(u.pg, 4, 9, 0);
        r1 = swb_test_call_as(&u, "book_flight", "c-book",
                              "{\"flight_id\":%lld,\"passengers\":2}", flight);
        r2 = swb_test_call_as(&u, "book_flight", "c-book",
                              "{\"flight_id\":%lld,\"passengers\":2}", flight);
        swb_test_assert_ok(r1);
        assert_true(json_equal(r1, r2));
        assert_int_equal(swb_test_seats_left(u.pg, flight), 2);
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1",
                             u.id),
            1);
        p1 = swb_test_call_as(&u, "process_flight_payment", "c-pay",
                              "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                              swb_test_jint(r1, "booking_id"));
        p2 = swb_test_call_as(&u, "process_flight_payment", "c-pay",
                              "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                              swb_test_jint(r1, "booking_id"));
        assert_true(json_equal(p1, p2));
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM payments WHERE user_id = $1",
                             u.id),
            1);
        json_decref(r1);
        json_decref(r2);
        json_decref(p1);
        json_decref(p2);
        swb_test_user_fini(&u);
}

static void test_race_last_seat(void **state)
{
        enum { N = 4 };
        struct swb_test_user u[N];
        long long flight;
        int wins, sold_out;
        json_t *args;

        for (int i = 0; i < N; i++)
                swb_test_user_init(&u[i], "racer", NULL);
        flight = swb_test_make_flight(u[0].pg, 1, 10, 0);
        args = json_pack("{s:I}", "flight_id", (json_int_t)flight);
        swb_test_race(u, N, "book_flight", args, &wins, &sold_out);
        json_decref(args);
        assert_int_equal(wins, 1);
        assert_int_equal(sold_out, N - 1);
        assert_int_equal(swb_test_seats_left(u[0].pg, flight), 0);
        for (int i = 0; i < N; i++)
                swb_test_user_fini(&u[i]);
}

static void test_cache_and_invalidation(void **state)
{
        struct swb_test_user u;
        long long flight;
        double hits, misses;
        json_t *r;

        swb_test_user_init(&u, "cache", swb_test_redis_url);
        flight = swb_test_make_flight(u.pg, 6, 11, 0);
        hits = swb_test_cache_count("flights", "hit");
        misses = swb_test_cache_count("flights", "miss");
        json_decref(
            swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight));
        r = swb_test_call(&u, "get_flight_details", "{\"flight_id\":%lld}", flight);
        assert_int_equal(swb_test_jint(r, "seats_available"), 6);
        json_decref(r);
        assert_true(swb_test_cache_count("flights", "hit") == hits + 1);
        assert_true(swb_test_cache_count("flights", "miss") == misses + 1);

        json_decref(swb_test_call(&u, "book_flight",
                                  "{\"flight_id\":%lld,\"passengers\":3}", flight));
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
        flight = swb_test_make_flight(u.pg, 2, 12, 0);
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
