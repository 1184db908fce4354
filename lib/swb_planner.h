/*
 * swb_planner - what the deterministic planners (lib/agents/<domain>.c, the
 * path without a model) share besides slots and reply text: calling a tool,
 * appending a tool's error sentence, and paying or cancelling a booking by id.
 * Called from the agent worker's thread, like the planners.
 */
#ifndef SWB_PLANNER_H
#define SWB_PLANNER_H

#include <stdbool.h>

#include <jansson.h>

#include "swb_agent.h"
#include "swb_err.h"
#include "swb_slots.h"

/**
 * swb_agent_call_tool(), then json_decref(args): takes ownership of `args`.
 * @returns its error; *res is the tool's result (a new reference).
 */
swb_err_t swb_planner_call(const struct swb_agent_ctx *ctx, const char *tool,
                           json_t *args, const char *call_id, json_t **res);

/** Append the error sentence of a tool's error result (swb_slots_tool_error()). */
void swb_planner_add_error(swb_slots_buf_t *b, const json_t *res, const char *what,
                           bool id);

/**
 * Pay (s->pay; s->payment_method, default "credit_card") or cancel
 * (s->cancel) booking s->booking_id with `pay_tool` / `cancel_tool`
 * ("process_hotel_payment" / "cancel_hotel_booking", ...), and append the
 * reply to `b`. A booking of another kind (SWB_TOOL_E_WRONG_KIND) sets
 * out->escalate instead, unless the request was escalated before (then the
 * error sentence is the reply).
 * @returns SWB_OK, or the error of the tool call (nothing appended).
 */
swb_err_t swb_planner_pay_or_cancel(const struct swb_agent_ctx *ctx,
                                    const struct swb_slots *s, const char *pay_tool,
                                    const char *cancel_tool,
                                    struct swb_agent_answer *out, swb_slots_buf_t *b);

#endif
