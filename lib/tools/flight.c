/*
 * The flight tools: flight search by route and date (cities, destinations or
 * IATA codes), details, booking (seats taken in the booking's transaction),
 * payment and cancellation (lib/tools/service.c). Times are local to each
 * airport.
 */
#include <stdio.h>
#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_tools.h"

/* ---------------------------------------------------------------- schemas */

#define PLACE_PARAM(name, what)                                                        \
        "\"" name "\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":100,"         \
        "\"description\":\"" what " city, destination or IATA airport code, e.g. "     \
        "Jakarta, Bali, Denpasar, CGK\"}"

#define FLIGHT_FILTERS                                                                 \
        "\"date\":{\"type\":\"string\",\"format\":\"date\","                           \
        "\"description\":\"Departure date YYYY-MM-DD (local); default the next 7 "     \
        "days\"},"                                                                     \
        "\"passengers\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9,"            \
        "\"description\":\"Only flights with this many free seats (default 1)\"},"     \
        "\"max_fare\":{\"type\":\"number\",\"exclusiveMinimum\":0,"                    \
        "\"description\":\"Maximum fare per passenger (IDR domestic, USD "             \
        "international)\"},"                                                           \
        "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50,"                \
        "\"description\":\"At most this many flights (default 20)\"}"

#define FLIGHT_ID_PARAM                                                                \
        "\"flight_id\":{\"type\":\"integer\",\"minimum\":1,"                           \
        "\"description\":\"Flight id from a flight search\"}"

static const char get_flights_params[] =
    "{\"type\":\"object\",\"properties\":{" PLACE_PARAM(
        "origin",
        "Optional departure") "," PLACE_PARAM("destination",
                                              "Optional arrival") "," FLIGHT_FILTERS
                                                                  "},"
                                                                  "\"additionalProperti"
                                                                  "es\":false}";

static const char search_route_params[] =
    "{\"type\":\"object\",\"properties\":{" PLACE_PARAM(
        "origin",
        "Departure") "," PLACE_PARAM("destination",
                                     "Arrival") "," FLIGHT_FILTERS
                                                "},\"required\":[\"origin\","
                                                "\"destination\"],"
                                                "\"additionalProperties\":false}";

static const char flight_details_params[] =
    "{\"type\":\"object\",\"properties\":{" FLIGHT_ID_PARAM
    "},\"required\":[\"flight_id\"],\"additionalProperties\":false}";

static const char book_flight_params[] =
    "{\"type\":\"object\",\"properties\":{" FLIGHT_ID_PARAM ","
    "\"passengers\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9,"
    "\"description\":\"Number of passengers (default 1)\"},"
    "\"contact_name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"Name of the lead passenger as in the passport (optional)\"}"
    "},\"required\":[\"flight_id\"],\"additionalProperties\":false}";

/* ---------------------------------------------------------------- search */

#define FLIGHT_COLUMNS                                                                 \
        "f.flight_id, f.flight_no, f.airline, f.origin, oa.city AS origin_city, "      \
        "f.destination, da.city AS destination_city, "                                 \
        "to_char(f.depart_at AT TIME ZONE od.timezone, 'YYYY-MM-DD\"T\"HH24:MI') "     \
        "AS departure_local, "                                                         \
        "to_char(f.arrive_at AT TIME ZONE dd.timezone, 'YYYY-MM-DD\"T\"HH24:MI') "     \
        "AS arrival_local, r.duration_min, f.fare, f.currency, f.seats_available, "    \
        "f.cabin"

#define FLIGHT_JOINS                                                                   \
        "FROM flights f JOIN flight_routes r USING (route_id) "                        \
        "JOIN airports oa ON oa.code = f.origin "                                      \
        "JOIN destinations od ON od.destination_id = oa.destination_id "               \
        "JOIN airports da ON da.code = f.destination "                                 \
        "JOIN destinations dd ON dd.destination_id = da.destination_id "

static swb_err_t place_known(const struct swb_tool_ctx *ctx, const char *place,
                             bool *known)
{
        const char *p[] = {place};
        json_t *rows;
        swb_err_t err;

        *known = true;
        if (!place)
                return SWB_OK;
        if ((err = swb_tools_query(ctx, "SELECT count(*) AS n FROM travel_airports($1)",
                                   1, p, &rows)))
                return err;
        *known = swb_tools_int(json_array_get(rows, 0), "n", 0) > 0;
        json_decref(rows);
        return SWB_OK;
}

static swb_err_t list_flights(const struct swb_tool_ctx *ctx, const json_t *args,
                              json_t **result)
{
        const char *origin = swb_tools_str(args, "origin", NULL),
                   *dest = swb_tools_str(args, "destination", NULL);
        char pax[16], fare[64], limit[16];
        const char *p[6];
        json_t *rows;
        bool known_o, known_d;
        swb_err_t err;

        snprintf(pax, sizeof(pax), "%lld", swb_tools_int(args, "passengers", 1));
        snprintf(fare, sizeof(fare), "%.2f", swb_tools_num(args, "max_fare", 0));
        snprintf(limit, sizeof(limit), "%lld", swb_tools_int(args, "limit", 20));
        p[0] = origin, p[1] = dest, p[2] = swb_tools_str(args, "date", NULL),
        p[3] = pax;
        p[4] = json_object_get(args, "max_fare") ? fare : NULL;
        p[5] = limit;
        err = swb_tools_query(
            ctx,
            "SELECT " FLIGHT_COLUMNS " " FLIGHT_JOINS
            "WHERE ($1::text IS NULL OR f.origin IN (SELECT travel_airports($1))) "
            "AND ($2::text IS NULL OR f.destination IN (SELECT travel_airports($2))) "
            "AND CASE WHEN $3::date IS NULL "
            "THEN f.depart_date BETWEEN CURRENT_DATE AND CURRENT_DATE + 7 "
            "ELSE f.depart_date = $3::date END "
            "AND f.depart_at > now() AND f.status <> 'cancelled' "
            "AND f.seats_available >= $4::int "
            "AND ($5::numeric IS NULL OR f.fare <= $5::numeric) "
            "ORDER BY f.depart_at, f.flight_id LIMIT $6::int",
            6, p, &rows);
        if (err)
                return err;
        *result = json_pack("{s:o,s:I}", "flights", rows, "count",
                            (json_int_t)json_array_size(rows));
        if (json_array_size(rows) > 0)
                return SWB_OK;
        if ((err = place_known(ctx, origin, &known_o)) ||
            (err = place_known(ctx, dest, &known_d)))
                return err;
        if (!known_o || !known_d)
                json_object_set_new(*result, "message",
                                    json_sprintf("No airport matches \"%s\".",
                                                 !known_o ? origin : dest));
        else
                json_object_set_new(
                    *result, "message",
                    json_string("No flights with free seats on that route and "
                                "date; try another date."));
        return SWB_OK;
}

SWB_TOOL_DEFINE_CACHED(get_flights, "get_flights", get_flights_params,
                       SWB_CACHE_FLIGHTS, list_flights)
SWB_TOOL_DEFINE_CACHED(search_flights_by_route, "search_flights_by_route",
                       search_route_params, SWB_CACHE_FLIGHTS, list_flights)

static swb_err_t flight_details_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                     json_t **result)
{
        return swb_tools_query_row(
            ctx,
            "SELECT " FLIGHT_COLUMNS ", r.aircraft, oa.name AS origin_airport, "
            "da.name AS destination_airport, f.seats_total, f.status, "
            "f.depart_at <= now() AS departed " FLIGHT_JOINS
            "WHERE f.flight_id = $1::bigint",
            args, "flight_id", "flight", result);
}

SWB_TOOL_DEFINE_CACHED(get_flight_details, "get_flight_details", flight_details_params,
                       SWB_CACHE_FLIGHTS, flight_details_load)

/* ---------------------------------------------------------------- booking */

static swb_err_t book_flight_body(const struct swb_tool_ctx *ctx, const json_t *args,
                                  void *opaque, const char *idem_key, json_t **result)
{
        long long pax = swb_tools_int(args, "passengers", 1);
        char id[32], npax[16];
        json_t *rows = NULL, *fl = NULL, *row;
        long long seats;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "flight_id", 0));
        snprintf(npax, sizeof(npax), "%lld", pax);
        /* Lock the flight row: a concurrent booking waits, then sees our seats. */
        {
                const char *p[] = {id};
                err = swb_tools_query(
                    ctx,
                    "SELECT f.flight_id, f.flight_no, f.seats_available, f.status, "
                    "f.depart_at <= now() AS departed, "
                    "to_char(f.depart_at AT TIME ZONE od.timezone, "
                    "'YYYY-MM-DD\"T\"HH24:MI') AS departure_local, f.origin, "
                    "f.destination "
                    "FROM flights f JOIN airports oa ON oa.code = f.origin "
                    "JOIN destinations od ON od.destination_id = oa.destination_id "
                    "WHERE f.flight_id = $1::bigint FOR UPDATE OF f",
                    1, p, &fl);
                if (err)
                        return err;
        }
        if (!(row = json_array_get(fl, 0))) {
                *result =
                    swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no flight with id %s", id);
                goto out;
        }
        if (json_is_true(json_object_get(row, "departed"))) {
                *result =
                    swb_tools_error(SWB_TOOL_E_STATE, "flight %s has already departed",
                                    swb_tools_str(row, "flight_no", id));
                goto out;
        }
        if (strcmp(swb_tools_str(row, "status", ""), "cancelled") == 0) {
                *result = swb_tools_error(SWB_TOOL_E_SOLD_OUT, "flight %s is cancelled",
                                          swb_tools_str(row, "flight_no", id));
                goto out;
        }
        seats = swb_tools_int(row, "seats_available", 0);
        if (seats < pax) {
                *result = swb_tools_error(SWB_TOOL_E_SOLD_OUT,
                                          "only %lld seat(s) left on flight %s", seats,
                                          swb_tools_str(row, "flight_no", id));
                goto out;
        }
        {
                const char *p[] = {id, npax};
                err = swb__tools_booking_take(
                    ctx,
                    "UPDATE flights SET seats_available = seats_available - "
                    "$2::int WHERE flight_id = $1::bigint AND "
                    "seats_available >= $2::int",
                    2, p, 1);
                if (err)
                        goto out;
        }
        {
                const char *p[] = {ctx->user_id, id, npax,
                                   swb_tools_str(args, "contact_name", NULL)};
                err = swb_tools_query(
                    ctx,
                    "INSERT INTO bookings (user_id, kind, flight_id, party_size, "
                    "contact_name, amount, currency) "
                    "SELECT $1, 'flight', f.flight_id, $3::int, $4, f.fare * $3::int, "
                    "f.currency FROM flights f WHERE f.flight_id = $2::bigint "
                    "RETURNING booking_id, kind, status, flight_id, party_size AS "
                    "passengers, amount, currency",
                    4, p, &rows);
                if (err)
                        goto out;
        }
        *result = json_incref(json_array_get(rows, 0));
        json_object_set(*result, "flight_no", json_object_get(row, "flight_no"));
        json_object_set(*result, "origin", json_object_get(row, "origin"));
        json_object_set(*result, "destination", json_object_get(row, "destination"));
        json_object_set(*result, "departure_local",
                        json_object_get(row, "departure_local"));
        err = swb__tools_booking_held(ctx, "process_flight_payment", "seats", *result);
out:
        json_decref(rows);
        json_decref(fl);
        return err;
}

static swb_err_t book_flight_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                                  json_t **result)
{
        return swb__tools_booking_make(ctx, args, "flight", "book_flight",
                                       book_flight_body, result);
}

/* ---------------------------------------------------------------- table */

SWB_TOOL_DEFINE(book_flight, "book_flight", book_flight_params, book_flight_impl)
const struct swb_tool swb_tools_flight[] = {
    {"get_flights",
     "List upcoming flights with free seats, optionally filtered by origin, "
     "destination, date and fare; earliest departure first. Times are local.",
     get_flights_params, get_flights},
    {"search_flights_by_route",
     "Find flights from an origin to a destination (city, destination or IATA code), "
     "on a date or in the next 7 days, with fares and free seats.",
     search_route_params, search_flights_by_route},
    {"get_flight_details",
     "Details of one flight: airline, aircraft, airports, local departure and arrival "
     "times, fare and free seats.",
     flight_details_params, get_flight_details},
    {"book_flight",
     "Book seats on a flight for the current user. The booking starts pending and "
     "holds the seats; pay it with process_flight_payment before its hold_expires_at.",
     book_flight_params, book_flight},
    {"process_flight_payment",
     "Pay one of the user's pending flight bookings (the full booking amount). "
     "Returns the payment transaction id (TX-...).",
     SWB_TOOLS_PAY_PARAMS, swb__tool_pay_flight_booking},
    {"cancel_flight_booking", SWB_TOOLS_CANCEL_FLIGHT_DESC, SWB_TOOLS_CANCEL_PARAMS,
     swb__tool_cancel_flight_booking},
};
const size_t swb_tools_flight_cnt = SWB_ARRAY_LEN(swb_tools_flight);
