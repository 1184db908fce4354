/* The customer_service agent: its tools live in lib/tools/; the deterministic planner is below. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"
#include "swb_tools.h"

static swb_err_t customer_service_plan(const struct swb_agent_ctx *ctx, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size)
{
        bool id = ctx->locale && !strncmp(ctx->locale, "id", 2);
        out->text = swb_strdup(id ? "Layanan pelanggan di sini. Saya bisa menampilkan pesanan Anda, membatalkan pesanan (misalnya \"batalkan pesanan 42\"), memberi kurs mata uang, dan menjawab pertanyaan perjalanan." : "Customer service here. I can show your bookings, cancel one (e.g. \"cancel booking 42\"), give currency rates and answer travel questions.");
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_customer_service = {
        .name = "customer_service",
        .description = "Bookings, cancellations, currency rates, travel information",
        .system_prompt = "You are customer service of a travel agency. Help with the user's bookings (history, details, cancellation), currency rates, and travel questions (visas, luggage, policies) using the knowledge base. Only the user's own bookings can be seen or changed.",
        .tools = swb_tools_service,
        .n_tools = SWB_ARRAY_LEN(swb_tools_service),
        .plan = customer_service_plan,
};
