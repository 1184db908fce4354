#include "swb_slots_numbers.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_slots_lex.h"

/* ================================================================ numbers, ids, people
 */

void swb__slots_numbers_people(struct swb__slots_parser *p)
{
        struct swb_slots *s = p->s;
        int i, guests = 0;
        for (i = 0; i < p->n; i++) {
                struct swb__slots_tok *t = &p->t[i], *nx = swb__slots_lex_at(p, i + 1),
                                      *pv = swb__slots_lex_at(p, i - 1);
                int n = t->used ? 0 : swb__slots_lex_word_number(t);
                char unit[16];
                /* 3-night, 5-star */
                if (!t->used && t->kind == SWB__SLOTS_T_WORD &&
                    sscanf(t->low, "%d-%15s", &n, unit) == 2 && n > 0 && n < 100) {
                        struct swb__slots_tok u = {0};
                        snprintf(u.low, sizeof(u.low), "%s", unit);
                        if (swb__slots_lex_in_list(&u, swb__slots_lex_night_units) &&
                            !s->nights)
                                s->nights = n, t->used = true;
                        else if (swb__slots_lex_in_list(&u,
                                                        swb__slots_lex_star_units) &&
                                 n <= 5)
                                s->min_stars = n, t->used = true;
                        else if (swb__slots_lex_in_list(&u, swb__slots_lex_guest_units))
                                guests += n, t->used = true;
                        continue;
                }
                if (n && n <= 50 &&
                    swb__slots_lex_in_list(nx, swb__slots_lex_guest_units)) {
                        guests += n;
                        swb__slots_lex_use(p, i, i + 1);
                        if (swb__slots_lex_is(nx, "orang") &&
                            swb__slots_lex_is(swb__slots_lex_at(p, i + 2), "dewasa"))
                                swb__slots_lex_use(p, i + 2, i + 2);
                        continue;
                }
                if (n && n <= 60 &&
                    swb__slots_lex_in_list(nx, swb__slots_lex_night_units)) {
                        s->nights = n;
                        swb__slots_lex_use(p, i, i + 1);
                        continue;
                }
                if (n && n <= 9 &&
                    swb__slots_lex_in_list(nx, swb__slots_lex_room_units) &&
                    !(t->kind == SWB__SLOTS_T_NUM && pv &&
                      (swb__slots_lex_is(pv, "type") ||
                       swb__slots_lex_is(pv, "tipe")))) {
                        s->rooms = n;
                        swb__slots_lex_use(p, i, i + 1);
                        continue;
                }
                if (n && n <= 5 &&
                    swb__slots_lex_in_list(nx, swb__slots_lex_star_units)) {
                        s->min_stars = n;
                        swb__slots_lex_use(p, i, i + 1);
                        continue;
                }
                if (swb__slots_lex_is(t, "bintang") &&
                    (n = swb__slots_lex_word_number(nx)) && n <= 5) {
                        s->min_stars = n;
                        swb__slots_lex_use(p, i, i + 1);
                        continue;
                }
                /* for a week, selama seminggu, for 3 days */
                if ((swb__slots_lex_is(pv, "for") || swb__slots_lex_is(pv, "selama")) &&
                    !t->used) {
                        if ((swb__slots_lex_is(t, "a") || swb__slots_lex_is(t, "one") ||
                             n == 1) &&
                            (swb__slots_lex_is(nx, "week"))) {
                                s->nights = 7;
                                swb__slots_lex_use(p, i, i + 1);
                                continue;
                        }
                        if (n && n <= 60 &&
                            swb__slots_lex_in_list(nx, swb__slots_lex_day_units)) {
                                s->nights = n;
                                swb__slots_lex_use(p, i, i + 1);
                                continue;
                        }
                }
                if (swb__slots_lex_is(t, "seminggu") && !s->nights) {
                        s->nights = 7;
                        swb__slots_lex_use(p, i, i);
                        continue;
                }
                if ((swb__slots_lex_is(t, "semalam") ||
                     swb__slots_lex_is(t, "overnight")) &&
                    !s->nights) {
                        s->nights = 1;
                        swb__slots_lex_use(p, i, i);
                        continue;
                }
                if ((swb__slots_lex_is(t, "a") || swb__slots_lex_is(t, "one")) &&
                    swb__slots_lex_is(nx, "night") && !s->nights) {
                        s->nights = 1;
                        swb__slots_lex_use(p, i, i + 1);
                        continue;
                }
                if (swb__slots_lex_is(t, "berdua") || swb__slots_lex_is(t, "bertiga") ||
                    swb__slots_lex_is(t, "berempat") ||
                    swb__slots_lex_is(t, "berlima")) {
                        guests = swb__slots_lex_is(t, "berdua")     ? 2
                                 : swb__slots_lex_is(t, "bertiga")  ? 3
                                 : swb__slots_lex_is(t, "berempat") ? 4
                                                                    : 5;
                        t->used = true;
                        continue;
                }
                if ((swb__slots_lex_is(t, "couple") &&
                     (swb__slots_lex_is(pv, "a") || swb__slots_lex_is(pv, "for"))) ||
                    swb__slots_lex_is(t, "honeymoon")) {
                        if (!guests)
                                guests = 2;
                        continue;
                }
                if (swb__slots_lex_is(t, "alone") || swb__slots_lex_is(t, "solo") ||
                    swb__slots_lex_is(t, "sendiri") ||
                    swb__slots_lex_is(t, "sendirian")) {
                        if (!guests)
                                guests = 1;
                        continue;
                }
                /* for two, untuk 2, party of 4 */
                if (n && n <= 20 && !t->used &&
                    (swb__slots_lex_is(pv, "for") || swb__slots_lex_is(pv, "untuk") ||
                     (swb__slots_lex_is(pv, "of") &&
                      (swb__slots_lex_is(swb__slots_lex_at(p, i - 2), "party") ||
                       swb__slots_lex_is(swb__slots_lex_at(p, i - 2), "group")))) &&
                    (!nx || nx->kind == SWB__SLOTS_T_PUNCT ||
                     (!swb__slots_lex_is_unit(nx) && !swb__slots_lex_month_of(nx) &&
                      !swb__slots_lex_is_range_word(nx) &&
                      nx->kind != SWB__SLOTS_T_NUM))) {
                        guests = n;
                        t->used = true;
                        continue;
                }
        }
        if (guests > 0)
                s->guests = guests > 50 ? 50 : guests;
}

/* The number after a keyword: "booking 42", "booking #42", "hotel id: 12", "no. 42". */
static long long id_after(struct swb__slots_parser *p, int i, int *last)
{
        int k = i + 1, skipped = 0;
        while (skipped < 3 && swb__slots_lex_at(p, k) &&
               (swb__slots_lex_is(swb__slots_lex_at(p, k), "id") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "no") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "nomor") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "number") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "nr") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "#") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), ":") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), ".") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "ref") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "code") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "kode") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "=") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "saya") ||
                swb__slots_lex_is(swb__slots_lex_at(p, k), "anda")))
                k++, skipped++;
        if (!swb__slots_lex_at(p, k) || p->t[k].used ||
            !swb__slots_lex_int_of(swb__slots_lex_at(p, k)))
                return 0;
        /* "hotel 5 stars", "hotel 3 nights": a count, not an id */
        if (swb__slots_lex_is_unit(swb__slots_lex_at(p, k + 1)) ||
            swb__slots_lex_month_of(swb__slots_lex_at(p, k + 1)))
                return 0;
        *last = k;
        return swb__slots_lex_int_of(swb__slots_lex_at(p, k));
}

void swb__slots_numbers_ids(struct swb__slots_parser *p)
{
        static const char *const booking_kw[] = {
            "booking", "reservation", "reservasi", "pesanan",
            "order",   "pemesanan",   "bookingan", NULL};
        static const char *const hotel_kw[] = {"hotel", "hotels", "resort",
                                               "penginapan", NULL};
        static const char *const flight_kw[] = {"flight", "penerbangan", "pesawat",
                                                NULL};
        static const char *const tour_kw[] = {
            "tour", "tur", "paket", "package", "trip", "activity", "aktivitas", NULL};
        static const char *const kind_kw[] = {
            "hotel",  "kamar", "room", "flight", "penerbangan", "pesawat", "tiket",
            "ticket", "tour",  "tur",  "paket",  "package",     "wisata",  NULL};
        static const char *const verbs[] = {"cancel",      "batalkan", "batal",
                                            "membatalkan", "pay",      "bayar",
                                            "membayar",    "lunasi",   NULL};
        struct swb_slots *s = p->s;
        int i, last = 0;
        long long v;

        for (i = 0; i < p->n; i++) {
                struct swb__slots_tok *t = &p->t[i];
                if (t->used || t->kind != SWB__SLOTS_T_WORD)
                        continue;
                if (swb__slots_lex_in_list(t, booking_kw) &&
                    ((v = id_after(p, i, &last)) ||
                     /* "booking hotel 42", "pesanan tur 7", "booking kamar hotel 42" */
                     (swb__slots_lex_in_list(swb__slots_lex_at(p, i + 1), kind_kw) &&
                      (v = id_after(p, i + 1, &last))) ||
                     (swb__slots_lex_in_list(swb__slots_lex_at(p, i + 1), kind_kw) &&
                      swb__slots_lex_in_list(swb__slots_lex_at(p, i + 2), kind_kw) &&
                      (v = id_after(p, i + 2, &last))))) {
                        if (!s->booking_id)
                                s->booking_id = v;
                } else if (swb__slots_lex_in_list(t, hotel_kw) &&
                           (v = id_after(p, i, &last))) {
                        if (!s->hotel_id)
                                s->hotel_id = v;
                } else if (swb__slots_lex_in_list(t, flight_kw) &&
                           (v = id_after(p, i, &last))) {
                        if (!s->flight_id)
                                s->flight_id = v;
                } else if (swb__slots_lex_in_list(t, tour_kw) &&
                           (v = id_after(p, i, &last))) {
                        if (!s->tour_id)
                                s->tour_id = v;
                } else if (((swb__slots_lex_is(t, "room") ||
                             swb__slots_lex_is(t, "kamar")) &&
                            (swb__slots_lex_is(swb__slots_lex_at(p, i + 1), "type") ||
                             swb__slots_lex_is(swb__slots_lex_at(p, i + 1), "tipe") ||
                             swb__slots_lex_is(swb__slots_lex_at(p, i + 1),
                                               "types"))) ||
                           ((swb__slots_lex_is(t, "tipe") ||
                             swb__slots_lex_is(t, "type")) &&
                            swb__slots_lex_is(swb__slots_lex_at(p, i + 1), "kamar"))) {
                        if ((v = id_after(p, i + 1, &last)) && !s->room_type_id) {
                                s->room_type_id = v;
                                swb__slots_lex_use(p, i, last);
                        }
                        continue;
                } else if ((swb__slots_lex_is(t, "room") ||
                            swb__slots_lex_is(t, "kamar") ||
                            swb__slots_lex_is(t, "type") ||
                            swb__slots_lex_is(t, "tipe") ||
                            swb__slots_lex_is(t, "roomtype") ||
                            swb__slots_lex_is(t, "room_type_id")) &&
                           (v = id_after(p, i, &last))) {
                        if (!s->room_type_id)
                                s->room_type_id = v;
                } else if (swb__slots_lex_in_list(t, verbs) &&
                           (v = id_after(p, i, &last))) {
                        if (!s->booking_id)
                                s->booking_id = v;
                } else
                        continue;
                swb__slots_lex_use(p, i, last);
        }
        /* a lone "#42" or "nomor 42" is a booking */
        for (i = 0; i + 1 < p->n; i++)
                if ((swb__slots_lex_is(&p->t[i], "#") ||
                     swb__slots_lex_is(&p->t[i], "nomor") ||
                     swb__slots_lex_is(&p->t[i], "number") ||
                     swb__slots_lex_is(&p->t[i], "no")) &&
                    !p->t[i + 1].used && swb__slots_lex_int_of(&p->t[i + 1]) &&
                    !s->booking_id &&
                    !swb__slots_lex_is_unit(swb__slots_lex_at(p, i + 2))) {
                        s->booking_id = swb__slots_lex_int_of(&p->t[i + 1]);
                        swb__slots_lex_use(p, i, i + 1);
                }
}

/* ================================================================ currencies */

struct cur_word {
        const char *word, *code;
};

static const char *currency_at(struct swb__slots_parser *p, int i)
{
        static const char *const codes[] = {
            "USD", "IDR", "SGD", "MYR", "THB", "JPY", "KRW", "AUD", "HKD", "AED", "CNY",
            "EUR", "GBP", "SAR", "INR", "PHP", "VND", "CHF", "CAD", "NZD", "TWD", NULL};
        static const struct cur_word words[] = {
            {"rupiah", "IDR"},        {"rp", "IDR"},       {"euro", "EUR"},
            {"euros", "EUR"},         {"yen", "JPY"},      {"ringgit", "MYR"},
            {"baht", "THB"},          {"pound", "GBP"},    {"pounds", "GBP"},
            {"poundsterling", "GBP"}, {"sterling", "GBP"}, {"yuan", "CNY"},
            {"renminbi", "CNY"},      {"rmb", "CNY"},      {"riyal", "SAR"},
            {"rial", "SAR"},          {"dirham", "AED"},   {"rupee", "INR"},
            {"rupees", "INR"},        {"peso", "PHP"},     {"pesos", "PHP"},
            {"franc", "CHF"},         {"francs", "CHF"},   {NULL, NULL}};
        struct swb__slots_tok *t = swb__slots_lex_at(p, i),
                              *pv = swb__slots_lex_at(p, i - 1),
                              *nx = swb__slots_lex_at(p, i + 1);
        int k;
        if (!t)
                return NULL;
        for (k = 0; codes[k]; k++)
                if (t->len == 3 && !strncasecmp(t->low, codes[k], 3))
                        return codes[k];
        if (swb__slots_lex_is(t, "$"))
                return "USD";
        if (swb__slots_lex_is(t, "dollar") || swb__slots_lex_is(t, "dollars") ||
            swb__slots_lex_is(t, "dolar")) {
                if (swb__slots_lex_is(pv, "singapore") ||
                    swb__slots_lex_is(nx, "singapura") ||
                    swb__slots_lex_is(nx, "singapore") || swb__slots_lex_is(pv, "sg"))
                        return "SGD";
                if (swb__slots_lex_is(pv, "australian") ||
                    swb__slots_lex_is(nx, "australia") ||
                    swb__slots_lex_is(pv, "aussie"))
                        return "AUD";
                if (swb__slots_lex_is(pv, "kong") ||
                    swb__slots_lex_is(nx, "hongkong") || swb__slots_lex_is(pv, "hk") ||
                    (swb__slots_lex_is(nx, "hong") &&
                     swb__slots_lex_is(swb__slots_lex_at(p, i + 2), "kong")))
                        return "HKD";
                if (swb__slots_lex_is(pv, "canadian") ||
                    swb__slots_lex_is(nx, "kanada") || swb__slots_lex_is(nx, "canada"))
                        return "CAD";
                if (swb__slots_lex_is(pv, "zealand"))
                        return "NZD";
                if (swb__slots_lex_is(pv, "taiwan") || swb__slots_lex_is(nx, "taiwan"))
                        return "TWD";
                return "USD";
        }
        if (swb__slots_lex_is(t, "won") &&
            (swb__slots_lex_is(pv, "korean") || swb__slots_lex_is(nx, "korea") ||
             swb__slots_lex_is(pv, "korea")))
                return "KRW";
        if (swb__slots_lex_is(t, "dong") &&
            (swb__slots_lex_is(pv, "vietnamese") || swb__slots_lex_is(nx, "vietnam") ||
             swb__slots_lex_is(pv, "vietnam")))
                return "VND";
        if (swb__slots_lex_is(t, "rm") && nx && nx->kind == SWB__SLOTS_T_NUM)
                return "MYR";
        for (k = 0; words[k].word; k++)
                if (swb__slots_lex_is(t, words[k].word))
                        return words[k].code;
        return NULL;
}

static double multiplier(const struct swb__slots_tok *t)
{
        if (swb__slots_lex_is(t, "juta") || swb__slots_lex_is(t, "jt") ||
            swb__slots_lex_is(t, "million") || swb__slots_lex_is(t, "mio"))
                return 1e6;
        if (swb__slots_lex_is(t, "ribu") || swb__slots_lex_is(t, "rb") ||
            swb__slots_lex_is(t, "k") || swb__slots_lex_is(t, "thousand"))
                return 1e3;
        if (swb__slots_lex_is(t, "miliar") || swb__slots_lex_is(t, "milyar") ||
            swb__slots_lex_is(t, "billion"))
                return 1e9;
        return 0;
}

void swb__slots_numbers_money(struct swb__slots_parser *p)
{
        struct swb_slots *s = p->s;
        const char *found[4];
        int nf = 0, i, amount_cur = -1;

        for (i = 0; i < p->n && nf < 4; i++) {
                const char *c = currency_at(p, i);
                struct swb__slots_tok *t = &p->t[i];
                /* "Rp100.000" as one token */
                if (!c && t->kind == SWB__SLOTS_T_WORD && !strncmp(t->low, "rp", 2) &&
                    isdigit((unsigned char)t->low[2])) {
                        double v;
                        bool integer;
                        if (swb__slots_lex_parse_number(p->text + t->off + 2,
                                                        t->len - 2, &v, &integer)) {
                                s->amount =
                                    v * (multiplier(swb__slots_lex_at(p, i + 1))
                                             ? multiplier(swb__slots_lex_at(p, i + 1))
                                             : 1);
                                amount_cur = nf;
                                c = "IDR";
                        }
                }
                if (!c)
                        continue;
                t->used = true;
                for (int k = 0; k < nf && c; k++)
                        if (!strcmp(found[k], c)) {
                                if (amount_cur == nf)
                                        amount_cur = k; /* "Rp100.000" after "rupiah" */
                                c = NULL;
                        }
                if (!c)
                        continue;
                /* an amount next to it: 100 USD, $100, Rp 1.000.000, 1,5 juta rupiah */
                if (!s->amount) {
                        struct swb__slots_tok *nx = swb__slots_lex_at(p, i + 1),
                                              *pv = swb__slots_lex_at(p, i - 1),
                                              *pv2 = swb__slots_lex_at(p, i - 2);
                        /* after a code or symbol only: "USD 100", "$100", but "100
                         * dollars" */
                        bool sym = t->len <= 3 || t->kind == SWB__SLOTS_T_PUNCT;
                        if (pv && pv->kind == SWB__SLOTS_T_NUM && !pv->used) {
                                s->amount = pv->val;
                                amount_cur = nf;
                        } else if (multiplier(pv) && pv2 &&
                                   pv2->kind == SWB__SLOTS_T_NUM && !pv2->used) {
                                s->amount = pv2->val * multiplier(pv);
                                amount_cur = nf;
                        } else if (sym && nx && nx->kind == SWB__SLOTS_T_NUM &&
                                   !nx->used &&
                                   !swb__slots_lex_in_list(
                                       swb__slots_lex_at(p, i + 2),
                                       swb__slots_lex_night_units)) {
                                s->amount =
                                    nx->val *
                                    (multiplier(swb__slots_lex_at(p, i + 2))
                                         ? multiplier(swb__slots_lex_at(p, i + 2))
                                         : 1);
                                amount_cur = nf;
                        }
                }
                found[nf++] = c;
        }
        if (nf == 0)
                return;
        if (nf == 1) {
                /* one currency: against the rupiah (rupiah itself: against the dollar)
                 */
                bool idr = !strcmp(found[0], "IDR");
                snprintf(s->base, sizeof(s->base), "%s",
                         idr && !s->amount ? "USD" : found[0]);
                snprintf(s->quote, sizeof(s->quote), "%s",
                         idr && s->amount ? "USD" : "IDR");
                return;
        }
        /* "100 USD to IDR", "berapa rupiah 100 dolar": the amount's currency is the
         * base */
        if (amount_cur > 0) {
                snprintf(s->base, sizeof(s->base), "%s", found[amount_cur]);
                snprintf(s->quote, sizeof(s->quote), "%s", found[0]);
        } else {
                snprintf(s->base, sizeof(s->base), "%s", found[0]);
                snprintf(s->quote, sizeof(s->quote), "%s", found[1]);
        }
}
