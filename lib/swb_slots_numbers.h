/*
 * swb_slots_numbers - internal to the slot parser: the numbers a request's
 * text carries: people and rooms, booking / hotel / flight / tour ids,
 * currencies and amounts. Pure; thread-safe.
 */
#ifndef SWB_SLOTS_NUMBERS_H
#define SWB_SLOTS_NUMBERS_H

struct swb__slots_parser;

/** Guests, rooms, nights, stars. */
void swb__slots_numbers_people(struct swb__slots_parser *p);
/** booking_id, hotel_id, flight_id, tour_id, room_type_id. */
void swb__slots_numbers_ids(struct swb__slots_parser *p);
/** base, quote, amount, payment_method. */
void swb__slots_numbers_money(struct swb__slots_parser *p);

#endif
