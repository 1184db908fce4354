/*
 * component.tools_service: the customer_service tools against the stack's
 * PostgreSQL and Redis: booking history and details (own bookings only),
 * cancellation through the shared cancel tools, currency rates (table and a
 * fake rates provider), the knowledge base (full-text, both languages), web
 * search through a fake Tavily-compatible provider with fallback, cache
 * invalidation of user bookings, and Redis down.
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
#include "swb_http.h"
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
        swb_tools_set_providers(NULL);
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

/* The tool named `tool` from the customer_service table, else from the domain
 * tables (to make bookings to serve). */
static swb_err_t dispatch(const char *tool, const struct swb_tool_ctx *ctx,
                          const json_t *args, json_t **res)
{
        const struct {
                const struct swb_tool *t;
                size_t n;
        } tables[] = {{swb_tools_service, swb_tools_service_cnt},
                      {swb_tools_hotel, swb_tools_hotel_cnt},
                      {swb_tools_flight, swb_tools_flight_cnt},
                      {swb_tools_tour, swb_tools_tour_cnt}};
        for (size_t i = 0; i < SWB_ARRAY_LEN(tables); i++)
                if (swb_tools_find(tables[i].t, tables[i].n, tool))
                        return swb_tools_call(tables[i].t, tables[i].n, tool, ctx, args,
                                              res);
        return swb_tools_call(swb_tools_service, swb_tools_service_cnt, tool, ctx, args,
                              res);
}

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
        snprintf(u->id, sizeof(u->id), "test-%s-%s-%s", "service", tag,
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
        err = dispatch(tool, &u->ctx, args, &res);
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

static const char *errmsg(const json_t *r)
{
        return jstr(json_object_get(r, "error"), "message");
}

/* Three bookings of `u` on seeded data: a hotel in Bali, a flight Jakarta ->
 * Denpasar, a tour in Yogyakarta. */
static void book_three(struct user *u, long long *hotel_b, long long *flight_b,
                       long long *tour_b)
{
        char ci[16], co[16], fday[16];
        json_t *r, *d;
        long long hotel, rt, flight, tour;
        const char *tdate;

        day(u->pg, 10, ci);
        day(u->pg, 12, co);
        day(u->pg, 2, fday);
        r = call(u, "search_hotels_by_location", "{\"location\":\"Bali\",\"limit\":1}");
        hotel = jint(json_array_get(json_object_get(r, "hotels"), 0), "hotel_id");
        json_decref(r);
        r = call(u, "get_hotel_details", "{\"hotel_id\":%lld}", hotel);
        rt = jint(json_array_get(json_object_get(r, "room_types"), 0), "room_type_id");
        json_decref(r);
        r = call(u, "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\",\"check_"
                 "out\":\"%s\"}",
                 hotel, rt, ci, co);
        assert_ok(r);
        *hotel_b = jint(r, "booking_id");
        json_decref(r);

        r = call(
            u, "search_flights_by_route",
            "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\",\"date\":\"%s\"}",
            fday);
        flight = jint(json_array_get(json_object_get(r, "flights"), 0), "flight_id");
        json_decref(r);
        r = call(u, "book_flight", "{\"flight_id\":%lld}", flight);
        assert_ok(r);
        *flight_b = jint(r, "booking_id");
        json_decref(r);

        r = call(u, "search_tours_by_destination",
                 "{\"destination\":\"Yogyakarta\",\"limit\":1}");
        tour = jint(json_array_get(json_object_get(r, "tours"), 0), "tour_id");
        json_decref(r);
        r = call(u, "check_tour_availability", "{\"tour_id\":%lld}", tour);
        d = json_array_get(json_object_get(r, "departures"), 3);
        tdate = jstr(d, "date");
        assert_non_null(tdate);
        {
                json_t *b = call(u, "book_tour", "{\"tour_id\":%lld,\"date\":\"%s\"}",
                                 tour, tdate);
                assert_ok(b);
                *tour_b = jint(b, "booking_id");
                json_decref(b);
        }
        json_decref(r);
}

/* ---- tests */

static void test_history_and_details(void **state)
{
        struct user u, other;
        long long hb, fb, tb;
        json_t *r, *p;

        user_init(&u, "hist", NULL);
        user_init(&other, "other", NULL);
        r = call(&u, "get_user_booking_history", "{}");
        assert_int_equal(jint(r, "count"), 0);
        assert_non_null(jstr(r, "message"));
        json_decref(r);

        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM users WHERE user_id = $1", u.id), 0);
        book_three(&u, &hb, &fb, &tb);
        /* The user row was made on first use, owning the bookings. */
        assert_int_equal(
            sql_int(u.pg, "SELECT count(*) FROM users WHERE user_id = $1", u.id), 1);
        r = call(&u, "get_user_booking_history", "{}");
        assert_int_equal(jint(r, "count"), 3);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "bookings"), 0), "booking_id"), tb);
        assert_non_null(
            strstr(jstr(json_array_get(json_object_get(r, "bookings"), 1), "summary"),
                   "CGK-DPS"));
        json_decref(r);
        r = call(&u, "get_user_booking_history", "{\"kind\":\"hotel\"}");
        assert_int_equal(jint(r, "count"), 1);
        json_decref(r);

        json_decref(call(&u, "process_hotel_payment",
                         "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}",
                         hb));
        r = call(&u, "get_user_booking_history", "{\"status\":\"paid\"}");
        assert_int_equal(jint(r, "count"), 1);
        assert_int_equal(
            jint(json_array_get(json_object_get(r, "bookings"), 0), "booking_id"), hb);
        json_decref(r);

        r = call(&u, "get_booking_details", "{\"booking_id\":%lld}", hb);
        assert_ok(r);
        assert_string_equal(jstr(r, "kind"), "hotel");
        assert_string_equal(jstr(r, "status"), "paid");
        assert_int_equal(jint(r, "nights"), 2);
        assert_non_null(jstr(r, "hotel_name"));
        p = json_array_get(json_object_get(r, "payments"), 0);
        assert_non_null(strstr(jstr(p, "transaction_id"), "TX-"));
        assert_null(json_object_get(r, "flight_id")); /* nulls stripped */
        json_decref(r);
        r = call(&u, "get_booking_details", "{\"booking_id\":%lld}", fb);
        assert_string_equal(jstr(r, "origin"), "CGK");
        assert_non_null(jstr(r, "departure_local"));
        json_decref(r);
        r = call(&u, "get_booking_details", "{\"booking_id\":%lld}", tb);
        assert_non_null(jstr(r, "tour_name"));
        assert_non_null(jstr(r, "meeting_point"));
        json_decref(r);

        /* Another user sees nothing of it. */
        r = call(&other, "get_booking_details", "{\"booking_id\":%lld}", hb);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);
        r = call(&other, "get_user_booking_history", "{}");
        assert_int_equal(jint(r, "count"), 0);
        json_decref(r);
        r = call(&u, "get_booking_details", "{\"booking_id\":99999999}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        r = call(&u, "get_booking_details", "{\"booking_id\":\"abc\"}");
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        user_fini(&u);
        user_fini(&other);
}

static void test_cancel_through_service(void **state)
{
        struct user u, other;
        long long hb, fb, tb;
        json_t *r;

        user_init(&u, "cancel", NULL);
        user_init(&other, "other", NULL);
        book_three(&u, &hb, &fb, &tb);

        /* The wrong cancel or payment tool for the kind is refused. */
        r = call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", tb);
        assert_error_code(r, "wrong_booking_type");
        assert_non_null(strstr(errmsg(r), "cancel_tour_booking"));
        json_decref(r);
        r = call(&u, "process_hotel_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"e_wallet\"}", fb);
        assert_error_code(r, "wrong_booking_type");
        assert_non_null(strstr(errmsg(r), "process_flight_payment"));
        json_decref(r);
        r = call(&other, "cancel_tour_booking", "{\"booking_id\":%lld}", tb);
        assert_error_code(r, SWB_TOOL_E_FORBIDDEN);
        json_decref(r);

        r = call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", tb);
        assert_ok(r);
        assert_true(json_is_null(json_object_get(r, "refund"))); /* it was never paid */
        json_decref(r);
        r = call(&u, "cancel_flight_booking", "{\"booking_id\":%lld}", fb);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}", hb);
        assert_ok(r);
        json_decref(r);
        r = call(&u, "get_user_booking_history", "{\"status\":\"cancelled\"}");
        assert_int_equal(jint(r, "count"), 3);
        json_decref(r);
        user_fini(&u);
        user_fini(&other);
}

static double cache_count(const char *type, const char *result)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_metric_t *f = swb_metrics_counter(swb_metrics_default(),
                                              "swb_cache_requests_total", "x", labels);
        const char *const v[] = {type, result};
        return swb_metric_value(f, v);
}

static void test_user_bookings_cache(void **state)
{
        struct user u;
        long long hb, fb, tb;
        double hits;
        json_t *r;

        user_init(&u, "ucache", redis_url);
        book_three(&u, &hb, &fb, &tb);
        hits = cache_count("user_bookings", "hit");
        json_decref(call(&u, "get_user_booking_history", "{}"));
        r = call(&u, "get_user_booking_history", "{}");
        assert_int_equal(jint(r, "count"), 3);
        json_decref(r);
        assert_true(cache_count("user_bookings", "hit") == hits + 1);
        r = call(&u, "get_booking_details", "{\"booking_id\":%lld}", fb);
        assert_string_equal(jstr(r, "status"), "pending");
        json_decref(r);

        /* Paying changes the user's bookings: both answers are fresh. */
        json_decref(call(&u, "process_flight_payment",
                         "{\"booking_id\":%lld,\"payment_method\":\"bank_transfer\"}",
                         fb));
        r = call(&u, "get_booking_details", "{\"booking_id\":%lld}", fb);
        assert_string_equal(jstr(r, "status"), "paid");
        json_decref(r);
        r = call(&u, "get_user_booking_history", "{\"status\":\"paid\"}");
        assert_int_equal(jint(r, "count"), 1);
        json_decref(r);
        json_decref(call(&u, "cancel_tour_booking", "{\"booking_id\":%lld}", tb));
        r = call(&u, "get_user_booking_history", "{\"status\":\"cancelled\"}");
        assert_int_equal(jint(r, "count"), 1);
        json_decref(r);
        user_fini(&u);
}

static void test_currency(void **state)
{
        struct user u;
        char *idr = NULL;
        double rate;
        json_t *r, *q;

        user_init(&u, "fx", NULL);
        idr = sql1(u.pg,
                   "SELECT rate::text FROM currency_rates WHERE base = 'USD' AND quote "
                   "= 'IDR'",
                   NULL);
        r = call(&u, "search_currency_rates",
                 "{\"base\":\"usd\",\"quote\":\"IDR\",\"amount\":100}");
        assert_ok(r);
        assert_string_equal(jstr(r, "base"), "USD");
        q = json_array_get(json_object_get(r, "rates"), 0);
        assert_string_equal(jstr(q, "quote"), "IDR");
        rate = json_number_value(json_object_get(q, "rate"));
        assert_true(rate > atof(idr) - 1e-6 && rate < atof(idr) + 1e-6);
        assert_true(
            json_number_value(json_object_get(q, "converted")) > 100 * rate - 0.01 &&
            json_number_value(json_object_get(q, "converted")) < 100 * rate + 0.01);
        assert_non_null(jstr(q, "updated_at"));
        assert_non_null(jstr(q, "source"));
        json_decref(r);

        r = call(&u, "search_currency_rates", "{\"base\":\"IDR\",\"quote\":\"USD\"}");
        rate = json_number_value(
            json_object_get(json_array_get(json_object_get(r, "rates"), 0), "rate"));
        assert_true(rate > 0.99 / atof(idr) && rate < 1.01 / atof(idr));
        json_decref(r);
        r = call(&u, "search_currency_rates", "{\"base\":\"SGD\"}");
        assert_true(json_array_size(json_object_get(r, "rates")) >= 10);
        json_decref(r);
        r = call(&u, "search_currency_rates", "{}");
        assert_string_equal(jstr(r, "base"), "USD");
        json_decref(r);
        r = call(&u, "search_currency_rates", "{\"base\":\"ZZZ\"}");
        assert_error_code(r, SWB_TOOL_E_NOT_FOUND);
        json_decref(r);
        r = call(&u, "search_currency_rates", "{\"base\":\"dollars\"}");
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        swb_free(idr);
        user_fini(&u);
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
        struct user u;
        json_t *r, *q;

        user_init(&u, "fxprov", NULL);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/latest", swb_http_port(h));
        snprintf(src, sizeof(src), "127.0.0.1:%d", swb_http_port(h));
        prov.rates_url = url;
        prov.rates_api_key = "k";
        swb_tools_set_providers(&prov);
        /* Whatever an earlier run fetched is stale now. */
        swb_free(
            sql1(u.pg,
                 "UPDATE currency_rates SET updated_at = now() - interval '2 hours' "
                 "WHERE source <> 'seed' RETURNING 1",
                 NULL));
        r = call(&u, "search_currency_rates", "{\"base\":\"USD\",\"quote\":\"XTS\"}");
        assert_ok(r);
        q = json_array_get(json_object_get(r, "rates"), 0);
        /* %.4f on the wire, numeric in the table: equal to 1e-9 */
        assert_true(json_number_value(json_object_get(q, "rate")) > f.xts_rate - 1e-9 &&
                    json_number_value(json_object_get(q, "rate")) < f.xts_rate + 1e-9);
        assert_string_equal(jstr(q, "source"), src);
        json_decref(r);

        /* The provider down: the table still answers. */
        swb_free(
            sql1(u.pg,
                 "UPDATE currency_rates SET updated_at = now() - interval '2 hours' "
                 "WHERE source <> 'seed' RETURNING 1",
                 NULL));
        snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/nothing-here",
                 swb_http_port(h));
        prov.rates_url = dead;
        swb_tools_set_providers(&prov);
        r = call(&u, "search_currency_rates", "{\"base\":\"USD\",\"quote\":\"XTS\"}");
        assert_ok(r);
        json_decref(r);
        r = call(&u, "search_currency_rates", "{\"base\":\"USD\",\"quote\":\"IDR\"}");
        assert_ok(r);
        json_decref(r);
        swb_tools_set_providers(NULL);
        fake_stop(h, &f);
        user_fini(&u);
}

static void test_knowledge_base(void **state)
{
        struct user u;
        json_t *r, *a;
        size_t i;

        user_init(&u, "kb", NULL);
        r = call(&u, "query_knowledge_base",
                 "{\"query\":\"How much baggage can I take on a domestic flight?\"}");
        assert_ok(r);
        a = json_array_get(json_object_get(r, "articles"), 0);
        assert_string_equal(jstr(a, "slug"), "baggage-domestic");
        assert_string_equal(jstr(a, "lang"), "en");
        assert_true(strlen(jstr(a, "passage")) > 40);
        assert_non_null(strstr(jstr(a, "passage"), "baggage"));
        json_decref(r);

        r = call(&u, "query_knowledge_base",
                 "{\"query\":\"bagaimana kebijakan refund dan pengembalian dana\"}");
        a = json_array_get(json_object_get(r, "articles"), 0);
        assert_string_equal(jstr(a, "slug"), "refund-policy");
        assert_string_equal(jstr(a, "lang"), "id");
        json_decref(r);

        r = call(&u, "query_knowledge_base",
                 "{\"query\":\"visa on "
                 "arrival\",\"lang\":\"en\",\"category\":\"visa\",\"limit\":5}");
        assert_true(jint(r, "count") >= 2);
        json_array_foreach(json_object_get(r, "articles"), i, a)
        {
                assert_string_equal(jstr(a, "lang"), "en");
                assert_string_equal(jstr(a, "category"), "visa");
        }
        json_decref(r);

        /* The user's language first among the matches. */
        u.ctx.locale = "id";
        r = call(&u, "query_knowledge_base", "{\"query\":\"bali levy pungutan\"}");
        assert_string_equal(
            jstr(json_array_get(json_object_get(r, "articles"), 0), "lang"), "id");
        json_decref(r);
        u.ctx.locale = "en";

        r = call(&u, "query_knowledge_base", "{\"query\":\"zzzqqqxxy\"}");
        assert_int_equal(jint(r, "count"), 0);
        assert_non_null(jstr(r, "message"));
        json_decref(r);
        r = call(&u, "query_knowledge_base",
                 "{\"query\":\"the\"}"); /* stop words only */
        assert_ok(r);
        json_decref(r);
        r = call(&u, "query_knowledge_base", "{\"query\":\"!!! & | :* ()\"}");
        assert_ok(r);
        json_decref(r);
        r = call(&u, "query_knowledge_base", "{\"query\":\"\"}");
        assert_error_code(r, SWB_TOOL_E_INVALID);
        json_decref(r);
        user_fini(&u);
}

static void test_web_search(void **state)
{
        struct fake f = {0};
        swb_http_t *h = fake_start(&f);
        struct swb_tools_providers prov = {0};
        char url[128];
        struct user u;
        json_t *r, *body;

        user_init(&u, "web", NULL);
        /* Not configured: the knowledge base answers. */
        swb_tools_set_providers(&prov);
        r = call(&u, "search_travel_articles",
                 "{\"query\":\"visa on arrival Indonesia\"}");
        assert_string_equal(jstr(r, "source"), "knowledge_base");
        assert_true(jint(r, "count") >= 1);
        json_decref(r);
        r = call(&u, "search_general_info", "{\"query\":\"refund policy\"}");
        assert_string_equal(jstr(r, "source"), "knowledge_base");
        json_decref(r);

        snprintf(url, sizeof(url), "http://127.0.0.1:%d/search", swb_http_port(h));
        prov.search_url = url;
        prov.search_api_key = "tvly-test";
        swb_tools_set_providers(&prov);
        r = call(&u, "search_travel_articles",
                 "{\"query\":\"visa on arrival Indonesia\",\"limit\":1}");
        assert_string_equal(jstr(r, "source"), "web");
        assert_int_equal(jint(r, "count"), 1);
        assert_string_equal(
            jstr(json_array_get(json_object_get(r, "results"), 0), "url"),
            "https://example.org/visa");
        assert_non_null(jstr(r, "answer"));
        json_decref(r);
        pthread_mutex_lock(&f.lock);
        assert_string_equal(f.last_auth, "Bearer tvly-test");
        body = json_loads(f.last_body, 0, NULL);
        pthread_mutex_unlock(&f.lock);
        assert_string_equal(jstr(body, "query"), "visa on arrival Indonesia");
        assert_int_equal(jint(body, "max_results"), 1);
        json_decref(body);
        r = call(&u, "search_general_info", "{\"query\":\"weather in Bali in July\"}");
        assert_string_equal(jstr(r, "source"), "web");
        assert_int_equal(jint(r, "count"), 2);
        json_decref(r);

        /* The provider fails: the knowledge base answers, saying so. */
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/fail", swb_http_port(h));
        swb_tools_set_providers(&prov);
        r = call(&u, "search_travel_articles", "{\"query\":\"baggage allowance\"}");
        assert_string_equal(jstr(r, "source"), "knowledge_base");
        assert_non_null(jstr(r, "note"));
        assert_true(jint(r, "count") >= 1);
        json_decref(r);
        assert_int_equal(f.searches, 3);

        swb_tools_set_providers(NULL);
        fake_stop(h, &f);
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
        long long hb, fb, tb;
        double errors = cache_count("user_bookings", "error");
        json_t *r;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", dead_port());
        user_init(&u, "noredis", url);
        book_three(&u, &hb, &fb, &tb);
        r = call(&u, "get_user_booking_history", "{}");
        assert_int_equal(jint(r, "count"), 3);
        json_decref(r);
        json_decref(call(&u, "cancel_hotel_booking", "{\"booking_id\":%lld}", hb));
        r = call(&u, "get_booking_details", "{\"booking_id\":%lld}", hb);
        assert_string_equal(jstr(r, "status"), "cancelled");
        json_decref(r);
        assert_true(cache_count("user_bookings", "error") >= errors + 2);
        user_fini(&u);
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
                                           group_setup, group_teardown);
}
