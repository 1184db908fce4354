/*
 * The booking lifecycle the domains share (swb__tools_booking_pay/_cancel,
 * declared in swb_tools.h): pay (pending -> paid) and cancel
 * (pending|paid -> cancelled, inventory released, paid bookings refunded).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_tools.h"

/* ---------------------------------------------------------------- booking lifecycle */

struct lifecycle {
        const char *kind; /* hotel, flight, tour */
};

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
 * @returns SWB_OK with *row (a new reference) or with *result set to an error result.
 */
static swb_err_t lock_booking(const struct swb_tool_ctx *ctx, const char *id,
                              const char *kind, bool pay, json_t **row, json_t **result)
{
        const char *p[] = {id};
        json_t *rows;
        const char *owner, *bkind;
        swb_err_t err;

        *row = NULL;
        err = swb_tools_query(
            ctx,
            "SELECT b.booking_id, b.user_id, b.kind, b.status, b.hotel_id, "
            "b.flight_id, "
            "b.tour_id, b.party_size, b.rooms, "
            "CASE b.kind WHEN 'hotel' THEN b.check_in < CURRENT_DATE "
            "WHEN 'flight' THEN f.depart_at <= now() "
            "ELSE td.tour_date < CURRENT_DATE END AS started "
            "FROM bookings b LEFT JOIN flights f ON f.flight_id = b.flight_id "
            "LEFT JOIN tour_departures td ON td.departure_id = b.departure_id "
            "WHERE b.booking_id = $1::bigint FOR UPDATE OF b",
            1, p, &rows);
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

static swb_err_t pay_body(const struct swb_tool_ctx *ctx, const json_t *args,
                          void *opaque, const char *idem_key, json_t **result)
{
        const struct lifecycle *lc = opaque;
        char id[32];
        const char *status;
        json_t *row = NULL, *rows = NULL;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "booking_id", 0));
        if ((err = lock_booking(ctx, id, lc->kind, true, &row, result)) || *result)
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
                            json_object_get(row, "booking_id"), "kind", lc->kind,
                            "status", "paid", "payment", json_array_get(rows, 0));
out:
        json_decref(row);
        json_decref(rows);
        return err;
}

static const char *const release_sql[] = {
    "UPDATE room_inventory ri SET available = ri.available + b.rooms FROM bookings b "
    "WHERE b.booking_id = $1::bigint AND ri.room_type_id = b.room_type_id "
    "AND ri.stay_date >= b.check_in AND ri.stay_date < b.check_out RETURNING "
    "ri.stay_date",
    "UPDATE flights f SET seats_available = f.seats_available + b.party_size "
    "FROM bookings b WHERE b.booking_id = $1::bigint AND f.flight_id = b.flight_id "
    "RETURNING f.flight_id",
    "UPDATE tour_departures t SET available = t.available + b.party_size FROM bookings "
    "b "
    "WHERE b.booking_id = $1::bigint AND t.departure_id = b.departure_id "
    "RETURNING t.departure_id",
};

static swb_err_t cancel_body(const struct swb_tool_ctx *ctx, const json_t *args,
                             void *opaque, const char *idem_key, json_t **result)
{
        const struct lifecycle *lc = opaque;
        char id[32];
        const char *status, *sql;
        json_t *row = NULL, *refund = NULL, *rel = NULL, *upd = NULL;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "booking_id", 0));
        if ((err = lock_booking(ctx, id, lc->kind, false, &row, result)) || *result)
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
        sql = !strcmp(lc->kind, "hotel")    ? release_sql[0]
              : !strcmp(lc->kind, "flight") ? release_sql[1]
                                            : release_sql[2];
        {
                const char *p[] = {id};
                if ((err = swb_tools_query(ctx, sql, 1, p, &rel)))
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
        *result =
            json_pack("{s:O,s:s,s:s,s:O,s:O,s:O,s:O,s:o}", "booking_id",
                      json_object_get(row, "booking_id"), "kind", lc->kind, "status",
                      "cancelled", "hotel_id", json_object_get(row, "hotel_id"),
                      "flight_id", json_object_get(row, "flight_id"), "tour_id",
                      json_object_get(row, "tour_id"), "released",
                      !strcmp(lc->kind, "hotel") ? json_object_get(row, "rooms")
                                                 : json_object_get(row, "party_size"),
                      "refund", refund ? json_incref(refund) : json_null());
        if (*result) {
                /* keep only the id of this kind */
                if (strcmp(lc->kind, "hotel"))
                        json_object_del(*result, "hotel_id");
                if (strcmp(lc->kind, "flight"))
                        json_object_del(*result, "flight_id");
                if (strcmp(lc->kind, "tour"))
                        json_object_del(*result, "tour_id");
        }
out:
        json_decref(row);
        json_decref(refund);
        json_decref(rel);
        json_decref(upd);
        return err;
}

/* After a change to a booking has committed: drop what it made stale. */
static void invalidate_after(const struct swb_tool_ctx *ctx, const char *kind,
                             const json_t *result)
{
        char scope[48];

        swb_cache_invalidate(ctx->cache, SWB_CACHE_USER_BOOKINGS, ctx->user_id);
        if (!strcmp(kind, "hotel") && json_object_get(result, "hotel_id")) {
                snprintf(scope, sizeof(scope), "hotel:%lld",
                         swb_tools_int(result, "hotel_id", 0));
                swb_cache_invalidate(ctx->cache, SWB_CACHE_AVAILABILITY, scope);
        } else if (!strcmp(kind, "tour") && json_object_get(result, "tour_id")) {
                snprintf(scope, sizeof(scope), "tour:%lld",
                         swb_tools_int(result, "tour_id", 0));
                swb_cache_invalidate(ctx->cache, SWB_CACHE_AVAILABILITY, scope);
        } else if (!strcmp(kind, "flight") && json_object_get(result, "flight_id")) {
                swb_cache_invalidate(ctx->cache, SWB_CACHE_FLIGHTS, NULL);
        }
}

swb_err_t swb__tools_booking_pay(const struct swb_tool_ctx *ctx, const json_t *args,
                                 const char *kind, const char *tool, json_t **result)
{
        struct lifecycle lc = {kind};
        swb_err_t err =
            swb_tools_idempotent(ctx, tool, args, pay_body, &lc, result, NULL);

        if (!err && !swb_tools_is_error(*result, NULL))
                swb_cache_invalidate(ctx->cache, SWB_CACHE_USER_BOOKINGS, ctx->user_id);
        return err;
}

swb_err_t swb__tools_booking_cancel(const struct swb_tool_ctx *ctx, const json_t *args,
                                    const char *kind, const char *tool, json_t **result)
{
        struct lifecycle lc = {kind};
        swb_err_t err =
            swb_tools_idempotent(ctx, tool, args, cancel_body, &lc, result, NULL);

        if (!err && !swb_tools_is_error(*result, NULL))
                invalidate_after(ctx, kind, *result);
        return err;
}
