#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_planner.h"
#include "swb_router.h"
#include "swb_tools.h"

/*
 * Each booking desk's tools and the words of its replies, English [0] and
 * Indonesian [1]: one row a desk (customer service reads the pay phrases of
 * them all).
 */
static const struct desk_words {
        const char *kind;
        const char *pay_tool, *cancel_tool;
        const char *noun[2];    /* "flight 7", "booking flight 42" */
        const char *pay[2];     /* how its router is asked to pay */
        const char *held[2];    /* "the seats are" held, "kursi" ditahan */
        const char *methods[2]; /* the payment methods to add besides the card */
} words[] = {
    {"hotel",
     "process_hotel_payment",
     "cancel_hotel_booking",
     {"hotel", "hotel"},
     {"pay the hotel room booking", "bayar booking kamar hotel"},
     {"the room is", "kamar"},
     {"'by e-wallet' / 'by bank transfer'", "'dengan e-wallet' / 'dengan transfer'"}},
    {"flight",
     "process_flight_payment",
     "cancel_flight_booking",
     {"flight", "penerbangan"},
     {"pay flight booking", "bayar tiket penerbangan booking"},
     {"the seats are", "kursi"},
     {"'by e-wallet'", "'dengan e-wallet'"}},
    {"tour",
     "process_tour_payment",
     "cancel_tour_booking",
     {"tour", "tur"},
     {"pay tour booking", "bayar booking tur"},
     {"the places are", "tempat"},
     {"'by e-wallet'", "'dengan e-wallet'"}},
};

static const struct desk_words *find(const char *kind)
{
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(words); i++)
                if (!strcmp(words[i].kind, kind))
                        return &words[i];
        return NULL;
}

static const struct desk_words *desk_words(const char *kind)
{
        const struct desk_words *w = find(kind);
        if (!w) { /* a programmer's error: the desks' kinds are constants */
                fprintf(stderr, "swb_agents: no desk books \"%s\"\n", kind);
                abort();
        }
        return w;
}

swb_err_t swb_agents_plan(const struct swb_agent_ctx *ctx, const char *kind,
                          bool (*ours)(const struct swb_slots *s),
                          swb_agents_answer_fn *answer, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size)
{
        const struct desk_words *w = desk_words(kind);
        swb_date_t today = swb_date_today();
        struct swb_slots s, earlier;
        swb_slots_buf_t b = {0};
        swb_err_t err;

        swb_slots_parse(ctx->text, ctx->locale, today, &s);
        if (swb_slots_elsewhere(ctx->request, ctx->text, kind) && !ours(&s)) {
                out->escalate = true;
                return SWB_OK;
        }
        if ((s.cancel || s.pay) && s.booking_id)
                err = swb_planner_pay_or_cancel(ctx, &s, w->pay_tool, w->cancel_tool,
                                                out, &b);
        else {
                /* a follow-up: what the session said before fills the gaps */
                if (!s.cancel && !s.pay) {
                        swb_slots_context(ctx->turns, ctx->text, ctx->locale, today,
                                          &earlier);
                        swb_slots_merge(&s, &earlier);
                }
                err = answer(ctx, &s, today, &b);
        }
        if (err || out->escalate) {
                swb_free(swb_slots_take(&b));
                if (err)
                        swb_seterr(errstr, errstr_size, err,
                                   "%s planner: a tool failed", kind);
                return err;
        }
        out->text = swb_slots_take(&b);
        return SWB_OK;
}

const char *swb_agents_place(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                             const char *kind)
{
        swb_route_t route;
        const char *place = *s->place         ? s->place
                            : *s->destination ? s->destination
                                              : NULL;

        swb_router_rule(ctx->text ? ctx->text : "", &route);
        if (!place && *s->place_guess && !strcmp(route.domain, kind))
                place = s->place_guess;
        return place;
}

swb_err_t swb_agents_call(const struct swb_agent_ctx *ctx, const char *tool,
                          json_t *args, const char *what, bool id, swb_slots_buf_t *b,
                          json_t **res)
{
        swb_err_t err = swb_planner_call(ctx, tool, args, "plan-1", res);
        if (err)
                return err;
        if (swb_tools_is_error(*res, NULL)) {
                swb_planner_add_error(b, *res, what, id);
                json_decref(*res);
                *res = NULL;
        }
        return SWB_OK;
}

const char *swb_agents_what(const char *kind, long long n, bool id, char *out,
                            size_t out_size)
{
        snprintf(out, out_size, "%s %lld", desk_words(kind)->noun[id], n);
        return out;
}

const char *swb_agents_verb(const struct swb_slots *s)
{
        return s->cancel ? (s->id ? "batalkan" : "cancel") : (s->id ? "bayar" : "pay");
}

const char *swb_agents_pay_phrase(const char *kind, bool id)
{
        const struct desk_words *w = find(kind);
        return w ? w->pay[id] : NULL;
}

const char *swb_agents_money(const json_t *o, const char *key, bool id, char *out,
                             size_t out_size)
{
        return swb_slots_money(swb_tools_num(o, key, 0),
                               swb_tools_str(o, "currency", ""), id, out, out_size);
}

void swb_agents_add_assumed(swb_slots_buf_t *b, const struct swb_slots *s)
{
        char d[16];
        if (!s->date_assumed)
                return;
        swb_date_iso(s->date, d);
        swb_slots_add(b,
                      s->id ? "(Saya membaca \"%s\" sebagai %s, hari/bulan.)\n"
                            : "(I read \"%s\" as %s, day/month.)\n",
                      s->date_raw, d);
}

void swb_agents_add_booked(swb_slots_buf_t *b, const json_t *res, bool id)
{
        swb_slots_add(
            b, id ? "Berhasil dipesan! Pesanan %lld: " : "Booked! Booking %lld: ",
            swb_tools_int(res, "booking_id", 0));
}

void swb_agents_add_pending(swb_slots_buf_t *b, const char *kind, const json_t *res,
                            bool id)
{
        const struct desk_words *w = desk_words(kind);
        char money[64];

        swb_agents_money(res, "amount", id, money, sizeof(money));
        swb_slots_add(b,
                      id ? ", total %s. Status: pending - %s ditahan sampai Anda "
                           "membayar.\nKetik '%s %lld' untuk membayar (kartu kredit; "
                           "atau tambahkan %s)."
                         : ", total %s. Status: pending - %s held until you pay.\nSay "
                           "'%s %lld' to pay (by credit card; or add %s).",
                      money, w->held[id], w->pay[id],
                      swb_tools_int(res, "booking_id", 0), w->methods[id]);
}

void swb_agents_add_which_booking(swb_slots_buf_t *b, const char *kind,
                                  const struct swb_slots *s)
{
        const struct desk_words *w = desk_words(kind);
        if (s->id)
                swb_slots_add(b,
                              "Pesanan yang mana? Sebutkan nomornya, misalnya '%s "
                              "booking %s 42'.",
                              swb_agents_verb(s), w->noun[1]);
        else
                swb_slots_add(
                    b, "Which booking? Give its number, e.g. '%s %s booking 42'.",
                    swb_agents_verb(s), w->noun[0]);
}
