/* The tour agent: its tools live in lib/tools/; the deterministic planner is below. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"
#include "swb_tools.h"

static swb_err_t tour_plan(const struct swb_agent_ctx *ctx, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size)
{
        bool id = ctx->locale && !strncmp(ctx->locale, "id", 2);
        out->text = swb_strdup(id ? "Layanan tur di sini. Tujuan mana yang Anda inginkan, misalnya \"paket wisata di Yogyakarta\"?" : "Tour desk here. Which destination would you like a tour in, e.g. \"tours in Yogyakarta\"?");
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_tour = {
        .name = "tour",
        .description = "Tour search, availability, booking, payment, cancellation",
        .system_prompt = "You are the tour desk of a travel agency. Help the user find tours and travel packages by destination, check dates and places, book, pay and cancel tour bookings.",
        .tools = swb_tools_tour,
        .n_tools = SWB_ARRAY_LEN(swb_tools_tour),
        .plan = tour_plan,
};
