#include "swb_slots_lex.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ================================================================ tokens */

static bool word_byte(unsigned char c)
{
        return isalnum(c) || c >= 0x80;
}

/* A number as people write it: 42, 1.5, 1,5, 1.000.000, 1,000,000. */
bool swb__slots_lex_parse_number(const char *s, size_t n, double *val, bool *integer)
{
        char buf[48];
        size_t i, k = 0, groups = 0, last_sep = 0, seps = 0;
        char sep = 0;
        bool mixed = false;
        if (n == 0 || n >= sizeof(buf))
                return false;
        for (i = 0; i < n; i++) {
                if (isdigit((unsigned char)s[i]))
                        continue;
                if (s[i] != '.' && s[i] != ',')
                        return false;
                if (sep && s[i] != sep)
                        mixed = true;
                sep = s[i];
                seps++;
                last_sep = i;
        }
        if (!seps) {
                memcpy(buf, s, n);
                buf[n] = '\0';
                *val = strtod(buf, NULL);
                *integer = true;
                return n <= 15;
        }
        if (mixed) { /* 1,234.50 or 1.234,50: the last separator is the decimal point */
                for (i = 0; i < n; i++)
                        if (isdigit((unsigned char)s[i]))
                                buf[k++] = s[i];
                        else if (i == last_sep)
                                buf[k++] = '.';
                buf[k] = '\0';
                *val = strtod(buf, NULL);
                *integer = false;
                return true;
        }
        /* one kind of separator: thousands when every group after the first has 3
         * digits */
        {
                size_t run = 0;
                bool thousands = true;
                for (i = 0; i <= n; i++) {
                        if (i == n || s[i] == sep) {
                                if (groups > 0 && run != 3)
                                        thousands = false;
                                groups++;
                                run = 0;
                        } else
                                run++;
                }
                if (!thousands && seps > 1)
                        return false; /* 1.2.3 */
                for (i = 0; i < n; i++)
                        if (isdigit((unsigned char)s[i]))
                                buf[k++] = s[i];
                        else if (!thousands)
                                buf[k++] = '.';
                buf[k] = '\0';
                *val = strtod(buf, NULL);
                *integer = thousands;
                return true;
        }
}

void swb__slots_lex_tokenize(struct swb__slots_parser *p)
{
        const unsigned char *s = (const unsigned char *)p->text;
        size_t i = 0, n = strlen(p->text);

        p->n = 0;
        while (i < n && p->n < SWB__SLOTS_MAX_TOKS) {
                struct swb__slots_tok *t = &p->t[p->n];
                size_t st = i, k;
                if (isspace(s[i])) {
                        i++;
                        continue;
                }
                memset(t, 0, sizeof(*t));
                if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 &&
                    (s[i + 2] == 0x93 || s[i + 2] == 0x94)) { /* en / em dash */
                        t->off = i, t->len = 3, t->kind = SWB__SLOTS_T_PUNCT;
                        strcpy(t->low, "-");
                        i += 3;
                        p->n++;
                        continue;
                }
                if (!word_byte(s[i])) {
                        t->off = i, t->len = 1, t->kind = SWB__SLOTS_T_PUNCT;
                        t->low[0] = (char)s[i];
                        i++;
                        p->n++;
                        continue;
                }
                while (i < n) {
                        if (word_byte(s[i])) {
                                i++;
                                continue;
                        }
                        /* connectors inside a word: 2026-12-20, 03/05, 1.000, jum'at,
                         * 10:30 */
                        if (i + 1 < n && i > st && word_byte(s[i + 1])) {
                                bool dd = isdigit(s[i - 1]) && isdigit(s[i + 1]);
                                bool aa = isalpha(s[i - 1]) && isalpha(s[i + 1]);
                                if (s[i] == '-' || s[i] == '/' ||
                                    (dd && strchr(".,:", s[i])) ||
                                    (aa && s[i] == '\'')) {
                                        i++;
                                        continue;
                                }
                        }
                        break;
                }
                t->off = st;
                t->len = i - st;
                for (k = 0; k < t->len && k < sizeof(t->low) - 1; k++)
                        t->low[k] = (char)tolower(s[st + k]);
                t->low[k] = '\0';
                t->kind = SWB__SLOTS_T_WORD;
                if (swb__slots_lex_parse_number(p->text + st, t->len, &t->val,
                                                &t->integer))
                        t->kind = SWB__SLOTS_T_NUM;
                else if (t->len >= 3 && t->len <= 4 && isdigit(s[st]) &&
                         (!strcmp(t->low + t->len - 2, "st") ||
                          !strcmp(t->low + t->len - 2, "nd") ||
                          !strcmp(t->low + t->len - 2, "rd") ||
                          !strcmp(t->low + t->len - 2, "th")) &&
                         swb__slots_lex_parse_number(p->text + st, t->len - 2, &t->val,
                                                     &t->integer)) {
                        t->kind = SWB__SLOTS_T_NUM; /* ordinal: 3rd, 21st */
                }
                p->n++;
        }
}

struct swb__slots_tok *swb__slots_lex_at(struct swb__slots_parser *p, int i)
{
        return i >= 0 && i < p->n ? &p->t[i] : NULL;
}

bool swb__slots_lex_is(const struct swb__slots_tok *t, const char *w)
{
        return t && t->kind != SWB__SLOTS_T_NUM && !strcmp(t->low, w);
}

bool swb__slots_lex_in_list(const struct swb__slots_tok *t, const char *const *list)
{
        for (; t && *list; list++)
                if (!strcmp(t->low, *list))
                        return true;
        return false;
}

bool swb__slots_lex_any_word(struct swb__slots_parser *p, const char *const *list)
{
        for (int i = 0; i < p->n; i++)
                if (p->t[i].kind == SWB__SLOTS_T_WORD &&
                    swb__slots_lex_in_list(&p->t[i], list))
                        return true;
        return false;
}

/* "two", "dua", ... */
int swb__slots_lex_word_number(const struct swb__slots_tok *t)
{
        static const char *const en[] = {"one",    "two",    "three", "four", "five",
                                         "six",    "seven",  "eight", "nine", "ten",
                                         "eleven", "twelve", NULL};
        static const char *const id[] = {"satu",     "dua",     "tiga",    "empat",
                                         "lima",     "enam",    "tujuh",   "delapan",
                                         "sembilan", "sepuluh", "sebelas", NULL};
        int i;
        if (!t)
                return 0;
        if (t->kind == SWB__SLOTS_T_NUM)
                return t->integer && t->val >= 1 && t->val <= 999 ? (int)t->val : 0;
        for (i = 0; en[i]; i++)
                if (!strcmp(t->low, en[i]))
                        return i + 1;
        for (i = 0; id[i]; i++)
                if (!strcmp(t->low, id[i]))
                        return i + 1;
        return 0;
}

long long swb__slots_lex_int_of(const struct swb__slots_tok *t)
{
        return t && t->kind == SWB__SLOTS_T_NUM && t->integer && t->val >= 1 &&
                       t->val < 1e12
                   ? (long long)t->val
                   : 0;
}

/* ================================================================ words */

static const char *const months[][5] = {
    {"january", "jan", "januari", NULL},
    {"february", "feb", "februari", "pebruari", NULL},
    {"march", "mar", "maret", NULL},
    {"april", "apr", NULL},
    {"may", "mei", NULL},
    {"june", "jun", "juni", NULL},
    {"july", "jul", "juli", NULL},
    {"august", "aug", "agustus", "agu", "agt"},
    {"september", "sep", "sept", NULL},
    {"october", "oct", "oktober", "okt", NULL},
    {"november", "nov", "nopember", NULL},
    {"december", "dec", "desember", "des", NULL},
};

int swb__slots_lex_month_of(const struct swb__slots_tok *t)
{
        int m, k;
        if (!t || t->kind != SWB__SLOTS_T_WORD)
                return 0;
        for (m = 0; m < 12; m++)
                for (k = 0; k < 5 && months[m][k]; k++)
                        if (!strcmp(t->low, months[m][k]))
                                return m + 1;
        return 0;
}

/* ISO weekday of a weekday name; "minggu" (also "week") is handled by the caller. */
int swb__slots_lex_weekday_of(const struct swb__slots_tok *t)
{
        static const char *const names[][3] = {
            {"monday", "senin", NULL},     {"tuesday", "selasa", NULL},
            {"wednesday", "rabu", NULL},   {"thursday", "kamis", NULL},
            {"friday", "jumat", "jum'at"}, {"saturday", "sabtu", NULL},
            {"sunday", "ahad", NULL},
        };
        int d, k;
        if (!t || t->kind != SWB__SLOTS_T_WORD)
                return 0;
        for (d = 0; d < 7; d++)
                for (k = 0; k < 3 && names[d][k]; k++)
                        if (!strcmp(t->low, names[d][k]))
                                return d + 1;
        return 0;
}

const char *const swb__slots_lex_guest_units[] = {
    "guest",    "guests",    "people",      "person",       "persons",   "pax",
    "adult",    "adults",    "passenger",   "passengers",   "traveller", "travellers",
    "traveler", "travelers", "participant", "participants", "orang",     "org",
    "tamu",     "penumpang", "peserta",     "dewasa",       "child",     "children",
    "kids",     "kid",       "anak",        "pp",           NULL};
const char *const swb__slots_lex_night_units[] = {"night", "nights", "malam",
                                                  "nite",  "nites",  NULL};
const char *const swb__slots_lex_room_units[] = {"room", "rooms", "kamar", NULL};
const char *const swb__slots_lex_star_units[] = {"star", "stars", "bintang", "*", NULL};
const char *const swb__slots_lex_day_units[] = {"day", "days", "hari", NULL};

bool swb__slots_lex_is_unit(const struct swb__slots_tok *t)
{
        return swb__slots_lex_in_list(t, swb__slots_lex_guest_units) ||
               swb__slots_lex_in_list(t, swb__slots_lex_night_units) ||
               swb__slots_lex_in_list(t, swb__slots_lex_room_units) ||
               swb__slots_lex_in_list(t, swb__slots_lex_star_units) ||
               swb__slots_lex_in_list(t, swb__slots_lex_day_units) ||
               swb__slots_lex_is(t, "km") || swb__slots_lex_is(t, "minutes") ||
               swb__slots_lex_is(t, "menit") || swb__slots_lex_is(t, "hours") ||
               swb__slots_lex_is(t, "jam");
}

/* Words that end (or are never part of) a place phrase. */
static const char *const stop_words[] = {
    "for",       "untuk",    "on",        "pada",        "tanggal",      "tgl",
    "from",      "to",       "dari",      "ke",          "sampai",       "hingga",
    "until",     "till",     "with",      "dengan",      "and",          "dan",
    "or",        "atau",     "next",      "this",        "these",        "tomorrow",
    "today",     "tonight",  "besok",     "lusa",        "esok",         "hari",
    "minggu",    "bulan",    "depan",     "ini",         "itu",          "nanti",
    "weekend",   "akhir",    "pekan",     "at",          "near",         "in",
    "di",        "by",       "under",     "below",       "max",          "please",
    "pls",       "tolong",   "dong",      "ya",          "yah",          "deh",
    "yang",      "which",    "that",      "who",         "where",        "when",
    "what",      "how",      "is",        "are",         "was",          "do",
    "does",      "have",     "has",       "can",         "could",        "would",
    "will",      "i",        "me",        "my",          "we",           "us",
    "our",       "saya",     "aku",       "kami",        "kita",         "also",
    "juga",      "too",      "there",     "about",       "per",          "each",
    "only",      "just",     "then",      "lalu",        "after",        "before",
    "setelah",   "sebelum",  "departing", "leaving",     "arriving",     "return",
    "pulang",    "pergi",    "via",       "direct",      "langsung",     "economy",
    "business",  "class",    "kelas",     "morning",     "pagi",         "afternoon",
    "siang",     "sore",     "evening",   "early",       "late",         "around",
    "a",         "an",       "the",       "any",         "some",         "all",
    "semua",     "list",     "daftar",    "good",        "nice",         "bagus",
    "find",      "search",   "show",      "look",        "looking",      "want",
    "need",      "get",      "give",      "tell",        "recommend",    "carikan",
    "cari",      "mencari",  "tampilkan", "lihat",       "tunjukkan",    "berikan",
    "mau",       "ingin",    "butuh",     "perlu",       "minta",        "bisa",
    "hi",        "hello",    "halo",      "hai",         "thanks",       "thank",
    "terima",    "kasih",    "you",       "ada",         "apa",          "saja",
    "cheap",     "cheapest", "murah",     "termurah",    "budget",       "best",
    "terbaik",   "luxury",   "mewah",     "available",   "availability", "tersedia",
    "kosong",    "price",    "prices",    "harga",       "rate",         "rates",
    "book",      "booking",  "bookings",  "reserve",     "pesan",        "pesankan",
    "pesanan",   "cancel",   "batalkan",  "pay",         "bayar",        "check",
    "cek",       "now",      "sekarang",  "stay",        "menginap",     "nginap",
    "inap",      "family",   "keluarga",  "fly",         "go",           "going",
    "travel",    "trip",     "trips",     "do",          "of",           "it",
    "one",       "be",       "kapan",     "berapa",      "guests",       "people",
    "orang",     "tamu",     "adults",    "night",       "nights",       "malam",
    "room",      "rooms",    "kamar",     "star",        "stars",        "bintang",
    "type",      "tipe",     "id",        "no",          "nomor",        "number",
    "cost",      "costs",    "much",      "many",        "like",         "prefer",
    "somewhere", "place",    "places",    "tempat",      "kindly",       "again",
    "lagi",      "an",       "jalan",     "jalan-jalan", "holiday",      "vacation",
    "liburan",   "libur",    "honeymoon", "visit",       "visiting",     "berkunjung",
    "pergi",     "get",      "day",       "days",        "week",         "weeks",
    NULL};

/* Domain nouns: not places, but skipped at the start of a phrase ("di hotel X"). */
const char *const swb__slots_lex_generic_words[] = {
    "hotel",      "hotels",    "resort",      "resorts",       "villa",
    "villas",     "hostel",    "hostels",     "accommodation", "penginapan",
    "flight",     "flights",   "penerbangan", "pesawat",       "tiket",
    "ticket",     "tickets",   "tour",        "tours",         "tur",
    "wisata",     "paket",     "package",     "packages",      "activity",
    "activities", "aktivitas", "excursion",   "excursions",    "city",
    "kota",       "area",      "daerah",      "kawasan",       "sightseeing",
    "airport",    "bandara",   NULL};

bool swb__slots_lex_is_stop(const struct swb__slots_tok *t)
{
        return !t || t->kind != SWB__SLOTS_T_WORD || t->used ||
               swb__slots_lex_in_list(t, stop_words) ||
               swb__slots_lex_in_list(t, swb__slots_lex_generic_words) ||
               swb__slots_lex_month_of(t) || swb__slots_lex_weekday_of(t) ||
               swb__slots_lex_in_list(t, swb__slots_lex_guest_units);
}

bool swb__slots_lex_is_range_word(const struct swb__slots_tok *t)
{
        return swb__slots_lex_is(t, "to") || swb__slots_lex_is(t, "-") ||
               swb__slots_lex_is(t, "sampai") || swb__slots_lex_is(t, "hingga") ||
               swb__slots_lex_is(t, "until") || swb__slots_lex_is(t, "till") ||
               swb__slots_lex_is(t, "through") || swb__slots_lex_is(t, "thru") ||
               swb__slots_lex_is(t, "and") || swb__slots_lex_is(t, "dan") ||
               swb__slots_lex_is(t, "s/d") || swb__slots_lex_is(t, "sd");
}

void swb__slots_lex_use(struct swb__slots_parser *p, int from, int to)
{
        for (int i = from; i <= to; i++)
                if (swb__slots_lex_at(p, i))
                        p->t[i].used = true;
}
