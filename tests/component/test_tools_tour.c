/*
 * component.tools_tour: the tour tools against the stack's PostgreSQL and
 * Redis: search by destination, details, availability per date, the
 * booking lifecycle, refusals, idempotent replays, the race for the last
 * place, cache hits and invalidation, and Redis down.
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
        return swb_test_tools_setup("tour", swb_tools_tour, swb_tools_tour_cnt, NULL);
}

/* ---- tests */

static void test_search(void **state)
{
        struct swb_test_user u;
        json_t *r, *t;
        char date[16];
        size_t i;

        swb_test_user_init(&u, "search", NULL);
        swb_test_expect_list(&u, "search_tours_by_destination", "tours", 5,
                             "destination", "Yogyakarta",
                             "{\"destination\":\"Yogyakarta\"}");
        /* as people ask */
        swb_test_expect_list(&u, "search_tours_by_destination", "tours", 5, NULL, NULL,
                             "{\"destination\":\"what tours do you have in Jogja\"}");
        swb_test_expect_list(&u, "search_tours_by_destination", "tours", 1, "category",
                             "food",
                             "{\"destination\":\"tur di Bali\",\"category\":\"food\"}");
        /* Prambanan & Ramayana runs Tue/Thu/Sat only: a date filters by weekday. */
        swb_test_day(u.pg, 1, date);
        swb_test_expect_list(
            &u, "search_tours_by_destination", "tours", 3, NULL, NULL,
            "{\"destination\":\"Yogyakarta\",\"date\":\"%s\",\"limit\":50}", date);
        r = swb_test_call(&u, "search_tours_by_destination",
                          "{\"destination\":\"Atlantis\"}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(strstr(swb_test_jstr(r, "message"), "Yogyakarta"));
        json_decref(r);
        r = swb_test_call(&u, "get_tours", "{\"max_price\":60,\"category\":\"city\"}");
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_true(json_number_value(json_object_get(t, "price")) <= 60);
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "get_tours",
                              "{\"category\":\"skydiving\"}");
        swb_test_user_fini(&u);
}

static void test_details_and_availability(void **state)
{
        struct swb_test_user u;
        char date[16];
        long long tour;
        json_t *r;

        swb_test_user_init(&u, "details", NULL);
        tour = swb_test_make_tour(u.pg, 8);
        r = swb_test_call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour);
        swb_test_assert_ok(r);
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(r, "runs_on"), 0)), "Mon");
        assert_string_equal(swb_test_jstr(r, "meeting_point"), "Town square");
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "get_tour_details",
                              "{\"tour_id\":9999999}");

        swb_test_day(u.pg, 2, date);
        r = swb_test_call(&u, "check_tour_availability",
                          "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":3}", tour,
                          date);
        swb_test_assert_ok(r);
        assert_int_equal(json_array_size(json_object_get(r, "departures")), 1);
        assert_int_equal(swb_test_first(r, "departures", "available"), 8);
        assert_int_equal(swb_test_first(r, "departures", "total_price"), 750000);
        json_decref(r);
        r = swb_test_call(&u, "check_tour_availability", "{\"tour_id\":%lld}", tour);
        assert_int_equal(json_array_size(json_object_get(r, "departures")),
                         15); /* today + 14 */
        json_decref(r);
        swb_test_day(u.pg, 40, date);
        r = swb_test_call(&u, "check_tour_availability",
                          "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, date);
        assert_int_equal(json_array_size(json_object_get(r, "departures")), 0);
        assert_non_null(swb_test_jstr(r, "message"));
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "check_tour_availability",
                              "{\"tour_id\":%lld,\"date\":\"2020-01-01\"}", tour);
        swb_test_user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct swb_test_user u;
        char date[16], far[16];
        long long tour, booking;
        json_t *r;

        swb_test_user_init(&u, "life", NULL);
        tour = swb_test_make_tour(u.pg, 6);
        swb_test_day(u.pg, 3, date);
        r = swb_test_call(&u, "book_tour",
                          "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":4}", tour,
                          date);
        swb_test_assert_ok(r);
        booking = swb_test_jint(r, "booking_id");
        assert_int_equal(swb_test_jint(r, "amount"), 1000000);
        assert_string_equal(swb_test_jstr(r, "date"), date);
        json_decref(r);
        assert_int_equal(swb_test_places_left(u.pg, tour, date), 2);
        swb_test_expect_error(&u, SWB_TOOL_E_SOLD_OUT, "book_tour",
                              "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":3}",
                              tour, date);

        r = swb_test_call(&u, "process_tour_payment",
                          "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}",
                          booking);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", booking);
        swb_test_assert_ok(r);
        assert_int_equal(swb_test_jint(r, "tour_id"), tour);
        assert_int_equal(swb_test_jint(r, "released"), 4);
        json_decref(r);
        assert_int_equal(swb_test_places_left(u.pg, tour, date), 6);

        swb_test_day(u.pg, 45, far);
        /* no departure that day */
        swb_test_expect_error(&u, SWB_TOOL_E_SOLD_OUT, "book_tour",
                              "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, far);
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "book_tour",
                              "{\"tour_id\":%lld,\"date\":\"2020-02-02\"}", tour);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "book_tour",
                              "{\"tour_id\":9999999,\"date\":\"%s\"}", date);
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "book_tour", "{\"tour_id\":%lld}",
                              tour);
        swb_test_user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct swb_test_user a, b;
        char date[16];
        long long tour, booking;

        swb_test_user_init(&a, "owner", NULL);
        swb_test_user_init(&b, "intruder", NULL);
        tour = swb_test_make_tour(a.pg, 5);
        swb_test_day(a.pg, 4, date);
        booking = swb_test_book(&a, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}",
                                tour, date);
        swb_test_expect_error(&b, SWB_TOOL_E_FORBIDDEN, "process_tour_payment",
                              "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}",
                              booking);
        swb_test_expect_error(&b, SWB_TOOL_E_FORBIDDEN, "cancel_tour_booking",
                              "{\"booking_id\":%lld}", booking);
        assert_int_equal(swb_test_places_left(a.pg, tour, date), 4);
        swb_test_user_fini(&a);
        swb_test_user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct swb_test_user u;
        char date[16];
        long long tour;
        json_t *r1, *r2;

        swb_test_user_init(&u, "replay", NULL);
        tour = swb_test_make_tour(u.pg, 5);
        swb_test_day(u.pg, 5, date);
        r1 = swb_test_call_as(&u, "book_tour", "t-1",
                              "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}",
                              tour, date);
        r2 = swb_test_call_as(&u, "book_tour", "t-1",
                              "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}",
                              tour, date);
        swb_test_assert_ok(r1);
        assert_true(json_equal(r1, r2));
        assert_int_equal(swb_test_places_left(u.pg, tour, date), 3);
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1",
                             u.id),
            1);
        assert_int_equal(
            swb_test_sql_int(
                u.pg, "SELECT count(*) FROM tool_results WHERE user_id = $1", u.id),
            1);
        json_decref(r1);
        json_decref(r2);
        /* A refusal is replayed too: the first answer stands. */
        r1 = swb_test_call_as(&u, "book_tour", "t-2",
                              "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":9}",
                              tour, date);
        swb_test_assert_error_code(r1, SWB_TOOL_E_SOLD_OUT);
        r2 = swb_test_call_as(&u, "book_tour", "t-2",
                              "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":9}",
                              tour, date);
        assert_true(json_equal(r1, r2));
        json_decref(r1);
        json_decref(r2);
        swb_test_user_fini(&u);
}

static void test_race_last_place(void **state)
{
        enum { N = 3 };
        struct swb_test_user u[N];
        char date[16];
        long long tour;
        int wins, sold_out;
        json_t *args;

        for (int i = 0; i < N; i++)
                swb_test_user_init(&u[i], "racer", NULL);
        tour = swb_test_make_tour(u[0].pg, 1);
        swb_test_day(u[0].pg, 6, date);
        args = json_pack("{s:I,s:s}", "tour_id", (json_int_t)tour, "date", date);
        swb_test_race(u, N, "book_tour", args, &wins, &sold_out);
        json_decref(args);
        assert_int_equal(wins, 1);
        assert_int_equal(sold_out, N - 1);
        assert_int_equal(swb_test_places_left(u[0].pg, tour, date), 0);
        for (int i = 0; i < N; i++)
                swb_test_user_fini(&u[i]);
}

static void test_cache_and_invalidation(void **state)
{
        struct swb_test_user u;
        char date[16];
        long long tour;
        double hits, misses;
        json_t *r;

        swb_test_user_init(&u, "cache", swb_test_redis_url);
        tour = swb_test_make_tour(u.pg, 7);
        swb_test_day(u.pg, 7, date);
        hits = swb_test_cache_count("availability", "hit");
        misses = swb_test_cache_count("availability", "miss");
#define AV "{\"tour_id\":%lld,\"date\":\"%s\"}"
        json_decref(swb_test_call(&u, "check_tour_availability", AV, tour, date));
        r = swb_test_call(&u, "check_tour_availability", AV, tour, date);
        assert_int_equal(swb_test_first(r, "departures", "available"), 7);
        json_decref(r);
        assert_true(swb_test_cache_count("availability", "hit") == hits + 1);
        assert_true(swb_test_cache_count("availability", "miss") == misses + 1);
        json_decref(swb_test_call(
            &u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}",
            tour, date));
        r = swb_test_call(&u, "check_tour_availability", AV, tour, date);
        assert_int_equal(swb_test_first(r, "departures", "available"), 5);
        json_decref(r);
        assert_true(swb_test_cache_count("availability", "miss") == misses + 2);

        /* tour searches: tours type */
        hits = swb_test_cache_count("tours", "hit");
        json_decref(swb_test_call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour));
        json_decref(swb_test_call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour));
        assert_true(swb_test_cache_count("tours", "hit") == hits + 1);
        swb_test_user_fini(&u);
}

static void test_redis_down(void **state)
{
        struct swb_test_user u;
        char url[64], date[16];
        long long tour;
        double errors = swb_test_cache_count("tours", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        swb_test_user_init(&u, "noredis", url);
        tour = swb_test_make_tour(u.pg, 3);
        swb_test_day(u.pg, 8, date);
        r = swb_test_call(&u, "search_tours_by_destination",
                          "{\"destination\":\"Bali\"}");
        assert_true(swb_test_jint(r, "count") > 0);
        json_decref(r);
        r = swb_test_call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour,
                          date);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "check_tour_availability",
                          "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, date);
        assert_int_equal(swb_test_first(r, "departures", "available"), 2);
        json_decref(r);
        assert_true(swb_test_cache_count("tours", "error") >= errors + 1);
        swb_test_user_fini(&u);
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
                                           swb_test_tools_teardown);
}
