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

/* ================================================================ dates */

static long days_from_civil(int y, int m, int d)
{
        long era, yoe, doy, doe;
        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static swb_date_t civil_from_days(long z)
{
        swb_date_t r;
        long era, doe, yoe, y, doy, mp;
        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        r.day = (int)(doy - (153 * mp + 2) / 5 + 1);
        r.month = (int)(mp < 10 ? mp + 3 : mp - 9);
        r.year = (int)(y + (r.month <= 2));
        return r;
}

static int month_days(int y, int m)
{
        static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return n[m - 1];
}

bool swb_date_valid(swb_date_t d)
{
        return d.year >= 1900 && d.year <= 9999 && d.month >= 1 && d.month <= 12 &&
               d.day >= 1 && d.day <= month_days(d.year, d.month);
}

swb_date_t swb_date_add(swb_date_t d, int days)
{
        return civil_from_days(days_from_civil(d.year, d.month, d.day) + days);
}

int swb_date_diff(swb_date_t a, swb_date_t b)
{
        return (int)(days_from_civil(b.year, b.month, b.day) -
                     days_from_civil(a.year, a.month, a.day));
}

int swb_date_weekday(swb_date_t d)
{
        long z = days_from_civil(d.year, d.month, d.day);
        return (int)(((z % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
}

void swb_date_iso(swb_date_t d, char out[16])
{
        if (!swb_date_valid(d))
                out[0] = '\0';
        else
                snprintf(out, 16, "%04d-%02d-%02d", d.year % 10000,
                         (d.month % 13 + 13) % 13, (d.day % 32 + 32) % 32);
}

swb_date_t swb_date_today(void)
{
        time_t now = time(NULL);
        struct tm tm;
        swb_date_t d;
        localtime_r(&now, &tm);
        d.year = tm.tm_year + 1900;
        d.month = tm.tm_mon + 1;
        d.day = tm.tm_mday;
        return d;
}

/* ================================================================ tokens */

#define MAX_TOKS 200

enum { T_WORD, T_NUM, T_PUNCT };

struct tok {
        size_t off, len; /* in the original text */
        char low[40];    /* lower-cased (ASCII), truncated */
        int kind;
        double val;   /* T_NUM */
        bool integer; /* T_NUM without decimals */
        bool used;    /* taken by a slot */
};

struct parse {
        const char *text;
        struct tok t[MAX_TOKS];
        int n;
        swb_date_t today;
        struct swb_slots *s;
};

static bool word_byte(unsigned char c)
{
        return isalnum(c) || c >= 0x80;
}

/* A number as people write it: 42, 1.5, 1,5, 1.000.000, 1,000,000. */
static bool parse_number(const char *s, size_t n, double *val, bool *integer)
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

static void tokenize(struct parse *p)
{
        const unsigned char *s = (const unsigned char *)p->text;
        size_t i = 0, n = strlen(p->text);

        p->n = 0;
        while (i < n && p->n < MAX_TOKS) {
                struct tok *t = &p->t[p->n];
                size_t st = i, k;
                if (isspace(s[i])) {
                        i++;
                        continue;
                }
                memset(t, 0, sizeof(*t));
                if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 &&
                    (s[i + 2] == 0x93 || s[i + 2] == 0x94)) { /* en / em dash */
                        t->off = i, t->len = 3, t->kind = T_PUNCT;
                        strcpy(t->low, "-");
                        i += 3;
                        p->n++;
                        continue;
                }
                if (!word_byte(s[i])) {
                        t->off = i, t->len = 1, t->kind = T_PUNCT;
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
                t->kind = T_WORD;
                if (parse_number(p->text + st, t->len, &t->val, &t->integer))
                        t->kind = T_NUM;
                else if (t->len >= 3 && t->len <= 4 && isdigit(s[st]) &&
                         (!strcmp(t->low + t->len - 2, "st") ||
                          !strcmp(t->low + t->len - 2, "nd") ||
                          !strcmp(t->low + t->len - 2, "rd") ||
                          !strcmp(t->low + t->len - 2, "th")) &&
                         parse_number(p->text + st, t->len - 2, &t->val, &t->integer)) {
                        t->kind = T_NUM; /* ordinal: 3rd, 21st */
                }
                p->n++;
        }
}

static struct tok *at(struct parse *p, int i)
{
        return i >= 0 && i < p->n ? &p->t[i] : NULL;
}

static bool is(const struct tok *t, const char *w)
{
        return t && t->kind != T_NUM && !strcmp(t->low, w);
}

static bool in_list(const struct tok *t, const char *const *list)
{
        for (; t && *list; list++)
                if (!strcmp(t->low, *list))
                        return true;
        return false;
}

static bool any_word(struct parse *p, const char *const *list)
{
        for (int i = 0; i < p->n; i++)
                if (p->t[i].kind == T_WORD && in_list(&p->t[i], list))
                        return true;
        return false;
}

/* "two", "dua", ... */
static int word_number(const struct tok *t)
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
        if (t->kind == T_NUM)
                return t->integer && t->val >= 1 && t->val <= 999 ? (int)t->val : 0;
        for (i = 0; en[i]; i++)
                if (!strcmp(t->low, en[i]))
                        return i + 1;
        for (i = 0; id[i]; i++)
                if (!strcmp(t->low, id[i]))
                        return i + 1;
        return 0;
}

static long long int_of(const struct tok *t)
{
        return t && t->kind == T_NUM && t->integer && t->val >= 1 && t->val < 1e12
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

static int month_of(const struct tok *t)
{
        int m, k;
        if (!t || t->kind != T_WORD)
                return 0;
        for (m = 0; m < 12; m++)
                for (k = 0; k < 5 && months[m][k]; k++)
                        if (!strcmp(t->low, months[m][k]))
                                return m + 1;
        return 0;
}

/* ISO weekday of a weekday name; "minggu" (also "week") is handled by the caller. */
static int weekday_of(const struct tok *t)
{
        static const char *const names[][3] = {
            {"monday", "senin", NULL},     {"tuesday", "selasa", NULL},
            {"wednesday", "rabu", NULL},   {"thursday", "kamis", NULL},
            {"friday", "jumat", "jum'at"}, {"saturday", "sabtu", NULL},
            {"sunday", "ahad", NULL},
        };
        int d, k;
        if (!t || t->kind != T_WORD)
                return 0;
        for (d = 0; d < 7; d++)
                for (k = 0; k < 3 && names[d][k]; k++)
                        if (!strcmp(t->low, names[d][k]))
                                return d + 1;
        return 0;
}

static const char *const guest_units[] = {
    "guest",    "guests",    "people",      "person",       "persons",   "pax",
    "adult",    "adults",    "passenger",   "passengers",   "traveller", "travellers",
    "traveler", "travelers", "participant", "participants", "orang",     "org",
    "tamu",     "penumpang", "peserta",     "dewasa",       "child",     "children",
    "kids",     "kid",       "anak",        "pp",           NULL};
static const char *const night_units[] = {"night", "nights", "malam",
                                          "nite",  "nites",  NULL};
static const char *const room_units[] = {"room", "rooms", "kamar", NULL};
static const char *const star_units[] = {"star", "stars", "bintang", "*", NULL};
static const char *const day_units[] = {"day", "days", "hari", NULL};

static bool is_unit(const struct tok *t)
{
        return in_list(t, guest_units) || in_list(t, night_units) ||
               in_list(t, room_units) || in_list(t, star_units) ||
               in_list(t, day_units) || is(t, "km") || is(t, "minutes") ||
               is(t, "menit") || is(t, "hours") || is(t, "jam");
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
static const char *const generic_words[] = {
    "hotel",      "hotels",    "resort",      "resorts",       "villa",
    "villas",     "hostel",    "hostels",     "accommodation", "penginapan",
    "flight",     "flights",   "penerbangan", "pesawat",       "tiket",
    "ticket",     "tickets",   "tour",        "tours",         "tur",
    "wisata",     "paket",     "package",     "packages",      "activity",
    "activities", "aktivitas", "excursion",   "excursions",    "city",
    "kota",       "area",      "daerah",      "kawasan",       "sightseeing",
    "airport",    "bandara",   NULL};

static bool is_stop(const struct tok *t)
{
        return !t || t->kind != T_WORD || t->used || in_list(t, stop_words) ||
               in_list(t, generic_words) || month_of(t) || weekday_of(t) ||
               in_list(t, guest_units);
}

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
        struct parse p;
        int i, id = 0, eng = 0;

        if (locale && !strncmp(locale, "id", 2))
                return true;
        if (!text)
                return false;
        p.text = text;
        tokenize(&p);
        for (i = 0; i < p.n; i++) {
                if (p.t[i].kind != T_WORD)
                        continue;
                if (in_list(&p.t[i], strong))
                        id += 2;
                else if (in_list(&p.t[i], weak))
                        id += 1;
                else if (in_list(&p.t[i], en))
                        eng += 2;
        }
        return id > eng;
}

/* ================================================================ dates in text */

struct mention {
        int pos;
        swb_date_t d, end;
};

/* The day `day`.`month` on or after today (this year, else next). */
static swb_date_t next_dm(swb_date_t today, int day, int month, int year)
{
        swb_date_t d = {year ? year : today.year, month, day};
        if (!year && swb_date_valid(d) && swb_date_diff(today, d) < 0)
                d.year++;
        if (!year && !swb_date_valid(d) && month == 2 && day == 29) /* next leap year */
                for (int k = 0; k < 8 && !swb_date_valid(d); k++)
                        d.year++;
        return d;
}

/* The next `wd` (ISO weekday) after today; on or after when `inclusive`. */
static swb_date_t next_weekday(swb_date_t today, int wd, bool inclusive)
{
        int diff = (wd - swb_date_weekday(today) + 7) % 7;
        if (diff == 0 && !inclusive)
                diff = 7;
        return swb_date_add(today, diff);
}

static int year_of(const struct tok *t)
{
        long long y = int_of(t);
        return y >= 2000 && y <= 2100 ? (int)y : 0;
}

static bool is_range_word(const struct tok *t)
{
        return is(t, "to") || is(t, "-") || is(t, "sampai") || is(t, "hingga") ||
               is(t, "until") || is(t, "till") || is(t, "through") || is(t, "thru") ||
               is(t, "and") || is(t, "dan") || is(t, "s/d") || is(t, "sd");
}

static void add_mention(struct mention *m, int *nm, int pos, swb_date_t d,
                        swb_date_t end)
{
        if (*nm < 8 && swb_date_valid(d)) {
                m[*nm].pos = pos;
                m[*nm].d = d;
                m[*nm].end = end;
                (*nm)++;
        }
}

static void use(struct parse *p, int from, int to)
{
        for (int i = from; i <= to; i++)
                if (at(p, i))
                        p->t[i].used = true;
}

/* A day number 1..31 (plain or ordinal). */
static int day_of(const struct tok *t)
{
        long long d = int_of(t);
        return d >= 1 && d <= 31 ? (int)d : 0;
}

static bool is_ordinal(const struct tok *t)
{
        return t && t->kind == T_NUM &&
               isalpha((unsigned char)t->low[strlen(t->low) - 1]);
}

/* The weekend: this one (Saturday to Monday; on a Sunday, today to Monday) or the next.
 */
static void weekend(swb_date_t today, bool next, swb_date_t *from, swb_date_t *to)
{
        swb_date_t sat = next_weekday(today, 6, true);
        if (swb_date_weekday(today) == 7 && !next) {
                *from = today;
                *to = swb_date_add(today, 1);
                return;
        }
        if (next && swb_date_weekday(today) != 7)
                sat = swb_date_add(sat, 7);
        *from = sat;
        *to = swb_date_add(sat, 2);
}

/* "3 to 5": a second day in the month of `d`, after it. @returns it, or no date. */
static swb_date_t same_month(swb_date_t d, int day)
{
        swb_date_t r = d, none = {0, 0, 0};
        r.day = day;
        return swb_date_valid(r) && swb_date_diff(d, r) > 0 ? r : none;
}

static void parse_dates(struct parse *p)
{
        struct swb_slots *s = p->s;
        struct mention m[8];
        swb_date_t none = {0, 0, 0}, today = p->today;
        int nm = 0, i;

        for (i = 0; i < p->n; i++) {
                struct tok *t = &p->t[i], *nx = at(p, i + 1), *pv = at(p, i - 1);
                int a, b, c = 0, mo, wd, d1, k;
                char x, y_;
                if (t->used)
                        continue;
                /* 2026-12-20, 2026/12/20 */
                if (t->kind == T_WORD && t->len == 10 &&
                    sscanf(t->low, "%4d%c%2d%c%2d", &a, &x, &b, &y_, &c) == 5 &&
                    a >= 1900 && (x == '-' || x == '/') && x == y_) {
                        add_mention(m, &nm, i, (swb_date_t){a, b, c}, none);
                        use(p, i, i);
                        continue;
                }
                /* 20-22 December, Dec 20-22 */
                if (t->kind == T_WORD && sscanf(t->low, "%2d-%2d%c", &a, &b, &x) == 2 &&
                    a >= 1 && a <= 31 && b >= 1 && b <= 31) {
                        int first = i, last = is(nx, "of") ? i + 2 : i + 1;
                        if ((mo = month_of(at(p, last))) == 0 && (mo = month_of(pv)))
                                first = i - 1, last = i;
                        if (mo) {
                                int y = year_of(at(p, last + 1));
                                swb_date_t d = next_dm(today, a, mo, y);
                                add_mention(m, &nm, first, d, same_month(d, b));
                                use(p, first, y ? last + 1 : last);
                                continue;
                        }
                }
                /* 03/05, 3/5/2026, 20/12 */
                if (t->kind == T_WORD && strchr(t->low, '/') &&
                    sscanf(t->low, "%2d/%2d/%4d", &a, &b, &c) >= 2 && a >= 1 &&
                    b >= 1 && a <= 31 && b <= 31) {
                        int day = a, mon = b;
                        if (a <= 12 && b > 12)
                                day = b, mon = a; /* only month/day fits */
                        else if (a <= 12 && b <= 12 && a != b && !s->date_assumed) {
                                s->date_assumed = true; /* read as day/month */
                                snprintf(s->date_raw, sizeof(s->date_raw), "%.*s",
                                         (int)(t->len < 15 ? t->len : 15),
                                         p->text + t->off);
                        }
                        if (mon <= 12) {
                                add_mention(m, &nm, i,
                                            next_dm(today, day, mon,
                                                    c && c < 100 ? c + 2000 : c),
                                            none);
                                use(p, i, i);
                                continue;
                        }
                }
                /* 3 March [2027], 3rd of March; "3 to 5 March", "3 sampai 5 Maret" */
                k = is(nx, "of") ? i + 2 : i + 1;
                if ((d1 = day_of(t)) && (mo = month_of(at(p, k)))) {
                        int y = year_of(at(p, k + 1)), first = day_of(at(p, i - 2));
                        swb_date_t d = next_dm(today, d1, mo, y);
                        if (first && first < d1 && is_range_word(pv) &&
                            !p->t[i - 2].used) {
                                swb_date_t d0 = {d.year, mo, first};
                                add_mention(m, &nm, i - 2, d0, d);
                                use(p, i - 2, i - 1);
                        } else
                                add_mention(m, &nm, i, d, none);
                        use(p, i, y ? k + 1 : k);
                        continue;
                }
                /* March 3 [2027], March 3 to 5 */
                if ((mo = month_of(t)) && (d1 = day_of(nx)) &&
                    !month_of(at(p, i + 2))) {
                        int y;
                        swb_date_t d, d2 = none;
                        k = is(at(p, i + 2), ",") ? i + 3 : i + 2;
                        y = year_of(at(p, k));
                        d = next_dm(today, d1, mo, y);
                        use(p, i, y ? k : i + 1);
                        if (is_range_word(at(p, i + 2)) && day_of(at(p, i + 3)) &&
                            !month_of(at(p, i + 4)) &&
                            swb_date_valid(d2 = same_month(d, day_of(at(p, i + 3)))))
                                use(p, i + 2, i + 3);
                        add_mention(m, &nm, i, d, d2);
                        continue;
                }
                /* tanggal 20 [sampai 22], on the 20th */
                if ((is(t, "tanggal") || is(t, "tgl")) && is_range_word(at(p, i + 2)) &&
                    month_of(at(p, i + 4))) {
                        t->used = true; /* "tanggal 20 sampai 22 Desember": see above */
                        continue;
                }
                if ((is(t, "tanggal") || is(t, "tgl") ||
                     (is(t, "the") && is_ordinal(nx))) &&
                    (d1 = day_of(nx)) && !month_of(at(p, i + 2))) {
                        swb_date_t d = {today.year, today.month, d1}, d2 = none;
                        if (d1 < today.day || !swb_date_valid(d)) {
                                swb_date_t n1 = swb_date_add(
                                    (swb_date_t){today.year, today.month, 1}, 31);
                                d = (swb_date_t){n1.year, n1.month, d1};
                        }
                        use(p, i, i + 1);
                        if (is_range_word(at(p, i + 2)) && day_of(at(p, i + 3)) &&
                            !month_of(at(p, i + 4)) &&
                            swb_date_valid(d2 = same_month(d, day_of(at(p, i + 3)))))
                                use(p, i + 2, i + 3);
                        add_mention(m, &nm, i, d, d2);
                        continue;
                }
                /* 3 hari lagi, 3 days from now */
                if (word_number(t) && in_list(nx, day_units) &&
                    (is(at(p, i + 2), "lagi") ||
                     (is(at(p, i + 2), "from") && is(at(p, i + 3), "now")))) {
                        add_mention(m, &nm, i, swb_date_add(today, word_number(t)),
                                    none);
                        use(p, i, is(at(p, i + 2), "lagi") ? i + 2 : i + 3);
                        continue;
                }
                if (t->kind != T_WORD)
                        continue;
                /* relative days */
                if ((is(t, "day") && is(nx, "after") && is(at(p, i + 2), "tomorrow")) ||
                    (is(t, "besok") && is(nx, "lusa")) || is(t, "lusa")) {
                        add_mention(m, &nm, i, swb_date_add(today, 2), none);
                        use(p, i, is(t, "day") ? i + 2 : is(t, "besok") ? i + 1 : i);
                        continue;
                }
                if (is(t, "tomorrow") || is(t, "besok") || is(t, "esok")) {
                        add_mention(m, &nm, i, swb_date_add(today, 1), none);
                        use(p, i, i);
                        continue;
                }
                if (is(t, "today") || is(t, "tonight") ||
                    ((is(t, "hari") || is(t, "malam")) && is(nx, "ini"))) {
                        add_mention(m, &nm, i, today, none);
                        use(p, i, is(t, "today") || is(t, "tonight") ? i : i + 1);
                        continue;
                }
                /* in 3 days, dalam 3 hari */
                if ((is(t, "in") || is(t, "dalam")) && word_number(nx) &&
                    in_list(at(p, i + 2), day_units)) {
                        add_mention(m, &nm, i, swb_date_add(today, word_number(nx)),
                                    none);
                        use(p, i, i + 2);
                        continue;
                }
                /* this weekend, next weekend, akhir pekan (ini / depan), weekend depan
                 */
                if (is(t, "weekend") ||
                    (is(t, "akhir") && (is(nx, "pekan") || is(nx, "minggu")))) {
                        int last = is(t, "weekend") ? i : i + 1;
                        bool next = is(pv, "next") || is(at(p, last + 1), "depan");
                        swb_date_t d, e;
                        weekend(today, next, &d, &e);
                        add_mention(m, &nm, i, d, e);
                        use(p, is(pv, "next") || is(pv, "this") ? i - 1 : i,
                            is(at(p, last + 1), "depan") || is(at(p, last + 1), "ini")
                                ? last + 1
                                : last);
                        continue;
                }
                /* next week / minggu depan: the Monday of next week */
                if ((is(t, "week") && is(pv, "next")) ||
                    (is(t, "minggu") && is(nx, "depan") && !is(pv, "hari"))) {
                        add_mention(m, &nm, i, next_weekday(today, 1, false), none);
                        use(p, is(t, "week") ? i - 1 : i, is(t, "week") ? i : i + 1);
                        continue;
                }
                /* weekdays: next friday, on friday, jumat depan, hari minggu */
                wd = weekday_of(t);
                if (!wd && is(t, "minggu") && (is(pv, "hari") || is(pv, "pada")))
                        wd = 7;
                if (wd) {
                        bool next = is(pv, "next") || is(nx, "depan");
                        add_mention(m, &nm, i, next_weekday(today, wd, !next), none);
                        use(p,
                            is(pv, "next") || is(pv, "this") || is(pv, "hari") ? i - 1
                                                                               : i,
                            is(nx, "depan") || is(nx, "ini") ? i + 1 : i);
                        continue;
                }
        }

        if (nm == 0)
                return;
        s->date = m[0].d;
        if (swb_date_valid(m[0].end))
                s->date_end = m[0].end;
        else if (nm > 1)
                s->date_end = m[1].d;
        if (swb_date_valid(s->date_end) && swb_date_diff(s->date, s->date_end) <= 0)
                s->date_end = none;
}

/* ================================================================ numbers, ids, people
 */

static void parse_people(struct parse *p)
{
        struct swb_slots *s = p->s;
        int i, guests = 0;
        for (i = 0; i < p->n; i++) {
                struct tok *t = &p->t[i], *nx = at(p, i + 1), *pv = at(p, i - 1);
                int n = t->used ? 0 : word_number(t);
                char unit[16];
                /* 3-night, 5-star */
                if (!t->used && t->kind == T_WORD &&
                    sscanf(t->low, "%d-%15s", &n, unit) == 2 && n > 0 && n < 100) {
                        struct tok u = {0};
                        snprintf(u.low, sizeof(u.low), "%s", unit);
                        if (in_list(&u, night_units) && !s->nights)
                                s->nights = n, t->used = true;
                        else if (in_list(&u, star_units) && n <= 5)
                                s->min_stars = n, t->used = true;
                        else if (in_list(&u, guest_units))
                                guests += n, t->used = true;
                        continue;
                }
                if (n && n <= 50 && in_list(nx, guest_units)) {
                        guests += n;
                        use(p, i, i + 1);
                        if (is(nx, "orang") && is(at(p, i + 2), "dewasa"))
                                use(p, i + 2, i + 2);
                        continue;
                }
                if (n && n <= 60 && in_list(nx, night_units)) {
                        s->nights = n;
                        use(p, i, i + 1);
                        continue;
                }
                if (n && n <= 9 && in_list(nx, room_units) &&
                    !(t->kind == T_NUM && pv && (is(pv, "type") || is(pv, "tipe")))) {
                        s->rooms = n;
                        use(p, i, i + 1);
                        continue;
                }
                if (n && n <= 5 && in_list(nx, star_units)) {
                        s->min_stars = n;
                        use(p, i, i + 1);
                        continue;
                }
                if (is(t, "bintang") && (n = word_number(nx)) && n <= 5) {
                        s->min_stars = n;
                        use(p, i, i + 1);
                        continue;
                }
                /* for a week, selama seminggu, for 3 days */
                if ((is(pv, "for") || is(pv, "selama")) && !t->used) {
                        if ((is(t, "a") || is(t, "one") || n == 1) &&
                            (is(nx, "week"))) {
                                s->nights = 7;
                                use(p, i, i + 1);
                                continue;
                        }
                        if (n && n <= 60 && in_list(nx, day_units)) {
                                s->nights = n;
                                use(p, i, i + 1);
                                continue;
                        }
                }
                if (is(t, "seminggu") && !s->nights) {
                        s->nights = 7;
                        use(p, i, i);
                        continue;
                }
                if ((is(t, "semalam") || is(t, "overnight")) && !s->nights) {
                        s->nights = 1;
                        use(p, i, i);
                        continue;
                }
                if ((is(t, "a") || is(t, "one")) && is(nx, "night") && !s->nights) {
                        s->nights = 1;
                        use(p, i, i + 1);
                        continue;
                }
                if (is(t, "berdua") || is(t, "bertiga") || is(t, "berempat") ||
                    is(t, "berlima")) {
                        guests = is(t, "berdua")     ? 2
                                 : is(t, "bertiga")  ? 3
                                 : is(t, "berempat") ? 4
                                                     : 5;
                        t->used = true;
                        continue;
                }
                if ((is(t, "couple") && (is(pv, "a") || is(pv, "for"))) ||
                    is(t, "honeymoon")) {
                        if (!guests)
                                guests = 2;
                        continue;
                }
                if (is(t, "alone") || is(t, "solo") || is(t, "sendiri") ||
                    is(t, "sendirian")) {
                        if (!guests)
                                guests = 1;
                        continue;
                }
                /* for two, untuk 2, party of 4 */
                if (n && n <= 20 && !t->used &&
                    (is(pv, "for") || is(pv, "untuk") ||
                     (is(pv, "of") &&
                      (is(at(p, i - 2), "party") || is(at(p, i - 2), "group")))) &&
                    (!nx || nx->kind == T_PUNCT ||
                     (!is_unit(nx) && !month_of(nx) && !is_range_word(nx) &&
                      nx->kind != T_NUM))) {
                        guests = n;
                        t->used = true;
                        continue;
                }
        }
        if (guests > 0)
                s->guests = guests > 50 ? 50 : guests;
}

/* The number after a keyword: "booking 42", "booking #42", "hotel id: 12", "no. 42". */
static long long id_after(struct parse *p, int i, int *last)
{
        int k = i + 1, skipped = 0;
        while (skipped < 3 && at(p, k) &&
               (is(at(p, k), "id") || is(at(p, k), "no") || is(at(p, k), "nomor") ||
                is(at(p, k), "number") || is(at(p, k), "nr") || is(at(p, k), "#") ||
                is(at(p, k), ":") || is(at(p, k), ".") || is(at(p, k), "ref") ||
                is(at(p, k), "code") || is(at(p, k), "kode") || is(at(p, k), "=") ||
                is(at(p, k), "saya") || is(at(p, k), "anda")))
                k++, skipped++;
        if (!at(p, k) || p->t[k].used || !int_of(at(p, k)))
                return 0;
        /* "hotel 5 stars", "hotel 3 nights": a count, not an id */
        if (is_unit(at(p, k + 1)) || month_of(at(p, k + 1)))
                return 0;
        *last = k;
        return int_of(at(p, k));
}

static void parse_ids(struct parse *p)
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
                struct tok *t = &p->t[i];
                if (t->used || t->kind != T_WORD)
                        continue;
                if (in_list(t, booking_kw) &&
                    ((v = id_after(p, i, &last)) ||
                     /* "booking hotel 42", "pesanan tur 7", "booking kamar hotel 42" */
                     (in_list(at(p, i + 1), kind_kw) &&
                      (v = id_after(p, i + 1, &last))) ||
                     (in_list(at(p, i + 1), kind_kw) &&
                      in_list(at(p, i + 2), kind_kw) &&
                      (v = id_after(p, i + 2, &last))))) {
                        if (!s->booking_id)
                                s->booking_id = v;
                } else if (in_list(t, hotel_kw) && (v = id_after(p, i, &last))) {
                        if (!s->hotel_id)
                                s->hotel_id = v;
                } else if (in_list(t, flight_kw) && (v = id_after(p, i, &last))) {
                        if (!s->flight_id)
                                s->flight_id = v;
                } else if (in_list(t, tour_kw) && (v = id_after(p, i, &last))) {
                        if (!s->tour_id)
                                s->tour_id = v;
                } else if (((is(t, "room") || is(t, "kamar")) &&
                            (is(at(p, i + 1), "type") || is(at(p, i + 1), "tipe") ||
                             is(at(p, i + 1), "types"))) ||
                           ((is(t, "tipe") || is(t, "type")) &&
                            is(at(p, i + 1), "kamar"))) {
                        if ((v = id_after(p, i + 1, &last)) && !s->room_type_id) {
                                s->room_type_id = v;
                                use(p, i, last);
                        }
                        continue;
                } else if ((is(t, "room") || is(t, "kamar") || is(t, "type") ||
                            is(t, "tipe") || is(t, "roomtype") ||
                            is(t, "room_type_id")) &&
                           (v = id_after(p, i, &last))) {
                        if (!s->room_type_id)
                                s->room_type_id = v;
                } else if (in_list(t, verbs) && (v = id_after(p, i, &last))) {
                        if (!s->booking_id)
                                s->booking_id = v;
                } else
                        continue;
                use(p, i, last);
        }
        /* a lone "#42" or "nomor 42" is a booking */
        for (i = 0; i + 1 < p->n; i++)
                if ((is(&p->t[i], "#") || is(&p->t[i], "nomor") ||
                     is(&p->t[i], "number") || is(&p->t[i], "no")) &&
                    !p->t[i + 1].used && int_of(&p->t[i + 1]) && !s->booking_id &&
                    !is_unit(at(p, i + 2))) {
                        s->booking_id = int_of(&p->t[i + 1]);
                        use(p, i, i + 1);
                }
}

/* ================================================================ currencies */

struct cur_word {
        const char *word, *code;
};

static const char *currency_at(struct parse *p, int i)
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
        struct tok *t = at(p, i), *pv = at(p, i - 1), *nx = at(p, i + 1);
        int k;
        if (!t)
                return NULL;
        for (k = 0; codes[k]; k++)
                if (t->len == 3 && !strncasecmp(t->low, codes[k], 3))
                        return codes[k];
        if (is(t, "$"))
                return "USD";
        if (is(t, "dollar") || is(t, "dollars") || is(t, "dolar")) {
                if (is(pv, "singapore") || is(nx, "singapura") || is(nx, "singapore") ||
                    is(pv, "sg"))
                        return "SGD";
                if (is(pv, "australian") || is(nx, "australia") || is(pv, "aussie"))
                        return "AUD";
                if (is(pv, "kong") || is(nx, "hongkong") || is(pv, "hk") ||
                    (is(nx, "hong") && is(at(p, i + 2), "kong")))
                        return "HKD";
                if (is(pv, "canadian") || is(nx, "kanada") || is(nx, "canada"))
                        return "CAD";
                if (is(pv, "zealand"))
                        return "NZD";
                if (is(pv, "taiwan") || is(nx, "taiwan"))
                        return "TWD";
                return "USD";
        }
        if (is(t, "won") && (is(pv, "korean") || is(nx, "korea") || is(pv, "korea")))
                return "KRW";
        if (is(t, "dong") &&
            (is(pv, "vietnamese") || is(nx, "vietnam") || is(pv, "vietnam")))
                return "VND";
        if (is(t, "rm") && nx && nx->kind == T_NUM)
                return "MYR";
        for (k = 0; words[k].word; k++)
                if (is(t, words[k].word))
                        return words[k].code;
        return NULL;
}

static double multiplier(const struct tok *t)
{
        if (is(t, "juta") || is(t, "jt") || is(t, "million") || is(t, "mio"))
                return 1e6;
        if (is(t, "ribu") || is(t, "rb") || is(t, "k") || is(t, "thousand"))
                return 1e3;
        if (is(t, "miliar") || is(t, "milyar") || is(t, "billion"))
                return 1e9;
        return 0;
}

static void parse_money(struct parse *p)
{
        struct swb_slots *s = p->s;
        const char *found[4];
        int nf = 0, i, amount_cur = -1;

        for (i = 0; i < p->n && nf < 4; i++) {
                const char *c = currency_at(p, i);
                struct tok *t = &p->t[i];
                /* "Rp100.000" as one token */
                if (!c && t->kind == T_WORD && !strncmp(t->low, "rp", 2) &&
                    isdigit((unsigned char)t->low[2])) {
                        double v;
                        bool integer;
                        if (parse_number(p->text + t->off + 2, t->len - 2, &v,
                                         &integer)) {
                                s->amount = v * (multiplier(at(p, i + 1))
                                                     ? multiplier(at(p, i + 1))
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
                        struct tok *nx = at(p, i + 1), *pv = at(p, i - 1),
                                   *pv2 = at(p, i - 2);
                        /* after a code or symbol only: "USD 100", "$100", but "100
                         * dollars" */
                        bool sym = t->len <= 3 || t->kind == T_PUNCT;
                        if (pv && pv->kind == T_NUM && !pv->used) {
                                s->amount = pv->val;
                                amount_cur = nf;
                        } else if (multiplier(pv) && pv2 && pv2->kind == T_NUM &&
                                   !pv2->used) {
                                s->amount = pv2->val * multiplier(pv);
                                amount_cur = nf;
                        } else if (sym && nx && nx->kind == T_NUM && !nx->used &&
                                   !in_list(at(p, i + 2), night_units)) {
                                s->amount = nx->val * (multiplier(at(p, i + 2))
                                                           ? multiplier(at(p, i + 2))
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

/* ================================================================ places */

static bool is_prep(const struct tok *t, int which)
{
        static const char *const place[] = {
            "in",     "at",      "near", "around", "di",     "dekat", "sekitar",
            "daerah", "kawasan", "area", "kota",   "inside", NULL};
        static const char *const from[] = {"from", "dari", "asal", NULL};
        static const char *const to[] = {"to", "ke", "tujuan", "menuju", "into", NULL};
        return t && t->kind == T_WORD && !t->used &&
               in_list(t, which == 0   ? place
                          : which == 1 ? from
                                       : to);
}

/* The place phrase starting at token i: up to 5 words, as typed. @returns its last
 * token or -1. */
static int phrase(struct parse *p, int i, char *out, size_t out_size)
{
        int first = -1, last = -1;
        while (at(p, i) && (is(at(p, i), "the") || is(at(p, i), "a") ||
                            (in_list(at(p, i), generic_words) && !p->t[i].used)))
                i++;
        for (; at(p, i) && !is_stop(at(p, i)) && (last < 0 || i - first < 5); i++) {
                if (first < 0)
                        first = i;
                last = i;
        }
        if (first < 0)
                return -1;
        snprintf(out, out_size, "%.*s",
                 (int)(p->t[last].off + p->t[last].len - p->t[first].off),
                 p->text + p->t[first].off);
        use(p, first, last);
        return last;
}

static void parse_places(struct parse *p)
{
        struct swb_slots *s = p->s;
        int i, k;

        for (i = 0; i < p->n; i++) {
                struct tok *t = &p->t[i];
                if (is_prep(t, 1) && !*s->origin) {
                        phrase(p, i + 1, s->origin, sizeof(s->origin));
                } else if (is_prep(t, 2) && !*s->destination) {
                        if (phrase(p, i + 1, s->destination, sizeof(s->destination)) >=
                                0 &&
                            !*s->origin) {
                                /* "Jakarta to Denpasar": the words before "to" */
                                int last = i - 1, first = i;
                                while (first - 1 >= 0 && last - first < 4 &&
                                       !is_stop(at(p, first - 1)))
                                        first--;
                                if (first <= last) {
                                        snprintf(s->origin, sizeof(s->origin), "%.*s",
                                                 (int)(p->t[last].off + p->t[last].len -
                                                       p->t[first].off),
                                                 p->text + p->t[first].off);
                                        use(p, first, last);
                                }
                        }
                } else if (is_prep(t, 0) && !*s->place) {
                        phrase(p, i + 1, s->place, sizeof(s->place));
                }
        }
        /* "Jakarta - Denpasar", "CGK-DPS" */
        if (!*s->origin && !*s->destination) {
                for (i = 1; i + 1 < p->n; i++)
                        if (is(&p->t[i], "-") && !is_stop(&p->t[i - 1]) &&
                            !is_stop(&p->t[i + 1])) {
                                int a = i - 1, b = i + 1;
                                snprintf(s->origin, sizeof(s->origin), "%.*s",
                                         (int)p->t[a].len, p->text + p->t[a].off);
                                snprintf(s->destination, sizeof(s->destination), "%.*s",
                                         (int)p->t[b].len, p->text + p->t[b].off);
                                use(p, a, b);
                                break;
                        }
                for (i = 0; i < p->n && !*s->origin; i++) {
                        struct tok *t = &p->t[i];
                        const char *dash = strchr(t->low, '-');
                        static const char *const not_routes[] = {
                            "one-way",  "round-trip",  "check-in", "check-out",
                            "e-wallet", "jalan-jalan", "non-stop", NULL};
                        if (t->used || t->kind != T_WORD || !dash ||
                            strchr(dash + 1, '-') || dash - t->low < 3 ||
                            strlen(dash + 1) < 3 || in_list(t, not_routes) ||
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
                        struct tok *t = &p->t[i];
                        if (is_stop(t) || t->len >= 40)
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

static void parse_intents(struct parse *p)
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
                struct tok *t = &p->t[i], *nx = at(p, i + 1);
                if (t->kind == T_PUNCT && t->low[0] == '?')
                        s->question = true;
                if (t->kind != T_WORD)
                        continue;
                if (i == 0 && in_list(t, questions))
                        s->question = true;
                if (in_list(t, cancel))
                        s->cancel = true;
                if (in_list(t, pay))
                        s->pay = true;
                if (in_list(t, book) && !(is(t, "order") && int_of(nx)))
                        s->book = true;
                if (is(t, "booking") && nx && nx->kind == T_WORD &&
                    (is(nx, "kamar") || is(nx, "room") || is(nx, "hotel") ||
                     is(nx, "tiket") || is(nx, "flight") || is(nx, "tour") ||
                     is(nx, "tur") || is(nx, "a") || is(nx, "penerbangan") ||
                     is(nx, "pesawat")) &&
                    i == 0)
                        s->book = true;
                if (in_list(t, avail))
                        s->avail = true;
                if (in_list(t, history) && !(is(t, "reservasi") && int_of(nx)))
                        s->history = true;
                if ((is(t, "booking") || is(t, "pesanan") || is(t, "reservation") ||
                     is(t, "pemesanan") || is(t, "order")) &&
                    (is(at(p, i - 1), "my") || is(nx, "saya") || is(nx, "ku") ||
                     is(nx, "aku")))
                        s->history = true;
                if (is(t, "pesanan") && !int_of(nx) && !is(nx, "#") &&
                    !is(nx, "nomor") && !is(nx, "no"))
                        s->history = true;
                if (in_list(t, rate) || (is(t, "nilai") && is(nx, "tukar")) ||
                    (is(t, "mata") && is(nx, "uang")) || is(t, "currency"))
                        s->rate = true;
                if (in_list(t, all))
                        s->list_all = true;
                if (in_list(t, kb))
                        s->kb_topic = true;
                /* booking kind and status, for history filters */
                if (is(t, "hotel") || is(t, "hotels"))
                        s->kind = "hotel";
                else if (is(t, "flight") || is(t, "flights") || is(t, "penerbangan") ||
                         is(t, "pesawat") || is(t, "tiket"))
                        s->kind = "flight";
                else if (is(t, "tour") || is(t, "tours") || is(t, "tur") ||
                         is(t, "wisata"))
                        s->kind = "tour";
                if (is(t, "paid") || is(t, "lunas") ||
                    (is(t, "sudah") && (is(nx, "dibayar") || is(nx, "bayar"))))
                        s->status = "paid";
                else if (is(t, "pending") || is(t, "unpaid") ||
                         (is(t, "belum") && (is(nx, "dibayar") || is(nx, "bayar"))))
                        s->status = "pending";
                else if (is(t, "cancelled") || is(t, "canceled") || is(t, "dibatalkan"))
                        s->status = "cancelled";
        }
        /* "how can I pay, which methods": a question, not an action */
        if (!s->booking_id &&
            any_word(p, (const char *const[]){"methods", "metode", "method", NULL}))
                s->pay = false;
        /* "payment for booking 42" */
        if (s->booking_id && !s->question &&
            any_word(p, (const char *const[]){"payment", "pembayaran", NULL}))
                s->pay = true;
}

static void parse_filters(struct parse *p)
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
                struct tok *t = &p->t[i], *nx = at(p, i + 1);
                if (t->kind != T_WORD)
                        continue;
                if (is(t, "cheap") || is(t, "cheapest") || is(t, "murah") ||
                    is(t, "termurah") || is(t, "budget") || is(t, "affordable") ||
                    is(t, "hemat") || is(t, "lowest"))
                        s->cheap = true;
                for (k = 0; cats[k].word && !s->category; k++)
                        if (is(t, cats[k].word))
                                s->category = cats[k].category;
                if (is(t, "city") && (is(nx, "tour") || is(nx, "walk")) && !s->category)
                        s->category = "city";
                if ((is(t, "credit") && is(nx, "card")) ||
                    (is(t, "kartu") && is(nx, "kredit")) || is(t, "cc") ||
                    is(t, "creditcard"))
                        s->payment_method = "credit_card";
                else if ((is(t, "virtual") && is(nx, "account")) ||
                         (is(t, "akun") && is(nx, "virtual")))
                        s->payment_method = "virtual_account";
                else if ((is(t, "dompet") && is(nx, "digital")))
                        s->payment_method = "e_wallet";
                else if (!(is(t, "dana") &&
                           (is(at(p, i - 1), "pengembalian") || s->kb_topic)))
                        for (k = 0; methods[k].word; k++)
                                if (is(t, methods[k].word) &&
                                    !(is(t, "transfer") &&
                                      (is(at(p, i - 1), "airport") ||
                                       is(nx, "bandara"))))
                                        s->payment_method = methods[k].method;
        }
}

/* ================================================================ parse */

void swb_slots_parse(const char *text, const char *locale, swb_date_t today,
                     struct swb_slots *out)
{
        struct parse *p = swb_calloc(1, sizeof(*p));

        memset(out, 0, sizeof(*out));
        p->text = text ? text : "";
        p->today = today;
        p->s = out;
        tokenize(p);
        out->id = swb_slots_is_indonesian(p->text, locale);
        parse_dates(p);
        parse_ids(p);
        parse_people(p);
        parse_money(p);
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
