#include "swb_breaker.h"

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"

typedef enum { SWB_BRK_CLOSED, SWB_BRK_OPEN, SWB_BRK_HALF_OPEN } swb__state_t;

struct swb_breaker_s {
        struct swb_breaker_opts o;
        char *name;
        swb__state_t state;
        int consecutive;
        int64_t opened_at;
        bool probe_out;
        int64_t hold_until; /* Retry-After */
        double limit;
        swb_metric_t *m_open;
};

static int64_t swb__now(const swb_breaker_t *b)
{
        return b->o.now_ms ? b->o.now_ms() : swb_mono_ms();
}

swb_breaker_t *swb_breaker_new(const struct swb_breaker_opts *o)
{
        static const char *const labels[] = {"model", NULL};
        swb_breaker_t *b = swb_calloc(1, sizeof(*b));
        b->o = *o;
        b->name = swb_strdup(o->name ? o->name : "model");
        b->o.name = b->name;
        if (b->o.failures < 1)
                b->o.failures = 1;
        if (b->o.max < 1)
                b->o.max = 1;
        b->limit = b->o.max;
        b->m_open = swb_metrics_gauge(swb_metrics_default(), "swb_llm_circuit_open",
                                      "1 while the model's circuit breaker is open.", labels);
        swb_metric_set1(b->m_open, b->name, 0);
        return b;
}

void swb_breaker_destroy(swb_breaker_t *b)
{
        if (!b)
                return;
        swb_free(b->name);
        swb_free(b);
}

static void swb__set(swb_breaker_t *b, swb__state_t st)
{
        if (b->state == st)
                return;
        if (st == SWB_BRK_OPEN)
                SWB_WARN(NULL, "model %s: circuit open after %d consecutive failure(s); "
                               "answering without it for %d ms",
                         b->name, b->consecutive, b->o.open_ms);
        else if (st == SWB_BRK_CLOSED)
                SWB_INFO(NULL, "model %s: circuit closed", b->name);
        b->state = st;
        swb_metric_set1(b->m_open, b->name, st == SWB_BRK_CLOSED ? 0 : 1);
}

swb_err_t swb_breaker_acquire(swb_breaker_t *b, int inflight)
{
        if (b->hold_until && swb__now(b) < b->hold_until)
                return SWB_ERR_UNAVAILABLE;
        if (b->state == SWB_BRK_OPEN) {
                if (swb__now(b) - b->opened_at < b->o.open_ms)
                        return SWB_ERR_UNAVAILABLE;
                swb__set(b, SWB_BRK_HALF_OPEN);
                b->probe_out = false;
        }
        if (b->state == SWB_BRK_HALF_OPEN) {
                if (b->probe_out)
                        return SWB_ERR_UNAVAILABLE;
                b->probe_out = true;
                return SWB_OK;
        }
        if (inflight >= (int)b->limit)
                return SWB_ERR_CONFLICT;
        return SWB_OK;
}

void swb_breaker_release(swb_breaker_t *b, swb_err_t err, int64_t latency_ms,
                         int64_t retry_after_ms)
{
        if (err && retry_after_ms > 0)
                b->hold_until = swb__now(b) + retry_after_ms;
        bool overload = err == SWB_ERR_UNAVAILABLE || err == SWB_ERR_TIMEOUT ||
                        err == SWB_ERR_TRANSPORT || latency_ms > b->o.slow_ms;
        if (overload) {
                b->limit = b->limit / 2 < 1 ? 1 : b->limit / 2;
        } else if (b->limit < b->o.max) {
                b->limit += 1.0 / b->limit;
                if (b->limit > b->o.max)
                        b->limit = b->o.max;
        }
        if (err && swb_err_is_retriable(err)) {
                b->consecutive++;
                if (b->state == SWB_BRK_HALF_OPEN || b->consecutive >= b->o.failures) {
                        b->opened_at = swb__now(b);
                        swb__set(b, SWB_BRK_OPEN);
                }
        } else {
                b->consecutive = 0;
                swb__set(b, SWB_BRK_CLOSED);
        }
        b->probe_out = false;
}

bool swb_breaker_is_open(swb_breaker_t *b)
{
        return b->state == SWB_BRK_OPEN && swb__now(b) - b->opened_at < b->o.open_ms;
}

int swb_breaker_limit(const swb_breaker_t *b)
{
        return (int)b->limit;
}
