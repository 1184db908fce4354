/*
 * swb_usage - accounting of model calls: the metrics
 * swb_llm_requests_total{model,outcome}, swb_llm_tokens_total{model,kind},
 * swb_llm_cost_usd_total{model}, and the cost of a call from its reported
 * usage at the prices of llm.pricing.
 */
#ifndef SWB_USAGE_H
#define SWB_USAGE_H

#include "swb_breaker.h"
#include "swb_config.h"
#include "swb_llm.h"
#include "swb_llm_decode.h"

typedef struct swb_usage_s swb_usage_t;

/** @returns NULL with errstr filled when llm.pricing does not parse. */
swb_usage_t *swb_usage_new(const swb_config_t *cfg, char *errstr, size_t errstr_size);
void swb_usage_destroy(swb_usage_t *u);

/** USD for `in`/`out` tokens of `model` (0 for an unknown model). */
double swb_usage_cost(const swb_usage_t *u, const char *model, long long in, long long out);

/**
 * Count one finished call (its outcome from res->err) and its tokens.
 * @returns its cost in USD.
 */
double swb_usage_account(swb_usage_t *u, const char *model, const swb_llm_result_t *res);

/**
 * The model client and its protection as configured (llm.*): what the
 * supervisor and the agents both build when llm.url is set.
 * @param timeout_ms  per-call deadline (also the "slow" mark when slow_ms is 0).
 * @returns SWB_OK with *llm and *breaker set, or an error with errstr filled.
 */
swb_err_t swb_usage_model_new(const swb_config_t *cfg, int timeout_ms, bool stream, int slow_ms,
                              swb_llm_t **llm, swb_breaker_t **breaker, char *errstr,
                              size_t errstr_size);

#endif
