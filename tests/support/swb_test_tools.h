/*
 * Helpers of the tool component tests (tests/component/test_tools_*.c): a
 * test user with its own PostgreSQL connection, configuration and optionally
 * a cache, tool calls as that user, assertions on tool results, one-value SQL
 * reads, a hotel, flight or tour of a test's own, and races of users for the
 * last room, seat or place.
 */
#ifndef SWB_TEST_TOOLS_H
#define SWB_TEST_TOOLS_H

#include "swb_test.h"

#include <jansson.h>

#include "swb_agent.h"
#include "swb_cache.h"
#include "swb_config.h"
#include "swb_pg.h"

/** The test stack's PostgreSQL and Redis URLs (set by swb_test_tools_setup). */
extern char *swb_test_pg_url; /* and swb_test_redis_url (swb_test.h) */

/** How a test file's calls reach the tools. */
typedef swb_err_t(swb_test_tool_dispatch_fn)(const char *tool,
                                             const struct swb_tool_ctx *ctx,
                                             const json_t *args, json_t **res);

/**
 * cmocka group setup of a tool test file: reads the stack's URLs and remembers
 * `domain` (for user ids) and how to call the tools: `dispatch`, or when NULL
 * swb_tools_call on `tools`. @returns 0, or -1 when the stack env is missing.
 */
int swb_test_tools_setup(const char *domain, const struct swb_tool *tools, size_t n,
                         swb_test_tool_dispatch_fn *dispatch);
/** A dispatch: the tool of that name in the customer_service table, else in the
 *  domain tables (hotel, flight, tour). */
swb_err_t swb_test_tools_dispatch_all(const char *tool, const struct swb_tool_ctx *ctx,
                                      const json_t *args, json_t **res);
int swb_test_tools_teardown(void **state);

/** A user of its own (unique id), its PostgreSQL connection, the default
 *  configuration (a test may change it: ctx.cfg points to it), maybe a cache. */
struct swb_test_user {
        char id[96];
        char request[96];
        char call[32];
        swb_pg_t *pg;
        swb_cache_t *cache;
        swb_config_t *cfg;
        struct swb_tool_ctx ctx;
};

swb_pg_t *swb_test_pg_connect(void);
swb_cache_t *swb_test_cache_at(const char *url);
/** `cache_url` NULL: the user's tools read PostgreSQL only. */
void swb_test_user_init(struct swb_test_user *u, const char *tag,
                        const char *cache_url);
void swb_test_user_fini(struct swb_test_user *u);

/** Call a tool as `u` with a fresh call id (or `call_id` to replay one); fails the
 *  test on a transport error. @returns the result (a new reference). */
json_t *swb_test_call_as(struct swb_test_user *u, const char *tool, const char *call_id,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define swb_test_call(u, tool, ...) swb_test_call_as(u, tool, NULL, __VA_ARGS__)

void swb_test_assert_error_code(json_t *res, const char *code);
/** Call the booking tool `tool` as `u` (args from the format and arguments
 *  after it), check it succeeds. @returns the booking_id. */
#define swb_test_book(u, tool, ...)                                                    \
        swb_test_take_booking_id(swb_test_call(u, tool, __VA_ARGS__))
long long swb_test_take_booking_id(json_t *res);
/** Call `tool` as `u` (args as swb_test_book) and check it answers the error `code`. */
#define swb_test_expect_error(u, code, tool, ...)                                      \
        swb_test_take_error(swb_test_call(u, tool, __VA_ARGS__), code)
void swb_test_take_error(json_t *res, const char *code);
void swb_test_assert_ok(json_t *res);

/** One value from the database, as text (a new string), or NULL. */
char *swb_test_sql1(swb_pg_t *pg, const char *sql, const char *p1);
long long swb_test_sql_int(swb_pg_t *pg, const char *sql, const char *p1);
/** The date `days` after the database's today, YYYY-MM-DD. */
void swb_test_day(swb_pg_t *pg, int days, char out[16]);

long long swb_test_jint(const json_t *o, const char *key);
/** swb_test_jint() of the first item of the array `list` of `o`. */
long long swb_test_first(const json_t *o, const char *list, const char *key);
const char *swb_test_jstr(const json_t *o, const char *key);

/** swb_cache_requests_total{cache=type,result=result} of this process. */
double swb_test_cache_count(const char *type, const char *result);

/**
 * Call `tool` as `u` (args as swb_test_book) and check that its answer lists
 * at least `min` items under `list` and, when `field` is not NULL, that each
 * has `field` equal to `value`.
 */
#define swb_test_expect_list(u, tool, list, min, field, value, ...)                    \
        swb_test_take_list(swb_test_call(u, tool, __VA_ARGS__), tool, list, min,       \
                           field, value)
void swb_test_take_list(json_t *res, const char *tool, const char *list, long long min,
                        const char *field, const char *value);

/* ---- inventory of a test's own (a destination of its own, "Testland <unique>") */

/** A hotel with one room type of `rooms` rooms (2 guests, IDR 500,000 a night)
 *  on sale for the next 20 nights. Sets the ids. */
void swb_test_make_hotel(swb_pg_t *pg, int rooms, long long *hotel_id,
                         long long *rt_id);
/** Rooms of the room type left on `night` (YYYY-MM-DD). */
long long swb_test_rooms_left(swb_pg_t *pg, long long room_type_id, const char *night);

/**
 * A flight CGK -> DPS, `days` from today at 10:00 Jakarta time (hours_ago > 0:
 * departed that many hours ago instead), with `seats` seats at IDR 1,000,000.
 * Its route never gets dated flights generated. @returns the flight id.
 */
long long swb_test_make_flight(swb_pg_t *pg, int seats, int days, int hours_ago);
long long swb_test_seats_left(swb_pg_t *pg, long long flight_id);

/** A tour (IDR 250,000 a participant, Mondays in its data) with departures of
 *  `capacity` places on the next 20 days. @returns the tour id. */
long long swb_test_make_tour(swb_pg_t *pg, int capacity);
long long swb_test_places_left(swb_pg_t *pg, long long tour_id, const char *date);

/**
 * Race: each of the `n` users calls `tool` with `args` at the same moment (one
 * thread each, call id "race"). Counts the answers that succeeded and those
 * refused as not_available; fails the test on a transport error.
 */
void swb_test_race(struct swb_test_user *users, int n, const char *tool,
                   const json_t *args, int *wins, int *sold_out);
#endif
