/* The hotel agent: its tools live in lib/tools/; the deterministic planner is below. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "swb_mem.h"
#include "swb_tools.h"

/*
 * The planner: search by place, details and availability by hotel id and
 * dates, book a room type, pay and cancel. Each tool call has a fixed call id
 * per position ("plan-1", "plan-2"), so a redelivered request replays the
 * same idempotency keys.
 */

#define TOP 5

/* A request that names one of our hotels or room types by id stays here, whatever the
 * router says. */
static bool names_ours(const struct swb_slots *s)
{
        return s->hotel_id || s->room_type_id;
}

/* The stay as YYYY-MM-DD: what was said, else an example a week ahead. */
static void stay(const struct swb_slots *s, swb_date_t today, char ci[16], char co[16])
{
        swb_date_t in = s->date, out = s->date_end;
        bool said = swb_date_valid(in);
        if (!said)
                in = swb_date_add(today, 7);
        if (!swb_date_valid(out) || swb_date_diff(in, out) <= 0)
                out = swb_date_add(in, s->nights > 0 ? s->nights : said ? 1 : 2);
        swb_date_iso(in, ci);
        swb_date_iso(out, co);
}

/* Guests (at most 20) and rooms, when said. */
static void add_party(json_t *args, const struct swb_slots *s)
{
        if (s->guests > 0)
                json_object_set_new(args, "guests",
                                    json_integer(s->guests > 20 ? 20 : s->guests));
        if (s->rooms > 0)
                json_object_set_new(args, "rooms", json_integer(s->rooms));
}

static swb_err_t search(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                        const char *place, swb_date_t today, swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:s, s:i}", "location", place, "limit", TOP),
               *res = NULL, *h;
        char ci[16], co[16], money[64];
        size_t i;
        swb_err_t err;

        if (s->min_stars)
                json_object_set_new(args, "min_stars", json_integer(s->min_stars));
        if (s->cheap)
                json_object_set_new(args, "sort", json_string("price_low"));
        if ((err = swb_agents_call(ctx, "search_hotels_by_location", args, place, s->id,
                                   b, &res)) ||
            !res)
                return err;
        if (json_array_size(json_object_get(res, "hotels")) == 0) {
                const char *msg = swb_tools_str(res, "message", ""),
                           *cover = strstr(msg, ": ");
                swb_slots_add(
                    b,
                    s->id
                        ? "Saya tidak menemukan hotel untuk \"%s\"%s. Tujuan kami: %s. "
                          "Kota mana yang Anda inginkan?"
                        : "I found no hotels for \"%s\"%s. We cover: %s. Which city "
                          "would you like?",
                    place,
                    s->min_stars ? (s->id ? " dengan bintang itu" : " with those stars")
                                 : "",
                    cover ? cover + 2 : "Bali, Jakarta, Yogyakarta, Bandung");
                goto out;
        }
        swb_agents_add_assumed(b, s);
        swb_slots_add(b, s->id ? "Hotel di %s:\n" : "Hotels in %s:\n", place);
        json_array_foreach(json_object_get(res, "hotels"), i, h)
        {
                const char *area = swb_tools_str(h, "area", NULL);
                swb_agents_money(h, "price_from", s->id, money, sizeof(money));
                swb_slots_add(
                    b,
                    s->id
                        ? "%zu. %s (hotel %lld) - bintang %lld, rating %.1f, %s, mulai "
                          "%s/malam\n"
                        : "%zu. %s (hotel %lld) - %lld-star, rating %.1f, %s, from "
                          "%s/night\n",
                    i + 1, swb_tools_str(h, "name", ""),
                    swb_tools_int(h, "hotel_id", 0), swb_tools_int(h, "stars", 0),
                    swb_tools_num(h, "rating", 0),
                    area ? area : swb_tools_str(h, "city", ""), money);
        }
        stay(s, today, ci, co);
        h = json_array_get(json_object_get(res, "hotels"), 0);
        swb_slots_add(
            b,
            s->id ? "Ketik 'kamar di hotel %lld tanggal %s sampai %s' untuk melihat "
                    "kamar "
                    "yang tersedia dan harganya."
                  : "Say 'rooms at hotel %lld from %s to %s' to see the free rooms and "
                    "prices.",
            swb_tools_int(h, "hotel_id", 0), ci, co);
out:
        json_decref(res);
        return SWB_OK;
}

static swb_err_t details(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                         swb_date_t today, bool ask_dates, swb_slots_buf_t *b)
{
        json_t *res = NULL, *rt;
        char what[64], ci[16], co[16], money[64];
        size_t i;
        swb_err_t err;

        swb_agents_what("hotel", s->hotel_id, s->id, what, sizeof(what));
        if ((err = swb_agents_call(ctx, "get_hotel_details",
                                   json_pack("{s:I}", "hotel_id", s->hotel_id), what,
                                   s->id, b, &res)) ||
            !res)
                return err;
        swb_slots_add(
            b,
            s->id ? "%s (hotel %lld), bintang %lld, rating %.1f - %s. Check-in %s, "
                    "check-out %s.\nTipe kamar:\n"
                  : "%s (hotel %lld), %lld-star, rating %.1f - %s. Check-in %s, "
                    "check-out %s.\nRoom types:\n",
            swb_tools_str(res, "name", ""), s->hotel_id, swb_tools_int(res, "stars", 0),
            swb_tools_num(res, "rating", 0), swb_tools_str(res, "address", ""),
            swb_tools_str(res, "check_in_time", ""),
            swb_tools_str(res, "check_out_time", ""));
        json_array_foreach(json_object_get(res, "room_types"), i, rt)
        {
                swb_agents_money(rt, "price_per_night", s->id, money, sizeof(money));
                swb_slots_add(b,
                              s->id ? "- %s (room type %lld): maks. %lld orang, "
                                      "ranjang %s, %s/malam\n"
                                    : "- %s (room type %lld): up to %lld guests, %s "
                                      "bed, %s/night\n",
                              swb_tools_str(rt, "name", ""),
                              swb_tools_int(rt, "room_type_id", 0),
                              swb_tools_int(rt, "capacity", 0),
                              swb_tools_str(rt, "bed", ""), money);
        }
        stay(s, today, ci, co);
        swb_slots_add(
            b,
            s->id ? "%sKetik 'kamar di hotel %lld tanggal %s sampai %s untuk %d orang' "
                    "untuk cek ketersediaan."
                  : "%sSay 'rooms at hotel %lld from %s to %s for %d guests' to check "
                    "availability.",
            ask_dates ? (s->id ? "Untuk tanggal berapa? " : "For which dates? ") : "",
            s->hotel_id, ci, co, s->guests > 0 ? s->guests : 2);
        json_decref(res);
        return SWB_OK;
}

static swb_err_t availability(const struct swb_agent_ctx *ctx,
                              const struct swb_slots *s, swb_date_t today,
                              swb_slots_buf_t *b)
{
        json_t *args, *res = NULL, *rt, *first = NULL;
        char ci[16], co[16], what[64], price[64], total[64];
        size_t i;
        swb_err_t err;

        stay(s, today, ci, co);
        swb_agents_what("hotel", s->hotel_id, s->id, what, sizeof(what));
        args = json_pack("{s:I, s:s, s:s}", "hotel_id", s->hotel_id, "check_in", ci,
                         "check_out", co);
        add_party(args, s);
        if ((err = swb_agents_call(ctx, "check_available_rooms", args, what, s->id, b,
                                   &res)) ||
            !res)
                return err;
        swb_agents_add_assumed(b, s);
        swb_slots_add(
            b,
            s->id ? "%s (hotel %lld), %s sampai %s (%lld malam), %lld orang, %lld "
                    "kamar:\n"
                  : "%s (hotel %lld), %s to %s (%lld nights), %lld guest(s), %lld "
                    "room(s):\n",
            swb_tools_str(res, "hotel_name", ""), s->hotel_id, ci, co,
            swb_tools_int(res, "nights", 0), swb_tools_int(res, "guests", 1),
            swb_tools_int(res, "rooms", 1));
        json_array_foreach(json_object_get(res, "room_types"), i, rt)
        {
                long long left = swb_tools_int(rt, "available_rooms", 0);
                bool ok = json_is_true(json_object_get(rt, "bookable"));
                swb_agents_money(rt, "price_per_night", s->id, price, sizeof(price));
                swb_agents_money(rt, "total_price", s->id, total, sizeof(total));
                swb_slots_add(b, "- %s (room type %lld): %s/%s, total %s - ",
                              swb_tools_str(rt, "name", ""),
                              swb_tools_int(rt, "room_type_id", 0), price,
                              s->id ? "malam" : "night", total);
                if (ok)
                        swb_slots_add(b, s->id ? "sisa %lld kamar\n" : "%lld left\n",
                                      left);
                else if (left < swb_tools_int(res, "rooms", 1))
                        swb_slots_add(b, s->id ? "penuh\n" : "sold out\n");
                else
                        swb_slots_add(
                            b,
                            s->id ? "terlalu kecil (maks. %lld orang per kamar)\n"
                                  : "too small (up to %lld guests a room)\n",
                            swb_tools_int(rt, "capacity", 0));
                if (ok && !first)
                        first = rt;
        }
        if (first)
                swb_slots_add(
                    b,
                    s->id ? "Ketik 'pesan kamar tipe %lld di hotel %lld tanggal %s "
                            "sampai "
                            "%s untuk %lld orang' untuk memesan.%s"
                          : "Say 'book room type %lld at hotel %lld from %s to %s for "
                            "%lld guest%s' to book.",
                    swb_tools_int(first, "room_type_id", 0), s->hotel_id, ci, co,
                    swb_tools_int(res, "guests", 1),
                    swb_tools_int(res, "guests", 1) > 1 && !s->id ? "s" : "");
        else
                swb_slots_add(
                    b, s->id ? "Tidak ada kamar yang cocok untuk tanggal itu; coba "
                               "tanggal lain."
                             : "Nothing fits on those dates; try other dates.");
        json_decref(res);
        return SWB_OK;
}

static swb_err_t book(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                      swb_date_t today, swb_slots_buf_t *b)
{
        json_t *args, *res = NULL;
        char ci[16], co[16], what[96];
        swb_err_t err;

        stay(s, today, ci, co);
        snprintf(what, sizeof(what), "room type %lld at hotel %lld", s->room_type_id,
                 s->hotel_id);
        args =
            json_pack("{s:I, s:I, s:s, s:s}", "hotel_id", s->hotel_id, "room_type_id",
                      s->room_type_id, "check_in", ci, "check_out", co);
        add_party(args, s);
        if ((err = swb_agents_call(ctx, "book_hotel_room", args, what, s->id, b, &res)))
                return err;
        if (!res) {
                swb_slots_add(
                    b,
                    s->id
                        ? " Cek dulu dengan 'kamar di hotel %lld tanggal %s sampai %s'."
                        : " Check first with 'rooms at hotel %lld from %s to %s'.",
                    s->hotel_id, ci, co);
                return SWB_OK;
        }
        swb_agents_add_assumed(b, s);
        swb_agents_add_booked(b, res, s->id);
        swb_slots_add(
            b,
            s->id ? "room type %lld di hotel %lld, %s sampai %s (%lld malam), "
                    "%lld kamar, %lld orang"
                  : "room type %lld at hotel %lld, %s to %s (%lld nights), "
                    "%lld room(s), %lld guest(s)",
            s->room_type_id, s->hotel_id, swb_tools_str(res, "check_in", ci),
            swb_tools_str(res, "check_out", co), swb_tools_int(res, "nights", 0),
            swb_tools_int(res, "rooms", 1), swb_tools_int(res, "guests", 1));
        swb_agents_add_pending(b, "hotel", res, s->id);
        json_decref(res);
        return SWB_OK;
}

static swb_err_t ask(const struct swb_slots *s, swb_date_t today, swb_slots_buf_t *b)
{
        char ci[16], co[16];
        stay(s, today, ci, co);
        if (s->cancel || s->pay) {
                swb_agents_add_which_booking(b, "hotel", s);
                swb_slots_add(b, s->id ? " Daftar pesanan Anda: 'riwayat pesanan saya'."
                                       : " Your bookings: 'show my bookings'.");
        } else if (s->book)
                swb_slots_add(
                    b,
                    s->id
                        ? "Untuk memesan saya perlu hotel, tipe kamar dan tanggalnya, "
                          "misalnya 'pesan kamar tipe 3 di hotel 12 tanggal %s sampai "
                          "%s "
                          "untuk 2 orang'. Cari dulu dengan 'hotel di Bali'."
                        : "To book I need the hotel, the room type and the dates, e.g. "
                          "'book room type 3 at hotel 12 from %s to %s for 2 guests'. "
                          "Find one first with 'hotels in Bali'.",
                    ci, co);
        else
                swb_slots_add(
                    b,
                    s->id
                        ? "Di kota mana Anda mencari hotel, dan untuk tanggal berapa? "
                          "Contoh: 'hotel di Bali tanggal %s sampai %s untuk 2 orang'."
                        : "Which city would you like a hotel in, and for which dates? "
                          "For example: 'hotels in Bali from %s to %s for 2 guests'.",
                    ci, co);
        return SWB_OK;
}

static swb_err_t hotel_answer(const struct swb_agent_ctx *ctx,
                              const struct swb_slots *s, swb_date_t today,
                              swb_slots_buf_t *b)
{
        const char *place = swb_agents_place(ctx, s, "hotel");

        if (s->book && s->hotel_id && s->room_type_id && swb_date_valid(s->date))
                return book(ctx, s, today, b);
        if (s->hotel_id && swb_date_valid(s->date))
                return availability(ctx, s, today, b);
        if (s->hotel_id)
                return details(ctx, s, today, s->avail || s->book, b);
        if (place && !s->cancel && !s->pay)
                return search(ctx, s, place, today, b);
        return ask(s, today, b);
}

static swb_err_t hotel_plan(const struct swb_agent_ctx *ctx,
                            struct swb_agent_answer *out, char *errstr,
                            size_t errstr_size)
{
        return swb_agents_plan(ctx, "hotel", names_ours, hotel_answer, out, errstr,
                               errstr_size);
}

/* clang-format off */
const struct swb_agent_plugin swb_agent_hotel = {
        .name = "hotel",
        .description = "Hotel search, availability, booking, payment, cancellation",
        .system_prompt = "You are the hotel desk of a travel agency. Help the user find hotels, check room availability, book rooms, pay and cancel hotel bookings. Confirm dates, guests and the room before booking; never book or pay without the user's clear request.",
        .tools = swb_tools_hotel,
        .n_tools = SWB_ARRAY_LEN(swb_tools_hotel),
        .plan = hotel_plan,
};
/* clang-format on */
