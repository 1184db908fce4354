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

static long long places_of(swb_pg_t *pg, long long tour_id, const char *date)
{
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT available FROM tour_departures WHERE tour_id = %lld AND "
                 "tour_date = $1::date",
                 tour_id);
        return swb_test_sql_int(pg, sql, date);
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
        s = swb_test_sql1(pg, sql, name);
        tour = atoll(s);
        swb_free(s);
        swb_free(sql);
        sql = swb_asprintf(
            "INSERT INTO tour_departures (tour_id, tour_date, capacity, available) "
            "SELECT %lld, d::date, %d, %d FROM generate_series(CURRENT_DATE, "
            "CURRENT_DATE + 20, interval '1 day') d RETURNING 1",
            tour, capacity, capacity);
        swb_free(swb_test_sql1(pg, sql, NULL));
        swb_free(sql);
        return tour;
}

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
        r = swb_test_call(&u, "search_tours_by_destination", "{\"destination\":\"Yogyakarta\"}");
        assert_true(swb_test_jint(r, "count") >= 5);
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_string_equal(swb_test_jstr(t, "destination"), "Yogyakarta");
        json_decref(r);
        /* as people ask */
        r = swb_test_call(&u, "search_tours_by_destination",
                 "{\"destination\":\"what tours do you have in Jogja\"}");
        assert_true(swb_test_jint(r, "count") >= 5);
        json_decref(r);
        r = swb_test_call(&u, "search_tours_by_destination",
                 "{\"destination\":\"tur di Bali\",\"category\":\"food\"}");
        assert_true(swb_test_jint(r, "count") >= 1);
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_string_equal(swb_test_jstr(t, "category"), "food");
        json_decref(r);
        /* Prambanan & Ramayana runs Tue/Thu/Sat only: a date filters by weekday. */
        swb_test_day(u.pg, 1, date);
        r = swb_test_call(&u, "search_tours_by_destination",
                 "{\"destination\":\"Yogyakarta\",\"date\":\"%s\",\"limit\":50}", date);
        assert_true(swb_test_jint(r, "count") >= 3);
        json_decref(r);
        r = swb_test_call(&u, "search_tours_by_destination", "{\"destination\":\"Atlantis\"}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(strstr(swb_test_jstr(r, "message"), "Yogyakarta"));
        json_decref(r);
        r = swb_test_call(&u, "get_tours", "{\"max_price\":60,\"category\":\"city\"}");
        json_array_foreach(json_object_get(r, "tours"), i, t)
            assert_true(json_number_value(json_object_get(t, "price")) <= 60);
        json_decref(r);
        r = swb_test_call(&u, "get_tours", "{\"category\":\"skydiving\"}");
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_details_and_availability(void **state)
{
        struct swb_test_user u;
        char date[16];
        long long tour;
        json_t *r;

        swb_test_user_init(&u, "details", NULL);
        tour = make_tour(u.pg, 8);
        r = swb_test_call(&u, "get_tour_details", "{\"tour_id\":%lld}", tour);
        swb_test_assert_ok(r);
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(r, "runs_on"), 0)), "Mon");
        assert_string_equal(swb_test_jstr(r, "meeting_point"), "Town square");
        json_decref(r);
        r = swb_test_call(&u, "get_tour_details", "{\"tour_id\":9999999}");
        swb_test_assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);

        swb_test_day(u.pg, 2, date);
        r = swb_test_call(&u, "check_tour_availability",
                 "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":3}", tour, date);
        swb_test_assert_ok(r);
        assert_int_equal(json_array_size(json_object_get(r, "departures")), 1);
        assert_int_equal(
            swb_test_jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 8);
        assert_int_equal(
            swb_test_jint(json_array_get(json_object_get(r, "departures"), 0), "total_price"),
            750000);
        json_decref(r);
        r = swb_test_call(&u, "check_tour_availability", "{\"tour_id\":%lld}", tour);
        assert_int_equal(json_array_size(json_object_get(r, "departures")),
                         15); /* today + 14 */
        json_decref(r);
        swb_test_day(u.pg, 40, date);
        r = swb_test_call(&u, "check_tour_availability", "{\"tour_id\":%lld,\"date\":\"%s\"}",
                 tour, date);
        assert_int_equal(json_array_size(json_object_get(r, "departures")), 0);
        assert_non_null(swb_test_jstr(r, "message"));
        json_decref(r);
        r = swb_test_call(&u, "check_tour_availability",
                 "{\"tour_id\":%lld,\"date\":\"2020-01-01\"}", tour);
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct swb_test_user u;
        char date[16], far[16];
        long long tour, booking;
        json_t *r;

        swb_test_user_init(&u, "life", NULL);
        tour = make_tour(u.pg, 6);
        swb_test_day(u.pg, 3, date);
        r = swb_test_call(&u, "book_tour",
                 "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":4}", tour, date);
        swb_test_assert_ok(r);
        booking = swb_test_jint(r, "booking_id");
        assert_int_equal(swb_test_jint(r, "amount"), 1000000);
        assert_string_equal(swb_test_jstr(r, "date"), date);
        json_decref(r);
        assert_int_equal(places_of(u.pg, tour, date), 2);
        r = swb_test_call(&u, "book_tour",
                 "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":3}", tour, date);
        swb_test_assert_error_code(r, SWB_TOOL_E_SOLD_OUT);
        json_decref(r);

        r = swb_test_call(&u, "process_tour_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", booking);
        swb_test_assert_ok(r);
        assert_int_equal(swb_test_jint(r, "tour_id"), tour);
        assert_int_equal(swb_test_jint(r, "released"), 4);
        json_decref(r);
        assert_int_equal(places_of(u.pg, tour, date), 6);

        swb_test_day(u.pg, 45, far);
        r = swb_test_call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, far);
        swb_test_assert_error_code(r, SWB_TOOL_E_SOLD_OUT); /* no departure that day */
        json_decref(r);
        r = swb_test_call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"2020-02-02\"}", tour);
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = swb_test_call(&u, "book_tour", "{\"tour_id\":9999999,\"date\":\"%s\"}", date);
        swb_test_assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        r = swb_test_call(&u, "book_tour", "{\"tour_id\":%lld}", tour);
        swb_test_assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct swb_test_user a, b;
        char date[16];
        long long tour, booking;
        json_t *r;

        swb_test_user_init(&a, "owner", NULL);
        swb_test_user_init(&b, "intruder", NULL);
        tour = make_tour(a.pg, 5);
        swb_test_day(a.pg, 4, date);
        r = swb_test_call(&a, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, date);
        booking = swb_test_jint(r, "booking_id");
        json_decref(r);
        r = swb_test_call(&b, "process_tour_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        r = swb_test_call(&b, "cancel_tour_booking", "{\"booking_id\":%lld}", booking);
        swb_test_assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        assert_int_equal(places_of(a.pg, tour, date), 4);
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
        tour = make_tour(u.pg, 5);
        swb_test_day(u.pg, 5, date);
        r1 = swb_test_call_as(&u, "book_tour", "t-1",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}", tour,
                     date);
        r2 = swb_test_call_as(&u, "book_tour", "t-1",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}", tour,
                     date);
        swb_test_assert_ok(r1);
        assert_true(json_equal(r1, r2));
        assert_int_equal(places_of(u.pg, tour, date), 3);
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1", u.id), 1);
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM tool_results WHERE user_id = $1", u.id),
            1);
        json_decref(r1);
        json_decref(r2);
        /* A refusal is replayed too: the first answer stands. */
        r1 = swb_test_call_as(&u, "book_tour", "t-2",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":9}", tour,
                     date);
        swb_test_assert_error_code(r1, SWB_TOOL_E_SOLD_OUT);
        r2 = swb_test_call_as(&u, "book_tour", "t-2",
                     "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":9}", tour,
                     date);
        assert_true(json_equal(r1, r2));
        json_decref(r1);
        json_decref(r2);
        swb_test_user_fini(&u);
}

struct racer {
        struct swb_test_user u;
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
                swb_test_user_init(&r[i].u, "racer", NULL);
        tour = make_tour(r[0].u.pg, 1);
        swb_test_day(r[0].u.pg, 6, date);
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
                swb_test_user_fini(&r[i].u);
}

static void test_cache_and_invalidation(void **state)
{
        struct swb_test_user u;
        char date[16];
        long long tour;
        double hits, misses;
        json_t *r;

        swb_test_user_init(&u, "cache", swb_test_redis_url);
        tour = make_tour(u.pg, 7);
        swb_test_day(u.pg, 7, date);
        hits = swb_test_cache_count("availability", "hit");
        misses = swb_test_cache_count("availability", "miss");
#define AV "{\"tour_id\":%lld,\"date\":\"%s\"}"
        json_decref(swb_test_call(&u, "check_tour_availability", AV, tour, date));
        r = swb_test_call(&u, "check_tour_availability", AV, tour, date);
        assert_int_equal(
            swb_test_jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 7);
        json_decref(r);
        assert_true(swb_test_cache_count("availability", "hit") == hits + 1);
        assert_true(swb_test_cache_count("availability", "miss") == misses + 1);
        json_decref(swb_test_call(&u, "book_tour",
                         "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":2}", tour,
                         date));
        r = swb_test_call(&u, "check_tour_availability", AV, tour, date);
        assert_int_equal(
            swb_test_jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 5);
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
        tour = make_tour(u.pg, 3);
        swb_test_day(u.pg, 8, date);
        r = swb_test_call(&u, "search_tours_by_destination", "{\"destination\":\"Bali\"}");
        assert_true(swb_test_jint(r, "count") > 0);
        json_decref(r);
        r = swb_test_call(&u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, date);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "check_tour_availability", "{\"tour_id\":%lld,\"date\":\"%s\"}",
                 tour, date);
        assert_int_equal(
            swb_test_jint(json_array_get(json_object_get(r, "departures"), 0), "available"), 2);
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
