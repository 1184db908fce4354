#include "swb_usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"

struct swb__price {
        char *model;
        double in, out; /* USD per 1M tokens */
};

struct swb_usage_s {
        struct swb__price *prices;
        size_t cnt;
        swb_metric_t *m_req, *m_tok, *m_cost;
};

swb_usage_t *swb_usage_new(const swb_config_t *cfg, char *errstr, size_t errstr_size)
{
        static const char *const l_req[] = {"model", "outcome", NULL};
        static const char *const l_tok[] = {"model", "kind", NULL};
        static const char *const l_cost[] = {"model", NULL};
        swb_usage_t *u = swb_calloc(1, sizeof(*u));
        char *spec = swb_strdup(cfg->llm_pricing ? cfg->llm_pricing : ""), *save = NULL, *tok;
        swb_metrics_t *m = swb_metrics_default();

        u->m_req = swb_metrics_counter(m, "swb_llm_requests_total",
                                       "Model calls, by model and outcome.", l_req);
        u->m_tok = swb_metrics_counter(m, "swb_llm_tokens_total",
                                       "Tokens reported by the model, by kind (input, output).",
                                       l_tok);
        u->m_cost = swb_metrics_counter(m, "swb_llm_cost_usd_total",
                                        "Cost of model calls at llm.pricing, in USD.", l_cost);
        for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(tok, '='), *slash, *e1, *e2;
                double in, out;
                while (*tok == ' ')
                        tok++;
                if (!eq || !(slash = strchr(eq, '/')))
                        goto bad;
                *eq = '\0';
                in = strtod(eq + 1, &e1);
                out = strtod(slash + 1, &e2);
                if (e1 != slash || (*e2 && *e2 != ' ') || in < 0 || out < 0 || !*tok)
                        goto bad;
                u->prices = swb_realloc(u->prices, (u->cnt + 1) * sizeof(*u->prices));
                u->prices[u->cnt++] = (struct swb__price){swb_strdup(tok), in, out};
        }
        swb_free(spec);
        return u;
bad:
        swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                   "llm.pricing: \"%s\" is not model=input/output (USD per 1M tokens)", tok);
        swb_free(spec);
        swb_usage_destroy(u);
        return NULL;
}

void swb_usage_destroy(swb_usage_t *u)
{
        size_t i;
        if (!u)
                return;
        for (i = 0; i < u->cnt; i++)
                swb_free(u->prices[i].model);
        swb_free(u->prices);
        swb_free(u);
}

double swb_usage_cost(const swb_usage_t *u, const char *model, long long in, long long out)
{
        size_t i;
        for (i = 0; model && i < u->cnt; i++)
                if (!strcmp(u->prices[i].model, model))
                        return ((double)in * u->prices[i].in + (double)out * u->prices[i].out) /
                               1e6;
        return 0;
}

double swb_usage_account(swb_usage_t *u, const char *model, const swb_llm_result_t *res)
{
        double cost = 0;
        swb_metric_inc2(u->m_req, model, res->err ? swb_err2str(res->err) : "ok", 1);
        if (res->has_usage) {
                swb_metric_inc2(u->m_tok, model, "input", (double)res->usage.prompt_tokens);
                swb_metric_inc2(u->m_tok, model, "output", (double)res->usage.completion_tokens);
                cost = swb_usage_cost(u, model, res->usage.prompt_tokens,
                                      res->usage.completion_tokens);
                if (cost == 0 && res->usage.total_tokens > 0)
                        SWB_DBG(NULL, "no price for model %s in llm.pricing", model);
                swb_metric_inc1(u->m_cost, model, cost);
        }
        return cost;
}

swb_err_t swb_usage_model_new(const swb_config_t *cfg, int timeout_ms, bool stream, int slow_ms,
                              swb_llm_t **llm, swb_breaker_t **breaker, char *errstr,
                              size_t errstr_size)
{
        struct swb_llm_opts o = {0};
        struct swb_breaker_opts bo = {0};
        o.base_url = cfg->llm_url;
        o.api_key = cfg->llm_api_key;
        o.model = cfg->llm_model;
        o.timeout_ms = timeout_ms;
        o.stream = stream;
        o.max_inflight = cfg->llm_max_inflight;
        if (!(*llm = swb_llm_new(&o, errstr, errstr_size)))
                return SWB_ERR_CONFIG;
        bo.name = cfg->llm_model;
        bo.failures = cfg->llm_breaker_failures;
        bo.open_ms = cfg->llm_breaker_open_ms;
        bo.max = cfg->llm_max_inflight;
        bo.slow_ms = slow_ms > 0 ? slow_ms : timeout_ms;
        *breaker = swb_breaker_new(&bo);
        return SWB_OK;
}
