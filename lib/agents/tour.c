/* The tour agent. Tools and the deterministic planner arrive with the agents issue. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"

static swb_err_t tour_plan(const struct swb_agent_ctx *ctx, char **reply, char *errstr,
                          size_t errstr_size)
{
        const char *fmt = ctx->locale && !strncmp(ctx->locale, "id", 2)
                                  ? "Layanan tur di sini. Saya menerima: \"%s\". Saya bisa mencari paket wisata, mengecek jadwal, memesan dan membatalkan."
                                  : "Tour desk here. I received: \"%s\". I can find tours by destination, check dates, book and cancel.";
        *reply = swb_asprintf(fmt, ctx->text);
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_tour = {
        .name = "tour",
        .description = "Tour search, availability, booking, payment, cancellation",
        .tools = NULL,
        .n_tools = 0,
        .plan = tour_plan,
};
