/* The hotel agent. Tools and the deterministic planner arrive with the agents issue. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"

static swb_err_t hotel_plan(const struct swb_agent_ctx *ctx, char **reply, char *errstr,
                          size_t errstr_size)
{
        const char *fmt = ctx->locale && !strncmp(ctx->locale, "id", 2)
                                  ? "Layanan hotel di sini. Saya menerima: \"%s\". Saya bisa mencari hotel, mengecek kamar, memesan dan membatalkan."
                                  : "Hotel desk here. I received: \"%s\". I can search hotels, check rooms, book and cancel stays.";
        *reply = swb_asprintf(fmt, ctx->text);
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_hotel = {
        .name = "hotel",
        .description = "Hotel search, availability, booking, payment, cancellation",
        .tools = NULL,
        .n_tools = 0,
        .plan = hotel_plan,
};
