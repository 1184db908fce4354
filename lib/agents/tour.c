/* The tour agent: its tools live in lib/tools/; the deterministic planner is below. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "swb_mem.h"
#include "swb_tools.h"

/*
 * The planner: tours by destination (and category, date), details and free
 * places by tour id, booking, payment and cancellation. Call ids are fixed
 * per position ("plan-1"), so a redelivered request replays the same
 * idempotency keys.
 */

#define TOP 5

/* A request that names one of our tours by id stays here, whatever the router says. */
static bool names_ours(const struct swb_slots *s)
{
        return s->tour_id != 0;
}

/* The date said, else an example: tomorrow. */
static void day(const struct swb_slots *s, swb_date_t today, char d[16])
{
        swb_date_iso(swb_date_valid(s->date) ? s->date : swb_date_add(today, 1), d);
}

static int people(const struct swb_slots *s)
{
        return s->guests <= 0 ? 2 : s->guests > 20 ? 20 : s->guests;
}

static void add_book_hint(swb_slots_buf_t *b, const struct swb_slots *s,
                          const char *date)
{
        swb_slots_add(b,
                      s->id
                          ? "Ketik 'pesan paket tur %lld tanggal %s untuk %d orang' "
                            "untuk memesan."
                          : "Say 'book tour package %lld on %s for %d people' to book.",
                      s->tour_id, date, people(s));
}

static swb_err_t search(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                        const char *place, swb_date_t today, swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:i}", "limit", TOP), *res = NULL, *t;
        char date[16], money[64], d[16];
        size_t i;
        swb_err_t err;

        swb_date_iso(s->date, date);
        if (place)
                json_object_set_new(args, "destination", json_string(place));
        if (s->category)
                json_object_set_new(args, "category", json_string(s->category));
        if (*date)
                json_object_set_new(args, "date", json_string(date));
        if ((err = swb_agents_call(ctx,
                                   place ? "search_tours_by_destination" : "get_tours",
                                   args, place ? place : "tours", s->id, b, &res)) ||
            !res)
                return err;
        if (json_array_size(json_object_get(res, "tours")) == 0) {
                const char *msg = swb_tools_str(res, "message", ""),
                           *cover = strstr(msg, ": ");
                swb_slots_add(
                    b,
                    s->id ? "Saya tidak menemukan tur%s%s%s%s. Kami punya tur di: %s. "
                            "Tujuan mana yang Anda inginkan?"
                          : "I found no tours%s%s%s%s. We have tours in: %s. Which "
                            "destination would you like?",
                    place ? (s->id ? " di " : " in ") : "", place ? place : "",
                    *date ? (s->id ? " pada " : " on ") : "", date,
                    cover ? cover + 2 : "Bali, Yogyakarta, Lombok, Labuan Bajo");
                goto out;
        }
        if (place)
                swb_slots_add(b, s->id ? "Tur di %s" : "Tours in %s", place);
        else
                swb_slots_add(b, s->id ? "Tur" : "Tours");
        if (s->category)
                swb_slots_add(b, " (%s)", s->category);
        if (*date)
                swb_slots_add(b, s->id ? " pada %s" : " on %s", date);
        swb_slots_add(b, ":\n");
        json_array_foreach(json_object_get(res, "tours"), i, t)
        {
                swb_agents_money(t, "price", s->id, money, sizeof(money));
                swb_slots_add(
                    b,
                    s->id
                        ? "%zu. %s (tour %lld) - %s, %lld jam, mulai %s, %s per orang, "
                          "rating %.1f\n"
                        : "%zu. %s (tour %lld) - %s, %lld h, starts %s, %s per person, "
                          "rating %.1f\n",
                    i + 1, swb_tools_str(t, "name", ""), swb_tools_int(t, "tour_id", 0),
                    swb_tools_str(t, "category", ""),
                    swb_tools_int(t, "duration_hours", 0),
                    swb_tools_str(t, "start_time", ""), money,
                    swb_tools_num(t, "rating", 0));
        }
        t = json_array_get(json_object_get(res, "tours"), 0);
        day(s, today, d);
        if (s->id)
                swb_slots_add(
                    b,
                    "Ketik 'paket tur %lld' untuk detail, atau 'pesan paket tur %lld "
                    "tanggal %s untuk %d orang' untuk memesan.",
                    swb_tools_int(t, "tour_id", 0), swb_tools_int(t, "tour_id", 0), d,
                    people(s));
        else
                swb_slots_add(
                    b,
                    "Say 'tour package %lld on %s for %d people' to see the free "
                    "places, "
                    "or 'book tour package %lld on %s for %d people' to book.",
                    swb_tools_int(t, "tour_id", 0), d, people(s),
                    swb_tools_int(t, "tour_id", 0), d, people(s));
out:
        json_decref(res);
        return SWB_OK;
}

static swb_err_t details(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                         swb_date_t today, swb_slots_buf_t *b)
{
        json_t *res = NULL, *v;
        char what[64], money[64], d[16];
        size_t i;
        swb_err_t err;

        swb_agents_what("tour", s->tour_id, s->id, what, sizeof(what));
        if ((err = swb_agents_call(ctx, "get_tour_details",
                                   json_pack("{s:I}", "tour_id", s->tour_id), what,
                                   s->id, b, &res)) ||
            !res)
                return err;
        swb_agents_money(res, "price", s->id, money, sizeof(money));
        swb_slots_add(
            b,
            s->id ? "%s (tour %lld), %s, %s: %lld jam, mulai %s di %s, %s per orang, "
                    "rating %.1f.\n%s\nJalan pada:"
                  : "%s (tour %lld), %s, %s: %lld h, starts %s at %s, %s per person, "
                    "rating %.1f.\n%s\nRuns on:",
            swb_tools_str(res, "name", ""), s->tour_id, swb_tools_str(res, "city", ""),
            swb_tools_str(res, "category", ""), swb_tools_int(res, "duration_hours", 0),
            swb_tools_str(res, "start_time", ""),
            swb_tools_str(res, "meeting_point", ""), money,
            swb_tools_num(res, "rating", 0), swb_tools_str(res, "description", ""));
        json_array_foreach(json_object_get(res, "runs_on"), i, v)
            swb_slots_add(b, "%s%s", i ? ", " : " ",
                          json_string_value(v) ? json_string_value(v) : "");
        day(s, today, d);
        swb_slots_add(b, ".\n");
        add_book_hint(b, s, d);
        json_decref(res);
        return SWB_OK;
}

static swb_err_t availability(const struct swb_agent_ctx *ctx,
                              const struct swb_slots *s, swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:I, s:i}", "tour_id", s->tour_id, "participants",
                                 people(s)),
               *res = NULL, *dep, *first = NULL;
        char date[16], what[64], money[64];
        size_t i, shown = 0;
        swb_err_t err;

        swb_date_iso(s->date, date);
        swb_agents_what("tour", s->tour_id, s->id, what, sizeof(what));
        if (*date)
                json_object_set_new(args, "date", json_string(date));
        if ((err = swb_agents_call(ctx, "check_tour_availability", args, what, s->id, b,
                                   &res)) ||
            !res)
                return err;
        if (json_array_size(json_object_get(res, "departures")) == 0) {
                swb_slots_add(
                    b,
                    s->id ? "%s (tour %lld) tidak berangkat %s%s. Coba tanggal lain, "
                            "atau "
                            "'paket tur %lld' untuk melihat harinya."
                          : "%s (tour %lld) does not run %s%s. Try another date, or "
                            "'tour "
                            "package %lld' to see the days it runs.",
                    swb_tools_str(res, "tour_name", ""), s->tour_id,
                    *date ? (s->id ? "pada " : "on ")
                          : (s->id ? "dalam 14 hari ke depan" : "in the next 14 days"),
                    date, s->tour_id);
                goto out;
        }
        swb_slots_add(b,
                      s->id ? "%s (tour %lld) untuk %d orang:\n"
                            : "%s (tour %lld) for %d people:\n",
                      swb_tools_str(res, "tour_name", ""), s->tour_id, people(s));
        json_array_foreach(json_object_get(res, "departures"), i, dep)
        {
                bool ok = json_is_true(json_object_get(dep, "bookable"));
                if (shown == TOP)
                        break;
                swb_slots_money(swb_tools_num(dep, "total_price", 0),
                                swb_tools_str(res, "currency", ""), s->id, money,
                                sizeof(money));
                swb_slots_add(b,
                              s->id ? "- %s: sisa %lld tempat, total %s%s\n"
                                    : "- %s: %lld places left, total %s%s\n",
                              swb_tools_str(dep, "date", ""),
                              swb_tools_int(dep, "available", 0), money,
                              ok ? "" : (s->id ? " (tidak cukup)" : " (not enough)"));
                if (ok && !first)
                        first = dep;
                shown++;
        }
        if (first)
                add_book_hint(b, s, swb_tools_str(first, "date", ""));
        else
                swb_slots_add(b, s->id ? "Tidak ada tempat cukup; coba tanggal lain."
                                       : "Not enough places; try another date.");
out:
        json_decref(res);
        return SWB_OK;
}

static swb_err_t book(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                      swb_slots_buf_t *b)
{
        char date[16], what[64];
        json_t *args, *res = NULL;
        swb_err_t err;

        swb_date_iso(s->date, date);
        swb_agents_what("tour", s->tour_id, s->id, what, sizeof(what));
        args = json_pack("{s:I, s:s, s:i}", "tour_id", s->tour_id, "date", date,
                         "participants", people(s));
        if ((err = swb_agents_call(ctx, "book_tour", args, what, s->id, b, &res)) ||
            !res)
                return err;
        swb_agents_add_booked(b, res, s->id);
        swb_slots_add(b,
                      s->id ? "%s (tour %lld) pada %s, %lld orang"
                            : "%s (tour %lld) on %s, %lld participant(s)",
                      swb_tools_str(res, "tour_name", ""), s->tour_id,
                      swb_tools_str(res, "date", date),
                      swb_tools_int(res, "participants", 1));
        swb_agents_add_pending(b, "tour", res, s->id);
        json_decref(res);
        return SWB_OK;
}

static swb_err_t ask(const struct swb_slots *s, swb_date_t today, swb_slots_buf_t *b)
{
        char d[16];
        day(s, today, d);
        if (s->cancel || s->pay)
                swb_agents_add_which_booking(b, "tour", s);
        else if (s->book)
                swb_slots_add(
                    b,
                    s->id ? "Tur yang mana, dan tanggal berapa? Misalnya 'pesan paket "
                            "tur "
                            "3 tanggal %s untuk 2 orang'. Cari dulu dengan 'tur di "
                            "Yogyakarta'."
                          : "Which tour, and on which date? For example 'book tour "
                            "package "
                            "3 on %s for 2 people'. Find one first with 'tours in "
                            "Yogyakarta'.",
                    d);
        else
                swb_slots_add(
                    b, s->id
                           ? "Tujuan mana yang Anda inginkan? Contoh: 'paket wisata di "
                             "Yogyakarta' atau 'tur kuliner di Bali'."
                           : "Which destination would you like a tour in? For example: "
                             "'tours in Yogyakarta' or 'food tours in Bali'.");
        return SWB_OK;
}

static swb_err_t tour_answer(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                             swb_date_t today, swb_slots_buf_t *b)
{
        const char *place = swb_agents_place(ctx, s, "tour");

        if (s->book && s->tour_id && swb_date_valid(s->date))
                return book(ctx, s, b);
        if (s->tour_id && (swb_date_valid(s->date) || s->avail || s->book))
                return availability(ctx, s, b);
        if (s->tour_id)
                return details(ctx, s, today, b);
        if ((place || s->category || s->list_all) && !s->cancel && !s->pay)
                return search(ctx, s, place, today, b);
        return ask(s, today, b);
}

static swb_err_t tour_plan(const struct swb_agent_ctx *ctx,
                           struct swb_agent_answer *out, char *errstr,
                           size_t errstr_size)
{
        return swb_agents_plan(ctx, "tour", names_ours, tour_answer, out, errstr,
                               errstr_size);
}

/* clang-format off */
const struct swb_agent_plugin swb_agent_tour = {
        .name = "tour",
        .description = "Tour search, availability, booking, payment, cancellation",
        .system_prompt = "You are the tour desk of a travel agency. Help the user find tours and travel packages by destination, check dates and places, book, pay and cancel tour bookings.",
        .tools = swb_tools_tour,
        .n_tools = SWB_ARRAY_LEN(swb_tools_tour),
        .plan = tour_plan,
};
/* clang-format on */
