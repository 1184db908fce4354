/* The customer_service agent. Tools and the deterministic planner arrive with the agents issue. */
#include <string.h>

#include "swb_agent.h"
#include "swb_mem.h"

static swb_err_t customer_service_plan(const struct swb_agent_ctx *ctx, char **reply, char *errstr,
                          size_t errstr_size)
{
        const char *fmt = ctx->locale && !strncmp(ctx->locale, "id", 2)
                                  ? "Layanan pelanggan di sini. Saya menerima: \"%s\". Saya bisa menampilkan pesanan Anda, membatalkan, dan menjawab pertanyaan perjalanan."
                                  : "Customer service here. I received: \"%s\". I can show your bookings, cancel them, and answer travel questions.";
        *reply = swb_asprintf(fmt, ctx->text);
        return SWB_OK;
}

const struct swb_agent_plugin swb_agent_customer_service = {
        .name = "customer_service",
        .description = "Bookings, cancellations, currency rates, travel information",
        .tools = NULL,
        .n_tools = 0,
        .plan = customer_service_plan,
};
