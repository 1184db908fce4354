/*
 * swb_slots - what the deterministic planners (lib/agents/<domain>.c, the path
 * without a model) read out of a request: slots (places, dates, nights,
 * guests, ids, currencies, ...) and the few intents the planners act on,
 * from English and Indonesian text; plus the formatting the planners' replies
 * share (money, dates, tool errors in the user's language).
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

/* ---------------------------------------------------------------- replies */

/** A growing reply text. Zero-initialise; swb_slots_take() hands it over. */
typedef struct swb_slots_buf {
        char *s;
        size_t len, cap;
} swb_slots_buf_t;

/** Append printf-style text. */
void swb_slots_add(swb_slots_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** @returns the text (swb_malloc()ed, never NULL); the buffer is empty again. */
char *swb_slots_take(swb_slots_buf_t *b);

/**
 * Format an amount with its currency the way the user reads it:
 * "IDR 3,200,000" / "IDR 3.200.000" (Indonesian), "USD 85.50".
 * @returns out.
 */
const char *swb_slots_money(double amount, const char *currency, bool id, char *out,
                            size_t out_size);
/** A number with up to 6 significant digits, grouped: "16,250", "0.000062". @returns
 * out. */
const char *swb_slots_number(double v, bool id, char *out, size_t out_size);

/**
 * One sentence for a tool's error result ({"error":{"code","message"}}),
 * in the user's language, e.g. "I couldn't find booking 42." or
 * "Booking 42 belongs to another user, so I can't change it."
 * @param what   the object of the action, e.g. "booking 42" / "pesanan 42".
 * @returns a new string (swb_free()).
 */
char *swb_slots_tool_error(const json_t *result, const char *what, bool id);

/**
 * The reply to a successful pay (process_*_payment) or cancel
 * (cancel_*_booking) result, appended to `b`.
 */
void swb_slots_add_paid(swb_slots_buf_t *b, const json_t *result, bool id);
void swb_slots_add_cancelled(swb_slots_buf_t *b, const json_t *result, bool id);

/** The Indonesian or English text of a payment method value ("credit_card"). */
const char *swb_slots_method_name(const char *method, bool id);

#endif
