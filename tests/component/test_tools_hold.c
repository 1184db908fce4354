/*
 * component.tools_hold: the payment window of pending bookings against the
 * stack's PostgreSQL and Redis. A booking older than booking.hold.minutes is
 * cancelled by the expiry (swb_tools_booking_expire) with its rooms, seats and
 * places back on sale and the cache told; a fresh one, or a paid one, is left
 * alone; paying a booking past its hold is refused (English and Indonesian)
 * and charges nothing, swept or not; the hold shows in the booking's answers;
 * concurrent expiries release each booking once and never wait for each
 * other; the agents' periodic sweep runs when due; 0 turns holds off.
 * Bookings are made old by moving created_at back, not by waiting.
 */
#include "swb_test_tools.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_cache.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_tools.h"

#define HOLD 30 /* booking.hold.minutes' default */

/* The inventory of a test of its own: a hotel with 10 rooms, a flight with 10
 * seats, a tour with 10 places; stays and the tour date 3 days ahead. */
struct stock {
        long long hotel, rt, flight, tour;
        char ci[16], co[16];
};

static void make_stock(struct swb_test_user *u, struct stock *s)
{
        swb_test_make_hotel(u->pg, 10, &s->hotel, &s->rt);
        s->flight = swb_test_make_flight(u->pg, 10, 4, 0);
        s->tour = swb_test_make_tour(u->pg, 10);
        swb_test_day(u->pg, 3, s->ci);
        swb_test_day(u->pg, 5, s->co);
}

/* Each test: a user of its own (with the cache) and a stock of its own. */
struct fixture {
        struct swb_test_user u;
        struct stock s;
};

static int fixture_setup(void **state)
{
        struct fixture *f = swb_calloc(1, sizeof(*f));

        swb_test_user_init(&f->u, "hold", swb_test_redis_url);
        make_stock(&f->u, &f->s);
        *state = f;
        return 0;
}

static int fixture_teardown(void **state)
{
        struct fixture *f = *state;

        swb_test_user_fini(&f->u);
        swb_free(f);
        return 0;
}

/* Rooms of the stock's stay check_available_rooms offers (through the cache). */
static long long rooms_offered(struct swb_test_user *u, const struct stock *s)
{
        json_t *r = swb_test_call(
            u, "check_available_rooms",
            "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\"}", s->hotel,
            s->ci, s->co);
        long long n = swb_test_first(r, "room_types", "available_rooms");

        json_decref(r);
        return n;
}

static long long book_rooms(struct swb_test_user *u, const struct stock *s, int rooms)
{
        return swb_test_book(
            u, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
            "\"check_out\":\"%s\",\"rooms\":%d}",
            s->hotel, s->rt, s->ci, s->co, rooms);
}

static long long book_seats(struct swb_test_user *u, const struct stock *s, int n)
{
        return swb_test_book(u, "book_flight", "{\"flight_id\":%lld,\"passengers\":%d}",
                             s->flight, n);
}

static long long book_places(struct swb_test_user *u, const struct stock *s, int n)
{
        return swb_test_book(u, "book_tour",
                             "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":%d}",
                             s->tour, s->ci, n);
}

/* Rooms left on the first night, seats, places left on the tour date. */
static void assert_stock(swb_pg_t *pg, const struct stock *s, long long rooms,
                         long long seats, long long places)
{
        assert_int_equal(swb_test_rooms_left(pg, s->rt, s->ci), rooms);
        assert_int_equal(swb_test_seats_left(pg, s->flight), seats);
        assert_int_equal(swb_test_places_left(pg, s->tour, s->ci), places);
}

/* Move the booking's created_at `minutes` into the past. */
static void backdate(swb_pg_t *pg, long long booking, int minutes)
{
        char id[32], *sql = swb_asprintf("UPDATE bookings SET created_at = now() - "
                                         "interval '%d minutes' WHERE booking_id = "
                                         "$1::bigint RETURNING 1",
                                         minutes);
        snprintf(id, sizeof(id), "%lld", booking);
        assert_int_equal(swb_test_sql_int(pg, sql, id), 1);
        swb_free(sql);
}

/* status, or status:cancel_reason for a cancelled booking */
static char *state_of(swb_pg_t *pg, long long booking)
{
        char id[32];
        snprintf(id, sizeof(id), "%lld", booking);
        return swb_test_sql1(pg,
                             "SELECT status || coalesce(':' || cancel_reason, '') "
                             "FROM bookings WHERE booking_id = $1::bigint",
                             id);
}

static void assert_state(swb_pg_t *pg, long long booking, const char *want)
{
        char *got = state_of(pg, booking);
        assert_non_null(got);
        assert_string_equal(got, want);
        swb_free(got);
}

static long long payments_of(swb_pg_t *pg, long long booking)
{
        char id[32];
        snprintf(id, sizeof(id), "%lld", booking);
        return swb_test_sql_int(
            pg, "SELECT count(*) FROM payments WHERE booking_id = $1::bigint", id);
}

/* Paying `booking` with `tool` in `locale` is refused as past its hold, with a
 * message holding `w1` and `w2`; nothing is charged. */
static void pay_refused(struct swb_test_user *u, const char *tool, long long booking,
                        const char *locale, const char *w1, const char *w2)
{
        const char *msg;
        json_t *r;

        u->ctx.locale = locale;
        r = swb_test_call(u, tool,
                          "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}",
                          booking);
        u->ctx.locale = "en";
        swb_test_assert_error_code(r, SWB_TOOL_E_STATE);
        msg = swb_test_jstr(json_object_get(r, "error"), "message");
        assert_non_null(strstr(msg, w1));
        assert_non_null(strstr(msg, w2));
        json_decref(r);
        assert_int_equal(payments_of(u->pg, booking), 0);
}

static long long expire(swb_pg_t *pg, swb_cache_t *cache, int batch)
{
        char errstr[512];
        long n =
            swb_tools_booking_expire(pg, cache, HOLD, batch, errstr, sizeof(errstr));
        if (n < 0)
                fail_msg("swb_tools_booking_expire: %s", errstr);
        return n;
}

#define EXPIRED "cancelled:payment window expired"

static int group_setup(void **state)
{
        return swb_test_tools_setup("hold", swb_tools_service, swb_tools_service_cnt,
                                    swb_test_tools_dispatch_all);
}

/* ---- tests */

static void test_expired_released_fresh_kept(void **state)
{
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        long long hb, fb, tb, fresh, inside, paid;
        char night2[16];

        hb = book_rooms(u, s, 2);
        fb = book_seats(u, s, 3);
        tb = book_places(u, s, 4);
        fresh = book_rooms(u, s, 1);
        inside = book_seats(u, s, 1);
        paid = book_places(u, s, 2);
        json_decref(swb_test_call(
            u, "process_tour_payment",
            "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", paid));
        backdate(u->pg, hb, HOLD + 1);
        backdate(u->pg, fb, HOLD + 1);
        backdate(u->pg, tb, 24 * 60);
        backdate(u->pg, inside, HOLD - 1);
        backdate(u->pg, paid, HOLD + 5);
        assert_stock(u->pg, s, 7, 6, 4);
        /* the availability is in the cache now */
        assert_int_equal(rooms_offered(u, s), 7);

        assert_true(expire(u->pg, u->cache, 500) >= 3);
        assert_state(u->pg, hb, EXPIRED);
        assert_state(u->pg, fb, EXPIRED);
        assert_state(u->pg, tb, EXPIRED);
        assert_state(u->pg, fresh, "pending");
        assert_state(u->pg, inside, "pending");
        assert_state(u->pg, paid, "paid");
        /* back on sale, as a cancellation does it: every night, seat and place */
        assert_stock(u->pg, s, 9, 9, 8);
        swb_test_day(u->pg, 4, night2);
        assert_int_equal(swb_test_rooms_left(u->pg, s->rt, night2), 9);
        assert_int_equal(swb_test_rooms_left(u->pg, s->rt, s->co), 10); /* no night */
        /* and the cache was told */
        assert_int_equal(rooms_offered(u, s), 9);

        /* done once: a second run changes nothing of ours */
        expire(u->pg, NULL, 500);
        assert_stock(u->pg, s, 9, 9, 8);
}

static void test_pay_after_hold_refused(void **state)
{
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        long long late, ok;
        json_t *r;

        late = book_rooms(u, s, 2);
        ok = book_seats(u, s, 2);
        backdate(u->pg, late, HOLD + 1);
        backdate(u->pg, ok, HOLD - 2);

        /* past its hold, not swept yet: refused, nothing charged, nothing changed;
         * in Indonesian for an "id" locale */
        pay_refused(u, "process_hotel_payment", late, "en", "expired", "book again");
        assert_state(u->pg, late, "pending");
        assert_int_equal(swb_test_rooms_left(u->pg, s->rt, s->ci), 8);
        pay_refused(u, "process_hotel_payment", late, "id", "masa tahan",
                    "pesan ulang");

        /* inside its hold: paid */
        r = swb_test_call(u, "process_flight_payment",
                          "{\"booking_id\":%lld,\"payment_method\":\"debit_card\"}",
                          ok);
        swb_test_assert_ok(r);
        json_decref(r);
        assert_int_equal(payments_of(u->pg, ok), 1);

        /* swept: still refused as expired, still no charge; cancelling says so */
        expire(u->pg, NULL, 500);
        assert_state(u->pg, late, EXPIRED);
        assert_state(u->pg, ok, "paid");
        pay_refused(u, "process_hotel_payment", late, "en", "hold", "book again");
        swb_test_expect_error(u, SWB_TOOL_E_STATE, "cancel_hotel_booking",
                              "{\"booking_id\":%lld}", late);
        assert_int_equal(swb_test_rooms_left(u->pg, s->rt, s->ci), 10);
}

static void test_hold_shown(void **state)
{
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        long long b;
        char id[32], *want;
        json_t *r;

        r = swb_test_call(u, "book_tour",
                          "{\"tour_id\":%lld,\"date\":\"%s\",\"participants\":1}",
                          s->tour, s->ci);
        swb_test_assert_ok(r);
        b = swb_test_jint(r, "booking_id");
        snprintf(id, sizeof(id), "%lld", b);
        want =
            swb_test_sql1(u->pg,
                          "SELECT to_char((created_at + interval '30 minutes') AT TIME "
                          "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM bookings "
                          "WHERE booking_id = $1::bigint",
                          id);
        assert_string_equal(swb_test_jstr(r, "hold_expires_at"), want);
        assert_non_null(strstr(swb_test_jstr(r, "next_step"), "hold_expires_at"));
        json_decref(r);
        r = swb_test_call(u, "get_booking_details", "{\"booking_id\":%lld}", b);
        assert_string_equal(swb_test_jstr(r, "hold_expires_at"), want);
        json_decref(r);
        json_decref(
            swb_test_call(u, "process_tour_payment",
                          "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", b));
        r = swb_test_call(u, "get_booking_details", "{\"booking_id\":%lld}", b);
        assert_string_equal(swb_test_jstr(r, "status"), "paid");
        assert_null(json_object_get(r, "hold_expires_at"));
        json_decref(r);
        swb_free(want);
}

static void test_holds_off(void **state)
{
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        long long b;
        char errstr[256];
        json_t *r;

        u->cfg->booking_hold_minutes = 0;
        r = swb_test_call(u, "book_flight", "{\"flight_id\":%lld}", s->flight);
        swb_test_assert_ok(r);
        assert_null(json_object_get(r, "hold_expires_at"));
        b = swb_test_jint(r, "booking_id");
        json_decref(r);
        backdate(u->pg, b, 7 * 24 * 60);
        assert_int_equal(
            swb_tools_booking_expire(u->pg, NULL, 0, 500, errstr, sizeof(errstr)), 0);
        assert_int_equal(swb_tools_booking_sweep(u->cfg, u->pg, NULL, &(int64_t){0}),
                         0);
        assert_state(u->pg, b, "pending");
        r = swb_test_call(u, "process_flight_payment",
                          "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", b);
        swb_test_assert_ok(r);
        json_decref(r);
}

/* ---- concurrent expiries */

struct sweeper {
        swb_pg_t *pg;
        long n;
        char errstr[512];
        int done;
};

static void *sweep_thread(void *arg)
{
        struct sweeper *w = arg;
        w->n = swb_tools_booking_expire(w->pg, NULL, HOLD, 500, w->errstr,
                                        sizeof(w->errstr));
        __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
        return NULL;
}

static bool sweeper_done(void *arg)
{
        struct sweeper *w = arg;
        return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

/* One expiry holds its transaction open while another runs: the second skips
 * the bookings the first has locked (it does not wait for them, and does not
 * release them again), and after the first commits there is nothing left. */
static void test_concurrent_expiries_release_once(void **state)
{
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        struct sweeper w = {0};
        long long old[6];
        char errstr[512];
        pthread_t th;
        long n_a;
        bool waited;

        book_rooms(u, s, 3); /* fresh: keeps the stock below its total */
        book_seats(u, s, 3);
        book_places(u, s, 3);
        for (int i = 0; i < 6; i += 3) {
                old[i] = book_rooms(u, s, 1);
                old[i + 1] = book_seats(u, s, 2);
                old[i + 2] = book_places(u, s, 2);
        }
        for (int i = 0; i < 6; i++)
                backdate(u->pg, old[i], HOLD + 10);
        assert_stock(u->pg, s, 5, 3, 3);

        assert_int_equal(swb_pg_begin(u->pg, errstr, sizeof(errstr)), SWB_OK);
        n_a = swb_tools_booking_expire(u->pg, NULL, HOLD, 500, errstr, sizeof(errstr));
        assert_true(n_a >= 6);
        w.pg = swb_test_pg_connect();
        pthread_create(&th, NULL, sweep_thread, &w);
        waited = !swb_test_wait_for(sweeper_done, &w, 5000);
        assert_int_equal(swb_pg_commit(u->pg, errstr, sizeof(errstr)), SWB_OK);
        pthread_join(th, NULL);
        if (w.n < 0)
                fail_msg("the second expiry failed: %s", w.errstr);
        assert_false(waited); /* it skipped the locked bookings */

        for (int i = 0; i < 6; i++)
                assert_state(u->pg, old[i], EXPIRED);
        assert_stock(u->pg, s, 7, 7, 7);
        expire(w.pg, NULL, 500);
        assert_stock(u->pg, s, 7, 7, 7);
        swb_pg_destroy(w.pg);
}

struct racer {
        swb_pg_t *pg;
        pthread_barrier_t *go;
        long total;
        int failed;
};

static void *race_thread(void *arg)
{
        struct racer *r = arg;
        char errstr[512];
        long n;

        pthread_barrier_wait(r->go);
        /* small batches, until there is nothing left */
        while ((n = swb_tools_booking_expire(r->pg, NULL, HOLD, 2, errstr,
                                             sizeof(errstr))) > 0)
                r->total += n;
        r->failed = n < 0;
        return NULL;
}

/* Two expiries race over many bookings in small batches: each booking is
 * cancelled once and its inventory returned once. */
static void test_racing_expiries(void **state)
{
        enum { N = 12 };
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        struct racer r[2];
        pthread_t th[2];
        pthread_barrier_t go;
        long long old[N];

        book_rooms(u, s, 1);
        for (int i = 0; i < N; i += 3) {
                old[i] = book_rooms(u, s, 1);
                old[i + 1] = book_seats(u, s, 1);
                old[i + 2] = book_places(u, s, 1);
        }
        for (int i = 0; i < N; i++)
                backdate(u->pg, old[i], HOLD + 1 + i);
        pthread_barrier_init(&go, NULL, 2);
        for (int i = 0; i < 2; i++) {
                r[i] = (struct racer){swb_test_pg_connect(), &go, 0, 0};
                pthread_create(&th[i], NULL, race_thread, &r[i]);
        }
        for (int i = 0; i < 2; i++)
                pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < 2; i++) {
                assert_false(r[i].failed);
                swb_pg_destroy(r[i].pg);
        }
        assert_true(r[0].total + r[1].total >= N);
        for (int i = 0; i < N; i++)
                assert_state(u->pg, old[i], EXPIRED);
        assert_stock(u->pg, s, 9, 10, 10);
}

/* The agents' sweep: runs at once when first due, then not again within the
 * minute. */
static void test_sweep_when_due(void **state)
{
        struct swb_test_user *u = &((struct fixture *)*state)->u;
        struct stock *s = &((struct fixture *)*state)->s;
        long long first, second;
        int64_t next = 0; /* the caller's schedule: due now */

        first = book_places(u, s, 2);
        second = book_places(u, s, 3);
        backdate(u->pg, first, HOLD + 1);
        assert_int_equal(swb_tools_booking_sweep(u->cfg, NULL, NULL, &next),
                         0); /* no pg */
        assert_true(swb_tools_booking_sweep(u->cfg, u->pg, NULL, &next) >= 1);
        assert_state(u->pg, first, EXPIRED);
        backdate(u->pg, second, HOLD + 1);
        assert_int_equal(swb_tools_booking_sweep(u->cfg, u->pg, NULL, &next), 0);
        assert_state(u->pg, second, "pending");
        assert_int_equal(swb_test_places_left(u->pg, s->tour, s->ci), 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_expired_released_fresh_kept,
                                            fixture_setup, fixture_teardown),
            cmocka_unit_test_setup_teardown(test_pay_after_hold_refused, fixture_setup,
                                            fixture_teardown),
            cmocka_unit_test_setup_teardown(test_hold_shown, fixture_setup,
                                            fixture_teardown),
            cmocka_unit_test_setup_teardown(test_holds_off, fixture_setup,
                                            fixture_teardown),
            cmocka_unit_test_setup_teardown(test_concurrent_expiries_release_once,
                                            fixture_setup, fixture_teardown),
            cmocka_unit_test_setup_teardown(test_racing_expiries, fixture_setup,
                                            fixture_teardown),
            cmocka_unit_test_setup_teardown(test_sweep_when_due, fixture_setup,
                                            fixture_teardown),
        };
        return cmocka_run_group_tests_name("component.tools_hold", tests, group_setup,
                                           swb_test_tools_teardown);
}
