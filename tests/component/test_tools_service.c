/*
 * component.tools_service: the customer_service tools against the stack's
 * PostgreSQL and Redis: booking history and details (own bookings only),
 * cancellation through the shared cancel tools, currency rates (table and a
 * fake rates provider), the knowledge base (full-text, both languages), web
 * search through a fake Tavily-compatible provider with fallback, cache
 * invalidation of user bookings, and Redis down.
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
#include "swb_http.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_pg.h"
#include "swb_tools.h"

static const char *errmsg(const json_t *r)
{
        return swb_test_jstr(json_object_get(r, "error"), "message");
}

/* Three bookings of `u` on seeded data: a hotel in Bali, a flight Jakarta ->
 * Denpasar, a tour in Yogyakarta. */
static void book_three(struct swb_test_user *u, long long *hotel_b, long long *flight_b,
                       long long *tour_b)
{
        char ci[16], co[16], fday[16];
        json_t *r, *d;
        long long hotel, rt, flight, tour;
        const char *tdate;

        swb_test_day(u->pg, 10, ci);
        swb_test_day(u->pg, 12, co);
        swb_test_day(u->pg, 2, fday);
        r = swb_test_call(u, "search_hotels_by_location",
                          "{\"location\":\"Bali\",\"limit\":1}");
        hotel = swb_test_first(r, "hotels", "hotel_id");
        json_decref(r);
        r = swb_test_call(u, "get_hotel_details", "{\"hotel_id\":%lld}", hotel);
        rt = swb_test_first(r, "room_types", "room_type_id");
        json_decref(r);
        *hotel_b = swb_test_book(
            u, "book_hotel_room",
            "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\",\"check_"
            "out\":\"%s\"}",
            hotel, rt, ci, co);

        r = swb_test_call(
            u, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\",\"date\":\"%s\"}",
            fday);
        flight = swb_test_first(r, "flights", "flight_id");
        json_decref(r);
        *flight_b = swb_test_book(u, "book_flight", "{\"flight_id\":%lld}", flight);

        r = swb_test_call(u, "search_tours_by_destination",
                          "{\"destination\":\"Yogyakarta\",\"limit\":1}");
        tour = swb_test_first(r, "tours", "tour_id");
        json_decref(r);
        r = swb_test_call(u, "check_tour_availability", "{\"tour_id\":%lld}", tour);
        d = json_array_get(json_object_get(r, "departures"), 3);
        tdate = swb_test_jstr(d, "date");
        assert_non_null(tdate);
        {
                json_t *b = swb_test_call(
                    u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}", tour, tdate);
                swb_test_assert_ok(b);
                *tour_b = swb_test_jint(b, "booking_id");
                json_decref(b);
        }
        json_decref(r);
}

static int group_setup(void **state)
{
        return swb_test_tools_setup("service", swb_tools_service, swb_tools_service_cnt,
                                    swb_test_tools_dispatch_all);
}

/* ---- tests */

static void test_history_and_details(void **state)
{
        struct swb_test_user u, other;
        long long hb, fb, tb;
        json_t *r, *p;

        swb_test_user_init(&u, "hist", NULL);
        swb_test_user_init(&other, "other", NULL);
        r = swb_test_call(&u, "get_user_booking_history", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(swb_test_jstr(r, "message"));
        json_decref(r);

        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM users WHERE user_id = $1",
                             u.id),
            0);
        book_three(&u, &hb, &fb, &tb);
        /* The user row was made on first use, owning the bookings. */
        assert_int_equal(
            swb_test_sql_int(u.pg, "SELECT count(*) FROM users WHERE user_id = $1",
                             u.id),
            1);
        r = swb_test_call(&u, "get_user_booking_history", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 3);
        assert_int_equal(swb_test_first(r, "bookings", "booking_id"), tb);
        assert_non_null(strstr(
            swb_test_jstr(json_array_get(json_object_get(r, "bookings"), 1), "summary"),
            "CGK-DPS"));
        json_decref(r);
        r = swb_test_call(&u, "get_user_booking_history", "{\"kind\":\"hotel\"}");
        assert_int_equal(swb_test_jint(r, "count"), 1);
        json_decref(r);

        json_decref(swb_test_call(
            &u, "process_hotel_payment",
            "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", hb));
        r = swb_test_call(&u, "get_user_booking_history", "{\"status\":\"paid\"}");
        assert_int_equal(swb_test_jint(r, "count"), 1);
        assert_int_equal(swb_test_first(r, "bookings", "booking_id"), hb);
        json_decref(r);

        r = swb_test_call(&u, "get_booking_details", "{\"booking_id\":%lld}", hb);
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(r, "kind"), "hotel");
        assert_string_equal(swb_test_jstr(r, "status"), "paid");
        assert_int_equal(swb_test_jint(r, "nights"), 2);
        assert_non_null(swb_test_jstr(r, "hotel_name"));
        p = json_array_get(json_object_get(r, "payments"), 0);
        assert_non_null(strstr(swb_test_jstr(p, "transaction_id"), "TX-"));
        assert_null(json_object_get(r, "flight_id")); /* nulls stripped */
        json_decref(r);
        r = swb_test_call(&u, "get_booking_details", "{\"booking_id\":%lld}", fb);
        assert_string_equal(swb_test_jstr(r, "origin"), "CGK");
        assert_non_null(swb_test_jstr(r, "departure_local"));
        json_decref(r);
        r = swb_test_call(&u, "get_booking_details", "{\"booking_id\":%lld}", tb);
        assert_non_null(swb_test_jstr(r, "tour_name"));
        assert_non_null(swb_test_jstr(r, "meeting_point"));
        json_decref(r);

        /* Another user sees nothing of it. */
        swb_test_expect_error(&other, SWB_TOOL_E_FORBIDDEN, "get_booking_details",
                              "{\"booking_id\":%lld}", hb);
        r = swb_test_call(&other, "get_user_booking_history", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "get_booking_details",
                              "{\"booking_id\":99999999}");
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "get_booking_details",
                              "{\"booking_id\":\"abc\"}");
        swb_test_user_fini(&u);
        swb_test_user_fini(&other);
}

static void test_cancel_through_service(void **state)
{
        struct swb_test_user u, other;
        long long hb, fb, tb;
        json_t *r;

        swb_test_user_init(&u, "cancel", NULL);
        swb_test_user_init(&other, "other", NULL);
        book_three(&u, &hb, &fb, &tb);

        /* The wrong cancel or payment tool for the kind is refused. */
        r = swb_test_call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", tb);
        swb_test_assert_error_code(r, "wrong_booking_type");
        assert_non_null(strstr(errmsg(r), "cancel_tour_booking"));
        json_decref(r);
        r = swb_test_call(&u, "process_hotel_payment",
                          "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", fb);
        swb_test_assert_error_code(r, "wrong_booking_type");
        assert_non_null(strstr(errmsg(r), "process_flight_payment"));
        json_decref(r);
        swb_test_expect_error(&other, SWB_TOOL_E_FORBIDDEN, "cancel_tour_booking",
                              "{\"booking_id\":%lld}", tb);

        r = swb_test_call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", tb);
        swb_test_assert_ok(r);
        assert_true(json_is_null(json_object_get(r, "refund"))); /* it was never paid */
        json_decref(r);
        r = swb_test_call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", fb);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}", hb);
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "get_user_booking_history", "{\"status\":\"cancelled\"}");
        assert_int_equal(swb_test_jint(r, "count"), 3);
        json_decref(r);
        swb_test_user_fini(&u);
        swb_test_user_fini(&other);
}

static void test_user_bookings_cache(void **state)
{
        struct swb_test_user u;
        long long hb, fb, tb;
        double hits;
        json_t *r;

        swb_test_user_init(&u, "ucache", swb_test_redis_url);
        book_three(&u, &hb, &fb, &tb);
        hits = swb_test_cache_count("user_bookings", "hit");
        json_decref(swb_test_call(&u, "get_user_booking_history", "{}"));
        r = swb_test_call(&u, "get_user_booking_history", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 3);
        json_decref(r);
        assert_true(swb_test_cache_count("user_bookings", "hit") == hits + 1);
        r = swb_test_call(&u, "get_booking_details", "{\"booking_id\":%lld}", fb);
        assert_string_equal(swb_test_jstr(r, "status"), "pending");
        json_decref(r);

        /* Paying changes the user's bookings: both answers are fresh. */
        json_decref(swb_test_call(
            &u, "process_flight_payment",
            "{\"booking_id\":%lld,\"payment_method\":\"bank_transfer\"}", fb));
        r = swb_test_call(&u, "get_booking_details", "{\"booking_id\":%lld}", fb);
        assert_string_equal(swb_test_jstr(r, "status"), "paid");
        json_decref(r);
        r = swb_test_call(&u, "get_user_booking_history", "{\"status\":\"paid\"}");
        assert_int_equal(swb_test_jint(r, "count"), 1);
        json_decref(r);
        json_decref(
            swb_test_call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", tb));
        r = swb_test_call(&u, "get_user_booking_history", "{\"status\":\"cancelled\"}");
        assert_int_equal(swb_test_jint(r, "count"), 1);
        json_decref(r);
        swb_test_user_fini(&u);
}

static void test_currency(void **state)
{
        struct swb_test_user u;
        char *idr = NULL;
        double rate;
        json_t *r, *q;

        swb_test_user_init(&u, "fx", NULL);
        idr = swb_test_sql1(
            u.pg,
            "SELECT rate::text FROM currency_rates WHERE base = 'USD' AND quote "
            "= 'IDR'",
            NULL);
        r = swb_test_call(&u, "search_currency_rates",
                          "{\"base\":\"usd\",\"quote\":\"IDR\",\"amount\":100}");
        swb_test_assert_ok(r);
        assert_string_equal(swb_test_jstr(r, "base"), "USD");
        q = json_array_get(json_object_get(r, "rates"), 0);
        assert_string_equal(swb_test_jstr(q, "quote"), "IDR");
        rate = json_number_value(json_object_get(q, "rate"));
        assert_true(rate > atof(idr) - 1e-6 && rate < atof(idr) + 1e-6);
        assert_true(
            json_number_value(json_object_get(q, "converted")) > 100 * rate - 0.01 &&
            json_number_value(json_object_get(q, "converted")) < 100 * rate + 0.01);
        assert_non_null(swb_test_jstr(q, "updated_at"));
        assert_non_null(swb_test_jstr(q, "source"));
        json_decref(r);

        r = swb_test_call(&u, "search_currency_rates",
                          "{\"base\":\"IDR\",\"quote\":\"USD\"}");
        rate = json_number_value(
            json_object_get(json_array_get(json_object_get(r, "rates"), 0), "rate"));
        assert_true(rate > 0.99 / atof(idr) && rate < 1.01 / atof(idr));
        json_decref(r);
        r = swb_test_call(&u, "search_currency_rates", "{\"base\":\"SGD\"}");
        assert_true(json_array_size(json_object_get(r, "rates")) >= 10);
        json_decref(r);
        r = swb_test_call(&u, "search_currency_rates", "{}");
        assert_string_equal(swb_test_jstr(r, "base"), "USD");
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_NOT_FOUND, "search_currency_rates",
                              "{\"base\":\"ZZZ\"}");
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "search_currency_rates",
                              "{\"base\":\"dollars\"}");
        swb_free(idr);
        swb_test_user_fini(&u);
}

/* ---- fake providers */

struct fake {
        pthread_mutex_t lock;
        char *last_body;
        char *last_auth;
        double xts_rate;
        int searches;
};

static void fake_record(struct fake *f, const swb_http_request_t *req)
{
        pthread_mutex_lock(&f->lock);
        swb_free(f->last_body);
        swb_free(f->last_auth);
        f->last_body = swb_strdup(req->body);
        f->last_auth = swb_strdup(swb_http_request_header(req, "Authorization"));
        f->searches++;
        pthread_mutex_unlock(&f->lock);
}

static int fake_rates(void *opaque, const swb_http_request_t *req,
                      swb_http_response_t *resp)
{
        struct fake *f = opaque;
        resp->body =
            swb_asprintf("{\"result\":\"success\",\"base_code\":\"USD\",\"rates\":"
                         "{\"USD\":1,\"XTS\":%.4f,\"bad\":\"x\"}}",
                         f->xts_rate);
        resp->body_len = strlen(resp->body);
        return 200;
}

static int fake_search(void *opaque, const swb_http_request_t *req,
                       swb_http_response_t *resp)
{
        fake_record(opaque, req);
        resp->body = swb_strdup(
            "{\"query\":\"q\",\"answer\":\"Most visitors get a visa on arrival.\","
            "\"results\":[{\"title\":\"Indonesia visa "
            "guide\",\"url\":\"https://example.org/visa\","
            "\"content\":\"Visa on arrival costs IDR 500,000.\",\"score\":0.9},"
            "{\"title\":\"Second\",\"url\":\"https://example.org/"
            "2\",\"content\":\"more\"}]}");
        resp->body_len = strlen(resp->body);
        return 200;
}

static int fake_fail(void *opaque, const swb_http_request_t *req,
                     swb_http_response_t *resp)
{
        fake_record(opaque, req);
        resp->body = swb_strdup("{\"detail\":\"overloaded\"}");
        resp->body_len = strlen(resp->body);
        return 503;
}

static swb_http_t *fake_start(struct fake *f)
{
        char errstr[256];
        swb_http_t *h = swb_http_new("127.0.0.1", 0, NULL, errstr, sizeof(errstr));
        if (!h)
                fail_msg("swb_http_new: %s", errstr);
        pthread_mutex_init(&f->lock, NULL);
        swb_http_add_route(h, "GET", "/latest", fake_rates, f);
        swb_http_add_route(h, "POST", "/search", fake_search, f);
        swb_http_add_route(h, "POST", "/fail", fake_fail, f);
        return h;
}

static void fake_stop(swb_http_t *h, struct fake *f)
{
        swb_http_destroy(h);
        swb_free(f->last_body);
        swb_free(f->last_auth);
        pthread_mutex_destroy(&f->lock);
}

static void test_currency_provider(void **state)
{
        struct fake f = {.xts_rate = 2 + (double)(getpid() % 1000) / 1000.0};
        swb_http_t *h = fake_start(&f);
        char url[128], src[64], dead[128];
        struct swb_tools_providers prov = {0};
        struct swb_test_user u;
        json_t *r, *q;

        swb_test_user_init(&u, "fxprov", NULL);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/latest", swb_http_port(h));
        snprintf(src, sizeof(src), "127.0.0.1:%d", swb_http_port(h));
        prov.rates_url = url;
        prov.rates_api_key = "k";
        swb_tools_set_providers(&prov);
        /* Whatever an earlier run fetched is stale now. */
        swb_free(swb_test_sql1(
            u.pg,
            "UPDATE currency_rates SET updated_at = now() - interval '2 hours' "
            "WHERE source <> 'seed' RETURNING 1",
            NULL));
        r = swb_test_call(&u, "search_currency_rates",
                          "{\"base\":\"USD\",\"quote\":\"XTS\"}");
        swb_test_assert_ok(r);
        q = json_array_get(json_object_get(r, "rates"), 0);
        /* %.4f on the wire, numeric in the table: equal to 1e-9 */
        assert_true(json_number_value(json_object_get(q, "rate")) > f.xts_rate - 1e-9 &&
                    json_number_value(json_object_get(q, "rate")) < f.xts_rate + 1e-9);
        assert_string_equal(swb_test_jstr(q, "source"), src);
        json_decref(r);

        /* The provider down: the table still answers. */
        swb_free(swb_test_sql1(
            u.pg,
            "UPDATE currency_rates SET updated_at = now() - interval '2 hours' "
            "WHERE source <> 'seed' RETURNING 1",
            NULL));
        snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/nothing-here",
                 swb_http_port(h));
        prov.rates_url = dead;
        swb_tools_set_providers(&prov);
        r = swb_test_call(&u, "search_currency_rates",
                          "{\"base\":\"USD\",\"quote\":\"XTS\"}");
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "search_currency_rates",
                          "{\"base\":\"USD\",\"quote\":\"IDR\"}");
        swb_test_assert_ok(r);
        json_decref(r);
        swb_tools_set_providers(NULL);
        fake_stop(h, &f);
        swb_test_user_fini(&u);
}

static void test_knowledge_base(void **state)
{
        struct swb_test_user u;
        json_t *r, *a;
        size_t i;

        swb_test_user_init(&u, "kb", NULL);
        r = swb_test_call(
            &u, "query_knowledge_base",
            "{\"query\":\"How much baggage can I take on a domestic flight?\"}");
        swb_test_assert_ok(r);
        a = json_array_get(json_object_get(r, "articles"), 0);
        assert_string_equal(swb_test_jstr(a, "slug"), "baggage-domestic");
        assert_string_equal(swb_test_jstr(a, "lang"), "en");
        assert_true(strlen(swb_test_jstr(a, "passage")) > 40);
        assert_non_null(strstr(swb_test_jstr(a, "passage"), "baggage"));
        json_decref(r);

        r = swb_test_call(
            &u, "query_knowledge_base",
            "{\"query\":\"bagaimana kebijakan refund dan pengembalian dana\"}");
        a = json_array_get(json_object_get(r, "articles"), 0);
        assert_string_equal(swb_test_jstr(a, "slug"), "refund-policy");
        assert_string_equal(swb_test_jstr(a, "lang"), "id");
        json_decref(r);

        r = swb_test_call(
            &u, "query_knowledge_base",
            "{\"query\":\"visa on "
            "arrival\",\"lang\":\"en\",\"category\":\"visa\",\"limit\":5}");
        assert_true(swb_test_jint(r, "count") >= 2);
        json_array_foreach(json_object_get(r, "articles"), i, a)
        {
                assert_string_equal(swb_test_jstr(a, "lang"), "en");
                assert_string_equal(swb_test_jstr(a, "category"), "visa");
        }
        json_decref(r);

        /* The user's language first among the matches. */
        u.ctx.locale = "id";
        r = swb_test_call(&u, "query_knowledge_base",
                          "{\"query\":\"bali levy pungutan\"}");
        assert_string_equal(
            swb_test_jstr(json_array_get(json_object_get(r, "articles"), 0), "lang"),
            "id");
        json_decref(r);
        u.ctx.locale = "en";

        r = swb_test_call(&u, "query_knowledge_base", "{\"query\":\"zzzqqqxxy\"}");
        assert_int_equal(swb_test_jint(r, "count"), 0);
        assert_non_null(swb_test_jstr(r, "message"));
        json_decref(r);
        r = swb_test_call(&u, "query_knowledge_base",
                          "{\"query\":\"the\"}"); /* stop words only */
        swb_test_assert_ok(r);
        json_decref(r);
        r = swb_test_call(&u, "query_knowledge_base", "{\"query\":\"!!! & | :* ()\"}");
        swb_test_assert_ok(r);
        json_decref(r);
        swb_test_expect_error(&u, SWB_TOOL_E_INVALID, "query_knowledge_base",
                              "{\"query\":\"\"}");
        swb_test_user_fini(&u);
}

static void test_web_search(void **state)
{
        struct fake f = {0};
        swb_http_t *h = fake_start(&f);
        struct swb_tools_providers prov = {0};
        char url[128];
        struct swb_test_user u;
        json_t *r, *body;

        swb_test_user_init(&u, "web", NULL);
        /* Not configured: the knowledge base answers. */
        swb_tools_set_providers(&prov);
        r = swb_test_call(&u, "search_travel_articles",
                          "{\"query\":\"visa on arrival Indonesia\"}");
        assert_string_equal(swb_test_jstr(r, "source"), "knowledge_base");
        assert_true(swb_test_jint(r, "count") >= 1);
        json_decref(r);
        r = swb_test_call(&u, "search_general_info", "{\"query\":\"refund policy\"}");
        assert_string_equal(swb_test_jstr(r, "source"), "knowledge_base");
        json_decref(r);

        snprintf(url, sizeof(url), "http://127.0.0.1:%d/search", swb_http_port(h));
        prov.search_url = url;
        prov.search_api_key = "tvly-test";
        swb_tools_set_providers(&prov);
        r = swb_test_call(&u, "search_travel_articles",
                          "{\"query\":\"visa on arrival Indonesia\",\"limit\":1}");
        assert_string_equal(swb_test_jstr(r, "source"), "web");
        assert_int_equal(swb_test_jint(r, "count"), 1);
        assert_string_equal(
            swb_test_jstr(json_array_get(json_object_get(r, "results"), 0), "url"),
            "https://example.org/visa");
        assert_non_null(swb_test_jstr(r, "answer"));
        json_decref(r);
        pthread_mutex_lock(&f.lock);
        assert_string_equal(f.last_auth, "Bearer tvly-test");
        body = json_loads(f.last_body, 0, NULL);
        pthread_mutex_unlock(&f.lock);
        assert_string_equal(swb_test_jstr(body, "query"), "visa on arrival Indonesia");
        assert_int_equal(swb_test_jint(body, "max_results"), 1);
        json_decref(body);
        r = swb_test_call(&u, "search_general_info",
                          "{\"query\":\"weather in Bali in July\"}");
        assert_string_equal(swb_test_jstr(r, "source"), "web");
        assert_int_equal(swb_test_jint(r, "count"), 2);
        json_decref(r);

        /* The provider fails: the knowledge base answers, saying so. */
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/fail", swb_http_port(h));
        swb_tools_set_providers(&prov);
        r = swb_test_call(&u, "search_travel_articles",
                          "{\"query\":\"baggage allowance\"}");
        assert_string_equal(swb_test_jstr(r, "source"), "knowledge_base");
        assert_non_null(swb_test_jstr(r, "note"));
        assert_true(swb_test_jint(r, "count") >= 1);
        json_decref(r);
        assert_int_equal(f.searches, 3);

        swb_tools_set_providers(NULL);
        fake_stop(h, &f);
        swb_test_user_fini(&u);
}

static void test_redis_down(void **state)
{
        struct swb_test_user u;
        char url[64];
        long long hb, fb, tb;
        double errors = swb_test_cache_count("user_bookings", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        swb_test_user_init(&u, "noredis", url);
        book_three(&u, &hb, &fb, &tb);
        r = swb_test_call(&u, "get_user_booking_history", "{}");
        assert_int_equal(swb_test_jint(r, "count"), 3);
        json_decref(r);
        json_decref(
            swb_test_call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}", hb));
        r = swb_test_call(&u, "get_booking_details", "{\"booking_id\":%lld}", hb);
        assert_string_equal(swb_test_jstr(r, "status"), "cancelled");
        json_decref(r);
        assert_true(swb_test_cache_count("user_bookings", "error") >= errors + 2);
        swb_test_user_fini(&u);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_history_and_details),
            cmocka_unit_test(test_cancel_through_service),
            cmocka_unit_test(test_user_bookings_cache),
            cmocka_unit_test(test_currency),
            cmocka_unit_test(test_currency_provider),
            cmocka_unit_test(test_knowledge_base),
            cmocka_unit_test(test_web_search),
            cmocka_unit_test(test_redis_down),
        };
        return cmocka_run_group_tests_name("component.tools_service", tests,
                                           group_setup, swb_test_tools_teardown);
}
