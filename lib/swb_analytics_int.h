/* swb_analytics internals shared by its files (not a public API). */
#ifndef SWB_ANALYTICS_INT_H
#define SWB_ANALYTICS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The fields of one AuditEvent, normalized, with their text forms. */
struct swb__ev {
        const char *event_id, *request_id, *user_id, *tenant_id, *stage, *agent;
        const json_t *details;
        int64_t tokens_in, tokens_out, duration_ms, created_at;
        double cost;
        char created_s[24], hour_s[24], tin_s[24], tout_s[24], cost_s[40];
};

/* swb_analytics_event.c: reading one AuditEvent. */
const char *swb__analytics_str(const json_t *obj, const char *key, const char *def);
int64_t swb__analytics_int(const json_t *obj, const char *key);
/** Is `s` one of `words` (NULL-ended), ignoring case? */
bool swb__analytics_ieq_any(const char *s, const char *const *words);
/** Does a tool_called event's details describe a booking made? */
bool swb__analytics_is_booking(const json_t *details);
void swb__analytics_ev_parse(const json_t *e, struct swb__ev *ev);

#endif
