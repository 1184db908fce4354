/*
 * swb_dates - a calendar day (swb_date_t) and its arithmetic, as the slot
 * parser (swb_slots) and the planners use it. Pure functions except
 * swb_date_today(); thread-safe.
 */
#ifndef SWB_DATES_H
#define SWB_DATES_H

#include <stdbool.h>

/* ---------------------------------------------------------------- dates */

/** A calendar day. year == 0 means "no date". */
typedef struct swb_date {
        int year, month, day;
} swb_date_t;

/** @returns true when `d` is set and a real calendar day. */
bool swb_date_valid(swb_date_t d);
/** @returns `d` plus `days` (may be negative). */
swb_date_t swb_date_add(swb_date_t d, int days);
/** @returns b - a in days. */
int swb_date_diff(swb_date_t a, swb_date_t b);
/** @returns the ISO weekday of `d`: 1 = Monday .. 7 = Sunday. */
int swb_date_weekday(swb_date_t d);
/** Write `d` as YYYY-MM-DD (or "" when not set) into out. */
void swb_date_iso(swb_date_t d, char out[16]);
/** @returns today in the process' local time zone. */
swb_date_t swb_date_today(void);

#endif
