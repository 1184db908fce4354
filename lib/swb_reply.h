/*
 * swb_reply - the reply text the deterministic planners (lib/agents/<domain>.c)
 * build, and the formatting they share: money and numbers, payment methods and
 * tool-error / pay / cancel sentences in the user's language (English or
 * Indonesian). The functions keep their historical swb_slots_ names, which the
 * planners and tests call. Pure functions; thread-safe.
 */
#ifndef SWB_REPLY_H
#define SWB_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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
