/*
 * component.tools_hotel: the hotel tools against the stack's PostgreSQL and
 * Redis: search (English and Indonesian phrasing), details, availability,
 * the booking lifecycle, refusals, idempotent replays, the race for the last
 * room, cache hits and invalidation, and Redis down.
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
        return swb_test_tools_setup("hotel", swb_tools_hotel, swb_tools_hotel_cnt,
                                    NULL);
}

/* ---- tests */

static void test_search(void **state)
{
        struct swb_test_user u;
        json_t *r, *h;
        size_t i;

        swb_test_user_init(&u, "search", NULL);
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 5,
                             "destination", "Bali", "{\"location\":\"Bali\"}");

        /* Indonesian phrasing and aliases */
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 3, NULL, NULL,
                             "{\"location\":\"hotel di Bandung\"}");
        r = swb_test_call(&u, "search_hotels_by_location",
                          "{\"location\":\"Jogja\",\"min_stars\":4}");
        assert_true(swb_test_jint(r, "count") >= 2);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
        {
                assert_string_equal(swb_test_jstr(h, "destination"), "Yogyakarta");
                assert_true(swb_test_jint(h, "stars") >= 4);
        }
        json_decref(r);
        /* The most specific match wins: an area over its island, an island
         * over its country, a longer name over a shorter one. */
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 1, "city",
                             "Ubud", "{\"location\":\"Ubud\"}");
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 1, "area",
                             "Seminyak", "{\"location\":\"Seminyak, Bali\"}");
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 5,
                             "destination", "Bali",
                             "{\"location\":\"Bali, Indonesia\"}");
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 1,
                             "destination", "Lombok", "{\"location\":\"Kuta Lombok\"}");
        swb_test_expect_list(&u, "search_hotels_by_location", "hotels", 4, NULL, NULL,
                             "{\"location\":\"Japan\"}"); /* Tokyo and Osaka */
        /* "Bali" is not in "Balikpapan" */
        r = swb_test_call(&u, "search_hotels_by_location",
                          "{\"location\":\"Balikpapan\"}");
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(swb_test_jstr(h, "destination"), "Balikpapan");
        json_decref(r);

        r = swb_test_call(&u, "search_hotels_by_location",
                          "{\"location\":\"Atlantis\"}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(strstr(swb_test_jstr(r, "message"), "Bali"));
        json_decref(r);

        r = swb_test_call(&u, "get_hotels", "{\"sort\":\"price_low\",\"limit\":5}");
        assert_int_equal(swb_test_jint(r, "count"), 5);
        json_decref(r);
        r = swb_test_call(&u, "get_hotels", "{\"city\":\"Tokyo\",\"max_price\":200}");
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_true(json_number_value(json_object_get(h, "price_from")) <= 200);
        assert_true(swb_test_jint(r, "count") >= 1);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_details_and_availability(void **state)
{
        struct swb_test_user u;
        char ci[16], co[16];
        json_t *r, *rt;
        long long hotel;

        swb_test_user_init(&u, "details", NULL);
        r = swb_test_call(&u, "search_hotels_by_location",
                          "{\"location\":\"Seminyak\"}");
        hotel = swb_test_first(r, "hotels", "hotel_id");
        json_decref(r);
        assert_true(hotel > 0);

        r = swb_test_call(&u, "get_hotel_details", "{\"hotel_id\":%lld}", hotel);
        swb_test_assert_ok(r);
        assert_int_equal(json_array_size(json_object_get(r, "room_types")), 3);
        assert_non_null(swb_test_jstr(r, "address"));
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "get_hotel_details",
                              "{\"hotel_id\":999999}");

        swb_test_day(u.pg, 3, ci);
        swb_test_day(u.pg, 5, co);
        r = swb_test_call(
            &u, "check_available_rooms",
            "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\",\"guests\":2}",
            hotel, ci, co);
        swb_test_assert_ok(r);
        assert_int_equal(swb_test_jint(r, "nights"), 2);
        assert_true(json_is_true(json_object_get(r, "any_available")));
        rt = json_array_get(json_object_get(r, "room_types"), 0);
        assert_true(swb_test_jint(rt, "available_rooms") > 0);
        assert_true(json_number_value(json_object_get(rt, "total_price")) ==
                    2 * json_number_value(json_object_get(rt, "price_per_night")));
        json_decref(r);

        /* Bad stays are answered, not crashed on. */
        swb_test_expect_error(
            &u, SWB_TOOL_E_INVALID, "check_available_rooms",
            "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\"}", hotel, co,
            ci);
        swb_test_expect_error(
            &u, SWB_TOOL_E_INVALID, "check_available_rooms",
            "{\"hotel_id\":%lld,\"check_in\":\"2001-01-01\",\"check_out\":\"2001-"
            "01-03\"}",
            hotel);
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "check_available_rooms",
                              "{\"hotel_id\":%lld,\"check_in\":\"%s\"}", hotel, ci);
        swb_test_expect_error(
            &u, SWB_TOOL_E_NOT_FOUND, "check_available_rooms",
            "{\"hotel_id\":999999,\"check_in\":\"%s\",\"check_out\":\"%s\"}", ci, co);
        swb_test_user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct swb_test_user u;
        char ci[16], co[16];
        long long hotel, rt, booking;
        json_t *r, *pay;

        swb_test_user_init(&u, "life", NULL);
        swb_test_make_hotel(u.pg, 5, &hotel, &rt);
        swb_test_day(u.pg, 2, ci);
        swb_test_day(u.pg, 5, co);

        r = swb_test_call(
            &u, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\",\"rooms\":2,\"guests\":3,\"contact_name\":\"Ayu\"}",
            hotel, rt, ci, co);
        swb_test_assert_ok(r);
        booking = swb_test_jint(r, "booking_id");
        assert_true(booking > 0);
        assert_string_equal(swb_test_jstr(r, "status"), "pending");
        assert_int_equal(swb_test_jint(r, "nights"), 3);
        assert_int_equal(swb_test_jint(r, "amount"), 500000LL * 3 * 2);
        assert_string_equal(swb_test_jstr(r, "currency"), "IDR");
        json_decref(r);
        assert_int_equal(swb_test_rooms_left(u.pg, rt, ci), 3);
        assert_int_equal(swb_test_rooms_left(u.pg, rt, co),
                         5); /* the check-out day is not a night */

        pay = swb_test_call(&u, "process_hotel_payment",
                            "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}",
                            booking);
        swb_test_assert_ok(pay);
        assert_string_equal(swb_test_jstr(pay, "status"), "paid");
        assert_non_null(strstr(
            swb_test_jstr(json_object_get(pay, "payment"), "transaction_id"), "TX-"));
        assert_int_equal(swb_test_jint(json_object_get(pay, "payment"), "amount"),
                         3000000);
        /* A second payment (another call) is refused: already paid. */
        r = swb_test_call(&u, "process_hotel_payment",
                          "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}",
                          booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_STATE);
        assert_non_null(
            strstr(swb_test_jstr(json_object_get(r, "error"), "message"),
                   swb_test_jstr(json_object_get(pay, "payment"), "transaction_id")));
        json_decref(r);
        json_decref(pay);

        r = swb_test_call(&u, "cancel_hotel_booking",
                          "{\"booking_id\":%lld,\"reason\":\"plans changed\"}",
                          booking);
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(r, "status"), "cancelled");
        assert_non_null(strstr(
            swb_test_jstr(json_object_get(r, "refund"), "transaction_id"), "RF-"));
        json_decref(r);
        assert_int_equal(swb_test_rooms_left(u.pg, rt, ci), 5);

        swb_test_expect_error(&u, SWB_TOOL_E_STATE, "cancel_hotel_booking",
                              "{\"booking_id\":%lld}", booking);
        swb_test_expect_error(&u, SWB_TOOL_E_STATE, "process_hotel_payment",
                              "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}",
                              booking);
        assert_int_equal(swb_test_rooms_left(u.pg, rt, ci), 5);

        /* Booking errors. 5 guests in one room for 2: */
        swb_test_expect_error(
            &u, SWB_TOOL_E_INVALID, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\",\"guests\":5}",
            hotel, rt, ci, co);
        /* room type of another hotel */
        swb_test_expect_error(
            &u, SWB_TOOL_E_NOT_FOUND, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":1,\"check_in\":\"%s\",\"check_"
            "out\":\"%s\"}",
            hotel, ci, co);
        swb_test_expect_error(
            &u, SWB_TOOL_E_SOLD_OUT, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\",\"rooms\":6}",
            hotel, rt, ci, co);
        /* the user is never an argument */
        swb_test_expect_error(
            &u, SWB_TOOL_E_INVALID, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\",\"user_id\":\"someone\"}",
            hotel, rt, ci, co);
        /* Not a hotel booking id for a hotel tool */
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "cancel_hotel_booking",
                              "{\"booking_id\":99999999}");
        swb_test_user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct swb_test_user a, b;
        char ci[16], co[16], id[32];
        long long hotel, rt, booking;

        swb_test_user_init(&a, "owner", NULL);
        swb_test_user_init(&b, "intruder", NULL);
        swb_test_make_hotel(a.pg, 3, &hotel, &rt);
        swb_test_day(a.pg, 1, ci);
        swb_test_day(a.pg, 2, co);
        booking = swb_test_book(
            &a, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\"}",
            hotel, rt, ci, co);

        swb_test_expect_error(
            &b, SWB_TOOL_E_FORBIDDEN, "process_hotel_payment",
            "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        swb_test_expect_error(&b, SWB_TOOL_E_FORBIDDEN, "cancel_hotel_booking",
                              "{\"booking_id\":%lld}", booking);

        snprintf(id, sizeof(id), "%lld", booking);
        assert_int_equal(
            swb_test_sql_int(
                a.pg,
                "SELECT count(*) FROM bookings WHERE booking_id = $1::bigint "
                "AND status = 'pending'",
                id),
            1);
        assert_int_equal(
            swb_test_sql_int(
                a.pg, "SELECT count(*) FROM payments WHERE booking_id = $1::bigint",
                id),
            0);
        assert_int_equal(swb_test_rooms_left(a.pg, rt, ci), 2);
        swb_test_user_fini(&a);
        swb_test_user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct swb_test_user u;
        char ci[16], co[16];
        long long hotel, rt, booking;
        json_t *first, *again, *pay1, *pay2, *c1, *c2;

        swb_test_user_init(&u, "replay", NULL);
        swb_test_make_hotel(u.pg, 4, &hotel, &rt);
        swb_test_day(u.pg, 4, ci);
        swb_test_day(u.pg, 6, co);
#define BOOK_ARGS                                                                      \
        "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\",\"check_out\":"  \
        "\"%s\"}"
        first = swb_test_call_as(&u, "book_hotel_room", "book-1", BOOK_ARGS, hotel, rt,
                                 ci, co);
        swb_test_assert_ok(first);
        again = swb_test_call_as(&u, "book_hotel_room", "book-1", BOOK_ARGS, hotel, rt,
                                 ci, co);
        assert_true(json_equal(first, again));
        booking = swb_test_jint(first, "booking_id");
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1",
                             u.id),
            1);
        assert_int_equal(swb_test_rooms_left(u.pg, rt, ci), 3);
        /* The same call id in another request is another call. */
        snprintf(u.request, sizeof(u.request), "req-%s", swb_test_unique());
        json_decref(again);
        again = swb_test_call_as(&u, "book_hotel_room", "book-1", BOOK_ARGS, hotel, rt,
                                 ci, co);
        swb_test_assert_ok(again);
        assert_int_not_equal(swb_test_jint(again, "booking_id"), booking);
        assert_int_equal(swb_test_rooms_left(u.pg, rt, ci), 2);

        pay1 = swb_test_call_as(
            &u, "process_hotel_payment", "pay-1",
            "{\"booking_id\":%lld,\"payment_method\":\"bank_transfer\"}", booking);
        pay2 = swb_test_call_as(
            &u, "process_hotel_payment", "pay-1",
            "{\"booking_id\":%lld,\"payment_method\":\"bank_transfer\"}", booking);
        swb_test_assert_ok(pay1);
        assert_true(json_equal(pay1, pay2));
        c1 = swb_test_call_as(&u, "cancel_hotel_booking", "cancel-1",
                              "{\"booking_id\":%lld}", booking);
        c2 = swb_test_call_as(&u, "cancel_hotel_booking", "cancel-1",
                              "{\"booking_id\":%lld}", booking);
        swb_test_assert_ok(c1);
        assert_true(json_equal(c1, c2));
        {
                char id[32];
                snprintf(id, sizeof(id), "%lld", booking);
                assert_int_equal(swb_test_sql_int(u.pg,
                                                  "SELECT count(*) FROM payments WHERE "
                                                  "booking_id = $1::bigint",
                                                  id),
                                 2); /* one charge, one refund */
        }
        assert_int_equal(swb_test_rooms_left(u.pg, rt, ci), 3); /* released once */
        json_decref(first);
        json_decref(again);
        json_decref(pay1);
        json_decref(pay2);
        json_decref(c1);
        json_decref(c2);
        swb_test_user_fini(&u);
}

static void test_race_last_room(void **state)
{
        struct swb_test_user u[2];
        char ci[16], co[16], id[32];
        long long hotel, rt;
        int wins, sold_out;
        json_t *args;

        swb_test_user_init(&u[0], "racer0", NULL);
        swb_test_user_init(&u[1], "racer1", NULL);
        swb_test_make_hotel(u[0].pg, 1, &hotel, &rt);
        swb_test_day(u[0].pg, 7, ci);
        swb_test_day(u[0].pg, 9, co);
        args =
            json_pack("{s:I,s:I,s:s,s:s}", "hotel_id", (json_int_t)hotel,
                      "room_type_id", (json_int_t)rt, "check_in", ci, "check_out", co);
        swb_test_race(u, 2, "book_hotel_room", args, &wins, &sold_out);
        json_decref(args);
        assert_int_equal(wins, 1);
        assert_int_equal(sold_out, 1);
        assert_int_equal(swb_test_rooms_left(u[0].pg, rt, ci), 0);
        snprintf(id, sizeof(id), "%lld", rt);
        assert_int_equal(swb_test_sql_int(u[0].pg,
                                          "SELECT count(*) FROM bookings WHERE "
                                          "room_type_id = $1::int",
                                          id),
                         1);
        swb_test_user_fini(&u[0]);
        swb_test_user_fini(&u[1]);
}

static void test_cache_and_invalidation(void **state)
{
        struct swb_test_user u;
        char ci[16], co[16];
        long long hotel, rt;
        double hits, misses;
        json_t *r1, *r2, *b, *r3;

        swb_test_user_init(&u, "cache", swb_test_redis_url);
        swb_test_make_hotel(u.pg, 4, &hotel, &rt);
        swb_test_day(u.pg, 3, ci);
        swb_test_day(u.pg, 4, co);
#define CHECK_ARGS "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\"}"
        hits = swb_test_cache_count("availability", "hit");
        misses = swb_test_cache_count("availability", "miss");
        r1 = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        r2 = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_true(json_equal(r1, r2));
        assert_true(swb_test_cache_count("availability", "miss") == misses + 1);
        assert_true(swb_test_cache_count("availability", "hit") == hits + 1);
        assert_int_equal(swb_test_first(r1, "room_types", "available_rooms"), 4);

        /* A booking invalidates the hotel's availability... */
        b = swb_test_call(
            &u, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\"}",
            hotel, rt, ci, co);
        swb_test_assert_ok(b);
        r3 = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_true(swb_test_cache_count("availability", "miss") == misses + 2);
        assert_int_equal(swb_test_first(r3, "room_types", "available_rooms"), 3);
        json_decref(r3);
        /* ...and is cached again after. */
        r3 = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_true(swb_test_cache_count("availability", "hit") == hits + 2);
        json_decref(r3);

        /* Cancelling returns the room and invalidates again. */
        json_decref(swb_test_call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}",
                                  swb_test_jint(b, "booking_id")));
        r3 = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_int_equal(swb_test_first(r3, "room_types", "available_rooms"), 4);
        json_decref(r3);

        /* Hotel searches are cached too; error results are not. */
        hits = swb_test_cache_count("hotels", "hit");
        json_decref(swb_test_call(&u, "search_hotels_by_location",
                                  "{\"location\":\"Lombok\"}"));
        json_decref(swb_test_call(&u, "search_hotels_by_location",
                                  "{\"location\":\"Lombok\"}"));
        assert_true(swb_test_cache_count("hotels", "hit") >= hits + 1);
        hits = swb_test_cache_count("hotels", "hit");
        json_decref(swb_test_call(&u, "get_hotel_details", "{\"hotel_id\":987654}"));
        json_decref(swb_test_call(&u, "get_hotel_details", "{\"hotel_id\":987654}"));
        assert_true(swb_test_cache_count("hotels", "hit") == hits);

        json_decref(r1);
        json_decref(r2);
        json_decref(b);
        swb_test_user_fini(&u);
}

static void test_redis_down(void **state)
{
        struct swb_test_user u;
        char url[64], ci[16], co[16];
        long long hotel, rt;
        double errors = swb_test_cache_count("availability", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        swb_test_user_init(&u, "noredis", url);
        swb_test_make_hotel(u.pg, 2, &hotel, &rt);
        swb_test_day(u.pg, 3, ci);
        swb_test_day(u.pg, 4, co);
        r = swb_test_call(&u, "search_hotels_by_location", "{\"location\":\"Bali\"}");
        assert_true(swb_test_jint(r, "count") > 0);
        json_decref(r);
        r = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(
            &u, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\"}",
            hotel, rt, ci, co);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_int_equal(swb_test_first(r, "room_types", "available_rooms"), 1);
        json_decref(r);
        assert_true(swb_test_cache_count("availability", "error") >= errors + 2);
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
            cmocka_unit_test(test_race_last_room),
            cmocka_unit_test(test_cache_and_invalidation),
            cmocka_unit_test(test_redis_down),
        };
        return cmocka_run_group_tests_name("component.tools_hotel", tests, group_setup,
                                           swb_test_tools_teardown);
}
