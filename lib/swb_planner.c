#include "swb_planner.h"

#include <stdio.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_tools.h"

swb_err_t swb_planner_call(const struct swb_agent_ctx *ctx, const char *tool,
                           json_t *args, const char *call_id, json_t **res)
{
        swb_err_t err = swb_agent_call_tool(ctx, tool, args, call_id, res);
        json_decref(args);
        return err;
}

void swb_planner_add_error(swb_slots_buf_t *b, const json_t *res, const char *what,
                           bool id)
{
        char *e = swb_slots_tool_error(res, what, id);
        swb_slots_add(b, "%s", e);
        swb_free(e);
}

swb_err_t swb_planner_pay_or_cancel(const struct swb_agent_ctx *ctx,
                                    const struct swb_slots *s, const char *pay_tool,
                                    const char *cancel_tool,
                                    struct swb_agent_answer *out, swb_slots_buf_t *b)
{
        json_t *args = json_pack("{s:I}", "booking_id", s->booking_id), *res = NULL;
        const char *code = NULL;
        char what[64];
        swb_err_t err;

        snprintf(what, sizeof(what), s->id ? "pesanan %lld" : "booking %lld",
                 s->booking_id);
        if (!s->cancel)
                json_object_set_new(
                    args, "payment_method",
                    json_string(s->payment_method ? s->payment_method : "credit_card"));
        if ((err = swb_planner_call(ctx, s->cancel ? cancel_tool : pay_tool, args,
                                    "plan-1", &res)))
                return err;
        if (swb_tools_is_error(res, &code)) {
                if (!strcmp(code, SWB_TOOL_E_WRONG_KIND) &&
                    !swb_slots_was_escalated(ctx->request))
                        out->escalate = true; /* customer service knows every kind */
                else
                        swb_planner_add_error(b, res, what, s->id);
        } else if (s->cancel)
                swb_slots_add_cancelled(b, res, s->id);
        else
                swb_slots_add_paid(b, res, s->id);
        json_decref(res);
        return SWB_OK;
}
