#include "swb_slots.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_mem.h"
#include "swb_router.h"
#include "swb_slots_dates.h"
#include "swb_slots_lex.h"
#include "swb_slots_numbers.h"

/* ================================================================ language */

bool swb_slots_is_indonesian(const char *text, const char *locale)
{
        static const char *const strong[] = {
            "carikan",  "cari",        "tiket",        "pesanan",     "batalkan",
            "bayar",    "besok",       "lusa",         "tolong",      "saya",
            "kamar",    "malam",       "orang",        "penerbangan", "kurs",
            "dolar",    "berapa",      "bagaimana",    "kebijakan",   "pesan",
            "pesankan", "tanggal",     "riwayat",      "tampilkan",   "lihat",
            "wisata",   "menginap",    "penumpang",    "peserta",     "tamu",
            "akhir",    "pekan",       "hari",         "depan",       "dong",
            "mau",      "ingin",       "apakah",       "bisakah",     "terima",
            "kasih",    "murah",       "termurah",     "bisa",        "tidak",
            "belum",    "sudah",       "sampai",       "hingga",      "untuk",
            "dengan",   "yang",        "ada",          "apa",         "aku",
            "kami",     "membatalkan", "pembayaran",   "pemesanan",   "mata",
            "uang",     "bagasi",      "pengembalian", "dana",        "ketersediaan",
            "tersedia", "kosong",      "bintang",      "rupiah",      "nilai",
            "tukar",    "jadwal",      "pergi",        "pulang",      "tur",
            "paket",    "daftar",      "semua",        NULL};
        static const char *const weak[] = {"di",   "ke",   "dari", "ini", "itu", "dan",
                                           "atau", "juga", "saja", "ya",  NULL};
        static const char *const en[] = {
            "the",      "a",        "an",        "in",     "to",         "from",
            "for",      "me",       "my",        "show",   "find",       "what",
            "is",       "are",      "do",        "you",    "have",       "how",
            "tomorrow", "please",   "book",      "cancel", "pay",        "flights",
            "hotels",   "tours",    "guests",    "nights", "rooms",      "with",
            "and",      "of",       "at",        "on",     "next",       "this",
            "i",        "can",      "want",      "need",   "rate",       "today",
            "booking",  "bookings", "available", "people", "passengers", "which",
            "where",    "when",     "allowance", "policy", NULL};
        struct swb__slots_parser p;
        int i, id = 0, eng = 0;

        if (locale && !strncmp(locale, "id", 2))
                return true;
        if (!text)
                return false;
        p.text = text;
        swb__slots_lex_tokenize(&p);
        for (i = 0; i < p.n; i++) {
                if (p.t[i].kind != SWB__SLOTS_T_WORD)
                        continue;
                if (swb__slots_lex_in_list(&p.t[i], strong))
                        id += 2;
                else if (swb__slots_lex_in_list(&p.t[i], weak))
                        id += 1;
                else if (swb__slots_lex_in_list(&p.t[i], en))
                        eng += 2;
        }
        return id > eng;
}

/* ================================================================ places */

static bool is_prep(const struct swb__slots_tok *t, int which)
{
        static const char *const place[] = {
            "in",     "at",      "near", "around", "di",     "dekat", "sekitar",
            "daerah", "kawasan", "area", "kota",   "inside", NULL};
        static const char *const from[] = {"from", "dari", "asal", NULL};
        static const char *const to[] = {"to", "ke", "tujuan", "menuju", "into", NULL};
        return t && t->kind == SWB__SLOTS_T_WORD && !t->used &&
               swb__slots_lex_in_list(t, which == 0   ? place
                                         : which == 1 ? from
                                                      : to);
}

/* The place phrase starting at token i: up to 5 words, as typed. @returns its last
 * token or -1. */
static int phrase(struct swb__slots_parser *p, int i, char *out, size_t out_size)
{
        int first = -1, last = -1;
        while (swb__slots_lex_at(p, i) &&
               (swb__slots_lex_is(swb__slots_lex_at(p, i), "the") ||
                swb__slots_lex_is(swb__slots_lex_at(p, i), "a") ||
                (swb__slots_lex_in_list(swb__slots_lex_at(p, i),
                                        swb__slots_lex_generic_words) &&
                 !p->t[i].used)))
                i++;
        for (; swb__slots_lex_at(p, i) &&
               !swb__slots_lex_is_stop(swb__slots_lex_at(p, i)) &&
               (last < 0 || i - first < 5);
             i++) {
                if (first < 0)
                        first = i;
                last = i;
        }
        if (first < 0)
                return -1;
        snprintf(out, out_size, "%.*s",
                 (int)(p->t[last].off + p->t[last].len - p->t[first].off),
                 p->text + p->t[first].off);
        swb__slots_lex_use(p, first, last);
        return last;
}

static void parse_places(struct swb__slots_parser *p)
{
        struct swb_slots *s = p->s;
        int i, k;

        for (i = 0; i < p->n; i++) {
                struct swb__slots_tok *t = &p->t[i];
                if (is_prep(t, 1) && !*s->origin) {
                        phrase(p, i + 1, s->origin, sizeof(s->origin));
                } else if (is_prep(t, 2) && !*s->destination) {
                        if (phrase(p, i + 1, s->destination, sizeof(s->destination)) >=
                                0 &&
                            !*s->origin) {
                                /* "Jakarta to Denpasar": the words before "to" */
                                int last = i - 1, first = i;
                                while (first - 1 >= 0 && last - first < 4 &&
                                       !swb__slots_lex_is_stop(
                                           swb__slots_lex_at(p, first - 1)))
                                        first--;
                                if (first <= last) {
                                        snprintf(s->origin, sizeof(s->origin), "%.*s",
                                                 (int)(p->t[last].off + p->t[last].len -
                                                       p->t[first].off),
                                                 p->text + p->t[first].off);
                                        swb__slots_lex_use(p, first, last);
                                }
                        }
                } else if (is_prep(t, 0) && !*s->place) {
                        phrase(p, i + 1, s->place, sizeof(s->place));
                }
        }
        /* "Jakarta - Denpasar", "CGK-DPS" */
        if (!*s->origin && !*s->destination) {
                for (i = 1; i + 1 < p->n; i++)
                        if (swb__slots_lex_is(&p->t[i], "-") &&
                            !swb__slots_lex_is_stop(&p->t[i - 1]) &&
                            !swb__slots_lex_is_stop(&p->t[i + 1])) {
                                int a = i - 1, b = i + 1;
                                snprintf(s->origin, sizeof(s->origin), "%.*s",
                                         (int)p->t[a].len, p->text + p->t[a].off);
                                snprintf(s->destination, sizeof(s->destination), "%.*s",
                                         (int)p->t[b].len, p->text + p->t[b].off);
                                swb__slots_lex_use(p, a, b);
                                break;
                        }
                for (i = 0; i < p->n && !*s->origin; i++) {
                        struct swb__slots_tok *t = &p->t[i];
                        const char *dash = strchr(t->low, '-');
                        static const char *const not_routes[] = {
                            "one-way",  "round-trip",  "check-in", "check-out",
                            "e-wallet", "jalan-jalan", "non-stop", NULL};
                        if (t->used || t->kind != SWB__SLOTS_T_WORD || !dash ||
                            strchr(dash + 1, '-') || dash - t->low < 3 ||
                            strlen(dash + 1) < 3 ||
                            swb__slots_lex_in_list(t, not_routes) ||
                            isdigit((unsigned char)t->low[0]))
                                continue;
                        snprintf(s->origin, sizeof(s->origin), "%.*s",
                                 (int)(dash - t->low), p->text + t->off);
                        snprintf(s->destination, sizeof(s->destination), "%s",
                                 p->text + t->off + (dash - t->low) + 1);
                        s->destination[t->len - (size_t)(dash - t->low) - 1 <
                                               sizeof(s->destination)
                                           ? t->len - (size_t)(dash - t->low) - 1
                                           : sizeof(s->destination) - 1] = '\0';
                        t->used = true;
                }
        }
        /* the words nothing else took */
        {
                size_t len = 0;
                for (i = 0, k = 0; i < p->n; i++) {
                        struct swb__slots_tok *t = &p->t[i];
                        if (swb__slots_lex_is_stop(t) || t->len >= 40)
                                continue;
                        if (len + t->len + 2 >= sizeof(s->place_guess) || k == 4)
                                break;
                        len += (size_t)snprintf(
                            s->place_guess + len, sizeof(s->place_guess) - len,
                            "%s%.*s", len ? " " : "", (int)t->len, p->text + t->off);
                        k++;
                }
        }
}

/* ================================================================ intents and filters
 */

static void parse_intents(struct swb__slots_parser *p)
{
        static const char *const cancel[] = {"cancel",      "batalkan", "batal",
                                             "membatalkan", "batalin",  "cancelling",
                                             "canceling",   NULL};
        static const char *const pay[] = {"pay",      "paying",   "bayar",
                                          "membayar", "bayarkan", "lunasi",
                                          "melunasi", "bayarin",  NULL};
        static const char *const book[] = {"book",    "reserve", "pesan", "pesankan",
                                           "memesan", "pesenin", "order", "ambil",
                                           "booked",  NULL};
        static const char *const avail[] = {
            "available", "availability", "vacancy", "vacancies", "free",
            "tersedia",  "ketersediaan", "kosong",  "sisa",      "check",
            "cek",       "left",         NULL};
        static const char *const history[] = {
            "bookings", "reservations", "orders",    "history",
            "riwayat",  "trips",        "reservasi", NULL};
        static const char *const rate[] = {"rate",    "rates",      "exchange", "kurs",
                                           "convert", "conversion", "konversi", "tukar",
                                           "kurs",    NULL};
        static const char *const all[] = {"all", "list", "semua", "daftar", NULL};
        static const char *const kb[] = {
            "baggage",      "luggage",   "bagasi",        "visa",       "refund",
            "refunds",      "policy",    "policies",      "kebijakan",  "insurance",
            "asuransi",     "passport",  "paspor",        "check-in",   "checkin",
            "allowance",    "rules",     "aturan",        "health",     "kesehatan",
            "vaccine",      "vaksin",    "customs",       "bea",        "levy",
            "pungutan",     "tips",      "compensation",  "kompensasi", "delay",
            "delayed",      "terlambat", "keterlambatan", "methods",    "metode",
            "pengembalian", "guide",     "panduan",       "weather",    "cuaca",
            "season",       "musim",     "faq",           "help",       "bantuan",
            "terms",        "syarat",    "documents",     "dokumen",    "charged",
            "tertagih",     "failed",    "gagal",         NULL};
        static const char *const questions[] = {
            "how",    "what",    "can",     "is",     "are",      "do",
            "does",   "why",     "when",    "where",  "which",    "bagaimana",
            "apa",    "apakah",  "bisakah", "boleh",  "berapa",   "kapan",
            "dimana", "mengapa", "kenapa",  "gimana", "bolehkah", NULL};
        struct swb_slots *s = p->s;
        int i;

        for (i = 0; i < p->n; i++) {
                struct swb__slots_tok *t = &p->t[i], *nx = swb__slots_lex_at(p, i + 1);
                if (t->kind == SWB__SLOTS_T_PUNCT && t->low[0] == '?')
                        s->question = true;
                if (t->kind != SWB__SLOTS_T_WORD)
                        continue;
                if (i == 0 && swb__slots_lex_in_list(t, questions))
                        s->question = true;
                if (swb__slots_lex_in_list(t, cancel))
                        s->cancel = true;
                if (swb__slots_lex_in_list(t, pay))
                        s->pay = true;
                if (swb__slots_lex_in_list(t, book) &&
                    !(swb__slots_lex_is(t, "order") && swb__slots_lex_int_of(nx)))
                        s->book = true;
                if (swb__slots_lex_is(t, "booking") && nx &&
                    nx->kind == SWB__SLOTS_T_WORD &&
                    (swb__slots_lex_is(nx, "kamar") || swb__slots_lex_is(nx, "room") ||
                     swb__slots_lex_is(nx, "hotel") || swb__slots_lex_is(nx, "tiket") ||
                     swb__slots_lex_is(nx, "flight") || swb__slots_lex_is(nx, "tour") ||
                     swb__slots_lex_is(nx, "tur") || swb__slots_lex_is(nx, "a") ||
                     swb__slots_lex_is(nx, "penerbangan") ||
                     swb__slots_lex_is(nx, "pesawat")) &&
                    i == 0)
                        s->book = true;
                if (swb__slots_lex_in_list(t, avail))
                        s->avail = true;
                if (swb__slots_lex_in_list(t, history) &&
                    !(swb__slots_lex_is(t, "reservasi") && swb__slots_lex_int_of(nx)))
                        s->history = true;
                if ((swb__slots_lex_is(t, "booking") ||
                     swb__slots_lex_is(t, "pesanan") ||
                     swb__slots_lex_is(t, "reservation") ||
                     swb__slots_lex_is(t, "pemesanan") ||
                     swb__slots_lex_is(t, "order")) &&
                    (swb__slots_lex_is(swb__slots_lex_at(p, i - 1), "my") ||
                     swb__slots_lex_is(nx, "saya") || swb__slots_lex_is(nx, "ku") ||
                     swb__slots_lex_is(nx, "aku")))
                        s->history = true;
                if (swb__slots_lex_is(t, "pesanan") && !swb__slots_lex_int_of(nx) &&
                    !swb__slots_lex_is(nx, "#") && !swb__slots_lex_is(nx, "nomor") &&
                    !swb__slots_lex_is(nx, "no"))
                        s->history = true;
                if (swb__slots_lex_in_list(t, rate) ||
                    (swb__slots_lex_is(t, "nilai") && swb__slots_lex_is(nx, "tukar")) ||
                    (swb__slots_lex_is(t, "mata") && swb__slots_lex_is(nx, "uang")) ||
                    swb__slots_lex_is(t, "currency"))
                        s->rate = true;
                if (swb__slots_lex_in_list(t, all))
                        s->list_all = true;
                if (swb__slots_lex_in_list(t, kb))
                        s->kb_topic = true;
                /* booking kind and status, for history filters */
                if (swb__slots_lex_is(t, "hotel") || swb__slots_lex_is(t, "hotels"))
                        s->kind = "hotel";
                else if (swb__slots_lex_is(t, "flight") ||
                         swb__slots_lex_is(t, "flights") ||
                         swb__slots_lex_is(t, "penerbangan") ||
                         swb__slots_lex_is(t, "pesawat") ||
                         swb__slots_lex_is(t, "tiket"))
                        s->kind = "flight";
                else if (swb__slots_lex_is(t, "tour") ||
                         swb__slots_lex_is(t, "tours") || swb__slots_lex_is(t, "tur") ||
                         swb__slots_lex_is(t, "wisata"))
                        s->kind = "tour";
                if (swb__slots_lex_is(t, "paid") || swb__slots_lex_is(t, "lunas") ||
                    (swb__slots_lex_is(t, "sudah") &&
                     (swb__slots_lex_is(nx, "dibayar") ||
                      swb__slots_lex_is(nx, "bayar"))))
                        s->status = "paid";
                else if (swb__slots_lex_is(t, "pending") ||
                         swb__slots_lex_is(t, "unpaid") ||
                         (swb__slots_lex_is(t, "belum") &&
                          (swb__slots_lex_is(nx, "dibayar") ||
                           swb__slots_lex_is(nx, "bayar"))))
                        s->status = "pending";
                else if (swb__slots_lex_is(t, "cancelled") ||
                         swb__slots_lex_is(t, "canceled") ||
                         swb__slots_lex_is(t, "dibatalkan"))
                        s->status = "cancelled";
        }
        /* "how can I pay, which methods": a question, not an action */
        if (!s->booking_id &&
            swb__slots_lex_any_word(
                p, (const char *const[]){"methods", "metode", "method", NULL}))
                s->pay = false;
        /* "payment for booking 42" */
        if (s->booking_id && !s->question &&
            swb__slots_lex_any_word(
                p, (const char *const[]){"payment", "pembayaran", NULL}))
                s->pay = true;
}

static void parse_filters(struct swb__slots_parser *p)
{
        static const struct {
                const char *word, *category;
        } cats[] = {{"culture", "culture"},
                    {"cultural", "culture"},
                    {"budaya", "culture"},
                    {"temple", "culture"},
                    {"temples", "culture"},
                    {"candi", "culture"},
                    {"heritage", "culture"},
                    {"nature", "nature"},
                    {"alam", "nature"},
                    {"waterfall", "nature"},
                    {"adventure", "adventure"},
                    {"petualangan", "adventure"},
                    {"trek", "adventure"},
                    {"trekking", "adventure"},
                    {"hiking", "adventure"},
                    {"food", "food"},
                    {"culinary", "food"},
                    {"kuliner", "food"},
                    {"makanan", "food"},
                    {"cooking", "food"},
                    {"snorkeling", "water"},
                    {"snorkelling", "water"},
                    {"snorkel", "water"},
                    {"diving", "water"},
                    {"dive", "water"},
                    {"cruise", "water"},
                    {"wildlife", "wildlife"},
                    {"satwa", "wildlife"},
                    {"animals", "wildlife"},
                    {"hewan", "wildlife"},
                    {NULL, NULL}};
        static const struct {
                const char *word, *method;
        } methods[] = {{"debit", "debit_card"},   {"transfer", "bank_transfer"},
                       {"va", "virtual_account"}, {"e-wallet", "e_wallet"},
                       {"ewallet", "e_wallet"},   {"gopay", "e_wallet"},
                       {"ovo", "e_wallet"},       {"dana", "e_wallet"},
                       {"shopeepay", "e_wallet"}, {"linkaja", "e_wallet"},
                       {"wallet", "e_wallet"},    {NULL, NULL}};
        struct swb_slots *s = p->s;
        int i, k;

        for (i = 0; i < p->n; i++) {
                struct swb__slots_tok *t = &p->t[i], *nx = swb__slots_lex_at(p, i + 1);
                if (t->kind != SWB__SLOTS_T_WORD)
                        continue;
                if (swb__slots_lex_is(t, "cheap") || swb__slots_lex_is(t, "cheapest") ||
                    swb__slots_lex_is(t, "murah") || swb__slots_lex_is(t, "termurah") ||
                    swb__slots_lex_is(t, "budget") ||
                    swb__slots_lex_is(t, "affordable") ||
                    swb__slots_lex_is(t, "hemat") || swb__slots_lex_is(t, "lowest"))
                        s->cheap = true;
                for (k = 0; cats[k].word && !s->category; k++)
                        if (swb__slots_lex_is(t, cats[k].word))
                                s->category = cats[k].category;
                if (swb__slots_lex_is(t, "city") &&
                    (swb__slots_lex_is(nx, "tour") || swb__slots_lex_is(nx, "walk")) &&
                    !s->category)
                        s->category = "city";
                if ((swb__slots_lex_is(t, "credit") && swb__slots_lex_is(nx, "card")) ||
                    (swb__slots_lex_is(t, "kartu") &&
                     swb__slots_lex_is(nx, "kredit")) ||
                    swb__slots_lex_is(t, "cc") || swb__slots_lex_is(t, "creditcard"))
                        s->payment_method = "credit_card";
                else if ((swb__slots_lex_is(t, "virtual") &&
                          swb__slots_lex_is(nx, "account")) ||
                         (swb__slots_lex_is(t, "akun") &&
                          swb__slots_lex_is(nx, "virtual")))
                        s->payment_method = "virtual_account";
                else if ((swb__slots_lex_is(t, "dompet") &&
                          swb__slots_lex_is(nx, "digital")))
                        s->payment_method = "e_wallet";
                else if (!(swb__slots_lex_is(t, "dana") &&
                           (swb__slots_lex_is(swb__slots_lex_at(p, i - 1),
                                              "pengembalian") ||
                            s->kb_topic)))
                        for (k = 0; methods[k].word; k++)
                                if (swb__slots_lex_is(t, methods[k].word) &&
                                    !(swb__slots_lex_is(t, "transfer") &&
                                      (swb__slots_lex_is(swb__slots_lex_at(p, i - 1),
                                                         "airport") ||
                                       swb__slots_lex_is(nx, "bandara"))))
                                        s->payment_method = methods[k].method;
        }
}

/* ================================================================ parse */

void swb_slots_parse(const char *text, const char *locale, swb_date_t today,
                     struct swb_slots *out)
{
        struct swb__slots_parser *p = swb_calloc(1, sizeof(*p));

        memset(out, 0, sizeof(*out));
        p->text = text ? text : "";
        p->today = today;
        p->s = out;
        swb__slots_lex_tokenize(p);
        out->id = swb_slots_is_indonesian(p->text, locale);
        swb__slots_dates_parse(p);
        swb__slots_numbers_ids(p);
        swb__slots_numbers_people(p);
        swb__slots_numbers_money(p);
        parse_intents(p);
        parse_filters(p);
        parse_places(p);
        if (swb_date_valid(out->date)) {
                if (swb_date_valid(out->date_end))
                        out->nights = swb_date_diff(out->date, out->date_end);
                else if (out->nights > 0)
                        out->date_end = swb_date_add(out->date, out->nights);
        }
        swb_free(p);
}

void swb_slots_context(const json_t *turns, const char *current, const char *locale,
                       swb_date_t today, struct swb_slots *out)
{
        struct swb_slots one;
        size_t i, n = json_array_size(turns);
        bool skipped = false;

        memset(out, 0, sizeof(*out));
        for (i = n; i-- > 0;) {
                const json_t *t = json_array_get(turns, i);
                const char *role = json_string_value(json_object_get(t, "role"));
                const char *text = json_string_value(json_object_get(t, "text"));
                if (!role || strcmp(role, "user") || !text)
                        continue;
                if (!skipped) {
                        skipped = true;
                        if (current && !strcmp(text, current))
                                continue;
                }
                swb_slots_parse(text, locale, today, &one);
                swb_slots_merge(out, &one);
        }
}

void swb_slots_merge(struct swb_slots *s, const struct swb_slots *e)
{
        if (!*s->place && !*s->origin && !*s->destination) {
                memcpy(s->place, e->place, sizeof(s->place));
                memcpy(s->origin, e->origin, sizeof(s->origin));
                memcpy(s->destination, e->destination, sizeof(s->destination));
                if (!*s->place_guess)
                        memcpy(s->place_guess, e->place_guess, sizeof(s->place_guess));
        }
        if (!swb_date_valid(s->date) && swb_date_valid(e->date)) {
                s->date = e->date;
                s->date_end = e->date_end;
                if (s->nights > 0)
                        s->date_end = swb_date_add(s->date, s->nights);
                else
                        s->nights = e->nights;
        } else if (!swb_date_valid(s->date) && !s->nights)
                s->nights = e->nights;
        if (!s->guests)
                s->guests = e->guests;
        if (!s->rooms)
                s->rooms = e->rooms;
        if (!s->hotel_id)
                s->hotel_id = e->hotel_id;
        if (!s->flight_id)
                s->flight_id = e->flight_id;
        if (!s->tour_id)
                s->tour_id = e->tour_id;
}

bool swb_slots_was_escalated(const json_t *request)
{
        const char *from = json_string_value(json_object_get(
            json_object_get(request, "metadata"), "swb.escalated_from"));
        return from && *from;
}

bool swb_slots_elsewhere(const json_t *request, const char *text, const char *mine)
{
        swb_route_t r;
        if (swb_slots_was_escalated(request) || !text)
                return false;
        swb_router_rule(text, &r);
        return strcmp(r.domain, mine) && strcmp(r.domain, "out_of_scope") &&
               r.confidence >= 0.999;
}
