/*
 * swb_config - the one configuration table.
 *
 * Every setting is one row of a static table: name, type, default, offsetof
 * into struct swb_config, description. Values come from, in increasing
 * precedence: the defaults, a file (`--config FILE` or SWB_CONFIG_FILE;
 * `key = value` lines, # comments), the environment (SWB_<NAME>, with '.'
 * written as '_' and upper-cased: llm.url -> SWB_LLM_URL), then flags
 * (`--name=value` or `--name value`). Unknown keys are errors. Keys starting
 * with `kafka.` pass through unchanged to librdkafka (e.g. kafka.linger.ms;
 * env SWB_KAFKA_LINGER_MS). `docs/configuration.md` is generated from the table
 * (swb_config_write_docs, `make docs`), and a test checks it is current.
 */
#ifndef SWB_CONFIG_H
#define SWB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "swb_err.h"

typedef enum swb_config_source {
        SWB_CFG_SRC_DEFAULT = 0,
        SWB_CFG_SRC_FILE,
        SWB_CFG_SRC_ENV,
        SWB_CFG_SRC_FLAG,
        SWB_CFG_SRC_PROFILE /* set by swb_profile_apply() from env / policy */
} swb_config_source_t;

/** The domains, in the order of the agent plugin table. */
#define SWB_DOMAIN_CNT 4

typedef struct swb_config {
        /* process */
        char *name;            /* process name: logs, run files */
        char *log_level;
        char *run_dir;         /* where <name>.pid / <name>.port go ("" = none) */
        int http_port;         /* 0 = ephemeral */
        char *http_bind;
        /* kafka */
        char *brokers;
        char *topic_requests;
        char *topic_route_prefix; /* + domain */
        char *topic_replies;
        char *topic_stream;
        char *topic_audit;
        char *topic_dlq;
        char *group_supervisor;
        char *group_agent_prefix; /* + domain */
        char *group_analytics;
        char *reply_topic_allowed_prefixes; /* comma-separated */
        char *group_instance_id;
        int max_message_bytes;
        int shutdown_timeout_ms;
        int max_inflight;
        int pause_after_ms;
        int dedup_retention_hours;
        int retry_max_attempts;
        int retry_backoff_ms;
        int retry_backoff_max_ms;
        /* encoding */
        char *schema_registry_url;
        /* services */
        char *pg_url;
        char *redis_url;
        /* conversation state */
        int session_ttl_s;
        int session_max_turns;
        char *route_model;
        double route_switch_confidence;
        double route_llm_threshold;
        int route_llm_timeout_ms;
        /* llm */
        char *llm_url;
        char *llm_api_key;
        char *llm_model;
        int llm_timeout_ms;
        int llm_max_inflight;
        int llm_breaker_failures;
        int llm_breaker_open_ms;
        int llm_slow_ms;
        char *llm_pricing;
        /* tools' HTTP providers */
        char *search_url, *search_api_key, *rates_url, *rates_api_key;
        int rates_max_age_s;
        /* agent */
        char *domain;
        int agent_max_tool_rounds;
        int booking_hold_minutes; /* payment window of a pending booking; 0 = none */
        int cache_ttl_hotels, cache_ttl_flights, cache_ttl_tours, cache_ttl_availability,
                cache_ttl_user_bookings;
        /* kafka.* passthrough, in order of appearance: name/value pairs */
        char **kafka_props;
        size_t kafka_props_cnt;
        /* profiles (swb_profile), budgets (swb_budget), readiness probes (swb_probe) */
        char *env;    /* "", dev, staging, prod */
        char *policy; /* "", cost_optimized, balanced, quality_optimized */
        double budget_user_daily_usd, budget_user_monthly_usd;
        double budget_tenant_daily_usd, budget_tenant_monthly_usd;
        int health_probe_interval_ms;
} swb_config_t;

/** @returns a new config holding the defaults. */
swb_config_t *swb_config_new(void);
void swb_config_destroy(swb_config_t *cfg);

/**
 * Set one key from `src`. `kafka.*` keys are passed through.
 * @returns SWB_ERR_CONFIG for an unknown key or a bad value (errstr says which).
 */
swb_err_t swb_config_set(swb_config_t *cfg, const char *key, const char *value,
                         swb_config_source_t src, char *errstr, size_t errstr_size);

/** Read `key = value` lines from a file. */
swb_err_t swb_config_load_file(swb_config_t *cfg, const char *path, char *errstr,
                               size_t errstr_size);

/** Apply every SWB_* variable of `envp` (NULL-terminated). Unknown SWB_* names are errors,
 *  except those listed in swb_config_env_ignored (variables of tools, not settings). */
swb_err_t swb_config_load_env(swb_config_t *cfg, char **envp, char *errstr,
                              size_t errstr_size);

/**
 * The usual sequence for a main: defaults, file (--config or SWB_CONFIG_FILE),
 * env, then flags. Flags not in the table are left for the caller: on return
 * argv holds argv[0] and the unconsumed arguments, *argcp their count.
 * `--help` and `--print-config` are left too (see swb_config_print).
 */
swb_err_t swb_config_from_args(swb_config_t *cfg, int *argcp, char **argv, char **envp,
                               char *errstr, size_t errstr_size);

/** @returns the source of `key`'s current value, or -1 for an unknown key. */
int swb_config_source(const swb_config_t *cfg, const char *key);

/** Print the effective configuration and where each value came from (secrets masked). */
void swb_config_print(const swb_config_t *cfg, FILE *fp);

/** Write the Markdown reference of the table (docs/configuration.md). */
void swb_config_write_docs(FILE *fp);

/** Topic of a domain's routed requests: route prefix + domain. @returns a new string. */
char *swb_config_route_topic(const swb_config_t *cfg, const char *domain);
/** @returns true when `topic` starts with one of reply_topic_allowed_prefixes. */
bool swb_config_reply_topic_allowed(const swb_config_t *cfg, const char *topic);

#endif
