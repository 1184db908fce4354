/* The flight agent. Tools and the deterministic planner arrive with the agents issue. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"

static swb_err_t flight_plan(const struct swb_agent_ctx *ctx, char **reply, char *errstr,
                          size_t errstr_size)
{
        const char *fmt = ctx->locale && !strncmp(ctx->locale, "id", 2)
                                  ? "Layanan penerbangan di sini. Saya menerima: \"%s\". Saya bisa mencari penerbangan, memesan dan membatalkan tiket."
                                  : "Flight desk here. I received: \"%s\". I can search flights by route and date, book and cancel tickets.";
        *reply = swb_asprintf(fmt, ctx->text);
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_flight = {
        .name = "flight",
        .description = "Flight search, booking, payment, cancellation",
        .tools = NULL,
        .n_tools = 0,
        .plan = flight_plan,
};
