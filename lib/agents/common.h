/*
 * swb_agents - what the deterministic planners of the booking desks
 * (lib/agents/hotel.c, flight.c, tour.c; customer_service.c in part) share:
 * the steps around a desk's own answer (escalation, pay / cancel by booking
 * id, the session's earlier turns), the desk's one tool call with its error
 * sentence, and the words each desk uses for its bookings in the reply.
 * What differs between the desks (their searches, details, the sentences of
 * a booking) stays in their files; a new booking desk adds its row (tools,
 * words) to the table in common.c. Called from the agent worker's thread,
 * like the planners.
 */
#ifndef SWB_AGENTS_COMMON_H
#define SWB_AGENTS_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swb_agent.h"
#include "swb_dates.h"
#include "swb_err.h"
#include "swb_slots.h"

/**
 * A desk's own answer to a request that does not pay or cancel a booking by
 * id: append the reply to `b`. The slots already hold what the session's
 * earlier turns said.
 * @returns SWB_OK, or the error of a tool call.
 */
typedef swb_err_t(swb_agents_answer_fn)(const struct swb_agent_ctx *ctx,
                                        const struct swb_slots *s, swb_date_t today,
                                        swb_slots_buf_t *b);

/**
 * The plugin's `plan` for the desk of `kind`: parse ctx->text; escalate a
 * request the router gives another desk, unless ours(slots) says it names
 * one of this desk's things; pay or cancel a booking given by id with the
 * desk's tools (swb_planner_pay_or_cancel()); else fill the gaps from the
 * session's earlier turns and answer().
 * @returns SWB_OK with out->text or out->escalate set, or the error of a
 *          tool call (errstr: "<kind> planner: a tool failed").
 */
swb_err_t swb_agents_plan(const struct swb_agent_ctx *ctx, const char *kind,
                          bool (*ours)(const struct swb_slots *s),
                          swb_agents_answer_fn *answer, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size);

/**
 * A desk's place to search: the place or destination said, else the
 * guessed place when the router gives the text to desk `kind`. @returns
 * a string inside `s`, or NULL.
 */
const char *swb_agents_place(const struct swb_agent_ctx *ctx, const struct swb_slots *s,
                             const char *kind);

/**
 * The planner's one tool call (call id "plan-1"); takes ownership of `args`.
 * @returns the error of the call (nothing appended, *res NULL); or SWB_OK
 *          with *res NULL when the tool refused (its error sentence about
 *          `what` appended to `b`); or SWB_OK with *res the result (a new
 *          reference).
 */
swb_err_t swb_agents_call(const struct swb_agent_ctx *ctx, const char *tool,
                          json_t *args, const char *what, bool id, swb_slots_buf_t *b,
                          json_t **res);

/** "<noun> <n>" of desk `kind`: "flight 7" / "penerbangan 7". @returns out. */
const char *swb_agents_what(const char *kind, long long n, bool id, char *out,
                            size_t out_size);

/** The verb of a pay or cancel request: "cancel" / "batalkan", "pay" / "bayar". */
const char *swb_agents_verb(const struct swb_slots *s);

/**
 * How to ask the desk of `kind` to pay a booking, in the words its router
 * knows: "pay flight booking" / "bayar tiket penerbangan booking".
 * @returns NULL for a kind no desk books.
 */
const char *swb_agents_pay_phrase(const char *kind, bool id);

/** Format o[key] in o["currency"] (swb_slots_money()). @returns out. */
const char *swb_agents_money(const json_t *o, const char *key, bool id, char *out,
                             size_t out_size);

/** "(I read "3/4" as 2027-04-03, day/month.)\n" when s->date was a guess. */
void swb_agents_add_assumed(swb_slots_buf_t *b, const struct swb_slots *s);

/**
 * The reply to a book_* result `res` ("booking_id", "amount", "currency")
 * is "Booked! Booking 7: " (swb_agents_add_booked()), what the desk booked,
 * then ", total IDR 1,000. Status: pending - ... until you pay.\nSay 'pay
 * flight booking 7' to pay (...)." (swb_agents_add_pending()).
 */
void swb_agents_add_booked(swb_slots_buf_t *b, const json_t *res, bool id);
void swb_agents_add_pending(swb_slots_buf_t *b, const char *kind, const json_t *res,
                            bool id);

/** "Which booking? Give its number, e.g. 'cancel flight booking 42'." */
void swb_agents_add_which_booking(swb_slots_buf_t *b, const char *kind,
                                  const struct swb_slots *s);

#endif
