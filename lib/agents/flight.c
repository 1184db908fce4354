/* The flight agent: its tools live in lib/tools/; the deterministic planner is below.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "swb_mem.h"
#include "swb_tools.h"

/*
 * The planner: flights by route and date, details by flight id, booking,
 * payment and cancellation. Call ids are fixed per position ("plan-1"), so a
 * redelivered request replays the same idempotency keys.
 */

#define TOP 5

/* A request that names one of our flights by id stays here, whatever the router says.
 */
static bool names_ours(const struct swb_slots *s)
{
        return s->flight_id != 0;
}

/* "2026-12-20T06:00" -> "2026-12-20 06:00" (or only the time when `time_only`). */
static const char *when(const char *local, bool time_only, char *out, size_t out_size)
{
        const char *t = strchr(local, 'T');
        if (!t)
                snprintf(out, out_size, "%s", local);
        else if (time_only)
                snprintf(out, out_size, "%s", t + 1);
        else
                snprintf(out, out_size, "%.*s %s", (int)(t - local), local, t + 1);
        return out;
}

/* At most 9 passengers a booking. */
static void add_passengers(json_t *args, const struct swb_slots *s)
{
        if (s->guests > 0)
                json_object_set_new(args, "passengers",
                                    json_integer(s->guests > 9 ? 9 : s->guests));
}

/* " from CGK to DPS on 2026-12-20" (or " in the next 7 days"). */
static void add_route(swb_slots_buf_t *b, const struct swb_slots *s, const char *origin,
                      const char *dest, const char *date)
{
        if (origin)
                swb_slots_add(b, s->id ? " dari %s" : " from %s", origin);
        if (dest)
                swb_slots_add(b, s->id ? " ke %s" : " to %s", dest);
        if (*date)
                swb_slots_add(b, s->id ? " pada %s" : " on %s", date);
        else
                swb_slots_add(b,
                              s->id ? " dalam 7 hari ke depan" : " in the next 7 days");
}

static void add_book_hint(swb_slots_buf_t *b, const struct swb_slots *s,
                          long long flight_id)
{
        swb_slots_add(b,
                      s->id ? "Ketik 'pesan penerbangan %lld untuk %d orang' untuk "
                              "memesan.%s"
                            : "Say 'book flight %lld for %d passenger%s' to book.",
                      flight_id, s->guests > 1 ? s->guests : 1,
                      s->guests > 1 && !s->id ? "s" : "");
}

static swb_err_t search(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                        const char *origin, const char *dest, swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:i}", "limit", TOP), *res = NULL, *f;
        char date[16], dep[32], arr[32], money[64];
        bool by_route = origin && dest;
        size_t i;
        swb_err_t err;

        swb_date_iso(s->date, date);
        if (origin)
                json_object_set_new(args, "origin", json_string(origin));
        if (dest)
                json_object_set_new(args, "destination", json_string(dest));
        if (*date)
                json_object_set_new(args, "date", json_string(date));
        add_passengers(args, s);
        if ((err = swb_agents_call(ctx,
                                   by_route ? "search_flights_by_route" : "get_flights",
                                   args, dest ? dest : origin, s->id, b, &res)) ||
            !res)
                return err;
        swb_agents_add_assumed(b, s);
        if (json_array_size(json_object_get(res, "flights")) == 0) {
                const char *msg = swb_tools_str(res, "message", "");
                if (strstr(msg, "No airport"))
                        swb_slots_add(
                            b,
                            s->id
                                ? "Saya tidak mengenal bandara untuk \"%s\". Coba nama "
                                  "kota atau kode bandara, misalnya Jakarta, Denpasar, "
                                  "CGK, DPS."
                                : "I don't know an airport for \"%s\". Try a city or "
                                  "an "
                                  "airport code, e.g. Jakarta, Denpasar, CGK, DPS.",
                            strchr(msg, '"') ? strchr(msg, '"') + 1 : msg);
                else {
                        swb_slots_add(
                            b, s->id ? "Tidak ada penerbangan dengan kursi kosong"
                                     : "No flights with free seats");
                        add_route(b, s, origin, dest, date);
                        swb_slots_add(b, s->id ? ". Coba tanggal lain?"
                                               : ". Another date?");
                }
                goto out;
        }
        swb_slots_add(b, s->id ? "Penerbangan" : "Flights");
        add_route(b, s, origin, dest, date);
        swb_slots_add(b, ":\n");
        json_array_foreach(json_object_get(res, "flights"), i, f)
        {
                swb_agents_money(f, "fare", s->id, money, sizeof(money));
                swb_slots_add(
                    b,
                    s->id ? "%zu. %s %s (flight %lld) - %s %s -> %s %s, %s per orang, "
                            "sisa %lld kursi\n"
                          : "%zu. %s %s (flight %lld) - %s %s -> %s %s, %s per person, "
                            "%lld seats left\n",
                    i + 1, swb_tools_str(f, "flight_no", ""),
                    swb_tools_str(f, "airline", ""), swb_tools_int(f, "flight_id", 0),
                    when(swb_tools_str(f, "departure_local", ""), *date != 0, dep,
                         sizeof(dep)),
                    swb_tools_str(f, "origin", ""),
                    when(swb_tools_str(f, "arrival_local", ""), true, arr, sizeof(arr)),
                    swb_tools_str(f, "destination", ""), money,
                    swb_tools_int(f, "seats_available", 0));
        }
        f = json_array_get(json_object_get(res, "flights"), 0);
        add_book_hint(b, s, swb_tools_int(f, "flight_id", 0));
out:
        json_decref(res);
        return SWB_OK;
}

static swb_err_t details(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                         swb_slots_buf_t *b)
{
        json_t *res = NULL;
        char what[64], dep[32], arr[32], money[64];
        swb_err_t err;

        swb_agents_what("flight", s->flight_id, s->id, what, sizeof(what));
        if ((err = swb_agents_call(ctx, "get_flight_details",
                                   json_pack("{s:I}", "flight_id", s->flight_id), what,
                                   s->id, b, &res)) ||
            !res)
                return err;
        swb_agents_money(res, "fare", s->id, money, sizeof(money));
        swb_slots_add(
            b,
            s->id
                ? "%s %s (flight %lld), %s: berangkat %s dari %s (%s), tiba %s di %s "
                  "(%s). Tarif %s per orang, sisa %lld kursi, status %s.\n"
                : "%s %s (flight %lld), %s: departs %s from %s (%s), arrives %s at %s "
                  "(%s). Fare %s per person, %lld seats left, status %s.\n",
            swb_tools_str(res, "flight_no", ""), swb_tools_str(res, "airline", ""),
            s->flight_id, swb_tools_str(res, "aircraft", ""),
            when(swb_tools_str(res, "departure_local", ""), false, dep, sizeof(dep)),
            swb_tools_str(res, "origin_airport", ""), swb_tools_str(res, "origin", ""),
            when(swb_tools_str(res, "arrival_local", ""), false, arr, sizeof(arr)),
            swb_tools_str(res, "destination_airport", ""),
            swb_tools_str(res, "destination", ""), money,
            swb_tools_int(res, "seats_available", 0), swb_tools_str(res, "status", ""));
        if (json_is_true(json_object_get(res, "departed")))
                swb_slots_add(b, s->id ? "Penerbangan ini sudah berangkat."
                                       : "This flight has "
                                         "already departed.");
        else
                add_book_hint(b, s, s->flight_id);
        json_decref(res);
        return SWB_OK;
}

static swb_err_t book(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                      swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:I}", "flight_id", s->flight_id), *res = NULL;
        char what[64], dep[32];
        swb_err_t err;

        swb_agents_what("flight", s->flight_id, s->id, what, sizeof(what));
        add_passengers(args, s);
        if ((err = swb_agents_call(ctx, "book_flight", args, what, s->id, b, &res)) ||
            !res)
                return err;
        swb_agents_add_booked(b, res, s->id);
        swb_slots_add(
            b,
            s->id ? "%s %s -> %s, berangkat %s, %lld penumpang"
                  : "%s %s -> %s, departing %s, %lld passenger(s)",
            swb_tools_str(res, "flight_no", ""), swb_tools_str(res, "origin", ""),
            swb_tools_str(res, "destination", ""),
            when(swb_tools_str(res, "departure_local", ""), false, dep, sizeof(dep)),
            swb_tools_int(res, "passengers", 1));
        swb_agents_add_pending(b, "flight", res, s->id);
        json_decref(res);
        return SWB_OK;
}

static swb_err_t ask(const struct swb_slots *s, swb_date_t today, swb_slots_buf_t *b)
{
        char d[16];
        swb_date_iso(swb_date_add(today, 1), d);
        if (s->cancel || s->pay)
                swb_agents_add_which_booking(b, "flight", s);
        else if (s->book)
                swb_slots_add(
                    b,
                    s->id ? "Penerbangan yang mana? Cari dulu, misalnya 'penerbangan "
                            "dari Jakarta ke Denpasar besok', lalu 'pesan penerbangan "
                            "<id> untuk 2 orang'."
                          : "Which flight? Search first, e.g. 'flights from Jakarta to "
                            "Denpasar tomorrow', then say 'book flight <id> for 2 "
                            "passengers'.");
        else
                swb_slots_add(
                    b,
                    s->id ? "Dari mana ke mana, dan kapan? Contoh: 'penerbangan dari "
                            "Jakarta ke Denpasar besok' atau 'tiket CGK-DPS %s'."
                          : "From where to where, and when? For example: 'flights from "
                            "Jakarta to Denpasar tomorrow' or 'flights CGK-DPS on %s'.",
                    d);
        return SWB_OK;
}

static swb_err_t flight_answer(const struct swb_agent_ctx *ctx,
                               const struct swb_slots *s, swb_date_t today,
                               swb_slots_buf_t *b)
{
        const char *origin = *s->origin ? s->origin : NULL,
                   *dest = *s->destination ? s->destination
                           : *s->place     ? s->place
                                           : NULL;

        if (s->book && s->flight_id)
                return book(ctx, s, b);
        if (s->flight_id)
                return details(ctx, s, b);
        if ((origin || dest) && !s->cancel && !s->pay)
                return search(ctx, s, origin, dest, b);
        return ask(s, today, b);
}

static swb_err_t flight_plan(const struct swb_agent_ctx *ctx,
                             struct swb_agent_answer *out, char *errstr,
                             size_t errstr_size)
{
        return swb_agents_plan(ctx, "flight", names_ours, flight_answer, out, errstr,
                               errstr_size);
}

/* clang-format off */
const struct swb_agent_plugin swb_agent_flight = {
        .name = "flight",
        .description = "Flight search, booking, payment, cancellation",
        .system_prompt = "You are the flight desk of a travel agency. Help the user find flights by route and date, book seats, pay and cancel flight bookings. Confirm the flight and passengers before booking.",
        .tools = swb_tools_flight,
        .n_tools = SWB_ARRAY_LEN(swb_tools_flight),
        .plan = flight_plan,
};
/* clang-format on */
