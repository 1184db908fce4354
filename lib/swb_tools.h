/*
 * swb_tools - what every tool shares: argument checking against the tool's
 * JSON schema, result and error JSON, idempotent write transactions, the
 * read-through cache wrapper, and the HTTP providers (web search, currency
 * rates). Also declares the static tool tables of lib/tools/<domain>.c.
 *
 * Tool results (struct swb_tool's fn): compact JSON with ids the model can
 * reuse. A refusal or a user-facing failure is a normal result
 *   {"error": {"code": "<code>", "message": "<text>"}}
 * with one of the SWB_TOOL_E_* codes below; the fn still returns SWB_OK. A
 * non-OK return means "retry the whole message later" (PostgreSQL down, ...).
 *
 * Idempotency: a write tool derives a key from the request id, the call id,
 * the tool name and the user (swb_tools_idem_key()) and runs its side effect
 * in swb_tools_idempotent(): the key and the result are stored in
 * tool_results in the same transaction, and a replay returns the stored first
 * result without running the body again.
 */
#ifndef SWB_TOOLS_H
#define SWB_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "swb_agent.h"
#include "swb_cache.h"
#include "swb_config.h"
#include "swb_err.h"
#include "swb_pg.h"

/* ---------------------------------------------------------------- tables */

/* The tools of each domain (lib/tools/<domain>.c), in the order offered to
 * the model. customer_service reuses the cancel_* fns of the other domains.
 * The arrays are declared with their size, so SWB_ARRAY_LEN() works on them
 * in static initializers (a plugin's .n_tools); the definitions fail to
 * compile when a count here is wrong. The *_cnt objects hold the same. */
#define SWB_TOOLS_HOTEL_CNT   7
#define SWB_TOOLS_FLIGHT_CNT  6
#define SWB_TOOLS_TOUR_CNT    7
#define SWB_TOOLS_SERVICE_CNT 12
extern const struct swb_tool swb_tools_hotel[SWB_TOOLS_HOTEL_CNT];
extern const size_t swb_tools_hotel_cnt;
extern const struct swb_tool swb_tools_flight[SWB_TOOLS_FLIGHT_CNT];
extern const size_t swb_tools_flight_cnt;
extern const struct swb_tool swb_tools_tour[SWB_TOOLS_TOUR_CNT];
extern const size_t swb_tools_tour_cnt;
extern const struct swb_tool swb_tools_service[SWB_TOOLS_SERVICE_CNT];
extern const size_t swb_tools_service_cnt;

/* ---------------------------------------------------------------- results */

#define SWB_TOOL_E_INVALID                                                             \
        "invalid_argument" /* arguments fail the schema or make no sense */
#define SWB_TOOL_E_UNKNOWN_TOOL "unknown_tool"
#define SWB_TOOL_E_NOT_FOUND    "not_found" /* no such hotel, flight, booking, ... */
#define SWB_TOOL_E_FORBIDDEN    "forbidden" /* another user's booking */
#define SWB_TOOL_E_SOLD_OUT     "not_available" /* not enough rooms / seats / places */
#define SWB_TOOL_E_STATE        "invalid_state" /* e.g. paying a cancelled booking */
#define SWB_TOOL_E_WRONG_KIND                                                          \
        "wrong_booking_type" /* a flight booking given to a hotel tool */
#define SWB_TOOL_E_INTERNAL "internal"

/** @returns a new {"error":{"code":code,"message":...}}. */
json_t *swb_tools_error(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * @returns true when `result` is an error result; `*code` (may be NULL) is
 *          set to its code (borrowed from result).
 */
bool swb_tools_is_error(const json_t *result, const char **code);

/* ---------------------------------------------------------------- arguments */

/**
 * Check `args` against `schema` (a JSON schema text): swb_jsonschema_check(),
 * which documents the supported subset and the return values. Thread-safe.
 */
swb_err_t swb_tools_check_args(const char *schema, const json_t *args, char *errstr,
                               size_t errstr_size);

/**
 * Check a tool table: unique names matching ^[a-zA-Z0-9_-]{1,64}$, a
 * description, a fn, and a parameters schema that parses, is an object schema
 * with additionalProperties false, and whose `required` names are properties.
 * @returns SWB_OK or SWB_ERR_SCHEMA with errstr naming the tool.
 */
swb_err_t swb_tools_check_table(const struct swb_tool *tools, size_t cnt, char *errstr,
                                size_t errstr_size);

/** @returns the tool named `name`, or NULL. */
const struct swb_tool *swb_tools_find(const struct swb_tool *tools, size_t cnt,
                                      const char *name);

/**
 * Look a tool up by name, check the arguments and run it: what an LLM loop
 * calls for each tool call. An unknown tool or arguments that fail the schema
 * are answered with an error result (unknown_tool / invalid_argument) and the
 * tool is not run. `args` may be NULL (= {}).
 * @returns as swb_tool_fn.
 */
swb_err_t swb_tools_call(const struct swb_tool *tools, size_t cnt, const char *name,
                         const struct swb_tool_ctx *ctx, const json_t *args,
                         json_t **result);

/**
 * The table as OpenAI chat-completions `tools`:
 * [{"type":"function","function":{"name","description","parameters"}}, ...].
 * @returns a new reference.
 */
json_t *swb_tools_openai_spec(const struct swb_tool *tools, size_t cnt);

/* ---------------------------------------------------------------- for tool
 * implementations */

/** The body of a tool, called by swb_tools_run() with checked arguments. */
typedef swb_err_t(swb_tools_impl_fn)(const struct swb_tool_ctx *ctx, const json_t *args,
                                     json_t **result);

/**
 * The common entry of every tool fn: checks the context (a user id, a
 * PostgreSQL connection), checks `args` against `schema` (tools never trust
 * their caller), keeps the dated rows ahead of today (travel_extend_horizon,
 * at most once a day per process), then calls `impl`. A permanent error of
 * `impl` (a bug, a constraint) is logged and answered as an "internal" error
 * result; a retriable one is returned. Refusals (forbidden) are logged.
 */
swb_err_t swb_tools_run(const char *tool, const char *schema,
                        const struct swb_tool_ctx *ctx, const json_t *args,
                        swb_tools_impl_fn *impl, json_t **result);

/** Define `static swb_err_t fn(ctx, args, result)` running `impl` through
 * swb_tools_run(). */
#define SWB_TOOL_DEFINE(fn, name, schema, impl)                                        \
        static swb_err_t fn(const struct swb_tool_ctx *ctx, const json_t *args,        \
                            json_t **result)                                           \
        {                                                                              \
                return swb_tools_run(name, schema, ctx, args, impl, result);           \
        }

/** Define tool `fn` as SWB_TOOL_DEFINE() does, whose impl is the read-through
 * cache (swb_tools_cached(), cache `type`, no scope, key `name`) of `load`. */
#define SWB_TOOL_DEFINE_CACHED(fn, name, schema, type, load)                           \
        static swb_err_t fn##_cached(const struct swb_tool_ctx *ctx,                   \
                                     const json_t *args, json_t **result)              \
        {                                                                              \
                return swb_tools_cached(ctx, type, NULL, name, args, load, result);    \
        }                                                                              \
        SWB_TOOL_DEFINE(fn, name, schema, fn##_cached)

/** Argument getters; the schema has checked the types already. */
const char *swb_tools_str(const json_t *args, const char *key, const char *dflt);
long long swb_tools_int(const json_t *args, const char *key, long long dflt);
double swb_tools_num(const json_t *args, const char *key, double dflt);

/** A money amount rounded to cents: an integer when it has no cents. @returns a new
 * reference. */
json_t *swb_tools_money(double v);

/**
 * A JSON value from column `col` of row `row`, typed by the column's type
 * (int and numeric -> number, bool -> boolean, json/jsonb -> parsed, NULL ->
 * null, arrays of text -> array of strings, else string).
 * @returns a new reference.
 */
json_t *swb_tools_pg_value(const PGresult *res, int row, int col);
/** Every column of `row` as an object keyed by column name. @returns a new reference.
 */
json_t *swb_tools_pg_row(const PGresult *res, int row);
/** Every row as an array of objects. @returns a new reference. */
json_t *swb_tools_pg_rows(const PGresult *res);

/**
 * Run a read-only statement on ctx->pg.
 * @param rows set to a new array of row objects (swb_tools_pg_rows()) on SWB_OK.
 * @returns the error of swb_pg_exec(). (A permanent error returned by a tool
 *          body is logged and answered as an "internal" error result by
 *          swb_tools_run(); retriable ones go up to retry the message.)
 */
swb_err_t swb_tools_query(const struct swb_tool_ctx *ctx, const char *sql, int nparams,
                          const char *const *params, json_t **rows);

/**
 * Run `sql` with the one parameter $1 = the integer argument `key` of `args`
 * (swb_tools_query()) and answer its first row as *result (a new reference),
 * or the not_found error result "no <what> with id <id>" when it has none.
 * @returns the error of swb_tools_query(), or SWB_OK.
 */
swb_err_t swb_tools_query_row(const struct swb_tool_ctx *ctx, const char *sql,
                              const json_t *args, const char *key, const char *what,
                              json_t **result);

/**
 * Read-through cache of a read tool: the key is `tool` + the arguments
 * (canonical JSON); `scope` picks the invalidation counter (see swb_cache.h).
 * `load` runs on a miss, when ctx->cache is NULL, or when Redis is down;
 * error results are never cached.
 */
swb_err_t swb_tools_cached(const struct swb_tool_ctx *ctx, swb_cache_type_t type,
                           const char *scope, const char *tool, const json_t *args,
                           swb_tools_impl_fn *load, json_t **result);

/* ---------------------------------------------------------------- idempotency */

#define SWB_TOOLS_IDEM_KEY_LEN 64

/**
 * The idempotency key of this tool call: derived from ctx->request_id,
 * ctx->call_id, `tool` and ctx->user_id ("idem-<uuid>").
 */
void swb_tools_idem_key(const struct swb_tool_ctx *ctx, const char *tool,
                        char out[SWB_TOOLS_IDEM_KEY_LEN]);

/**
 * The body of a write; runs inside the transaction on ctx->pg. `idem_key`
 * may seed ids derived from the call (transaction ids).
 */
typedef swb_err_t(swb_tools_tx_fn)(const struct swb_tool_ctx *ctx, const json_t *args,
                                   void *opaque, const char *idem_key, json_t **result);

/**
 * Run `body` once per idempotency key: BEGIN; lock the key; if tool_results
 * holds it, answer the stored result (*replayed = true); else upsert the user,
 * run body, store its result (an error result too: a replay answers the same),
 * COMMIT. When body answers an error result, its writes are rolled back (to a
 * savepoint) and only the result is stored. A non-OK return of body or of
 * PostgreSQL rolls everything back and is returned.
 * Refuses (error result) a call without ctx->request_id.
 * @param replayed may be NULL.
 */
swb_err_t swb_tools_idempotent(const struct swb_tool_ctx *ctx, const char *tool,
                               const json_t *args, swb_tools_tx_fn *body, void *opaque,
                               json_t **result, bool *replayed);

/* ---------------------------------------------------------------- providers */

/** HTTP providers; a NULL or empty URL means "not configured". */
struct swb_tools_providers {
        const char *search_url; /* Tavily-compatible POST endpoint */
        const char *search_api_key;
        const char
            *rates_url; /* GET; JSON
                           {"base"|"base_code":"USD","rates":{"IDR":16250,...}} */
        const char *rates_api_key;
        int rates_max_age_s; /* refresh rates older than this; <= 0: 3600 */
        int timeout_ms;      /* per HTTP request; <= 0: 5000 */
};

/**
 * Set the providers for this process (strings are copied); NULL clears them.
 * Until set, swb_tools_providers_get() reads SWB_SEARCH_URL,
 * SWB_SEARCH_API_KEY, SWB_RATES_URL, SWB_RATES_API_KEY from the environment.
 * Thread-safe; meant to be called once at start (and by tests).
 */
void swb_tools_set_providers(const struct swb_tools_providers *p);

/** The providers in effect for `ctx` (ctx may be NULL). Strings stay valid until the
 * next set. */
void swb_tools_providers_get(const struct swb_tool_ctx *ctx,
                             struct swb_tools_providers *out);

/**
 * One HTTP request with libcurl. `body` (may be NULL) is sent as JSON with
 * POST; without a body the method is GET. `bearer` (may be NULL) goes into
 * Authorization. The response must be JSON.
 * @returns SWB_OK with *out (a new reference) for a 2xx JSON answer;
 *          SWB_ERR_TIMEOUT, SWB_ERR_TRANSPORT, SWB_ERR_UNAVAILABLE (429, 5xx)
 *          or SWB_ERR_INVALID_ARG (other 4xx, not JSON), errstr filled.
 */
swb_err_t swb_tools_http_json(const char *url, const char *bearer, const json_t *body,
                              int timeout_ms, json_t **out, char *errstr,
                              size_t errstr_size);

/* ---------------------------------------------------------------- bookings
 * (lib/tools/booking.c) */

/*
 * Holds. A new booking is pending and holds its rooms, seats or places for
 * booking.hold.minutes (ctx->cfg; without one, the table's default; 0: for
 * ever). Past that the pay tools refuse it ("the hold ... expired ...; please
 * book again", in Indonesian for an "id" locale) and swb_tools_booking_sweep()
 * cancels it (cancel_reason "payment window expired") and puts its inventory
 * back on sale as a cancellation does (bookings_release() in
 * infra/sql/005_booking_hold.sql).
 */

/** booking.hold.minutes of ctx->cfg (without one, the table's default). */
int swb__tools_booking_hold_minutes(const struct swb_tool_ctx *ctx);

/**
 * Change a booking of `kind` ("hotel", "flight", "tour"): run `body` (which
 * makes, pays or cancels the booking; its opaque is `kind`) once per
 * idempotency key as `tool`, then invalidate what it made stale: the user's
 * bookings, and the availability of the hotel, tour or flights when the
 * result names one (hotel_id, tour_id, flight_id).
 * @returns as swb_tools_idempotent().
 */
swb_err_t swb__tools_booking_make(const struct swb_tool_ctx *ctx, const json_t *args,
                                  const char *kind, const char *tool,
                                  swb_tools_tx_fn *body, json_t **result);

/**
 * In a booking body, before the INSERT: take the inventory, rows this
 * transaction has locked and checked, with `sql`, an UPDATE of `rows` rows.
 * @returns SWB_OK, an error of PostgreSQL (logged), or SWB_ERR_INTERNAL when
 *          it changed another number of rows (cannot happen).
 */
swb_err_t swb__tools_booking_take(const struct swb_tool_ctx *ctx, const char *sql,
                                  int nparams, const char *const *params,
                                  long long rows);

/**
 * In a booking body, after the INSERT: add to the new booking's `result`
 * (which has its booking_id) when its hold ends, hold_expires_at (UTC; absent
 * when holds never expire), and a next_step naming `pay_tool` and `what` is
 * held ("rooms", "seats", "places").
 * @returns an error of PostgreSQL, or SWB_OK.
 */
swb_err_t swb__tools_booking_held(const struct swb_tool_ctx *ctx, const char *pay_tool,
                                  const char *what, json_t *result);

/**
 * Cancel up to `batch` pending bookings whose hold of `minutes` has ended,
 * oldest first, and put their inventory back on sale: one statement
 * (bookings_expire()), so one transaction; bookings locked by anyone else
 * (another replica's sweep, a payment in progress) are skipped, so concurrent
 * calls never release a booking twice. Invalidates the cached bookings and
 * availability of each (`cache` may be NULL) and counts them in
 * swb_booking_holds_expired_total{kind}. Does nothing when minutes <= 0.
 * `pg` must not be inside a failed transaction; called in one, the changes
 * commit with it.
 * @returns the number of bookings cancelled, or -1 with errstr filled.
 */
long swb_tools_booking_expire(swb_pg_t *pg, swb_cache_t *cache, int minutes, int batch,
                              char *errstr, size_t errstr_size);

/**
 * The periodic expiry of holds, called from an agent's poll loop: when due
 * (once a minute; a second later when a run used up its ~200 ms budget with
 * more to do; a minute after a failure, which is logged), runs
 * swb_tools_booking_expire() in batches with cfg's booking.hold.minutes.
 * Does nothing when `pg` is NULL (call it only while PostgreSQL is up) or
 * when holds never expire. `*next_ms` is the caller's schedule (monotonic ms
 * of the next run; 0: due now), kept between calls. Replicas may sweep at
 * the same time: they take disjoint bookings (swb_tools_booking_expire()).
 * @returns the number of bookings cancelled by this call.
 */
long swb_tools_booking_sweep(const swb_config_t *cfg, swb_pg_t *pg, swb_cache_t *cache,
                             int64_t *next_ms);

/* The cancel and pay tools of each kind, defined once (lib/tools/booking.c)
 * and listed by their domain and by customer_service (which pays or cancels a
 * booking it finds, whatever its kind). */
swb_tool_fn swb__tool_pay_hotel_booking;
swb_tool_fn swb__tool_pay_flight_booking;
swb_tool_fn swb__tool_pay_tour_booking;
swb_tool_fn swb__tool_cancel_hotel_booking;
swb_tool_fn swb__tool_cancel_flight_booking;
swb_tool_fn swb__tool_cancel_tour_booking;

#define SWB_TOOLS_BOOKING_ID_PARAM                                                     \
        "\"booking_id\":{\"type\":\"integer\",\"minimum\":1,"                          \
        "\"description\":\"The booking id returned when the booking was made\"}"

#define SWB_TOOLS_PAY_PARAMS                                                           \
        "{\"type\":\"object\",\"properties\":{" SWB_TOOLS_BOOKING_ID_PARAM ","         \
        "\"payment_method\":{\"type\":\"string\",\"enum\":[\"credit_card\",\"debit_"   \
        "card\","                                                                      \
        "\"bank_transfer\",\"virtual_account\",\"e_wallet\"],"                         \
        "\"description\":\"How the user pays\"}},"                                     \
        "\"required\":[\"booking_id\",\"payment_method\"],\"additionalProperties\":"   \
        "false}"

#define SWB_TOOLS_CANCEL_PARAMS                                                        \
        "{\"type\":\"object\",\"properties\":{" SWB_TOOLS_BOOKING_ID_PARAM ","         \
        "\"reason\":{\"type\":\"string\",\"maxLength\":200,"                           \
        "\"description\":\"Why the user cancels (optional)\"}},"                       \
        "\"required\":[\"booking_id\"],\"additionalProperties\":false}"

#define SWB_TOOLS_CANCEL_HOTEL_DESC                                                    \
        "Cancel one of the user's hotel bookings by booking_id. Releases the rooms; "  \
        "a "                                                                           \
        "paid booking is refunded in full (refund transaction id RF-...)."
#define SWB_TOOLS_CANCEL_FLIGHT_DESC                                                   \
        "Cancel one of the user's flight bookings by booking_id. Releases the seats; " \
        "a "                                                                           \
        "paid booking is refunded in full (refund transaction id RF-...)."
#define SWB_TOOLS_CANCEL_TOUR_DESC                                                     \
        "Cancel one of the user's tour bookings by booking_id. Releases the places; "  \
        "a "                                                                           \
        "paid booking is refunded in full (refund transaction id RF-...)."

#endif
