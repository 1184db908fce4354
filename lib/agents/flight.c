/* The flight agent: its tools live in lib/tools/; the deterministic planner is below.
 */
#include <stdio.h>
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"
#include "swb_planner.h"
#include "swb_slots.h"
#include "swb_tools.h"

/*
 * The planner: flights by route and date, details by flight id, booking,
 * payment and cancellation. Call ids are fixed per position ("plan-1"), so a
 * redelivered request replays the same idempotency keys.
 */

#define TOP 5

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
        if (s->guests > 0)
                json_object_set_new(args, "passengers",
                                    json_integer(s->guests > 9 ? 9 : s->guests));
        if ((err = swb_planner_call(
                 ctx, by_route ? "search_flights_by_route" : "get_flights", args,
                 "plan-1", &res)))
                return err;
        if (swb_tools_is_error(res, NULL)) {
                swb_planner_add_error(b, res, dest ? dest : origin, s->id);
                goto out;
        }
        if (s->date_assumed)
                swb_slots_add(b,
                              s->id ? "(Saya membaca \"%s\" sebagai %s, hari/bulan.)\n"
                                    : "(I read \"%s\" as %s, day/month.)\n",
                              s->date_raw, date);
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
                        if (origin)
                                swb_slots_add(b, s->id ? " dari %s" : " from %s",
                                              origin);
                        if (dest)
                                swb_slots_add(b, s->id ? " ke %s" : " to %s", dest);
                        if (*date)
                                swb_slots_add(b, s->id ? " pada %s" : " on %s", date);
                        else
                                swb_slots_add(b, s->id ? " dalam 7 hari ke depan"
                                                       : " in the next 7 days");
                        swb_slots_add(b, s->id ? ". Coba tanggal lain?"
                                               : ". Another date?");
                }
                goto out;
        }
        swb_slots_add(b, s->id ? "Penerbangan" : "Flights");
        if (origin)
                swb_slots_add(b, s->id ? " dari %s" : " from %s", origin);
        if (dest)
                swb_slots_add(b, s->id ? " ke %s" : " to %s", dest);
        if (*date)
                swb_slots_add(b, s->id ? " pada %s:\n" : " on %s:\n", date);
        else
                swb_slots_add(b, s->id ? " dalam 7 hari ke depan:\n"
                                       : " in the next 7 days:\n");
        json_array_foreach(json_object_get(res, "flights"), i, f)
        {
                swb_slots_money(swb_tools_num(f, "fare", 0),
                                swb_tools_str(f, "currency", ""), s->id, money,
                                sizeof(money));
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
        swb_slots_add(
            b,
            s->id ? "Ketik 'pesan penerbangan %lld untuk %d orang' untuk memesan.%s"
                  : "Say 'book flight %lld for %d passenger%s' to book.",
            swb_tools_int(f, "flight_id", 0), s->guests > 1 ? s->guests : 1,
            s->guests > 1 && !s->id ? "s" : "");
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

        snprintf(what, sizeof(what), s->id ? "penerbangan %lld" : "flight %lld",
                 s->flight_id);
        if ((err = swb_planner_call(ctx, "get_flight_details",
                                    json_pack("{s:I}", "flight_id", s->flight_id),
                                    "plan-1", &res)))
                return err;
        if (swb_tools_is_error(res, NULL)) {
                swb_planner_add_error(b, res, what, s->id);
                json_decref(res);
                return SWB_OK;
        }
        swb_slots_money(swb_tools_num(res, "fare", 0),
                        swb_tools_str(res, "currency", ""), s->id, money,
                        sizeof(money));
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
                swb_slots_add(
                    b,
                    s->id ? "Ketik 'pesan penerbangan %lld untuk %d orang' untuk "
                            "memesan.%s"
                          : "Say 'book flight %lld for %d passenger%s' to book.",
                    s->flight_id, s->guests > 1 ? s->guests : 1,
                    s->guests > 1 && !s->id ? "s" : "");
        json_decref(res);
        return SWB_OK;
}

static swb_err_t book(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                      swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:I}", "flight_id", s->flight_id), *res = NULL;
        char what[64], dep[32], money[64];
        long long bid;
        swb_err_t err;

        snprintf(what, sizeof(what), s->id ? "penerbangan %lld" : "flight %lld",
                 s->flight_id);
        if (s->guests > 0)
                json_object_set_new(args, "passengers",
                                    json_integer(s->guests > 9 ? 9 : s->guests));
        if ((err = swb_planner_call(ctx, "book_flight", args, "plan-1", &res)))
                return err;
        if (swb_tools_is_error(res, NULL)) {
                swb_planner_add_error(b, res, what, s->id);
                json_decref(res);
                return SWB_OK;
        }
        bid = swb_tools_int(res, "booking_id", 0);
        swb_slots_money(swb_tools_num(res, "amount", 0),
                        swb_tools_str(res, "currency", ""), s->id, money,
                        sizeof(money));
        swb_slots_add(
            b,
            s->id
                ? "Berhasil dipesan! Pesanan %lld: %s %s -> %s, berangkat %s, %lld "
                  "penumpang, total %s. Status: pending - kursi ditahan sampai Anda "
                  "membayar.\nKetik 'bayar tiket penerbangan booking %lld' untuk "
                  "membayar "
                  "(kartu kredit; atau tambahkan 'dengan e-wallet')."
                : "Booked! Booking %lld: %s %s -> %s, departing %s, %lld passenger(s), "
                  "total %s. Status: pending - the seats are held until you pay.\nSay "
                  "'pay flight booking %lld' to pay (by credit card; or add 'by "
                  "e-wallet').",
            bid, swb_tools_str(res, "flight_no", ""), swb_tools_str(res, "origin", ""),
            swb_tools_str(res, "destination", ""),
            when(swb_tools_str(res, "departure_local", ""), false, dep, sizeof(dep)),
            swb_tools_int(res, "passengers", 1), money, bid);
        json_decref(res);
        return SWB_OK;
}

static void ask(const struct swb_slots *s, swb_date_t today, swb_slots_buf_t *b)
{
        char d[16];
        swb_date_iso(swb_date_add(today, 1), d);
        if (s->cancel || s->pay)
                swb_slots_add(
                    b,
                    s->id
                        ? "Pesanan yang mana? Sebutkan nomornya, misalnya '%s booking "
                          "penerbangan 42'."
                        : "Which booking? Give its number, e.g. '%s flight booking "
                          "42'.",
                    s->cancel ? (s->id ? "batalkan" : "cancel")
                              : (s->id ? "bayar" : "pay"));
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
}

static swb_err_t flight_plan(const struct swb_agent_ctx *ctx,
                             struct swb_agent_answer *out, char *errstr,
                             size_t errstr_size)
{
        swb_date_t today = swb_date_today();
        struct swb_slots s, earlier;
        swb_slots_buf_t b = {0};
        const char *origin, *dest;
        swb_err_t err = SWB_OK;

        swb_slots_parse(ctx->text, ctx->locale, today, &s);
        if (swb_slots_elsewhere(ctx->request, ctx->text, "flight") && !s.flight_id) {
                out->escalate = true;
                return SWB_OK;
        }
        if ((s.cancel || s.pay) && s.booking_id) {
                err = swb_planner_pay_or_cancel(ctx, &s, "process_flight_payment",
                                                "cancel_flight_booking", out, &b);
                goto done;
        }
        if (!s.cancel && !s.pay) {
                swb_slots_context(ctx->turns, ctx->text, ctx->locale, today, &earlier);
                swb_slots_merge(&s, &earlier);
        }
        origin = *s.origin ? s.origin : NULL;
        dest = *s.destination ? s.destination : *s.place ? s.place : NULL;

        if (s.book && s.flight_id)
                err = book(ctx, &s, &b);
        else if (s.flight_id)
                err = details(ctx, &s, &b);
        else if ((origin || dest) && !s.cancel && !s.pay)
                err = search(ctx, &s, origin, dest, &b);
        else
                ask(&s, today, &b);
done:
        if (err || out->escalate) {
                swb_free(swb_slots_take(&b));
                if (err)
                        swb_seterr(errstr, errstr_size, err,
                                   "flight planner: a tool failed");
                return err;
        }
        out->text = swb_slots_take(&b);
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_flight = {
        .name = "flight",
        .description = "Flight search, booking, payment, cancellation",
        .system_prompt = "You are the flight desk of a travel agency. Help the user find flights by route and date, book seats, pay and cancel flight bookings. Confirm the flight and passengers before booking.",
        .tools = swb_tools_flight,
        .n_tools = SWB_ARRAY_LEN(swb_tools_flight),
        .plan = flight_plan,
};
