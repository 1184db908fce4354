#include "swb_test_tools.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_tools.h"

char *swb_test_pg_url; /* swb_test_redis_url: swb_test.c */

static const char *swb__domain = "tools";
static const struct swb_tool *swb__tools;
static size_t swb__n_tools;
static swb_test_tool_dispatch_fn *swb__dispatch;

int swb_test_tools_setup(const char *domain, const struct swb_tool *tools, size_t n,
                         swb_test_tool_dispatch_fn *dispatch)
{
        swb__domain = domain;
        swb__tools = tools;
        swb__n_tools = n;
        swb__dispatch = dispatch;
        swb_test_pg_url = swb_test_stack_env("SWB_PG_URL");
        swb_test_redis_url = swb_test_stack_env("SWB_REDIS_URL");
        if (!swb_test_pg_url || !swb_test_redis_url) {
                fprintf(stderr, "SWB_PG_URL / SWB_REDIS_URL not in the stack env\n");
                return -1;
        }
        return 0;
}

swb_err_t swb_test_tools_dispatch_all(const char *tool, const struct swb_tool_ctx *ctx,
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

static swb_err_t swb__call(const char *tool, const struct swb_tool_ctx *ctx,
                           const json_t *args, json_t **res)
{
        return swb__dispatch
                   ? swb__dispatch(tool, ctx, args, res)
                   : swb_tools_call(swb__tools, swb__n_tools, tool, ctx, args, res);
}

int swb_test_tools_teardown(void **state)
{
        free(swb_test_pg_url);
        free(swb_test_redis_url);
        return 0;
}

swb_pg_t *swb_test_pg_connect(void)
{
        char errstr[512];
        swb_pg_t *pg = swb_pg_new(swb_test_pg_url, errstr, sizeof(errstr));
        if (!pg)
                fail_msg("swb_pg_new: %s", errstr);
        return pg;
}

swb_cache_t *swb_test_cache_at(const char *url)
{
        char errstr[256];
        struct swb_cache_conf conf = {.redis_url = url};
        swb_cache_t *c = swb_cache_new(&conf, errstr, sizeof(errstr));
        if (!c)
                fail_msg("swb_cache_new: %s", errstr);
        return c;
}

void swb_test_user_init(struct swb_test_user *u, const char *tag, const char *cache_url)
{
        memset(u, 0, sizeof(*u));
        snprintf(u->id, sizeof(u->id), "test-%s-%s-%s", swb__domain, tag,
                 swb_test_unique());
        snprintf(u->request, sizeof(u->request), "req-%s", swb_test_unique());
        u->pg = swb_test_pg_connect();
        u->cache = cache_url ? swb_test_cache_at(cache_url) : NULL;
        u->cfg = swb_config_new();
        u->ctx.cfg = u->cfg;
        u->ctx.pg = u->pg;
        u->ctx.cache = u->cache;
        u->ctx.user_id = u->id;
        u->ctx.request_id = u->request;
        u->ctx.call_id = u->call;
        u->ctx.locale = "en";
}

void swb_test_user_fini(struct swb_test_user *u)
{
        swb_cache_destroy(u->cache);
        swb_pg_destroy(u->pg);
        swb_config_destroy(u->cfg);
}

json_t *swb_test_call_as(struct swb_test_user *u, const char *tool, const char *call_id,
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
        err = swb__call(tool, &u->ctx, args, &res);
        json_decref(args);
        if (err)
                fail_msg("%s: %s", tool, swb_err2str(err));
        assert_non_null(res);
        return res;
}

void swb_test_assert_error_code(json_t *res, const char *code)
{
        const char *got = NULL;
        if (!swb_tools_is_error(res, &got) || strcmp(got, code)) {
                char *dump = json_dumps(res, JSON_COMPACT);
                fail_msg("expected error %s, got %s", code, dump);
        }
}

long long swb_test_take_booking_id(json_t *res)
{
        long long id;

        swb_test_assert_ok(res);
        id = swb_test_jint(res, "booking_id");
        json_decref(res);
        assert_true(id > 0);
        return id;
}

void swb_test_take_error(json_t *res, const char *code)
{
        swb_test_assert_error_code(res, code);
        json_decref(res);
}

void swb_test_assert_ok(json_t *res)
{
        if (swb_tools_is_error(res, NULL)) {
                char *dump = json_dumps(res, JSON_COMPACT);
                fail_msg("unexpected error result %s", dump);
        }
}

char *swb_test_sql1(swb_pg_t *pg, const char *sql, const char *p1)
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

long long swb_test_sql_int(swb_pg_t *pg, const char *sql, const char *p1)
{
        char *s = swb_test_sql1(pg, sql, p1);
        long long v = s ? atoll(s) : -1;
        swb_free(s);
        return v;
}

void swb_test_day(swb_pg_t *pg, int days, char out[16])
{
        char n[16], *s;
        snprintf(n, sizeof(n), "%d", days);
        s = swb_test_sql1(pg, "SELECT (CURRENT_DATE + $1::int)::text", n);
        snprintf(out, 16, "%s", s);
        swb_free(s);
}

long long swb_test_jint(const json_t *o, const char *key)
{
        return (long long)json_integer_value(json_object_get(o, key));
}

long long swb_test_first(const json_t *o, const char *list, const char *key)
{
        return swb_test_jint(json_array_get(json_object_get(o, list), 0), key);
}

const char *swb_test_jstr(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

double swb_test_cache_count(const char *type, const char *result)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_metric_t *f = swb_metrics_counter(swb_metrics_default(),
                                              "swb_cache_requests_total", "x", labels);
        const char *const v[] = {type, result};
        return swb_metric_value(f, v);
}

int swb_test_dead_port(void)
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

void swb_test_take_list(json_t *res, const char *tool, const char *list, long long min,
                        const char *field, const char *value)
{
        const char *got;
        json_t *item;
        size_t i;

        swb_test_assert_ok(res);
        if ((long long)json_array_size(json_object_get(res, list)) < min)
                fail_msg("%s: fewer than %lld %s", tool, min, list);
        json_array_foreach(json_object_get(res, list), i, item)
        {
                got = swb_test_jstr(item, field ? field : "");
                if (field && (!got || strcmp(got, value)))
                        fail_msg("%s: %s %zu has %s \"%s\", not \"%s\"", tool, list, i,
                                 field, got ? got : "", value);
        }
        json_decref(res);
}

/* ---------------------------------------------------------------- inventory */

/* A destination of its own, "Testland <unique>" (name). @returns its id. */
static long long swb__destination(swb_pg_t *pg, char name[128])
{
        char *s;
        long long id;

        snprintf(name, 128, "Testland %s", swb_test_unique());
        s = swb_test_sql1(pg,
                          "INSERT INTO destinations (name, country, country_code, "
                          "timezone) VALUES ($1, 'Testland', 'TL', 'Asia/Jakarta') "
                          "RETURNING destination_id",
                          name);
        id = atoll(s);
        swb_free(s);
        return id;
}

/* Run `sql` (a swb_asprintf()ed statement, freed here) with `p1`.
 * @returns the first value as an integer. */
static long long swb__insert(swb_pg_t *pg, char *sql, const char *p1)
{
        long long v = swb_test_sql_int(pg, sql, p1);
        swb_free(sql);
        return v;
}

/* `available` of the row of `table` with `key` = id and `date_col` = date. */
static long long swb__left(swb_pg_t *pg, const char *table, const char *key,
                           long long id, const char *date_col, const char *date)
{
        return swb__insert(pg,
                           swb_asprintf("SELECT available FROM %s WHERE %s = %lld AND "
                                        "%s = $1::date",
                                        table, key, id, date_col),
                           date);
}

void swb_test_make_hotel(swb_pg_t *pg, int rooms, long long *hotel_id, long long *rt_id)
{
        char name[128];
        long long dest = swb__destination(pg, name);

        *hotel_id = swb__insert(
            pg,
            swb_asprintf(
                "INSERT INTO hotels (name, destination_id, city, address, stars, "
                "rating, base_price, currency, description) VALUES ($1 || ' Inn', "
                "%lld, $1, 'Jl. Test 1', 3, 4.0, 500000, 'IDR', 'test') "
                "RETURNING hotel_id",
                dest),
            name);
        *rt_id = swb__insert(
            pg,
            swb_asprintf(
                "INSERT INTO room_types (hotel_id, name, capacity, bed, "
                "price_per_night, currency, total_rooms) VALUES (%lld, 'Only', "
                "2, 'queen', 500000, 'IDR', %d) RETURNING room_type_id",
                *hotel_id, rooms),
            NULL);
        swb__insert(pg,
                    swb_asprintf("INSERT INTO room_inventory (room_type_id, stay_date, "
                                 "total, available) SELECT %lld, d::date, %d, %d FROM "
                                 "generate_series(CURRENT_DATE, CURRENT_DATE + 20, "
                                 "interval '1 day') d RETURNING 1",
                                 *rt_id, rooms, rooms),
                    NULL);
}

long long swb_test_rooms_left(swb_pg_t *pg, long long room_type_id, const char *night)
{
        return swb__left(pg, "room_inventory", "room_type_id", room_type_id,
                         "stay_date", night);
}

long long swb_test_make_flight(swb_pg_t *pg, int seats, int days, int hours_ago)
{
        char n[16], *route = NULL, *sql;
        long long flight;

        snprintf(n, sizeof(n), "%d", seats);
        for (int tries = 0; !route && tries < 50; tries++)
                route = swb_test_sql1(
                    pg,
                    "INSERT INTO flight_routes (flight_no, airline, origin, "
                    "destination, depart_local, duration_min, aircraft, seats, "
                    "base_fare, currency, days_of_week) SELECT 'X' || chr(65 + "
                    "floor(random() * 26)::int) || floor(random() * 10000)::int, "
                    "'Test Air', 'CGK', 'DPS', '10:00', 115, 'Test', $1::int, 1000000, "
                    "'IDR', '{}' ON CONFLICT (flight_no) DO NOTHING RETURNING route_id",
                    n);
        assert_non_null(route);
        if (hours_ago > 0)
                sql = swb_asprintf(
                    "INSERT INTO flights (route_id, flight_no, airline, origin, "
                    "destination, depart_date, depart_at, arrive_at, seats_total, "
                    "seats_available, fare, currency) SELECT route_id, flight_no, "
                    "airline, origin, destination, CURRENT_DATE, now() - interval '%d "
                    "hours', now() - interval '%d hours' + interval '115 minutes', "
                    "seats, seats, base_fare, currency FROM flight_routes "
                    "WHERE route_id = $1::int RETURNING flight_id",
                    hours_ago, hours_ago);
        else
                sql = swb_asprintf(
                    "INSERT INTO flights (route_id, flight_no, airline, origin, "
                    "destination, depart_date, depart_at, arrive_at, seats_total, "
                    "seats_available, fare, currency) SELECT route_id, flight_no, "
                    "airline, origin, destination, CURRENT_DATE + %d, (CURRENT_DATE + "
                    "%d + time '10:00') AT TIME ZONE 'Asia/Jakarta', (CURRENT_DATE + "
                    "%d "
                    "+ time '11:55') AT TIME ZONE 'Asia/Jakarta', seats, seats, "
                    "base_fare, currency FROM flight_routes "
                    "WHERE route_id = $1::int RETURNING flight_id",
                    days, days, days);
        flight = swb__insert(pg, sql, route);
        swb_free(route);
        return flight;
}

long long swb_test_seats_left(swb_pg_t *pg, long long flight_id)
{
        char id[32];
        snprintf(id, sizeof(id), "%lld", flight_id);
        return swb_test_sql_int(
            pg, "SELECT seats_available FROM flights WHERE flight_id = $1::bigint", id);
}

long long swb_test_make_tour(swb_pg_t *pg, int capacity)
{
        char name[128];
        long long dest = swb__destination(pg, name), tour;

        tour = swb__insert(
            pg,
            swb_asprintf(
                "INSERT INTO tours (name, destination_id, city, category, "
                "duration_hours, price, currency, capacity, rating, "
                "meeting_point, start_time, days_of_week, description) "
                "VALUES ($1 || ' Walk', %lld, $1, 'city', 3, 250000, 'IDR', %d, "
                "4.5, 'Town square', '09:00', '{1}', 'test') RETURNING tour_id",
                dest, capacity),
            name);
        swb__insert(
            pg,
            swb_asprintf("INSERT INTO tour_departures (tour_id, tour_date, "
                         "capacity, available) SELECT %lld, d::date, %d, %d FROM "
                         "generate_series(CURRENT_DATE, CURRENT_DATE + 20, "
                         "interval '1 day') d RETURNING 1",
                         tour, capacity, capacity),
            NULL);
        return tour;
}

long long swb_test_places_left(swb_pg_t *pg, long long tour_id, const char *date)
{
        return swb__left(pg, "tour_departures", "tour_id", tour_id, "tour_date", date);
}

/* ---------------------------------------------------------------- races */

struct swb__racer {
        struct swb_test_user *u;
        const char *tool;
        json_t *args; /* a copy of its own */
        pthread_barrier_t *go;
        swb_err_t err;
        json_t *res;
};

static void *swb__race(void *arg)
{
        struct swb__racer *r = arg;
        snprintf(r->u->call, sizeof(r->u->call), "race");
        pthread_barrier_wait(r->go);
        r->err = swb__call(r->tool, &r->u->ctx, r->args, &r->res);
        return NULL;
}

void swb_test_race(struct swb_test_user *users, int n, const char *tool,
                   const json_t *args, int *wins, int *sold_out)
{
        struct swb__racer *r = swb_calloc((size_t)n, sizeof(*r));
        pthread_t *th = swb_calloc((size_t)n, sizeof(*th));
        pthread_barrier_t go;

        *wins = *sold_out = 0;
        pthread_barrier_init(&go, NULL, (unsigned)n);
        for (int i = 0; i < n; i++) {
                r[i].u = &users[i], r[i].tool = tool, r[i].go = &go;
                r[i].args = json_deep_copy(args);
                pthread_create(&th[i], NULL, swb__race, &r[i]);
        }
        for (int i = 0; i < n; i++)
                pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < n; i++) {
                const char *code = NULL;
                if (r[i].err || !r[i].res)
                        fail_msg("%s: %s", tool, swb_err2str(r[i].err));
                if (!swb_tools_is_error(r[i].res, &code))
                        (*wins)++;
                else if (!strcmp(code, SWB_TOOL_E_SOLD_OUT))
                        (*sold_out)++;
                json_decref(r[i].res);
                json_decref(r[i].args);
        }
        swb_free(r);
        swb_free(th);
}
