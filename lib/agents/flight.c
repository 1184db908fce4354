/* The flight agent: its tools live in lib/tools/; the deterministic planner is below. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"
#include "swb_tools.h"

static swb_err_t flight_plan(const struct swb_agent_ctx *ctx, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size)
{
        bool id = ctx->locale && !strncmp(ctx->locale, "id", 2);
        out->text = swb_strdup(id ? "Layanan penerbangan di sini. Sebutkan kota asal, tujuan dan tanggal, misalnya \"penerbangan dari Jakarta ke Denpasar besok\"." : "Flight desk here. Tell me where from, where to and when, e.g. \"flights from Jakarta to Denpasar tomorrow\".");
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_flight = {
        .name = "flight",
        .description = "Flight search, booking, payment, cancellation",
        .system_prompt = "You are the flight desk of a travel agency. Help the user find flights by route and date, book seats, pay and cancel flight bookings. Confirm the flight and passengers before booking.",
        .tools = swb_tools_flight,
        .n_tools = SWB_ARRAY_LEN(swb_tools_flight),
        .plan = flight_plan,
};
