/*
 * swb_slots_dates - internal to the slot parser: the dates a request's text
 * names ("tomorrow", "3-5 March", "next weekend", "03/05", "for 3 nights"),
 * relative to p->today. Pure; thread-safe.
 */
#ifndef SWB_SLOTS_DATES_H
#define SWB_SLOTS_DATES_H

struct swb__slots_parser;

/** Fill date, date_end, nights, date_assumed and date_raw of p->s. */
void swb__slots_dates_parse(struct swb__slots_parser *p);

#endif
