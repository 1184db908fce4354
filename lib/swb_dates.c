#include "swb_dates.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
