#include "swb_slots_dates.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_slots_lex.h"

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

static int year_of(const struct swb__slots_tok *t)
{
        long long y = swb__slots_lex_int_of(t);
        return y >= 2000 && y <= 2100 ? (int)y : 0;
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

/* A day number 1..31 (plain or ordinal). */
static int day_of(const struct swb__slots_tok *t)
{
        long long d = swb__slots_lex_int_of(t);
        return d >= 1 && d <= 31 ? (int)d : 0;
}

static bool is_ordinal(const struct swb__slots_tok *t)
{
        return t && t->kind == SWB__SLOTS_T_NUM &&
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

void swb__slots_dates_parse(struct swb__slots_parser *p)
{
        struct swb_slots *s = p->s;
        struct mention m[8];
        swb_date_t none = {0, 0, 0}, today = p->today;
        int nm = 0, i;

        for (i = 0; i < p->n; i++) {
                struct swb__slots_tok *t = &p->t[i], *nx = swb__slots_lex_at(p, i + 1),
                                      *pv = swb__slots_lex_at(p, i - 1);
                int a, b, c = 0, mo, wd, d1, k;
                char x, y_;
                if (t->used)
                        continue;
                /* 2026-12-20, 2026/12/20 */
                if (t->kind == SWB__SLOTS_T_WORD && t->len == 10 &&
                    sscanf(t->low, "%4d%c%2d%c%2d", &a, &x, &b, &y_, &c) == 5 &&
                    a >= 1900 && (x == '-' || x == '/') && x == y_) {
                        add_mention(m, &nm, i, (swb_date_t){a, b, c}, none);
                        swb__slots_lex_use(p, i, i);
                        continue;
                }
                /* 20-22 December, Dec 20-22 */
                if (t->kind == SWB__SLOTS_T_WORD &&
                    sscanf(t->low, "%2d-%2d%c", &a, &b, &x) == 2 && a >= 1 && a <= 31 &&
                    b >= 1 && b <= 31) {
                        int first = i,
                            last = swb__slots_lex_is(nx, "of") ? i + 2 : i + 1;
                        if ((mo = swb__slots_lex_month_of(
                                 swb__slots_lex_at(p, last))) == 0 &&
                            (mo = swb__slots_lex_month_of(pv)))
                                first = i - 1, last = i;
                        if (mo) {
                                int y = year_of(swb__slots_lex_at(p, last + 1));
                                swb_date_t d = next_dm(today, a, mo, y);
                                add_mention(m, &nm, first, d, same_month(d, b));
                                swb__slots_lex_use(p, first, y ? last + 1 : last);
                                continue;
                        }
                }
                /* 03/05, 3/5/2026, 20/12 */
                if (t->kind == SWB__SLOTS_T_WORD && strchr(t->low, '/') &&
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
                                swb__slots_lex_use(p, i, i);
                                continue;
                        }
                }
                /* 3 March [2027], 3rd of March; "3 to 5 March", "3 sampai 5 Maret" */
                k = swb__slots_lex_is(nx, "of") ? i + 2 : i + 1;
                if ((d1 = day_of(t)) &&
                    (mo = swb__slots_lex_month_of(swb__slots_lex_at(p, k)))) {
                        int y = year_of(swb__slots_lex_at(p, k + 1)),
                            first = day_of(swb__slots_lex_at(p, i - 2));
                        swb_date_t d = next_dm(today, d1, mo, y);
                        if (first && first < d1 && swb__slots_lex_is_range_word(pv) &&
                            !p->t[i - 2].used) {
                                swb_date_t d0 = {d.year, mo, first};
                                add_mention(m, &nm, i - 2, d0, d);
                                swb__slots_lex_use(p, i - 2, i - 1);
                        } else
                                add_mention(m, &nm, i, d, none);
                        swb__slots_lex_use(p, i, y ? k + 1 : k);
                        continue;
                }
                /* March 3 [2027], March 3 to 5 */
                if ((mo = swb__slots_lex_month_of(t)) && (d1 = day_of(nx)) &&
                    !swb__slots_lex_month_of(swb__slots_lex_at(p, i + 2))) {
                        int y;
                        swb_date_t d, d2 = none;
                        k = swb__slots_lex_is(swb__slots_lex_at(p, i + 2), ",") ? i + 3
                                                                                : i + 2;
                        y = year_of(swb__slots_lex_at(p, k));
                        d = next_dm(today, d1, mo, y);
                        swb__slots_lex_use(p, i, y ? k : i + 1);
                        if (swb__slots_lex_is_range_word(swb__slots_lex_at(p, i + 2)) &&
                            day_of(swb__slots_lex_at(p, i + 3)) &&
                            !swb__slots_lex_month_of(swb__slots_lex_at(p, i + 4)) &&
                            swb_date_valid(d2 = same_month(
                                               d, day_of(swb__slots_lex_at(p, i + 3)))))
                                swb__slots_lex_use(p, i + 2, i + 3);
                        add_mention(m, &nm, i, d, d2);
                        continue;
                }
                /* tanggal 20 [sampai 22], on the 20th */
                if ((swb__slots_lex_is(t, "tanggal") || swb__slots_lex_is(t, "tgl")) &&
                    swb__slots_lex_is_range_word(swb__slots_lex_at(p, i + 2)) &&
                    swb__slots_lex_month_of(swb__slots_lex_at(p, i + 4))) {
                        t->used = true; /* "tanggal 20 sampai 22 Desember": see above */
                        continue;
                }
                if ((swb__slots_lex_is(t, "tanggal") || swb__slots_lex_is(t, "tgl") ||
                     (swb__slots_lex_is(t, "the") && is_ordinal(nx))) &&
                    (d1 = day_of(nx)) &&
                    !swb__slots_lex_month_of(swb__slots_lex_at(p, i + 2))) {
                        swb_date_t d = {today.year, today.month, d1}, d2 = none;
                        if (d1 < today.day || !swb_date_valid(d)) {
                                swb_date_t n1 = swb_date_add(
                                    (swb_date_t){today.year, today.month, 1}, 31);
                                d = (swb_date_t){n1.year, n1.month, d1};
                        }
                        swb__slots_lex_use(p, i, i + 1);
                        if (swb__slots_lex_is_range_word(swb__slots_lex_at(p, i + 2)) &&
                            day_of(swb__slots_lex_at(p, i + 3)) &&
                            !swb__slots_lex_month_of(swb__slots_lex_at(p, i + 4)) &&
                            swb_date_valid(d2 = same_month(
                                               d, day_of(swb__slots_lex_at(p, i + 3)))))
                                swb__slots_lex_use(p, i + 2, i + 3);
                        add_mention(m, &nm, i, d, d2);
                        continue;
                }
                /* 3 hari lagi, 3 days from now */
                if (swb__slots_lex_word_number(t) &&
                    swb__slots_lex_in_list(nx, swb__slots_lex_day_units) &&
                    (swb__slots_lex_is(swb__slots_lex_at(p, i + 2), "lagi") ||
                     (swb__slots_lex_is(swb__slots_lex_at(p, i + 2), "from") &&
                      swb__slots_lex_is(swb__slots_lex_at(p, i + 3), "now")))) {
                        add_mention(m, &nm, i,
                                    swb_date_add(today, swb__slots_lex_word_number(t)),
                                    none);
                        swb__slots_lex_use(
                            p, i,
                            swb__slots_lex_is(swb__slots_lex_at(p, i + 2), "lagi")
                                ? i + 2
                                : i + 3);
                        continue;
                }
                if (t->kind != SWB__SLOTS_T_WORD)
                        continue;
                /* relative days */
                if ((swb__slots_lex_is(t, "day") && swb__slots_lex_is(nx, "after") &&
                     swb__slots_lex_is(swb__slots_lex_at(p, i + 2), "tomorrow")) ||
                    (swb__slots_lex_is(t, "besok") && swb__slots_lex_is(nx, "lusa")) ||
                    swb__slots_lex_is(t, "lusa")) {
                        add_mention(m, &nm, i, swb_date_add(today, 2), none);
                        swb__slots_lex_use(p, i,
                                           swb__slots_lex_is(t, "day")     ? i + 2
                                           : swb__slots_lex_is(t, "besok") ? i + 1
                                                                           : i);
                        continue;
                }
                if (swb__slots_lex_is(t, "tomorrow") || swb__slots_lex_is(t, "besok") ||
                    swb__slots_lex_is(t, "esok")) {
                        add_mention(m, &nm, i, swb_date_add(today, 1), none);
                        swb__slots_lex_use(p, i, i);
                        continue;
                }
                if (swb__slots_lex_is(t, "today") || swb__slots_lex_is(t, "tonight") ||
                    ((swb__slots_lex_is(t, "hari") || swb__slots_lex_is(t, "malam")) &&
                     swb__slots_lex_is(nx, "ini"))) {
                        add_mention(m, &nm, i, today, none);
                        swb__slots_lex_use(p, i,
                                           swb__slots_lex_is(t, "today") ||
                                                   swb__slots_lex_is(t, "tonight")
                                               ? i
                                               : i + 1);
                        continue;
                }
                /* in 3 days, dalam 3 hari */
                if ((swb__slots_lex_is(t, "in") || swb__slots_lex_is(t, "dalam")) &&
                    swb__slots_lex_word_number(nx) &&
                    swb__slots_lex_in_list(swb__slots_lex_at(p, i + 2),
                                           swb__slots_lex_day_units)) {
                        add_mention(m, &nm, i,
                                    swb_date_add(today, swb__slots_lex_word_number(nx)),
                                    none);
                        swb__slots_lex_use(p, i, i + 2);
                        continue;
                }
                /* this weekend, next weekend, akhir pekan (ini / depan), weekend depan
                 */
                if (swb__slots_lex_is(t, "weekend") ||
                    (swb__slots_lex_is(t, "akhir") &&
                     (swb__slots_lex_is(nx, "pekan") ||
                      swb__slots_lex_is(nx, "minggu")))) {
                        int last = swb__slots_lex_is(t, "weekend") ? i : i + 1;
                        bool next =
                            swb__slots_lex_is(pv, "next") ||
                            swb__slots_lex_is(swb__slots_lex_at(p, last + 1), "depan");
                        swb_date_t d, e;
                        weekend(today, next, &d, &e);
                        add_mention(m, &nm, i, d, e);
                        swb__slots_lex_use(
                            p,
                            swb__slots_lex_is(pv, "next") ||
                                    swb__slots_lex_is(pv, "this")
                                ? i - 1
                                : i,
                            swb__slots_lex_is(swb__slots_lex_at(p, last + 1),
                                              "depan") ||
                                    swb__slots_lex_is(swb__slots_lex_at(p, last + 1),
                                                      "ini")
                                ? last + 1
                                : last);
                        continue;
                }
                /* next week / minggu depan: the Monday of next week */
                if ((swb__slots_lex_is(t, "week") && swb__slots_lex_is(pv, "next")) ||
                    (swb__slots_lex_is(t, "minggu") && swb__slots_lex_is(nx, "depan") &&
                     !swb__slots_lex_is(pv, "hari"))) {
                        add_mention(m, &nm, i, next_weekday(today, 1, false), none);
                        swb__slots_lex_use(p, swb__slots_lex_is(t, "week") ? i - 1 : i,
                                           swb__slots_lex_is(t, "week") ? i : i + 1);
                        continue;
                }
                /* weekdays: next friday, on friday, jumat depan, hari minggu */
                wd = swb__slots_lex_weekday_of(t);
                if (!wd && swb__slots_lex_is(t, "minggu") &&
                    (swb__slots_lex_is(pv, "hari") || swb__slots_lex_is(pv, "pada")))
                        wd = 7;
                if (wd) {
                        bool next = swb__slots_lex_is(pv, "next") ||
                                    swb__slots_lex_is(nx, "depan");
                        add_mention(m, &nm, i, next_weekday(today, wd, !next), none);
                        swb__slots_lex_use(p,
                                           swb__slots_lex_is(pv, "next") ||
                                                   swb__slots_lex_is(pv, "this") ||
                                                   swb__slots_lex_is(pv, "hari")
                                               ? i - 1
                                               : i,
                                           swb__slots_lex_is(nx, "depan") ||
                                                   swb__slots_lex_is(nx, "ini")
                                               ? i + 1
                                               : i);
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
