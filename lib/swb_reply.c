#include "swb_reply.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_mem.h"

/* ================================================================ replies */

void swb_slots_add(swb_slots_buf_t *b, const char *fmt, ...)
{
        va_list ap;
        int n;
        if (b->cap - b->len < 256 || !b->s) {
                b->cap = b->cap * 2 + 512;
                b->s = swb_realloc(b->s, b->cap);
        }
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
                va_end(ap);
                if (n < 0)
                        return;
                if ((size_t)n < b->cap - b->len)
                        break;
                b->cap = b->len + (size_t)n + 512;
                b->s = swb_realloc(b->s, b->cap);
        }
        b->len += (size_t)n;
}

char *swb_slots_take(swb_slots_buf_t *b)
{
        char *s = b->s ? b->s : swb_strdup("");
        memset(b, 0, sizeof(*b));
        return s;
}

/* Group the integer part of a printed number: 3200000.5 -> 3,200,000.5 */
static void group(const char *num, char sep, char dec, char *out, size_t out_size)
{
        const char *dot = strchr(num, '.');
        size_t ilen = dot ? (size_t)(dot - num) : strlen(num), i, k = 0, lead;
        bool neg = num[0] == '-';
        if (neg && k + 1 < out_size)
                out[k++] = '-', num++, ilen--;
        lead = ilen % 3 ? ilen % 3 : 3;
        for (i = 0; i < ilen && k + 2 < out_size; i++) {
                if (i && (i - lead) % 3 == 0 && i >= lead)
                        out[k++] = sep;
                out[k++] = num[i];
        }
        if (dot && k + 1 < out_size) {
                out[k++] = dec;
                for (i = 1; dot[i] && k + 1 < out_size; i++)
                        out[k++] = dot[i];
        }
        out[k] = '\0';
}

const char *swb_slots_number(double v, bool id, char *out, size_t out_size)
{
        char raw[64];
        if (fabs(v) >= 1000)
                snprintf(raw, sizeof(raw), "%.2f", v);
        else
                snprintf(raw, sizeof(raw), "%.6g", v);
        if (strchr(raw, 'e'))
                snprintf(raw, sizeof(raw), "%.8f", v);
        if (strchr(raw, '.')) { /* trim trailing zeros */
                size_t n = strlen(raw);
                while (n && raw[n - 1] == '0')
                        raw[--n] = '\0';
                if (n && raw[n - 1] == '.')
                        raw[--n] = '\0';
        }
        group(raw, id ? '.' : ',', id ? ',' : '.', out, out_size);
        return out;
}

const char *swb_slots_money(double amount, const char *currency, bool id, char *out,
                            size_t out_size)
{
        char raw[64], num[80];
        double cents = fabs(amount - floor(amount));
        if (currency && (!strcmp(currency, "IDR") || !strcmp(currency, "JPY") ||
                         !strcmp(currency, "KRW") || !strcmp(currency, "VND")))
                snprintf(raw, sizeof(raw), "%.0f", amount);
        else if (cents < 0.005 || cents > 0.995)
                snprintf(raw, sizeof(raw), "%.0f", amount);
        else
                snprintf(raw, sizeof(raw), "%.2f", amount);
        group(raw, id ? '.' : ',', id ? ',' : '.', num, sizeof(num));
        snprintf(out, out_size, "%s %s", currency && *currency ? currency : "", num);
        return out;
}

const char *swb_slots_method_name(const char *method, bool id)
{
        static const char *const names[][3] = {
            {"credit_card", "credit card", "kartu kredit"},
            {"debit_card", "debit card", "kartu debit"},
            {"bank_transfer", "bank transfer", "transfer bank"},
            {"virtual_account", "virtual account", "virtual account"},
            {"e_wallet", "e-wallet", "dompet digital"},
        };
        for (size_t i = 0; method && i < SWB_ARRAY_LEN(names); i++)
                if (!strcmp(method, names[i][0]))
                        return names[i][id ? 2 : 1];
        return method ? method : "";
}

static const char *jstr(const json_t *o, const char *key, const char *dflt)
{
        const char *v = json_string_value(json_object_get(o, key));
        return v ? v : dflt;
}

char *swb_slots_tool_error(const json_t *result, const char *what, bool id)
{
        const json_t *e = json_object_get(result, "error");
        const char *code = jstr(e, "code", ""), *msg = jstr(e, "message", "");

        if (!strcmp(code, "not_found"))
                return id ? swb_asprintf("Maaf, %s tidak ditemukan (%s).", what, msg)
                          : swb_asprintf("Sorry, I couldn't find %s (%s).", what, msg);
        if (!strcmp(code, "forbidden"))
                return id ? swb_asprintf(
                                "Maaf, %s milik pengguna lain, jadi tidak bisa saya "
                                "lihat atau ubah.",
                                what)
                          : swb_asprintf(
                                "Sorry, %s belongs to another user, so I can't see or "
                                "change it.",
                                what);
        if (!strcmp(code, "not_available"))
                return id ? swb_asprintf("Maaf, tidak tersedia: %s.", msg)
                          : swb_asprintf("Sorry, that is not available: %s.", msg);
        if (!strcmp(code, "invalid_state") || !strcmp(code, "wrong_booking_type"))
                return id ? swb_asprintf("Maaf, tidak bisa diproses: %s.", msg)
                          : swb_asprintf("Sorry, I can't do that: %s.", msg);
        if (!strcmp(code, "invalid_argument"))
                return id ? swb_asprintf("Maaf, ada yang kurang tepat: %s.", msg)
                          : swb_asprintf(
                                "Sorry, something in the request doesn't work: %s.",
                                msg);
        return id ? swb_asprintf("Maaf, terjadi kesalahan (%s). Silakan coba lagi.",
                                 msg)
                  : swb_asprintf("Sorry, something went wrong (%s). Please try again.",
                                 msg);
}

static const char *kind_name(const char *kind, bool id)
{
        if (!id)
                return kind;
        return !strcmp(kind, "flight") ? "penerbangan"
               : !strcmp(kind, "tour") ? "tur"
                                       : kind;
}

void swb_slots_add_paid(swb_slots_buf_t *b, const json_t *result, bool id)
{
        const json_t *pay = json_object_get(result, "payment");
        char money[64];
        swb_slots_money(json_number_value(json_object_get(pay, "amount")),
                        jstr(pay, "currency", ""), id, money, sizeof(money));
        if (id)
                swb_slots_add(
                    b,
                    "Pembayaran berhasil: pesanan %lld (%s) sebesar %s dibayar dengan "
                    "%s, transaksi %s. Status: lunas (paid).",
                    (long long)json_integer_value(
                        json_object_get(result, "booking_id")),
                    kind_name(jstr(result, "kind", ""), true), money,
                    swb_slots_method_name(jstr(pay, "method", ""), true),
                    jstr(pay, "transaction_id", ""));
        else
                swb_slots_add(
                    b,
                    "Payment done: booking %lld (%s), %s paid by %s, transaction %s. "
                    "Status: paid.",
                    (long long)json_integer_value(
                        json_object_get(result, "booking_id")),
                    jstr(result, "kind", ""), money,
                    swb_slots_method_name(jstr(pay, "method", ""), false),
                    jstr(pay, "transaction_id", ""));
}

void swb_slots_add_cancelled(swb_slots_buf_t *b, const json_t *result, bool id)
{
        const json_t *refund = json_object_get(result, "refund");
        long long bid =
            (long long)json_integer_value(json_object_get(result, "booking_id"));
        char money[64];

        if (id)
                swb_slots_add(b, "Pesanan %lld (%s) sudah dibatalkan.", bid,
                              kind_name(jstr(result, "kind", ""), true));
        else
                swb_slots_add(b, "Booking %lld (%s) is cancelled.", bid,
                              jstr(result, "kind", ""));
        if (json_is_object(refund)) {
                swb_slots_money(json_number_value(json_object_get(refund, "amount")),
                                jstr(refund, "currency", ""), id, money, sizeof(money));
                if (id)
                        swb_slots_add(
                            b, " Dana %s dikembalikan ke %s, transaksi refund %s.",
                            money,
                            swb_slots_method_name(jstr(refund, "method", ""), true),
                            jstr(refund, "transaction_id", ""));
                else
                        swb_slots_add(
                            b, " %s is refunded to your %s, refund transaction %s.",
                            money,
                            swb_slots_method_name(jstr(refund, "method", ""), false),
                            jstr(refund, "transaction_id", ""));
        } else
                swb_slots_add(b, id ? " Belum ada pembayaran, jadi tidak ada refund."
                                    : " Nothing had been paid, so there is no refund.");
}
