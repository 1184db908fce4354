/*
 * The tour tools: tours by destination, details, places per departure date,
 * booking (places taken in the booking's transaction), payment and
 * cancellation (lib/tools/service.c).
 */
#include <stdio.h>
#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_tools.h"

/* ---------------------------------------------------------------- schemas */

#define TOUR_FILTERS                                                                   \
        "\"category\":{\"type\":\"string\",\"enum\":[\"culture\",\"nature\","          \
        "\"adventure\","                                                               \
        "\"food\",\"water\",\"city\",\"wildlife\"],\"description\":\"Kind of tour\"}," \
        "\"max_price\":{\"type\":\"number\",\"exclusiveMinimum\":0,"                   \
        "\"description\":\"Maximum price per participant (IDR in Indonesia, USD "      \
        "elsewhere)\"},"                                                               \
        "\"date\":{\"type\":\"string\",\"format\":\"date\","                           \
        "\"description\":\"Only tours that run on this date, YYYY-MM-DD\"},"           \
        "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50,"                \
        "\"description\":\"At most this many tours (default 10)\"}"

#define TOUR_ID_PARAM                                                                  \
        "\"tour_id\":{\"type\":\"integer\",\"minimum\":1,"                             \
        "\"description\":\"Tour id from a tour search\"}"

#define PARTICIPANTS_PARAM                                                             \
        "\"participants\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20,"         \
        "\"description\":\"Number of participants (default 1)\"}"

static const char get_tours_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"destination\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"Optional city or destination to filter by\"}," TOUR_FILTERS
    "},\"additionalProperties\":false}";

static const char search_tours_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"destination\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"City, island or destination, e.g. Yogyakarta, Bali, Lombok, "
    "Labuan Bajo, Tokyo\"}," TOUR_FILTERS
    "},\"required\":[\"destination\"],\"additionalProperties\":false}";

static const char tour_details_params[] =
    "{\"type\":\"object\",\"properties\":{" TOUR_ID_PARAM
    "},\"required\":[\"tour_id\"],\"additionalProperties\":false}";

static const char tour_avail_params[] =
    "{\"type\":\"object\",\"properties\":{" TOUR_ID_PARAM ","
    "\"date\":{\"type\":\"string\",\"format\":\"date\","
    "\"description\":\"Departure date YYYY-MM-DD; default the next 14 "
    "days\"}," PARTICIPANTS_PARAM
    "},\"required\":[\"tour_id\"],\"additionalProperties\":false}";

static const char book_tour_params[] =
    "{\"type\":\"object\",\"properties\":{" TOUR_ID_PARAM ","
    "\"date\":{\"type\":\"string\",\"format\":\"date\","
    "\"description\":\"Departure date YYYY-MM-DD\"}," PARTICIPANTS_PARAM ","
    "\"contact_name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"Name of the lead participant (optional)\"}"
    "},\"required\":[\"tour_id\",\"date\"],\"additionalProperties\":false}";

/* ---------------------------------------------------------------- search */

static swb_err_t list_tours(const struct swb_tool_ctx *ctx, const json_t *args,
                            json_t **result)
{
        char price[64], limit[16];
        const char *p[5];
        json_t *rows;
        swb_err_t err;

        snprintf(price, sizeof(price), "%.2f", swb_tools_num(args, "max_price", 0));
        snprintf(limit, sizeof(limit), "%lld", swb_tools_int(args, "limit", 10));
        p[0] = swb_tools_str(args, "destination", NULL);
        p[1] = swb_tools_str(args, "category", NULL);
        p[2] = json_object_get(args, "max_price") ? price : NULL;
        p[3] = swb_tools_str(args, "date", NULL);
        p[4] = limit;
        err = swb_tools_query(
            ctx,
            "WITH m AS (SELECT t.tour_id, t.name, d.name AS destination, t.city, "
            "t.category, t.duration_hours, t.price, t.currency, t.rating, "
            "to_char(t.start_time, 'HH24:MI') AS start_time, "
            "travel_place_score($1, t.name, d.name || d.aliases, "
            "ARRAY[nullif(t.city, d.name)], d.country) AS score "
            "FROM tours t JOIN destinations d USING (destination_id) "
            "WHERE ($2::text IS NULL OR t.category = $2) "
            "AND ($3::numeric IS NULL OR t.price <= $3::numeric) "
            "AND ($4::date IS NULL OR extract(isodow FROM $4::date)::int = "
            "ANY (t.days_of_week))) "
            "SELECT tour_id, name, destination, city, category, duration_hours, price, "
            "currency, rating, start_time FROM m "
            "WHERE ($1 IS NULL OR score > 0) AND score = (SELECT max(score) FROM m) "
            "ORDER BY rating DESC, tour_id LIMIT $5::int",
            5, p, &rows);
        if (err)
                return err;
        *result = json_pack("{s:o,s:I}", "tours", rows, "count",
                            (json_int_t)json_array_size(rows));
        if (p[0])
                json_object_set_new(*result, "destination", json_string(p[0]));
        if (json_array_size(rows) == 0) {
                json_t *d = NULL;
                if ((err = swb_tools_query(
                         ctx,
                         "SELECT string_agg(DISTINCT d.name, ', ') AS n FROM "
                         "tours t JOIN destinations d USING (destination_id)",
                         0, NULL, &d)))
                        return err;
                json_object_set_new(
                    *result, "message",
                    json_sprintf("No tours match. We have tours in: %s",
                                 swb_tools_str(json_array_get(d, 0), "n", "")));
                json_decref(d);
        }
        return SWB_OK;
}

SWB_TOOL_DEFINE_CACHED(get_tours, "get_tours", get_tours_params, SWB_CACHE_TOURS,
                       list_tours)
SWB_TOOL_DEFINE_CACHED(search_tours_by_destination, "search_tours_by_destination",
                       search_tours_params, SWB_CACHE_TOURS, list_tours)

static swb_err_t tour_details_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                   json_t **result)
{
        return swb_tools_query_row(
            ctx,
            "SELECT t.tour_id, t.name, d.name AS destination, d.country, t.city, "
            "t.category, t.duration_hours, t.price, t.currency, t.capacity AS "
            "group_size, "
            "t.rating, t.meeting_point, to_char(t.start_time, 'HH24:MI') AS "
            "start_time, "
            "t.languages, t.highlights, t.description, "
            "(SELECT array_agg(to_char(date '2024-01-01' + (dow - 1), 'Dy') ORDER BY "
            "dow) "
            "FROM unnest(t.days_of_week) dow) AS runs_on "
            "FROM tours t JOIN destinations d USING (destination_id) "
            "WHERE t.tour_id = $1::int",
            args, "tour_id", "tour", result);
}

SWB_TOOL_DEFINE_CACHED(get_tour_details, "get_tour_details", tour_details_params,
                       SWB_CACHE_TOURS, tour_details_load)

/* ---------------------------------------------------------------- availability */

/*
 * The tour `id` (name, price, currency), asked for on `date` (may be NULL),
 * which must not be past. @returns an error of PostgreSQL, or SWB_OK with
 * *tour (a new reference) or with *result set to an error result.
 */
static swb_err_t tour_on(const struct swb_tool_ctx *ctx, const char *id,
                         const char *date, json_t **tour, json_t **result)
{
        const char *p[] = {id, date};
        json_t *rows, *t;
        swb_err_t err;

        *tour = NULL;
        if ((err = swb_tools_query(ctx,
                                   "SELECT tour_id, name, price::float8 AS price, "
                                   "currency, $2::date < CURRENT_DATE AS past "
                                   "FROM tours WHERE tour_id = $1::int",
                                   2, p, &rows)))
                return err;
        if (!(t = json_array_get(rows, 0)))
                *result =
                    swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no tour with id %s", id);
        else if (json_is_true(json_object_get(t, "past")))
                *result =
                    swb_tools_error(SWB_TOOL_E_INVALID, "date %s is in the past", date);
        else
                *tour = json_incref(t);
        json_decref(rows);
        return SWB_OK;
}

static swb_err_t tour_avail_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                 json_t **result)
{
        long long n = swb_tools_int(args, "participants", 1);
        const char *date = swb_tools_str(args, "date", NULL);
        char id[32];
        const char *p[] = {id, date};
        json_t *tour = NULL, *deps = NULL, *t, *d;
        size_t i;
        double price;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "tour_id", 0));
        if ((err = tour_on(ctx, id, date, &tour, result)) || *result)
                goto out;
        t = tour;
        if ((err = swb_tools_query(
                 ctx,
                 "SELECT departure_id, tour_date::text AS date, available, "
                 "capacity FROM tour_departures WHERE tour_id = $1::int "
                 "AND tour_date >= CURRENT_DATE AND CASE WHEN $2::date IS NULL "
                 "THEN tour_date <= CURRENT_DATE + 14 "
                 "ELSE tour_date = $2::date END ORDER BY tour_date",
                 2, p, &deps)))
                goto out;
        price = json_number_value(json_object_get(t, "price"));
        json_array_foreach(deps, i, d)
        {
                json_object_set_new(
                    d, "bookable", json_boolean(swb_tools_int(d, "available", 0) >= n));
                json_object_set_new(d, "total_price",
                                    swb_tools_money(price * (double)n));
        }
        *result =
            json_pack("{s:I,s:O,s:O,s:O,s:I,s:O}", "tour_id",
                      (json_int_t)swb_tools_int(args, "tour_id", 0), "tour_name",
                      json_object_get(t, "name"), "price", json_object_get(t, "price"),
                      "currency", json_object_get(t, "currency"), "participants",
                      (json_int_t)n, "departures", deps);
        if (json_array_size(deps) == 0)
                json_object_set_new(
                    *result, "message",
                    json_string(date ? "The tour does not run on that date; "
                                       "see get_tour_details for its days."
                                     : "No departures in the next 14 days."));
out:
        json_decref(tour);
        json_decref(deps);
        return err;
}

static swb_err_t tour_avail_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                                 json_t **result)
{
        char scope[48];

        snprintf(scope, sizeof(scope), "tour:%lld", swb_tools_int(args, "tour_id", 0));
        return swb_tools_cached(ctx, SWB_CACHE_AVAILABILITY, scope,
                                "check_tour_availability", args, tour_avail_load,
                                result);
}

/* ---------------------------------------------------------------- booking */

static swb_err_t book_tour_body(const struct swb_tool_ctx *ctx, const json_t *args,
                                void *opaque, const char *idem_key, json_t **result)
{
        long long n = swb_tools_int(args, "participants", 1), avail;
        const char *date = swb_tools_str(args, "date", "");
        char id[32], nn[16], dep_id[32];
        json_t *tour = NULL, *dep = NULL, *rows = NULL, *row, *trow;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "tour_id", 0));
        snprintf(nn, sizeof(nn), "%lld", n);
        if ((err = tour_on(ctx, id, date, &tour, result)) || *result)
                goto out;
        trow = tour;
        /* Lock the departure: a concurrent booking waits, then sees our places. */
        {
                const char *p[] = {id, date};
                err = swb_tools_query(
                    ctx,
                    "SELECT departure_id, available FROM tour_departures "
                    "WHERE tour_id = $1::int AND tour_date = $2::date "
                    "FOR UPDATE",
                    2, p, &dep);
                if (err)
                        goto out;
        }
        if (!(row = json_array_get(dep, 0))) {
                *result =
                    swb_tools_error(SWB_TOOL_E_SOLD_OUT, "%s does not run on %s",
                                    swb_tools_str(trow, "name", "the tour"), date);
                goto out;
        }
        avail = swb_tools_int(row, "available", 0);
        if (avail < n) {
                *result = swb_tools_error(SWB_TOOL_E_SOLD_OUT,
                                          "only %lld place(s) left on %s", avail, date);
                goto out;
        }
        snprintf(dep_id, sizeof(dep_id), "%lld", swb_tools_int(row, "departure_id", 0));
        {
                const char *p[] = {dep_id, nn};
                err = swb__tools_booking_take(
                    ctx,
                    "UPDATE tour_departures SET available = available - $2::int "
                    "WHERE departure_id = $1::bigint AND available >= $2::int",
                    2, p, 1);
                if (err)
                        goto out;
        }
        {
                const char *p[] = {ctx->user_id, dep_id, nn,
                                   swb_tools_str(args, "contact_name", NULL)};
                err = swb_tools_query(
                    ctx,
                    "INSERT INTO bookings (user_id, kind, tour_id, departure_id, "
                    "party_size, "
                    "contact_name, amount, currency) "
                    "SELECT $1, 'tour', t.tour_id, td.departure_id, $3::int, $4, "
                    "t.price * $3::int, t.currency FROM tour_departures td "
                    "JOIN tours t USING (tour_id) WHERE td.departure_id = $2::bigint "
                    "RETURNING booking_id, kind, status, tour_id, party_size AS "
                    "participants, amount, currency",
                    4, p, &rows);
                if (err)
                        goto out;
        }
        *result = json_incref(json_array_get(rows, 0));
        json_object_set(*result, "tour_name", json_object_get(trow, "name"));
        json_object_set_new(*result, "date", json_string(date));
        err = swb__tools_booking_held(ctx, "process_tour_payment", "places", *result);
out:
        json_decref(tour);
        json_decref(dep);
        json_decref(rows);
        return err;
}

static swb_err_t book_tour_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                                json_t **result)
{
        return swb__tools_booking_make(ctx, args, "tour", "book_tour", book_tour_body,
                                       result);
}

/* ---------------------------------------------------------------- table */

SWB_TOOL_DEFINE(check_tour_availability, "check_tour_availability", tour_avail_params,
                tour_avail_impl)
SWB_TOOL_DEFINE(book_tour, "book_tour", book_tour_params, book_tour_impl)
const struct swb_tool swb_tools_tour[] = {
    {"get_tours",
     "List tours, optionally filtered by destination, category, price and a date they "
     "run on; best rated first.",
     get_tours_params, get_tours},
    {"search_tours_by_destination",
     "Find tours and activities in a city or destination (e.g. Yogyakarta, Bali, "
     "Lombok, Labuan Bajo), optionally by category and date; best rated first.",
     search_tours_params, search_tours_by_destination},
    {"get_tour_details",
     "Details of one tour: highlights, duration, meeting point, start time, languages, "
     "the weekdays it runs and the price per participant.",
     tour_details_params, get_tour_details},
    {"check_tour_availability",
     "Free places of a tour on a date (or its departures in the next 14 days) for a "
     "number of participants, with the total price.",
     tour_avail_params, check_tour_availability},
    {"book_tour",
     "Book places on a tour departure for the current user. The booking starts pending "
     "and holds the places; pay it with process_tour_payment before its "
     "hold_expires_at.",
     book_tour_params, book_tour},
    {"process_tour_payment",
     "Pay one of the user's pending tour bookings (the full booking amount). Returns "
     "the payment transaction id (TX-...).",
     SWB_TOOLS_PAY_PARAMS, swb__tool_pay_tour_booking},
    {"cancel_tour_booking", SWB_TOOLS_CANCEL_TOUR_DESC, SWB_TOOLS_CANCEL_PARAMS,
     swb__tool_cancel_tour_booking},
};
const size_t swb_tools_tour_cnt = SWB_ARRAY_LEN(swb_tools_tour);
