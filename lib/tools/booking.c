/*
 * The booking lifecycle the domains share (declared in swb_tools.h): the pay
 * and cancel tools of each kind, pay (pending -> paid, within the booking's
 * hold) and cancel (pending|paid -> cancelled, inventory released, paid
 * bookings refunded); what a new booking says about its hold; and the expiry
 * of holds that were not paid in time (pending -> cancelled, inventory
 * released). Inventory goes back on sale in SQL, bookings_release()
 * (infra/sql/005_booking_hold.sql), for a cancellation and an expiry alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_pg.h"
#include "swb_tools.h"

/* The cancel_reason of a booking whose hold expired. */
#define HOLD_EXPIRED_REASON "payment window expired"

#define SWEEP_BATCH     500
#define SWEEP_BUDGET_MS 200
#define SWEEP_EVERY_MS  (60 * 1000)
#define SWEEP_SOON_MS   1000 /* after a run cut short by its budget */

/* ---------------------------------------------------------------- holds */

/* booking.hold.minutes; without a configuration, the table's default. */
static int hold_minutes(const swb_config_t *cfg)
{
        swb_config_t *dflt;
        int m;

        if (cfg)
                return cfg->booking_hold_minutes;
        dflt = swb_config_new();
        m = dflt->booking_hold_minutes;
        swb_config_destroy(dflt);
        return m;
}

int swb__tools_booking_hold_minutes(const struct swb_tool_ctx *ctx)
{
        return hold_minutes(ctx->cfg);
}

swb_err_t swb__tools_booking_held(const struct swb_tool_ctx *ctx, const char *pay_tool,
                                  const char *what, json_t *result)
{
        int minutes = hold_minutes(ctx->cfg);
        char id[32], m[16];
        const char *p[] = {id, m};
        const char *until;
        json_t *rows;
        swb_err_t err;

        if (minutes <= 0) {
                json_object_set_new(result, "next_step",
                                    json_sprintf("Pay with %s to confirm; the %s are "
                                                 "held while the booking is pending.",
                                                 pay_tool, what));
                return SWB_OK;
        }
        snprintf(id, sizeof(id), "%lld", swb_tools_int(result, "booking_id", 0));
        snprintf(m, sizeof(m), "%d", minutes);
        err = swb_tools_query(
            ctx,
            "SELECT to_char(bookings_hold_end(created_at, $2::int) AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS t "
            "FROM bookings WHERE booking_id = $1::bigint",
            2, p, &rows);
        if (err)
                return err;
        until = swb_tools_str(json_array_get(rows, 0), "t", "");
        json_object_set_new(result, "hold_expires_at", json_string(until));
        json_object_set_new(
            result, "next_step",
            json_sprintf(
                "Pay with %s before hold_expires_at (%d minutes after booking) "
                "to confirm; the %s are held until then, and a booking still "
                "unpaid then is cancelled.",
                pay_tool, minutes, what));
        json_decref(rows);
        return SWB_OK;
}

swb_err_t swb__tools_booking_take(const struct swb_tool_ctx *ctx, const char *sql,
                                  int nparams, const char *const *params,
                                  long long rows)
{
        char errstr[512];
        PGresult *res = NULL;
        swb_err_t err =
            swb_pg_exec(ctx->pg, sql, nparams, params, &res, errstr, sizeof(errstr));

        if (err) {
                SWB_WARN(ctx->corr, "tools: taking inventory: %s", errstr);
                return err;
        }
        if (atoll(PQcmdTuples(res)) != rows)
                err = SWB_ERR_INTERNAL; /* rows locked and checked: cannot happen */
        PQclear(res);
        return err;
}

/* ---------------------------------------------------------------- booking lifecycle */

static const char *tool_of(const char *kind, bool pay)
{
        if (!strcmp(kind, "hotel"))
                return pay ? "process_hotel_payment" : "cancel_hotel_booking";
        if (!strcmp(kind, "flight"))
                return pay ? "process_flight_payment" : "cancel_flight_booking";
        return pay ? "process_tour_payment" : "cancel_tour_booking";
}

/*
 * Lock the booking and check it may be changed by this user as `kind`.
 * The row says whether its hold has expired (pending past its hold, or
 * cancelled for that) and when it ended.
 * @returns SWB_OK with *row (a new reference) or with *result set to an error result.
 */
static swb_err_t lock_booking(const struct swb_tool_ctx *ctx, const char *id,
                              const char *kind, bool pay, json_t **row, json_t **result)
{
        char m[16];
        const char *p[] = {id, m, HOLD_EXPIRED_REASON};
        json_t *rows;
        const char *owner, *bkind;
        swb_err_t err;

        *row = NULL;
        snprintf(m, sizeof(m), "%d", hold_minutes(ctx->cfg));
        err = swb_tools_query(
            ctx,
            "SELECT b.booking_id, b.user_id, b.kind, b.status, b.hotel_id, "
            "b.flight_id, b.tour_id, b.party_size, b.rooms, "
            "CASE b.kind WHEN 'hotel' THEN b.check_in < CURRENT_DATE "
            "WHEN 'flight' THEN f.depart_at <= now() "
            "ELSE td.tour_date < CURRENT_DATE END AS started, "
            "coalesce((b.status = 'pending' AND "
            "bookings_hold_end(b.created_at, $2::int) <= now()) OR "
            "(b.status = 'cancelled' AND b.cancel_reason = $3), false) AS "
            "hold_expired, "
            "to_char(coalesce(bookings_hold_end(b.created_at, $2::int), "
            "b.cancelled_at) "
            "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS hold_ended_at "
            "FROM bookings b LEFT JOIN flights f ON f.flight_id = b.flight_id "
            "LEFT JOIN tour_departures td ON td.departure_id = b.departure_id "
            "WHERE b.booking_id = $1::bigint FOR UPDATE OF b",
            3, p, &rows);
        if (err)
                return err;
        if (json_array_size(rows) == 0) {
                *result = swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no booking %s", id);
                goto out;
        }
        owner = swb_tools_str(json_array_get(rows, 0), "user_id", "");
        bkind = swb_tools_str(json_array_get(rows, 0), "kind", "");
        if (strcmp(owner, ctx->user_id)) {
                *result = swb_tools_error(SWB_TOOL_E_FORBIDDEN,
                                          "booking %s belongs to another user", id);
                goto out;
        }
        if (strcmp(bkind, kind)) {
                *result = swb_tools_error(SWB_TOOL_E_WRONG_KIND,
                                          "booking %s is a %s booking; use %s", id,
                                          bkind, tool_of(bkind, pay));
                goto out;
        }
        *row = json_incref(json_array_get(rows, 0));
out:
        json_decref(rows);
        return SWB_OK;
}

/* The refusal to pay a booking whose hold expired, in the user's language. */
static json_t *hold_expired_error(const struct swb_tool_ctx *ctx, const char *id,
                                  const json_t *row)
{
        const char *at = swb_tools_str(row, "hold_ended_at", "");

        if (ctx->locale && !strncmp(ctx->locale, "id", 2))
                return swb_tools_error(SWB_TOOL_E_STATE,
                                       "masa tahan pesanan %s sudah berakhir pada %s, "
                                       "jadi pesanan tidak dapat dibayar lagi; silakan "
                                       "pesan ulang",
                                       id, at);
        return swb_tools_error(SWB_TOOL_E_STATE,
                               "the hold on booking %s expired at %s, so it can no "
                               "longer be paid; please book again",
                               id, at);
}

static swb_err_t pay_body(const struct swb_tool_ctx *ctx, const json_t *args,
                          void *opaque, const char *idem_key, json_t **result)
{
        const char *kind = opaque; /* hotel, flight, tour */
        char id[32];
        const char *status;
        json_t *row = NULL, *rows = NULL;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "booking_id", 0));
        if ((err = lock_booking(ctx, id, kind, true, &row, result)) || *result)
                return err;
        status = swb_tools_str(row, "status", "");
        if (!strcmp(status, "paid")) {
                const char *p[] = {id};
                json_t *tx = NULL;
                if ((err = swb_tools_query(
                         ctx,
                         "SELECT transaction_id FROM payments WHERE "
                         "booking_id = $1::bigint AND kind = 'charge' AND "
                         "status = 'succeeded'",
                         1, p, &tx)))
                        goto out;
                *result = swb_tools_error(
                    SWB_TOOL_E_STATE, "booking %s is already paid (transaction %s)", id,
                    swb_tools_str(json_array_get(tx, 0), "transaction_id", "unknown"));
                json_decref(tx);
                goto out;
        }
        if (json_is_true(json_object_get(row, "hold_expired"))) {
                *result = hold_expired_error(ctx, id, row);
                goto out;
        }
        if (strcmp(status, "pending")) {
                *result =
                    swb_tools_error(SWB_TOOL_E_STATE,
                                    "booking %s is %s and cannot be paid", id, status);
                goto out;
        }
        if (json_is_true(json_object_get(row, "started"))) {
                *result =
                    swb_tools_error(SWB_TOOL_E_STATE,
                                    "booking %s has already started; it can no longer "
                                    "be paid",
                                    id);
                goto out;
        }
        {
                const char *p[] = {id, idem_key,
                                   swb_tools_str(args, "payment_method", "")};
                /* The simulated processor: the charge succeeds; its id derives
                 * from the call, so a replay can never charge twice. */
                err = swb_tools_query(
                    ctx,
                    "INSERT INTO payments (booking_id, user_id, transaction_id, kind, "
                    "method, amount, currency, status) "
                    "SELECT b.booking_id, b.user_id, 'TX-' || upper(substr(md5($2), 1, "
                    "16)), "
                    "'charge', $3, b.amount, b.currency, 'succeeded' FROM bookings b "
                    "WHERE b.booking_id = $1::bigint "
                    "RETURNING transaction_id, method, amount, currency, status, "
                    "to_char(created_at AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS paid_at",
                    3, p, &rows);
                if (err)
                        goto out;
        }
        {
                const char *p[] = {id};
                json_t *upd = NULL;
                if ((err = swb_tools_query(
                         ctx,
                         "UPDATE bookings SET status = 'paid', paid_at = now() "
                         "WHERE booking_id = $1::bigint RETURNING status",
                         1, p, &upd)))
                        goto out;
                json_decref(upd);
        }
        *result = json_pack("{s:O,s:s,s:s,s:O}", "booking_id",
                            json_object_get(row, "booking_id"), "kind", kind, "status",
                            "paid", "payment", json_array_get(rows, 0));
out:
        json_decref(row);
        json_decref(rows);
        return err;
}

static swb_err_t cancel_body(const struct swb_tool_ctx *ctx, const json_t *args,
                             void *opaque, const char *idem_key, json_t **result)
{
        const char *kind = opaque; /* hotel, flight, tour */
        char id[32];
        const char *status;
        json_t *row = NULL, *refund = NULL, *rel = NULL, *upd = NULL;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "booking_id", 0));
        if ((err = lock_booking(ctx, id, kind, false, &row, result)) || *result)
                return err;
        status = swb_tools_str(row, "status", "");
        if (!strcmp(status, "cancelled")) {
                *result = swb_tools_error(SWB_TOOL_E_STATE,
                                          "booking %s is already cancelled", id);
                goto out;
        }
        if (json_is_true(json_object_get(row, "started"))) {
                *result =
                    swb_tools_error(SWB_TOOL_E_STATE,
                                    "booking %s has already started and cannot be "
                                    "cancelled",
                                    id);
                goto out;
        }
        {
                const char *p[] = {id};
                if ((err = swb_tools_query(ctx,
                                           "SELECT bookings_release(ARRAY[$1::bigint])",
                                           1, p, &rel)))
                        goto out;
        }
        if (!strcmp(status, "paid")) {
                const char *p[] = {id, idem_key};
                json_t *rows = NULL;
                if ((err = swb_tools_query(
                         ctx,
                         "INSERT INTO payments (booking_id, user_id, transaction_id, "
                         "kind, "
                         "method, amount, currency, status) "
                         "SELECT p.booking_id, p.user_id, 'RF-' || "
                         "upper(substr(md5($2), 1, "
                         "16)), 'refund', p.method, p.amount, p.currency, 'succeeded' "
                         "FROM payments p WHERE p.booking_id = $1::bigint "
                         "AND p.kind = 'charge' AND p.status = 'succeeded' "
                         "RETURNING transaction_id, method, amount, currency, status",
                         2, p, &rows)))
                        goto out;
                refund = json_incref(json_array_get(rows, 0));
                json_decref(rows);
        }
        {
                const char *p[] = {id, swb_tools_str(args, "reason", NULL)};
                if ((err = swb_tools_query(
                         ctx,
                         "UPDATE bookings SET status = 'cancelled', "
                         "cancelled_at = now(), cancel_reason = $2 "
                         "WHERE booking_id = $1::bigint RETURNING status",
                         2, p, &upd)))
                        goto out;
        }
        *result = json_pack("{s:O,s:s,s:s,s:O,s:O,s:O,s:O,s:o}", "booking_id",
                            json_object_get(row, "booking_id"), "kind", kind, "status",
                            "cancelled", "hotel_id", json_object_get(row, "hotel_id"),
                            "flight_id", json_object_get(row, "flight_id"), "tour_id",
                            json_object_get(row, "tour_id"), "released",
                            !strcmp(kind, "hotel") ? json_object_get(row, "rooms")
                                                   : json_object_get(row, "party_size"),
                            "refund", refund ? json_incref(refund) : json_null());
        if (*result) {
                /* keep only the id of this kind */
                if (strcmp(kind, "hotel"))
                        json_object_del(*result, "hotel_id");
                if (strcmp(kind, "flight"))
                        json_object_del(*result, "flight_id");
                if (strcmp(kind, "tour"))
                        json_object_del(*result, "tour_id");
        }
out:
        json_decref(row);
        json_decref(refund);
        json_decref(rel);
        json_decref(upd);
        return err;
}

/* After a change to a booking of `user` has committed: drop what it made
 * stale. `booking` has the booking's hotel_id, flight_id or tour_id. */
static void invalidate_after(swb_cache_t *cache, const char *user, const char *kind,
                             const json_t *booking)
{
        char scope[48];

        swb_cache_invalidate(cache, SWB_CACHE_USER_BOOKINGS, user);
        if (!strcmp(kind, "hotel") && json_object_get(booking, "hotel_id")) {
                snprintf(scope, sizeof(scope), "hotel:%lld",
                         swb_tools_int(booking, "hotel_id", 0));
                swb_cache_invalidate(cache, SWB_CACHE_AVAILABILITY, scope);
        } else if (!strcmp(kind, "tour") && json_object_get(booking, "tour_id")) {
                snprintf(scope, sizeof(scope), "tour:%lld",
                         swb_tools_int(booking, "tour_id", 0));
                swb_cache_invalidate(cache, SWB_CACHE_AVAILABILITY, scope);
        } else if (!strcmp(kind, "flight") && json_object_get(booking, "flight_id")) {
                swb_cache_invalidate(cache, SWB_CACHE_FLIGHTS, NULL);
        }
}

swb_err_t swb__tools_booking_make(const struct swb_tool_ctx *ctx, const json_t *args,
                                  const char *kind, const char *tool,
                                  swb_tools_tx_fn *body, json_t **result)
{
        swb_err_t err =
            swb_tools_idempotent(ctx, tool, args, body, (void *)kind, result, NULL);

        if (!err && !swb_tools_is_error(*result, NULL))
                invalidate_after(ctx->cache, ctx->user_id, kind, *result);
        return err;
}

/* A pay or cancel tool, `fn`: swb_tools_run() of `body` for `kind` as `tool`. A
 * payment's result names no hotel, flight or tour: it invalidates the user's
 * bookings only. */
#define LIFECYCLE_TOOL(fn, tool, params, body, kind)                                   \
        static swb_err_t fn##_impl(const struct swb_tool_ctx *ctx, const json_t *args, \
                                   json_t **result)                                    \
        {                                                                              \
                return swb__tools_booking_make(ctx, args, kind, tool, body, result);   \
        }                                                                              \
        swb_err_t fn(const struct swb_tool_ctx *ctx, const json_t *args,               \
                     json_t **result)                                                  \
        {                                                                              \
                return swb_tools_run(tool, params, ctx, args, fn##_impl, result);      \
        }

#define PAY_TOOL(kind)                                                                 \
        LIFECYCLE_TOOL(swb__tool_pay_##kind##_booking, "process_" #kind "_payment",    \
                       SWB_TOOLS_PAY_PARAMS, pay_body, #kind)
#define CANCEL_TOOL(kind)                                                              \
        LIFECYCLE_TOOL(swb__tool_cancel_##kind##_booking, "cancel_" #kind "_booking",  \
                       SWB_TOOLS_CANCEL_PARAMS, cancel_body, #kind)

PAY_TOOL(hotel)
PAY_TOOL(flight)
PAY_TOOL(tour)
CANCEL_TOOL(hotel)
CANCEL_TOOL(flight)
CANCEL_TOOL(tour)

/* ---------------------------------------------------------------- expiry */

long swb_tools_booking_expire(swb_pg_t *pg, swb_cache_t *cache, int minutes, int batch,
                              char *errstr, size_t errstr_size)
{
        static const char *const l_kind[] = {"kind", NULL};
        char m[16], b[16];
        const char *p[] = {m, b, HOLD_EXPIRED_REASON};
        swb_metric_t *expired;
        PGresult *res = NULL;
        json_t *rows;
        json_t *row;
        size_t i;

        if (minutes <= 0)
                return 0;
        snprintf(m, sizeof(m), "%d", minutes);
        snprintf(b, sizeof(b), "%d", batch);
        if (swb_pg_exec(pg, "SELECT * FROM bookings_expire($1::int, $2::int, $3)", 3, p,
                        &res, errstr, errstr_size))
                return -1;
        rows = swb_tools_pg_rows(res);
        PQclear(res);
        expired = swb_metrics_counter(
            swb_metrics_default(), "swb_booking_holds_expired_total",
            "Pending bookings cancelled because their hold (booking.hold.minutes) "
            "ended unpaid, by kind.",
            l_kind);
        json_array_foreach(rows, i, row)
        {
                const char *kind = swb_tools_str(row, "kind", "");
                invalidate_after(cache, swb_tools_str(row, "user_id", ""), kind, row);
                swb_metric_inc(expired, (const char *const[]){kind}, 1);
        }
        i = json_array_size(rows);
        json_decref(rows);
        return (long)i;
}

long swb_tools_booking_sweep(const swb_config_t *cfg, swb_pg_t *pg, swb_cache_t *cache,
                             int64_t *next_ms)
{
        int64_t t0 = swb_mono_ms();
        int minutes = hold_minutes(cfg);
        long total = 0, n;
        char errstr[512];

        if (!pg || minutes <= 0 || t0 < *next_ms)
                return 0;
        *next_ms = t0 + SWEEP_EVERY_MS;
        for (;;) {
                n = swb_tools_booking_expire(pg, cache, minutes, SWEEP_BATCH, errstr,
                                             sizeof(errstr));
                if (n < 0) {
                        SWB_WARN(NULL, "expiring booking holds: %s (again in a minute)",
                                 errstr);
                        break;
                }
                total += n;
                if (n < SWEEP_BATCH)
                        break;
                if (swb_mono_ms() >= t0 + SWEEP_BUDGET_MS) {
                        /* more to do: soon, not now */
                        *next_ms = swb_mono_ms() + SWEEP_SOON_MS;
                        break;
                }
        }
        if (total)
                SWB_INFO(NULL,
                         "cancelled %ld pending booking(s) unpaid %d min after booking "
                         "in %lld ms; their inventory is on sale again",
                         total, minutes, (long long)(swb_mono_ms() - t0));
        return total;
}
