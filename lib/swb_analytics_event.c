/* Reading one AuditEvent for swb_analytics: its fields normalized, and the
 * latency buckets (see swb_analytics.h). */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_analytics.h"
#include "swb_analytics_int.h"
#include "swb_id.h"
#include "swb_mem.h"

/* Latency buckets (upper bounds, ms), about 1.5x apart; then +Inf. */
static const double swb__latency_le[] = {
    1,    2,     3,     5,     7,     10,    15,    20,     30,     50,     70,
    100,  150,   200,   300,   500,   700,   1000,  1500,   2000,   3000,   5000,
    7000, 10000, 15000, 20000, 30000, 50000, 70000, 100000, 150000, 200000, 300000,
};

const char *swb__analytics_str(const json_t *obj, const char *key, const char *def)
{
        const char *s = json_string_value(json_object_get(obj, key));
        return s && *s ? s : def;
}

int64_t swb__analytics_int(const json_t *obj, const char *key)
{
        const json_t *v = json_object_get(obj, key);
        if (json_is_integer(v))
                return (int64_t)json_integer_value(v);
        if (json_is_real(v) && isfinite(json_real_value(v)))
                return (int64_t)json_real_value(v);
        return 0;
}

bool swb__analytics_ieq_any(const char *s, const char *const *words)
{
        size_t i;
        for (i = 0; s && words[i]; i++)
                if (!strcasecmp(s, words[i]))
                        return true;
        return false;
}

/* A `tool_called` event whose details say a booking was made. Lenient: the
 * tool under "tool" (or "name"), a booking tool when its name starts with
 * "book" or contains "create_booking" / "make_booking", not a cancellation;
 * made when "outcome" (or "status") says so, or, without one, when a
 * "booking_id" is given. */
bool swb__analytics_is_booking(const json_t *details)
{
        static const char *const ok[] = {"ok",        "success", "succeeded", "booked",
                                         "confirmed", "created", "true",      NULL};
        const char *tool = swb__analytics_str(
            details, "tool", swb__analytics_str(details, "name", NULL));
        const char *outcome = swb__analytics_str(
            details, "outcome", swb__analytics_str(details, "status", NULL));
        char lower[128];
        size_t i;

        if (!tool)
                return false;
        for (i = 0; tool[i] && i < sizeof(lower) - 1; i++)
                lower[i] = (char)tolower((unsigned char)tool[i]);
        lower[i] = '\0';
        if (strstr(lower, "cancel") ||
            (strncmp(lower, "book", 4) && !strstr(lower, "create_booking") &&
             !strstr(lower, "make_booking")))
                return false;
        if (outcome)
                return swb__analytics_ieq_any(outcome, ok);
        return swb__analytics_str(details, "booking_id", NULL) != NULL;
}

void swb__analytics_ev_parse(const json_t *e, struct swb__ev *ev)
{
        ev->event_id = swb__analytics_str(e, "event_id", "");
        ev->request_id = swb__analytics_str(e, "request_id", "");
        ev->user_id = swb__analytics_str(e, "user_id", "");
        ev->tenant_id = swb__analytics_str(e, "tenant_id", "default");
        ev->stage = swb__analytics_str(e, "stage", "");
        ev->agent = swb__analytics_str(e, "agent", "unknown");
        ev->details = json_object_get(e, "details");
        ev->tokens_in = swb__analytics_int(e, "tokens_in");
        ev->tokens_out = swb__analytics_int(e, "tokens_out");
        ev->duration_ms = swb__analytics_int(e, "duration_ms");
        ev->created_at = swb__analytics_int(e, "created_at");
        ev->cost = json_number_value(json_object_get(e, "cost_usd"));
        /* Nonsense never reaches the sums. */
        if (ev->tokens_in < 0)
                ev->tokens_in = 0;
        if (ev->tokens_out < 0)
                ev->tokens_out = 0;
        if (!isfinite(ev->cost) || ev->cost < 0)
                ev->cost = 0;
        if (ev->created_at <= 0)
                ev->created_at = swb_now_ms();
        snprintf(ev->created_s, sizeof(ev->created_s), "%" PRId64, ev->created_at);
        snprintf(ev->hour_s, sizeof(ev->hour_s), "%" PRId64,
                 ev->created_at - ev->created_at % 3600000);
        snprintf(ev->tin_s, sizeof(ev->tin_s), "%" PRId64, ev->tokens_in);
        snprintf(ev->tout_s, sizeof(ev->tout_s), "%" PRId64, ev->tokens_out);
        snprintf(ev->cost_s, sizeof(ev->cost_s), "%.17g", ev->cost);
}

double swb_analytics_latency_le(int64_t ms)
{
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(swb__latency_le); i++)
                if ((double)ms <= swb__latency_le[i])
                        return swb__latency_le[i];
        return INFINITY;
}

double swb_analytics_latency_lower(double le)
{
        double lower = 0;
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(swb__latency_le) && swb__latency_le[i] < le; i++)
                lower = swb__latency_le[i];
        return lower;
}
