/*
 * The hotel tools: search, details, availability per night, booking (rooms
 * taken in the booking's transaction), payment and cancellation (shared with
 * customer_service, lib/tools/service.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_tools.h"

#define MAX_NIGHTS 30

/* ---------------------------------------------------------------- schemas */

#define LIMIT_PARAM(dflt)                                                              \
        "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50,"                \
        "\"description\":\"At most this many results (default " #dflt ")\"}"

#define HOTEL_FILTERS                                                                  \
        "\"min_stars\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5,"             \
        "\"description\":\"Minimum star rating\"},"                                    \
        "\"max_price\":{\"type\":\"number\",\"exclusiveMinimum\":0,"                   \
        "\"description\":\"Maximum price per night in the hotel's currency (IDR in "   \
        "Indonesia, USD elsewhere)\"},"                                                \
        "\"sort\":{\"type\":\"string\",\"enum\":[\"rating\",\"price_low\",\"price_"    \
        "high\","                                                                      \
        "\"stars\"],\"description\":\"Order of the results (default "                  \
        "rating)\"}," LIMIT_PARAM(10)

#define HOTEL_ID_PARAM                                                                 \
        "\"hotel_id\":{\"type\":\"integer\",\"minimum\":1,"                            \
        "\"description\":\"Hotel id from a hotel search\"}"

#define STAY_PARAMS                                                                    \
        "\"check_in\":{\"type\":\"string\",\"format\":\"date\","                       \
        "\"description\":\"First night, YYYY-MM-DD\"},"                                \
        "\"check_out\":{\"type\":\"string\",\"format\":\"date\","                      \
        "\"description\":\"Departure day, YYYY-MM-DD, after check_in (at most 30 "     \
        "nights)\"},"                                                                  \
        "\"guests\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20,"               \
        "\"description\":\"Number of guests (default 1)\"},"                           \
        "\"rooms\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9,"                 \
        "\"description\":\"Number of rooms (default 1)\"}"

static const char get_hotels_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"city\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"Optional city, area or destination to filter "
    "by\"}," HOTEL_FILTERS "},\"additionalProperties\":false}";

static const char search_hotels_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"location\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"City, area, island or destination, e.g. Bali, Ubud, Jakarta, "
    "Jogja, Bandung, Singapore\"}," HOTEL_FILTERS
    "},\"required\":[\"location\"],\"additionalProperties\":false}";

static const char hotel_details_params[] =
    "{\"type\":\"object\",\"properties\":{" HOTEL_ID_PARAM
    "},\"required\":[\"hotel_id\"],\"additionalProperties\":false}";

static const char check_rooms_params[] =
    "{\"type\":\"object\",\"properties\":{" HOTEL_ID_PARAM "," STAY_PARAMS
    "},\"required\":[\"hotel_id\",\"check_in\",\"check_out\"],"
    "\"additionalProperties\":false}";

static const char book_room_params[] =
    "{\"type\":\"object\",\"properties\":{" HOTEL_ID_PARAM ","
    "\"room_type_id\":{\"type\":\"integer\",\"minimum\":1,"
    "\"description\":\"Room type id from get_hotel_details or "
    "check_available_rooms\"}," STAY_PARAMS ","
    "\"contact_name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100,"
    "\"description\":\"Name of the lead guest (optional)\"}"
    "},\"required\":[\"hotel_id\",\"room_type_id\",\"check_in\",\"check_out\"],"
    "\"additionalProperties\":false}";

/* ---------------------------------------------------------------- search */

/* Hotels matching the place best (travel_place_score), then the filters. */
static const char hotel_list_sql[] =
    "WITH m AS (SELECT h.hotel_id, h.name, d.name AS destination, h.city, h.area, "
    "h.stars, h.rating, h.base_price AS price_from, h.currency, "
    "travel_place_score($1, h.name, d.name || d.aliases, "
    "ARRAY[nullif(h.city, d.name), nullif(h.area, d.name)], d.country) AS score "
    "FROM hotels h JOIN destinations d USING (destination_id) "
    "WHERE ($2::int IS NULL OR h.stars >= $2::int) "
    "AND ($3::numeric IS NULL OR h.base_price <= $3::numeric)) "
    "SELECT hotel_id, name, destination, city, area, stars, rating, price_from, "
    "currency "
    "FROM m WHERE ($1 IS NULL OR score > 0) AND score = (SELECT max(score) FROM m) "
    "ORDER BY CASE $4 WHEN 'price_low' THEN price_from END ASC, "
    "CASE $4 WHEN 'price_high' THEN price_from END DESC, "
    "CASE $4 WHEN 'stars' THEN stars END DESC, rating DESC, hotel_id "
    "LIMIT $5::int";

static swb_err_t list_hotels(const struct swb_tool_ctx *ctx, const json_t *args,
                             const char *where, json_t **result)
{
        char stars[16], price[64], limit[16];
        const char *p[5];
        json_t *rows;
        swb_err_t err;

        snprintf(stars, sizeof(stars), "%lld", swb_tools_int(args, "min_stars", 0));
        snprintf(price, sizeof(price), "%.2f", swb_tools_num(args, "max_price", 0));
        snprintf(limit, sizeof(limit), "%lld", swb_tools_int(args, "limit", 10));
        p[0] = where;
        p[1] = json_object_get(args, "min_stars") ? stars : NULL;
        p[2] = json_object_get(args, "max_price") ? price : NULL;
        p[3] = swb_tools_str(args, "sort", "rating");
        p[4] = limit;
        if ((err = swb_tools_query(ctx, hotel_list_sql, 5, p, &rows)))
                return err;
        *result = json_pack("{s:o,s:I}", "hotels", rows, "count",
                            (json_int_t)json_array_size(rows));
        if (where)
                json_object_set_new(*result, "location", json_string(where));
        if (json_array_size(rows) == 0) {
                json_t *d = NULL;
                if ((err = swb_tools_query(
                         ctx,
                         "SELECT string_agg(name, ', ' ORDER BY name) AS n "
                         "FROM destinations",
                         0, NULL, &d)))
                        return err;
                json_object_set_new(
                    *result, "message",
                    json_sprintf("No hotels match. Destinations we cover: %s",
                                 swb_tools_str(json_array_get(d, 0), "n", "")));
                json_decref(d);
        }
        return SWB_OK;
}

static swb_err_t get_hotels_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                 json_t **result)
{
        return list_hotels(ctx, args, swb_tools_str(args, "city", NULL), result);
}

SWB_TOOL_DEFINE_CACHED(get_hotels, "get_hotels", get_hotels_params, SWB_CACHE_HOTELS,
                       get_hotels_load)

static swb_err_t search_hotels_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                    json_t **result)
{
        return list_hotels(ctx, args, swb_tools_str(args, "location", NULL), result);
}

SWB_TOOL_DEFINE_CACHED(search_hotels_by_location, "search_hotels_by_location",
                       search_hotels_params, SWB_CACHE_HOTELS, search_hotels_load)

/* ---------------------------------------------------------------- details */

static swb_err_t hotel_details_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                    json_t **result)
{
        return swb_tools_query_row(
            ctx,
            "SELECT h.hotel_id, h.name, d.name AS destination, d.country, h.city, "
            "h.area, "
            "h.address, h.stars, h.rating, h.amenities, h.description, "
            "to_char(h.check_in_time, 'HH24:MI') AS check_in_time, "
            "to_char(h.check_out_time, 'HH24:MI') AS check_out_time, h.currency, "
            "(SELECT json_agg(json_build_object('room_type_id', rt.room_type_id, "
            "'name', rt.name, 'capacity', rt.capacity, 'bed', rt.bed, "
            "'price_per_night', rt.price_per_night::float8, 'currency', rt.currency) "
            "ORDER BY rt.price_per_night) FROM room_types rt "
            "WHERE rt.hotel_id = h.hotel_id) AS room_types "
            "FROM hotels h JOIN destinations d USING (destination_id) "
            "WHERE h.hotel_id = $1::int",
            args, "hotel_id", "hotel", result);
}

SWB_TOOL_DEFINE_CACHED(get_hotel_details, "get_hotel_details", hotel_details_params,
                       SWB_CACHE_HOTELS, hotel_details_load)

/* ---------------------------------------------------------------- availability */

/*
 * Check a stay against today (the database's date): check_in not in the past,
 * 1..MAX_NIGHTS nights. @returns an error of PostgreSQL, or SWB_OK with
 * *nights set, or *result set to an error result.
 */
static swb_err_t stay_check(const struct swb_tool_ctx *ctx, const char *ci,
                            const char *co, long long *nights, json_t **result)
{
        const char *p[] = {ci, co};
        json_t *rows, *row;
        swb_err_t err;

        *nights = 0;
        err = swb_tools_query(ctx,
                              "SELECT $1::date < CURRENT_DATE AS past, "
                              "$2::date - $1::date AS nights, "
                              "$1::date > CURRENT_DATE + 365 AS too_far",
                              2, p, &rows);
        if (err)
                return err;
        row = json_array_get(rows, 0);
        *nights = json_integer_value(json_object_get(row, "nights"));
        if (json_is_true(json_object_get(row, "past")))
                *result = swb_tools_error(SWB_TOOL_E_INVALID,
                                          "check_in %s is in the past", ci);
        else if (json_is_true(json_object_get(row, "too_far")))
                *result = swb_tools_error(SWB_TOOL_E_INVALID,
                                          "check_in %s is more than a year ahead", ci);
        else if (*nights < 1)
                *result = swb_tools_error(SWB_TOOL_E_INVALID,
                                          "check_out must be after check_in");
        else if (*nights > MAX_NIGHTS)
                *result = swb_tools_error(SWB_TOOL_E_INVALID,
                                          "at most %d nights per booking", MAX_NIGHTS);
        json_decref(rows);
        return SWB_OK;
}

static swb_err_t check_rooms_load(const struct swb_tool_ctx *ctx, const json_t *args,
                                  json_t **result)
{
        const char *ci = swb_tools_str(args, "check_in", ""),
                   *co = swb_tools_str(args, "check_out", "");
        long long guests = swb_tools_int(args, "guests", 1),
                  rooms = swb_tools_int(args, "rooms", 1), nights;
        char id[32];
        const char *p[] = {id, ci, co};
        json_t *rows, *rt, *hotel;
        bool any = false;
        size_t i;
        swb_err_t err;

        if ((err = stay_check(ctx, ci, co, &nights, result)) || *result)
                return err;
        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "hotel_id", 0));
        err = swb_tools_query(
            ctx,
            "SELECT rt.room_type_id, rt.name, rt.capacity, rt.bed, "
            "rt.price_per_night::float8 AS price_per_night, rt.currency, "
            "CASE WHEN count(ri.stay_date) = $3::date - $2::date "
            "THEN coalesce(min(ri.available), 0) ELSE 0 END AS available_rooms "
            "FROM room_types rt LEFT JOIN room_inventory ri "
            "ON ri.room_type_id = rt.room_type_id AND ri.stay_date >= $2::date "
            "AND ri.stay_date < $3::date "
            "WHERE rt.hotel_id = $1::int GROUP BY rt.room_type_id "
            "ORDER BY rt.price_per_night",
            3, p, &rows);
        if (err)
                return err;
        if ((err = swb_tools_query(ctx,
                                   "SELECT name FROM hotels WHERE hotel_id = $1::int",
                                   1, p, &hotel))) {
                json_decref(rows);
                return err;
        }
        if (json_array_size(hotel) == 0) {
                *result =
                    swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no hotel with id %s", id);
                goto out;
        }
        json_array_foreach(rows, i, rt)
        {
                long long cap = json_integer_value(json_object_get(rt, "capacity"));
                long long avail =
                    json_integer_value(json_object_get(rt, "available_rooms"));
                double price =
                    json_number_value(json_object_get(rt, "price_per_night"));
                bool ok = avail >= rooms && cap * rooms >= guests;
                json_object_set_new(rt, "total_price",
                                    swb_tools_money(price * (double)(nights * rooms)));
                json_object_set_new(rt, "bookable", json_boolean(ok));
                any = any || ok;
        }
        *result = json_pack(
            "{s:I,s:O,s:s,s:s,s:I,s:I,s:I,s:b,s:O}", "hotel_id",
            (json_int_t)swb_tools_int(args, "hotel_id", 0), "hotel_name",
            json_object_get(json_array_get(hotel, 0), "name"), "check_in", ci,
            "check_out", co, "nights", (json_int_t)nights, "guests", (json_int_t)guests,
            "rooms", (json_int_t)rooms, "any_available", any, "room_types", rows);
out:
        json_decref(rows);
        json_decref(hotel);
        return SWB_OK;
}

static swb_err_t check_rooms_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                                  json_t **result)
{
        char scope[48];

        snprintf(scope, sizeof(scope), "hotel:%lld",
                 swb_tools_int(args, "hotel_id", 0));
        return swb_tools_cached(ctx, SWB_CACHE_AVAILABILITY, scope,
                                "check_available_rooms", args, check_rooms_load,
                                result);
}

/* ---------------------------------------------------------------- booking */

static swb_err_t book_room_body(const struct swb_tool_ctx *ctx, const json_t *args,
                                void *opaque, const char *idem_key, json_t **result)
{
        const char *ci = swb_tools_str(args, "check_in", ""),
                   *co = swb_tools_str(args, "check_out", "");
        long long guests = swb_tools_int(args, "guests", 1),
                  rooms = swb_tools_int(args, "rooms", 1), nights;
        char hotel[32], rt[32], nrooms[16], nguests[16];
        json_t *rows = NULL, *inv = NULL, *row;
        size_t i;
        swb_err_t err;

        if ((err = stay_check(ctx, ci, co, &nights, result)) || *result)
                return err;
        snprintf(hotel, sizeof(hotel), "%lld", swb_tools_int(args, "hotel_id", 0));
        snprintf(rt, sizeof(rt), "%lld", swb_tools_int(args, "room_type_id", 0));
        snprintf(nrooms, sizeof(nrooms), "%lld", rooms);
        snprintf(nguests, sizeof(nguests), "%lld", guests);
        {
                const char *p[] = {rt, hotel};
                err = swb_tools_query(
                    ctx,
                    "SELECT rt.name AS room_type, rt.capacity, h.name AS hotel "
                    "FROM room_types rt JOIN hotels h USING (hotel_id) "
                    "WHERE rt.room_type_id = $1::int AND h.hotel_id = $2::int",
                    2, p, &rows);
                if (err)
                        return err;
        }
        if (!(row = json_array_get(rows, 0))) {
                *result = swb_tools_error(SWB_TOOL_E_NOT_FOUND,
                                          "hotel %s has no room type %s", hotel, rt);
                goto out;
        }
        if (json_integer_value(json_object_get(row, "capacity")) * rooms < guests) {
                *result = swb_tools_error(
                    SWB_TOOL_E_INVALID,
                    "%lld room(s) of type %s hold at most %lld guests; book more rooms",
                    rooms, json_string_value(json_object_get(row, "room_type")),
                    (long long)json_integer_value(json_object_get(row, "capacity")) *
                        rooms);
                goto out;
        }
        /* Check and take the rooms in this transaction: the rows stay locked
         * until COMMIT, so a concurrent booking waits and then sees our count. */
        {
                const char *p[] = {rt, ci, co};
                err = swb_tools_query(
                    ctx,
                    "SELECT stay_date::text AS night, available "
                    "FROM room_inventory WHERE room_type_id = $1::int "
                    "AND stay_date >= $2::date AND stay_date < $3::date "
                    "ORDER BY stay_date FOR UPDATE",
                    3, p, &inv);
                if (err)
                        goto out;
        }
        if ((long long)json_array_size(inv) != nights) {
                *result = swb_tools_error(
                    SWB_TOOL_E_SOLD_OUT,
                    "rooms are not on sale for every night of %s to %s", ci, co);
                goto out;
        }
        json_array_foreach(inv, i, row)
        {
                if (json_integer_value(json_object_get(row, "available")) < rooms) {
                        *result = swb_tools_error(
                            SWB_TOOL_E_SOLD_OUT, "only %lld room(s) left on %s",
                            (long long)json_integer_value(
                                json_object_get(row, "available")),
                            json_string_value(json_object_get(row, "night")));
                        goto out;
                }
        }
        {
                const char *p[] = {rt, ci, co, nrooms};
                err = swb__tools_booking_take(
                    ctx,
                    "UPDATE room_inventory SET available = available - $4::int "
                    "WHERE room_type_id = $1::int AND stay_date >= $2::date "
                    "AND stay_date < $3::date AND available >= $4::int",
                    4, p, nights);
                if (err)
                        goto out;
        }
        json_decref(rows);
        rows = NULL;
        {
                const char *p[] = {
                    ctx->user_id, hotel,
                    rt,           ci,
                    co,           nrooms,
                    nguests,      swb_tools_str(args, "contact_name", NULL)};
                err = swb_tools_query(
                    ctx,
                    "INSERT INTO bookings (user_id, kind, hotel_id, room_type_id, "
                    "check_in, "
                    "check_out, rooms, party_size, contact_name, amount, currency) "
                    "SELECT $1, 'hotel', $2::int, rt.room_type_id, $4::date, $5::date, "
                    "$6::int, $7::int, $8, rt.price_per_night * ($5::date - $4::date) "
                    "* "
                    "$6::int, rt.currency FROM room_types rt WHERE rt.room_type_id = "
                    "$3::int "
                    "RETURNING booking_id, kind, status, hotel_id, room_type_id, "
                    "check_in::text, check_out::text, rooms, party_size AS guests, "
                    "amount, "
                    "currency",
                    8, p, &rows);
                if (err)
                        goto out;
        }
        *result = json_incref(json_array_get(rows, 0));
        json_object_set_new(*result, "nights", json_integer(nights));
        err = swb__tools_booking_held(ctx, "process_hotel_payment", "rooms", *result);
out:
        json_decref(rows);
        json_decref(inv);
        return err;
}

static swb_err_t book_room_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                                json_t **result)
{
        return swb__tools_booking_make(ctx, args, "hotel", "book_hotel_room",
                                       book_room_body, result);
}

/* ---------------------------------------------------------------- table */

SWB_TOOL_DEFINE(check_available_rooms, "check_available_rooms", check_rooms_params,
                check_rooms_impl)
SWB_TOOL_DEFINE(book_hotel_room, "book_hotel_room", book_room_params, book_room_impl)
const struct swb_tool swb_tools_hotel[] = {
    {"get_hotels",
     "List hotels, optionally filtered by city or destination, minimum stars and "
     "maximum nightly price. Returns hotel ids and the lowest nightly price.",
     get_hotels_params, get_hotels},
    {"search_hotels_by_location",
     "Find hotels in a city, area or destination (e.g. Bali, Ubud, Jakarta, Jogja, "
     "Bandung, Tokyo), best rated first. Returns hotel ids and the lowest nightly "
     "price.",
     search_hotels_params, search_hotels_by_location},
    {"get_hotel_details",
     "Details of one hotel: address, amenities, check-in times and its room types "
     "(room_type_id, capacity, price per night).",
     hotel_details_params, get_hotel_details},
    {"check_available_rooms",
     "Rooms available at a hotel for a stay (check_in to check_out), per room type, "
     "with the total price and whether it fits the guests and rooms asked for.",
     check_rooms_params, check_available_rooms},
    {"book_hotel_room",
     "Book rooms of one room type at a hotel for a stay, for the current user. The "
     "booking starts pending and holds the rooms; pay it with process_hotel_payment "
     "before its hold_expires_at.",
     book_room_params, book_hotel_room},
    {"process_hotel_payment",
     "Pay one of the user's pending hotel bookings (the full booking amount). "
     "Returns the payment transaction id (TX-...).",
     SWB_TOOLS_PAY_PARAMS, swb__tool_pay_hotel_booking},
    {"cancel_hotel_booking", SWB_TOOLS_CANCEL_HOTEL_DESC, SWB_TOOLS_CANCEL_PARAMS,
     swb__tool_cancel_hotel_booking},
};
const size_t swb_tools_hotel_cnt = SWB_ARRAY_LEN(swb_tools_hotel);
