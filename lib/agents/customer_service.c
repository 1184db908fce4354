/* The customer_service agent: its tools live in lib/tools/; the deterministic planner
 * is below. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "swb_mem.h"
#include "swb_planner.h"
#include "swb_tools.h"

/*
 * The planner: the user's bookings (history, details), cancellation of any
 * kind (looked up first, then the matching cancel tool), currency rates and
 * the knowledge base for everything else. Call ids are fixed per position
 * ("plan-1", "plan-2"), so a redelivered request replays the same
 * idempotency keys.
 */

#define TOP         5
#define PASSAGE_MAX 280 /* characters of an article passage in a reply */

static const char *status_text(const char *status, bool id)
{
        if (!id)
                return status;
        return !strcmp(status, "pending")     ? "menunggu pembayaran (pending)"
               : !strcmp(status, "paid")      ? "lunas (paid)"
               : !strcmp(status, "cancelled") ? "dibatalkan (cancelled)"
                                              : status;
}

static const char *kind_text(const char *kind, bool id)
{
        if (!id)
                return kind;
        return !strcmp(kind, "flight") ? "penerbangan"
               : !strcmp(kind, "tour") ? "tur"
                                       : kind;
}

/* "Booking 42 (hotel, pending, IDR 6,400,000): Ubud ..., Deluxe, 2026-12-20 to
 * 2026-12-22" */
static void add_booking(swb_slots_buf_t *b, const json_t *d, bool id)
{
        const char *kind = swb_tools_str(d, "kind", "");
        char money[64];
        swb_agents_money(d, "amount", id, money, sizeof(money));
        swb_slots_add(
            b, id ? "Pesanan %lld (%s, %s, %s): " : "Booking %lld (%s, %s, %s): ",
            swb_tools_int(d, "booking_id", 0), kind_text(kind, id),
            status_text(swb_tools_str(d, "status", ""), id), money);
        if (!strcmp(kind, "hotel"))
                swb_slots_add(b, id ? "%s, %s, %s sampai %s" : "%s, %s, %s to %s",
                              swb_tools_str(d, "hotel_name", ""),
                              swb_tools_str(d, "room_type", ""),
                              swb_tools_str(d, "check_in", ""),
                              swb_tools_str(d, "check_out", ""));
        else if (!strcmp(kind, "flight")) {
                const char *dep = swb_tools_str(d, "departure_local", ""),
                           *t = strchr(dep, 'T');
                swb_slots_add(
                    b, "%s %s-%s, %.*s%s%s", swb_tools_str(d, "flight_no", ""),
                    swb_tools_str(d, "origin", ""), swb_tools_str(d, "destination", ""),
                    (int)(t ? t - dep : (long)strlen(dep)), dep, t ? " " : "",
                    t ? t + 1 : "");
        } else
                swb_slots_add(b, "%s, %s", swb_tools_str(d, "tour_name", ""),
                              swb_tools_str(d, "tour_date", ""));
}

/*
 * Look booking s->booking_id up ("plan-1"): `what` becomes "booking 42".
 * @returns as swb_agents_call(): *det NULL when the tool refused.
 */
static swb_err_t lookup(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                        char what[64], swb_slots_buf_t *b, json_t **det)
{
        snprintf(what, 64, s->id ? "pesanan %lld" : "booking %lld", s->booking_id);
        return swb_agents_call(ctx, "get_booking_details",
                               json_pack("{s:I}", "booking_id", s->booking_id), what,
                               s->id, b, det);
}

/* Look the booking up, then cancel it with the tool of its kind. */
static swb_err_t cancel(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                        swb_slots_buf_t *b)
{
        json_t *det = NULL, *res = NULL;
        char what[64], tool[64];
        const char *kind;
        swb_err_t err;

        if ((err = lookup(ctx, s, what, b, &det)) || !det)
                return err;
        kind = swb_tools_str(det, "kind", "");
        if (!strcmp(swb_tools_str(det, "status", ""), "cancelled")) {
                swb_slots_add(b,
                              s->id ? "Pesanan %lld sudah dibatalkan sebelumnya."
                                    : "Booking %lld is already cancelled.",
                              s->booking_id);
                goto out;
        }
        snprintf(tool, sizeof(tool), "cancel_%s_booking", kind);
        if ((err = swb_planner_call(ctx, tool,
                                    json_pack("{s:I}", "booking_id", s->booking_id),
                                    "plan-2", &res)))
                goto out;
        if (swb_tools_is_error(res, NULL)) {
                swb_planner_add_error(b, res, what, s->id);
                goto out;
        }
        swb_slots_add_cancelled(b, res, s->id);
        swb_slots_add(b, "\n");
        json_object_set_new(det, "status", json_string("cancelled"));
        add_booking(b, det, s->id);
out:
        json_decref(det);
        json_decref(res);
        return err;
}

/* How to ask the desk of `kind` to pay a booking (the tour desk for another kind). */
static const char *pay_phrase(const char *kind, bool id)
{
        const char *p = swb_agents_pay_phrase(kind, id);
        return p ? p : swb_agents_pay_phrase("tour", id);
}

/*
 * Pay a pending booking with the payment tool of its kind, when this agent's
 * table has it. @returns SWB_OK with *done set when it answered.
 */
static swb_err_t pay(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                     const json_t *det, bool *done, swb_slots_buf_t *b)
{
        char tool[64], what[64];
        json_t *res = NULL;
        swb_err_t err;

        *done = false;
        snprintf(tool, sizeof(tool), "process_%s_payment",
                 swb_tools_str(det, "kind", ""));
        if (!swb_tools_find(swb_tools_service, swb_tools_service_cnt, tool))
                return SWB_OK;
        snprintf(what, sizeof(what), s->id ? "pesanan %lld" : "booking %lld",
                 s->booking_id);
        if ((err = swb_planner_call(
                 ctx, tool,
                 json_pack("{s:I, s:s}", "booking_id", s->booking_id, "payment_method",
                           s->payment_method ? s->payment_method : "credit_card"),
                 "plan-2", &res)))
                return err;
        if (swb_tools_is_error(res, NULL))
                swb_planner_add_error(b, res, what, s->id);
        else
                swb_slots_add_paid(b, res, s->id);
        *done = true;
        json_decref(res);
        return SWB_OK;
}

/* Details of one booking; "pay booking 42" pays it (or says how). */
static swb_err_t booking(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                         swb_slots_buf_t *b)
{
        json_t *det = NULL, *p;
        char what[64], money[64];
        const char *status, *kind;
        bool paid = false;
        size_t i;
        swb_err_t err;

        if ((err = lookup(ctx, s, what, b, &det)) || !det)
                return err;
        if (s->pay && !strcmp(swb_tools_str(det, "status", ""), "pending") &&
            ((err = pay(ctx, s, det, &paid, b)) || paid))
                goto out;
        add_booking(b, det, s->id);
        swb_slots_add(b, ".");
        json_array_foreach(json_object_get(det, "payments"), i, p)
        {
                swb_agents_money(p, "amount", s->id, money, sizeof(money));
                swb_slots_add(b, "\n- %s %s %s (%s)", swb_tools_str(p, "kind", ""),
                              money, swb_tools_str(p, "transaction_id", ""),
                              swb_tools_str(p, "at", ""));
        }
        status = swb_tools_str(det, "status", "");
        kind = swb_tools_str(det, "kind", "");
        if (!strcmp(status, "pending"))
                swb_slots_add(
                    b,
                    s->id ? "\nKetik '%s %lld' untuk membayar, atau 'batalkan pesanan "
                            "%lld' untuk membatalkan."
                          : "\nSay '%s %lld' to pay it, or 'cancel booking %lld' to "
                            "cancel it.",
                    pay_phrase(kind, s->id), s->booking_id, s->booking_id);
        else if (!strcmp(status, "paid"))
                swb_slots_add(
                    b,
                    s->id ? "\nSudah lunas. Ketik 'batalkan pesanan %lld' untuk "
                            "membatalkan (dana dikembalikan penuh)."
                          : "\nIt is paid. Say 'cancel booking %lld' to cancel it "
                            "(full refund).",
                    s->booking_id);
out:
        json_decref(det);
        return err;
}

static swb_err_t history(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                         swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:i}", "limit", 20), *res = NULL, *row, *rows;
        char money[64];
        size_t i, n;
        swb_err_t err;

        if (s->kind)
                json_object_set_new(args, "kind", json_string(s->kind));
        if (s->status)
                json_object_set_new(args, "status", json_string(s->status));
        if ((err = swb_agents_call(ctx, "get_user_booking_history", args,
                                   s->id ? "riwayat pesanan" : "your bookings", s->id,
                                   b, &res)) ||
            !res)
                return err;
        rows = json_object_get(res, "bookings");
        if ((n = json_array_size(rows)) == 0) {
                swb_slots_add(
                    b,
                    s->id ? "Anda belum memiliki pesanan%s. Mau mulai? Misalnya "
                            "'carikan hotel di Bali'."
                          : "You have no bookings%s yet. Want to start? For example: "
                            "'find me a hotel in Bali'.",
                    s->kind || s->status ? (s->id ? " yang cocok" : " that match")
                                         : "");
                goto out;
        }
        swb_slots_add(b, s->id ? "Pesanan Anda (terbaru dulu):\n"
                               : "Your bookings (newest first):\n");
        json_array_foreach(rows, i, row)
        {
                if (i == TOP)
                        break;
                swb_agents_money(row, "amount", s->id, money, sizeof(money));
                swb_slots_add(b,
                              s->id ? "- Pesanan %lld: %s, %s, %s - %s\n"
                                    : "- Booking %lld: %s, %s, %s - %s\n",
                              swb_tools_int(row, "booking_id", 0),
                              kind_text(swb_tools_str(row, "kind", ""), s->id),
                              status_text(swb_tools_str(row, "status", ""), s->id),
                              money, swb_tools_str(row, "summary", ""));
        }
        if (n > TOP)
                swb_slots_add(b, s->id ? "...dan %zu lagi.\n" : "...and %zu more.\n",
                              n - TOP);
        row = json_array_get(rows, 0);
        swb_slots_add(
            b,
            s->id
                ? "Ketik 'pesanan %lld' untuk detail, atau 'batalkan pesanan %lld' "
                  "untuk "
                  "membatalkan."
                : "Say 'booking %lld' for details, or 'cancel booking %lld' to cancel "
                  "it.",
            swb_tools_int(row, "booking_id", 0), swb_tools_int(row, "booking_id", 0));
out:
        json_decref(res);
        return SWB_OK;
}

static swb_err_t rates(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                       swb_slots_buf_t *b)
{
        const char *base = *s->base ? s->base : "USD",
                   *quote = *s->quote ? s->quote : "IDR";
        json_t *args, *res = NULL, *r;
        char rate[64], amount[64], conv[64];
        swb_err_t err;

        if (!strcmp(base, quote))
                quote = strcmp(base, "IDR") ? "IDR" : "USD";
        args = json_pack("{s:s, s:s}", "base", base, "quote", quote);
        if (s->amount > 0 && s->amount <= 1e12)
                json_object_set_new(args, "amount", json_real(s->amount));
        if ((err =
                 swb_planner_call(ctx, "search_currency_rates", args, "plan-1", &res)))
                return err;
        if (swb_tools_is_error(res, NULL)) {
                char what[32];
                snprintf(what, sizeof(what), "%s/%s", base, quote);
                swb_planner_add_error(b, res, what, s->id);
                goto out;
        }
        r = json_array_get(json_object_get(res, "rates"), 0);
        swb_slots_number(swb_tools_num(r, "rate", 0), s->id, rate, sizeof(rate));
        if (s->amount > 0) {
                swb_slots_money(s->amount, base, s->id, amount, sizeof(amount));
                swb_slots_money(swb_tools_num(r, "converted", 0), quote, s->id, conv,
                                sizeof(conv));
                swb_slots_add(b, "%s = %s ", amount, conv);
                swb_slots_add(b, "(1 %s = %s %s", base, rate, quote);
        } else
                swb_slots_add(b, "1 %s = %s %s (", base, rate, quote);
        swb_slots_add(
            b, s->id ? "%skurs per %s, sumber: %s)." : "%srate of %s, source: %s).",
            s->amount > 0 ? "; " : "", swb_tools_str(r, "updated_at", ""),
            swb_tools_str(r, "source", ""));
out:
        json_decref(res);
        return SWB_OK;
}

/* The query for the knowledge base: at most 300 bytes, cut at a character. */
static size_t query_len(const char *text)
{
        size_t n = strlen(text);
        if (n <= 300)
                return n;
        n = 300;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
                n--;
        return n;
}

/* The knowledge base: in the user's language first, else any. */
static swb_err_t knowledge(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                           bool *found, swb_slots_buf_t *b)
{
        json_t *args, *res = NULL, *a;
        size_t i;
        swb_err_t err;

        *found = false;
        args = json_pack("{s:s%, s:s, s:i}", "query", ctx->text, query_len(ctx->text),
                         "lang", s->id ? "id" : "en", "limit", 2);
        if ((err = swb_planner_call(ctx, "query_knowledge_base", args, "plan-1", &res)))
                return err;
        if (json_array_size(json_object_get(res, "articles")) == 0) {
                json_decref(res);
                res = NULL;
                args = json_pack("{s:s%, s:i}", "query", ctx->text,
                                 query_len(ctx->text), "limit", 2);
                if ((err = swb_planner_call(ctx, "query_knowledge_base", args, "plan-2",
                                            &res)))
                        return err;
        }
        if (json_array_size(json_object_get(res, "articles")) == 0)
                goto out;
        *found = true;
        swb_slots_add(b,
                      s->id ? "Dari pusat bantuan kami:\n" : "From our help centre:\n");
        json_array_foreach(json_object_get(res, "articles"), i, a)
        {
                const char *passage = swb_tools_str(a, "passage", "");
                size_t n = strlen(passage);
                if (n > PASSAGE_MAX) { /* cut at a word */
                        n = PASSAGE_MAX;
                        while (n > PASSAGE_MAX / 2 && passage[n] != ' ')
                                n--;
                }
                swb_slots_add(b, "- %s: %.*s%s\n", swb_tools_str(a, "title", ""),
                              (int)n, passage, n < strlen(passage) ? " ..." : "");
        }
        swb_slots_add(
            b, s->id ? "Ada lagi yang bisa saya bantu? Saya juga bisa menampilkan atau "
                       "membatalkan pesanan Anda."
                     : "Anything else? I can also show your bookings or cancel one.");
out:
        json_decref(res);
        return SWB_OK;
}

static void ask(const struct swb_slots *s, swb_slots_buf_t *b)
{
        if (s->cancel || s->pay)
                swb_slots_add(
                    b,
                    s->id
                        ? "Pesanan yang mana? Sebutkan nomornya, misalnya '%s pesanan "
                          "42'. Lihat nomornya dengan 'riwayat pesanan saya'."
                        : "Which booking? Give its number, e.g. '%s booking 42'. "
                          "See the numbers with 'show my bookings'.",
                    swb_agents_verb(s));
        else
                swb_slots_add(
                    b,
                    s->id
                        ? "Maaf, saya belum mengerti. Saya bisa menampilkan pesanan "
                          "Anda "
                          "('riwayat pesanan saya'), membatalkan pesanan ('batalkan "
                          "pesanan 42'), memberi kurs ('kurs dolar') dan menjawab "
                          "pertanyaan seperti 'bagaimana kebijakan refund'. Apa yang "
                          "Anda perlukan?"
                        : "Sorry, I didn't get that. I can show your bookings ('show "
                          "my "
                          "bookings'), cancel one ('cancel booking 42'), give currency "
                          "rates ('USD to IDR rate') and answer questions like 'what "
                          "is "
                          "the baggage allowance'. What do you need?");
}

static swb_err_t customer_service_plan(const struct swb_agent_ctx *ctx,
                                       struct swb_agent_answer *out, char *errstr,
                                       size_t errstr_size)
{
        swb_date_t today = swb_date_today();
        struct swb_slots s;
        swb_slots_buf_t b = {0};
        bool money, found = true;
        swb_err_t err = SWB_OK;

        swb_slots_parse(ctx->text, ctx->locale, today, &s);
        money = *s.base || (s.rate && !s.kb_topic);
        if (swb_slots_elsewhere(ctx->request, ctx->text, "customer_service") &&
            !s.booking_id && !s.history && !money && !s.kb_topic) {
                out->escalate = true;
                return SWB_OK;
        }
        if (s.cancel && s.booking_id)
                err = cancel(ctx, &s, &b);
        else if (s.booking_id)
                err = booking(ctx, &s, &b);
        else if ((s.cancel || s.pay) && !s.question && !s.kb_topic) {
                ask(&s, &b);
                swb_slots_add(&b, "\n");
                err = history(ctx, &s, &b);
        } else if (s.history && !s.question)
                err = history(ctx, &s, &b);
        else if (money)
                err = rates(ctx, &s, &b);
        else if (s.history)
                err = history(ctx, &s, &b);
        else if (ctx->text && *ctx->text &&
                 (err = knowledge(ctx, &s, &found, &b)) == SWB_OK && !found)
                ask(&s, &b);
        if (err) {
                swb_free(swb_slots_take(&b));
                swb_seterr(errstr, errstr_size, err,
                           "customer service planner: a tool failed");
                return err;
        }
        if (!b.len)
                ask(&s, &b);
        out->text = swb_slots_take(&b);
        return SWB_OK;
}

/* clang-format off */
const struct swb_agent_plugin swb_agent_customer_service = {
        .name = "customer_service",
        .description = "Bookings, cancellations, currency rates, travel information",
        .system_prompt = "You are customer service of a travel agency. Help with the user's bookings (history, details, cancellation), currency rates, and travel questions (visas, luggage, policies) using the knowledge base. Only the user's own bookings can be seen or changed.",
        .tools = swb_tools_service,
        .n_tools = SWB_ARRAY_LEN(swb_tools_service),
        .plan = customer_service_plan,
};
/* clang-format on */
