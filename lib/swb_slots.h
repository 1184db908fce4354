/*
 * swb_slots - what the deterministic planners (lib/agents/<domain>.c, the path
 * without a model) read out of a request: slots (places, dates, nights,
 * guests, ids, currencies, ...) and the few intents the planners act on,
 * from English and Indonesian text. The date type lives in swb_dates.h, the
 * reply formatting the planners share in swb_reply.h (both included here).
 *
 * Everything here is a pure function of its arguments: "today" is passed in
 * (swb_date_today() for the live path), so tests are deterministic.
 * Thread-safe.
 */
#ifndef SWB_SLOTS_H
#define SWB_SLOTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "swb_dates.h"
#include "swb_reply.h"

/* ---------------------------------------------------------------- slots */

#define SWB_SLOTS_PLACE_MAX 96

/** What a request says. Every field is "not said" when zero / empty / NULL. */
struct swb_slots {
        bool id;       /* answer in Indonesian (locale "id" or Indonesian words) */
        bool question; /* asks something: "how ...", "apa ...", a '?' */

        /* intents */
        bool cancel;   /* cancel / batalkan */
        bool pay;      /* pay / bayar (or "payment" next to a booking id) */
        bool book;     /* book / reserve / pesan / pesankan */
        bool avail;    /* available / availability / tersedia / kosong / check */
        bool history;  /* "my bookings", riwayat, pesanan saya, booking history */
        bool rate;     /* exchange rate / kurs / convert */
        bool list_all; /* all / list / semua / daftar */
        bool kb_topic; /* a help-centre topic: baggage, visa, refund, policy, ... */

        /* places, as typed (the search tools match destinations, aliases and
         * IATA codes in SQL) */
        char place[SWB_SLOTS_PLACE_MAX];       /* after in / at / near / di / dekat */
        char origin[SWB_SLOTS_PLACE_MAX];      /* after from / dari, or "X to Y" */
        char destination[SWB_SLOTS_PLACE_MAX]; /* after to / ke / tujuan */
        char place_guess[SWB_SLOTS_PLACE_MAX]; /* the words nothing else used */

        /* dates */
        swb_date_t date; /* check-in, departure or tour date */
        swb_date_t
            date_end; /* check-out: a range's second date, weekend, date + nights */
        int nights;   /* "for 3 nights", "3 malam"; set from a range too */
        bool date_assumed; /* an ambiguous numeric date: date_raw read as day/month */
        char date_raw[16]; /* the ambiguous text, e.g. "03/05" */

        /* people and rooms */
        int guests; /* guests / passengers / participants / orang */
        int rooms;  /* "2 rooms", "2 kamar" */

        /* ids */
        long long booking_id;   /* "booking 42", "pesanan 42", "#42", "cancel 42" */
        long long hotel_id;     /* "hotel 12" */
        long long flight_id;    /* "flight 120", "penerbangan 120" */
        long long tour_id;      /* "tour 7", "tur 7", "paket 7" */
        long long room_type_id; /* "room type 3", "tipe kamar 3", "kamar 3" */

        /* filters */
        int min_stars;        /* "5 star", "bintang 4" */
        bool cheap;           /* cheap / murah / budget: lowest price first */
        const char *category; /* tour category (culture, nature, ...) or NULL */
        const char *kind; /* "hotel", "flight", "tour" when a booking kind is named */
        const char
            *status; /* "pending", "paid", "cancelled" when a booking status is named */

        /* money */
        char base[4];               /* ISO currency code converted from ("" = none) */
        char quote[4];              /* ISO currency code converted to ("" = none) */
        double amount;              /* an amount in `base` to convert; 0 = none */
        const char *payment_method; /* a process_*_payment method, or NULL */
};

/**
 * Read `text` (UTF-8) into `out`.
 * @param locale the request's locale ("en", "id", ...); "id" forces Indonesian.
 * @param today  the reference day for relative dates ("tomorrow", "next
 *               friday", "3 March" = the next 3 March on or after today).
 * Never fails: what is not understood stays unset.
 */
void swb_slots_parse(const char *text, const char *locale, swb_date_t today,
                     struct swb_slots *out);

/** @returns true when the reply should be Indonesian: locale "id", or the
 *  text reads Indonesian ("carikan hotel di ...", "besok", "pesanan"). */
bool swb_slots_is_indonesian(const char *text, const char *locale);

/**
 * The slots of the session's earlier user turns ({"role","text"} objects,
 * oldest first, as swb_session_turns()), the most recent saying wins; the
 * last user turn is skipped when its text is `current` (the request itself).
 */
void swb_slots_context(const json_t *turns, const char *current, const char *locale,
                       swb_date_t today, struct swb_slots *out);

/**
 * Fill what `s` leaves unsaid from `earlier` (swb_slots_context()): places,
 * dates (with nights), guests, rooms and the hotel, flight and tour ids.
 * Never intents, booking ids, room types or currencies.
 */
void swb_slots_merge(struct swb_slots *s, const struct swb_slots *earlier);

/**
 * Whether a planner should hand `text` back to the supervisor: the keyword
 * router (swb_router_rule) puts it in another travel domain with full
 * confidence, and `request` (a RoutedRequest) was not escalated before (so
 * two agents never pass a request back and forth).
 */
bool swb_slots_elsewhere(const json_t *request, const char *text, const char *mine);
/** @returns true when `request` was handed back by an agent before (metadata
 *  swb.escalated_from): then it is answered, never escalated again. */
bool swb_slots_was_escalated(const json_t *request);

#endif
