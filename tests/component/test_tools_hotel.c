/*
 * component.tools_hotel: the hotel tools against the stack's PostgreSQL and
 * Redis: search (English and Indonesian phrasing), details, availability,
 * the booking lifecycle, refusals, idempotent replays, the race for the last
 * room, cache hits and invalidation, and Redis down.
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
        snprintf(u->id, sizeof(u->id), "test-hotel-%s-%s", tag, swb_test_unique());
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
        err = swb_tools_call(swb_tools_hotel, swb_tools_hotel_cnt, tool, &u->ctx, args,
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

static long long avail_of(swb_pg_t *pg, long long room_type_id, const char *night)
{
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT available FROM room_inventory WHERE room_type_id = %lld "
                 "AND stay_date = $1::date",
                 room_type_id);
        return sql_int(pg, sql, night);
}

/* A hotel of its own in a destination of its own, with one room type of
 * `rooms` rooms on sale for the next 20 nights. Sets ids. */
static void make_hotel(swb_pg_t *pg, int rooms, long long *hotel_id, long long *rt_id)
{
        char name[128], n[16], *s;

        snprintf(name, sizeof(name), "Testland %s", swb_test_unique());
        snprintf(n, sizeof(n), "%d", rooms);
        s = sql1(
            pg,
            "WITH d AS (INSERT INTO destinations (name, country, country_code, "
            "timezone) "
            "VALUES ($1, 'Testland', 'TL', 'Asia/Jakarta') RETURNING destination_id), "
            "h AS (INSERT INTO hotels (name, destination_id, city, address, stars, "
            "rating, "
            "base_price, currency, description) SELECT $1 || ' Inn', destination_id, "
            "$1, "
            "'Jl. Test 1', 3, 4.0, 500000, 'IDR', 'test' FROM d RETURNING hotel_id) "
            "SELECT hotel_id FROM h",
            name);
        *hotel_id = atoll(s);
        swb_free(s);
        s = swb_asprintf(
            "INSERT INTO room_types (hotel_id, name, capacity, bed, "
            "price_per_night, currency, total_rooms) VALUES (%lld, 'Only', 2, "
            "'queen', 500000, 'IDR', $1::int) RETURNING room_type_id",
            *hotel_id);
        {
                char *id = sql1(pg, s, n);
                *rt_id = atoll(id);
                swb_free(id);
        }
        swb_free(s);
        s = swb_asprintf(
            "INSERT INTO room_inventory (room_type_id, stay_date, total, available) "
            "SELECT %lld, d::date, $1::int, $1::int FROM generate_series("
            "CURRENT_DATE, CURRENT_DATE + 20, interval '1 day') d RETURNING 1",
            *rt_id);
        swb_free(sql1(pg, s, n));
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

/* ---- tests */

static void test_search(void **state)
{
        struct user u;
        json_t *r, *h;
        size_t i;

        user_init(&u, "search", NULL);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Bali\"}");
        assert_ok(r);
        assert_true(jint(r, "count") >= 5);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(jstr(h, "destination"), "Bali");
        json_decref(r);

        /* Indonesian phrasing and aliases */
        r = call(&u, "search_hotels_by_location",
                 "{\"location\":\"hotel di Bandung\"}");
        assert_true(jint(r, "count") >= 3);
        json_decref(r);
        r = call(&u, "search_hotels_by_location",
                 "{\"location\":\"Jogja\",\"min_stars\":4}");
        assert_true(jint(r, "count") >= 2);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
        {
                assert_string_equal(jstr(h, "destination"), "Yogyakarta");
                assert_true(jint(h, "stars") >= 4);
        }
        json_decref(r);
        /* The most specific match wins: an area over its island, an island
         * over its country, a longer name over a shorter one. */
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Ubud\"}");
        assert_true(jint(r, "count") >= 1);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(jstr(h, "city"), "Ubud");
        json_decref(r);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Seminyak, Bali\"}");
        assert_true(jint(r, "count") >= 1);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(jstr(h, "area"), "Seminyak");
        json_decref(r);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Bali, Indonesia\"}");
        assert_true(jint(r, "count") >= 5);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(jstr(h, "destination"), "Bali");
        json_decref(r);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Kuta Lombok\"}");
        assert_true(jint(r, "count") >= 1);
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(jstr(h, "destination"), "Lombok");
        json_decref(r);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Japan\"}");
        assert_true(jint(r, "count") >= 4); /* Tokyo and Osaka */
        json_decref(r);
        /* "Bali" is not in "Balikpapan" */
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Balikpapan\"}");
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_string_equal(jstr(h, "destination"), "Balikpapan");
        json_decref(r);

        r = call(&u, "search_hotels_by_location", "{\"location\":\"Atlantis\"}");
        assert_int_equal(jint(r, "count"), 0);
        assert_non_null(strstr(jstr(r, "message"), "Bali"));
        json_decref(r);

        r = call(&u, "get_hotels", "{\"sort\":\"price_low\",\"limit\":5}");
        assert_int_equal(jint(r, "count"), 5);
        json_decref(r);
        r = call(&u, "get_hotels", "{\"city\":\"Tokyo\",\"max_price\":200}");
        json_array_foreach(json_object_get(r, "hotels"), i, h)
            assert_true(json_number_value(json_object_get(h, "price_from")) <= 200);
        assert_true(jint(r, "count") >= 1);
        json_decref(r);
        user_fini(&u);
}

static void test_details_and_availability(void **state)
{
        struct user u;
        char ci[16], co[16];
        json_t *r, *rt;
        long long hotel;

        user_init(&u, "details", NULL);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Seminyak\"}");
        hotel = jint(json_array_get(json_object_get(r, "hotels"), 0), "hotel_id");
        json_decref(r);
        assert_true(hotel > 0);

        r = call(&u, "get_hotel_details", "{\"hotel_id\":%lld}", hotel);
        assert_ok(r);
        assert_int_equal(json_array_size(json_object_get(r, "room_types")), 3);
        assert_non_null(jstr(r, "address"));
        json_decref(r);
        r = call(&u, "get_hotel_details", "{\"hotel_id\":999999}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);

        day(u.pg, 3, ci);
        day(u.pg, 5, co);
        r = call(
            &u, "check_available_rooms",
            "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\",\"guests\":2}",
            hotel, ci, co);
        assert_ok(r);
        assert_int_equal(jint(r, "nights"), 2);
        assert_true(json_is_true(json_object_get(r, "any_available")));
        rt = json_array_get(json_object_get(r, "room_types"), 0);
        assert_true(jint(rt, "available_rooms") > 0);
        assert_true(json_number_value(json_object_get(rt, "total_price")) ==
                    2 * json_number_value(json_object_get(rt, "price_per_night")));
        json_decref(r);

        /* Bad stays are answered, not crashed on. */
        r = call(&u, "check_available_rooms",
                 "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\"}", hotel,
                 co, ci);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = call(&u, "check_available_rooms",
                 "{\"hotel_id\":%lld,\"check_in\":\"2001-01-01\",\"check_out\":\"2001-"
                 "01-03\"}",
                 hotel);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = call(&u, "check_available_rooms", "{\"hotel_id\":%lld,\"check_in\":\"%s\"}",
                 hotel, ci);
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        r = call(&u, "check_available_rooms",
                 "{\"hotel_id\":999999,\"check_in\":\"%s\",\"check_out\":\"%s\"}", ci,
                 co);
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        user_fini(&u);
}

static void test_lifecycle(void **state)
{
        struct user u;
        char ci[16], co[16];
        long long hotel, rt, booking;
        json_t *r, *pay;

        user_init(&u, "life", NULL);
        make_hotel(u.pg, 5, &hotel, &rt);
        day(u.pg, 2, ci);
        day(u.pg, 5, co);

        r = call(
            &u, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\",\"rooms\":2,\"guests\":3,\"contact_name\":\"Ayu\"}",
            hotel, rt, ci, co);
        assert_ok(r);
        booking = jint(r, "booking_id");
        assert_true(booking > 0);
        assert_string_equal(jstr(r, "status"), "pending");
        assert_int_equal(jint(r, "nights"), 3);
        assert_int_equal(jint(r, "amount"), 500000LL * 3 * 2);
        assert_string_equal(jstr(r, "currency"), "IDR");
        json_decref(r);
        assert_int_equal(avail_of(u.pg, rt, ci), 3);
        assert_int_equal(avail_of(u.pg, rt, co),
                         5); /* the check-out day is not a night */

        pay = call(&u, "process_hotel_payment",
                   "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", booking);
        assert_ok(pay);
        assert_string_equal(jstr(pay, "status"), "paid");
        assert_non_null(
            strstr(jstr(json_object_get(pay, "payment"), "transaction_id"), "TX-"));
        assert_int_equal(jint(json_object_get(pay, "payment"), "amount"), 3000000);
        /* A second payment (another call) is refused: already paid. */
        r = call(&u, "process_hotel_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        assert_error_code(r, SWB_TOOL_E_STATE);
        assert_non_null(
            strstr(jstr(json_object_get(r, "error"), "message"),
                   jstr(json_object_get(pay, "payment"), "transaction_id")));
        json_decref(r);
        json_decref(pay);

        r = call(&u, "cancel_hotel_booking",
                 "{\"booking_id\":%lld,\"reason\":\"plans changed\"}", booking);
        assert_ok(r);
        assert_string_equal(jstr(r, "status"), "cancelled");
        assert_non_null(
            strstr(jstr(json_object_get(r, "refund"), "transaction_id"), "RF-"));
        json_decref(r);
        assert_int_equal(avail_of(u.pg, rt, ci), 5);

        r = call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}", booking);
        assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);
        r = call(&u, "process_hotel_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", booking);
        assert_error_code(r, SWB_TOOL_E_STATE);
        json_decref(r);
        assert_int_equal(avail_of(u.pg, rt, ci), 5);

        /* Booking errors */
        r = call(&u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                 "\"check_out\":\"%s\",\"guests\":5}",
                 hotel, rt, ci, co);
        assert_error_code(r, SWB_TOOL_E_INVALID); /* 5 guests in one room for 2 */
        json_decref(r);
        r = call(&u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":1,\"check_in\":\"%s\",\"check_"
                 "out\":\"%s\"}",
                 hotel, ci, co);
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND); /* room type of another hotel */
        json_decref(r);
        r = call(&u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                 "\"check_out\":\"%s\",\"rooms\":6}",
                 hotel, rt, ci, co);
        assert_error_code(r, SWB_TOOL_E_SOLD_OUT);
        json_decref(r);
        r = call(&u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                 "\"check_out\":\"%s\",\"user_id\":\"someone\"}",
                 hotel, rt, ci, co);
        assert_error_code(r, SWB_TOOL_E_INVALID); /* the user is never an argument */
        json_decref(r);
        /* Not a hotel booking id for a hotel tool */
        r = call(&u, "cancel_hotel_booking", "{\"booking_id\":99999999}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        user_fini(&u);
}

static void test_other_users_booking(void **state)
{
        struct user a, b;
        char ci[16], co[16], id[32];
        long long hotel, rt, booking;
        json_t *r;

        user_init(&a, "owner", NULL);
        user_init(&b, "intruder", NULL);
        make_hotel(a.pg, 3, &hotel, &rt);
        day(a.pg, 1, ci);
        day(a.pg, 2, co);
        r = call(&a, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                 "\"check_out\":\"%s\"}",
                 hotel, rt, ci, co);
        assert_ok(r);
        booking = jint(r, "booking_id");
        json_decref(r);

        r = call(&b, "process_hotel_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", booking);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        r = call(&b, "cancel_hotel_booking", "{\"booking_id\":%lld}", booking);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);

        snprintf(id, sizeof(id), "%lld", booking);
        assert_int_equal(
            sql_int(a.pg,
                    "SELECT count(*) FROM bookings WHERE booking_id = $1::bigint "
                    "AND status = 'pending'",
                    id),
            1);
        assert_int_equal(
            sql_int(a.pg, "SELECT count(*) FROM payments WHERE booking_id = $1::bigint",
                    id),
            0);
        assert_int_equal(avail_of(a.pg, rt, ci), 2);
        user_fini(&a);
        user_fini(&b);
}

static void test_idempotent_replay(void **state)
{
        struct user u;
        char ci[16], co[16];
        long long hotel, rt, booking;
        json_t *first, *again, *pay1, *pay2, *c1, *c2;

        user_init(&u, "replay", NULL);
        make_hotel(u.pg, 4, &hotel, &rt);
        day(u.pg, 4, ci);
        day(u.pg, 6, co);
#define BOOK_ARGS                                                                      \
        "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\",\"check_out\":"  \
        "\"%s\"}"
        first = call_as(&u, "book_hotel_room", "book-1", BOOK_ARGS, hotel, rt, ci, co);
        assert_ok(first);
        again = call_as(&u, "book_hotel_room", "book-1", BOOK_ARGS, hotel, rt, ci, co);
        assert_true(json_equal(first, again));
        booking = jint(first, "booking_id");
        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM bookings WHERE user_id = $1", u.id), 1);
        assert_int_equal(avail_of(u.pg, rt, ci), 3);
        /* The same call id in another request is another call. */
        snprintf(u.request, sizeof(u.request), "req-%s", swb_test_unique());
        json_decref(again);
        again = call_as(&u, "book_hotel_room", "book-1", BOOK_ARGS, hotel, rt, ci, co);
        assert_ok(again);
        assert_int_not_equal(jint(again, "booking_id"), booking);
        assert_int_equal(avail_of(u.pg, rt, ci), 2);

        pay1 = call_as(&u, "process_hotel_payment", "pay-1",
                       "{\"booking_id\":%lld,\"payment_method\":\"bank_transfer\"}",
                       booking);
        pay2 = call_as(&u, "process_hotel_payment", "pay-1",
                       "{\"booking_id\":%lld,\"payment_method\":\"bank_transfer\"}",
                       booking);
        assert_ok(pay1);
        assert_true(json_equal(pay1, pay2));
        c1 = call_as(&u, "cancel_hotel_booking", "cancel-1", "{\"booking_id\":%lld}",
                     booking);
        c2 = call_as(&u, "cancel_hotel_booking", "cancel-1", "{\"booking_id\":%lld}",
                     booking);
        assert_ok(c1);
        assert_true(json_equal(c1, c2));
        {
                char id[32];
                snprintf(id, sizeof(id), "%lld", booking);
                assert_int_equal(sql_int(u.pg,
                                         "SELECT count(*) FROM payments WHERE "
                                         "booking_id = $1::bigint",
                                         id),
                                 2); /* one charge, one refund */
        }
        assert_int_equal(avail_of(u.pg, rt, ci), 3); /* released once */
        json_decref(first);
        json_decref(again);
        json_decref(pay1);
        json_decref(pay2);
        json_decref(c1);
        json_decref(c2);
        user_fini(&u);
}

struct racer {
        struct user u;
        long long hotel, rt;
        const char *ci, *co;
        pthread_barrier_t *go;
        json_t *res;
};

static void *race(void *arg)
{
        struct racer *r = arg;
        json_t *args = json_pack("{s:I,s:I,s:s,s:s}", "hotel_id", (json_int_t)r->hotel,
                                 "room_type_id", (json_int_t)r->rt, "check_in", r->ci,
                                 "check_out", r->co);
        snprintf(r->u.call, sizeof(r->u.call), "race");
        pthread_barrier_wait(r->go);
        if (swb_tools_call(swb_tools_hotel, swb_tools_hotel_cnt, "book_hotel_room",
                           &r->u.ctx, args, &r->res))
                r->res = NULL;
        json_decref(args);
        return NULL;
}

static void test_race_last_room(void **state)
{
        struct racer r[2];
        pthread_t th[2];
        pthread_barrier_t go;
        char ci[16], co[16];
        long long hotel, rt;
        int wins = 0, sold_out = 0;

        user_init(&r[0].u, "racer0", NULL);
        user_init(&r[1].u, "racer1", NULL);
        make_hotel(r[0].u.pg, 1, &hotel, &rt);
        day(r[0].u.pg, 7, ci);
        day(r[0].u.pg, 9, co);
        pthread_barrier_init(&go, NULL, 2);
        for (int i = 0; i < 2; i++) {
                r[i].hotel = hotel, r[i].rt = rt, r[i].ci = ci, r[i].co = co;
                r[i].go = &go, r[i].res = NULL;
                pthread_create(&th[i], NULL, race, &r[i]);
        }
        for (int i = 0; i < 2; i++)
                pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < 2; i++) {
                const char *code = NULL;
                assert_non_null(r[i].res);
                if (!swb_tools_is_error(r[i].res, &code))
                        wins++;
                else if (!strcmp(code, SWB_TOOL_E_SOLD_OUT))
                        sold_out++;
                json_decref(r[i].res);
        }
        assert_int_equal(wins, 1);
        assert_int_equal(sold_out, 1);
        assert_int_equal(avail_of(r[0].u.pg, rt, ci), 0);
        {
                char id[32];
                snprintf(id, sizeof(id), "%lld", rt);
                assert_int_equal(sql_int(r[0].u.pg,
                                         "SELECT count(*) FROM bookings WHERE "
                                         "room_type_id = $1::int",
                                         id),
                                 1);
        }
        user_fini(&r[0].u);
        user_fini(&r[1].u);
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
        char ci[16], co[16];
        long long hotel, rt;
        double hits, misses;
        json_t *r1, *r2, *b, *r3;

        user_init(&u, "cache", redis_url);
        make_hotel(u.pg, 4, &hotel, &rt);
        day(u.pg, 3, ci);
        day(u.pg, 4, co);
#define CHECK_ARGS "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\"}"
        hits = cache_count("availability", "hit");
        misses = cache_count("availability", "miss");
        r1 = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        r2 = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_true(json_equal(r1, r2));
        assert_true(cache_count("availability", "miss") == misses + 1);
        assert_true(cache_count("availability", "hit") == hits + 1);
        assert_int_equal(jint(json_array_get(json_object_get(r1, "room_types"), 0),
                              "available_rooms"),
                         4);

        /* A booking invalidates the hotel's availability... */
        b = call(&u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                 "\"check_out\":\"%s\"}",
                 hotel, rt, ci, co);
        assert_ok(b);
        r3 = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_true(cache_count("availability", "miss") == misses + 2);
        assert_int_equal(jint(json_array_get(json_object_get(r3, "room_types"), 0),
                              "available_rooms"),
                         3);
        json_decref(r3);
        /* ...and is cached again after. */
        r3 = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_true(cache_count("availability", "hit") == hits + 2);
        json_decref(r3);

        /* Cancelling returns the room and invalidates again. */
        json_decref(call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}",
                         jint(b, "booking_id")));
        r3 = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_int_equal(jint(json_array_get(json_object_get(r3, "room_types"), 0),
                              "available_rooms"),
                         4);
        json_decref(r3);

        /* Hotel searches are cached too; error results are not. */
        hits = cache_count("hotels", "hit");
        json_decref(call(&u, "search_hotels_by_location", "{\"location\":\"Lombok\"}"));
        json_decref(call(&u, "search_hotels_by_location", "{\"location\":\"Lombok\"}"));
        assert_true(cache_count("hotels", "hit") >= hits + 1);
        hits = cache_count("hotels", "hit");
        json_decref(call(&u, "get_hotel_details", "{\"hotel_id\":987654}"));
        json_decref(call(&u, "get_hotel_details", "{\"hotel_id\":987654}"));
        assert_true(cache_count("hotels", "hit") == hits);

        json_decref(r1);
        json_decref(r2);
        json_decref(b);
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
        char url[64], ci[16], co[16];
        long long hotel, rt;
        double errors = cache_count("availability", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", dead_port());
        user_init(&u, "noredis", url);
        make_hotel(u.pg, 2, &hotel, &rt);
        day(u.pg, 3, ci);
        day(u.pg, 4, co);
        r = call(&u, "search_hotels_by_location", "{\"location\":\"Bali\"}");
        assert_true(jint(r, "count") > 0);
        json_decref(r);
        r = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                 "\"check_out\":\"%s\"}",
                 hotel, rt, ci, co);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "check_available_rooms", CHECK_ARGS, hotel, ci, co);
        assert_int_equal(jint(json_array_get(json_object_get(r, "room_types"), 0),
                              "available_rooms"),
                         1);
        json_decref(r);
        assert_true(cache_count("availability", "error") >= errors + 2);
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
            cmocka_unit_test(test_race_last_room),
            cmocka_unit_test(test_cache_and_invalidation),
            cmocka_unit_test(test_redis_down),
        };
        return cmocka_run_group_tests_name("component.tools_hotel", tests, group_setup,
                                           group_teardown);
}
