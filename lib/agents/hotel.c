/* The hotel agent: its tools live in lib/tools/; the deterministic planner is below. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"
#include "swb_tools.h"

static swb_err_t hotel_plan(const struct swb_agent_ctx *ctx, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size)
{
        bool id = ctx->locale && !strncmp(ctx->locale, "id", 2);
        out->text = swb_strdup(id ? "Layanan hotel di sini. Sebutkan kota dan tanggal menginap, misalnya \"hotel di Bali tanggal 3 sampai 5 Maret untuk 2 orang\"." : "Hotel desk here. Tell me the city and your dates, e.g. \"a hotel in Bali from 3 to 5 March for 2 guests\".");
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_hotel = {
        .name = "hotel",
        .description = "Hotel search, availability, booking, payment, cancellation",
        .system_prompt = "You are the hotel desk of a travel agency. Help the user find hotels, check room availability, book rooms, pay and cancel hotel bookings. Confirm dates, guests and the room before booking; never book or pay without the user's clear request.",
        .tools = swb_tools_hotel,
        .n_tools = SWB_ARRAY_LEN(swb_tools_hotel),
        .plan = hotel_plan,
};
