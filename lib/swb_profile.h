/*
 * swb_profile - environment profiles and cost policies.
 *
 * `env` (SWB_ENV: dev, staging, prod) and `policy` (SWB_POLICY: cost_optimized,
 * balanced, quality_optimized) each name a small set of defaults (model, tool
 * rounds, timeouts, routing threshold, log level). swb_profile_apply() sets
 * them on the keys that still hold their table default, with source
 * SWB_CFG_SRC_PROFILE, so a value from a file, the environment or a flag
 * always wins and `--print-config` says "profile" where a profile decided.
 * The two never set the same key, so their order does not matter. Empty
 * `env` / `policy`: nothing is applied. Unknown names are configuration
 * errors. The row descriptions of `env` and `policy` in lib/swb_config.c list
 * the same values; a unit test keeps them in step with the table here.
 */
#ifndef SWB_PROFILE_H
#define SWB_PROFILE_H

#include <stddef.h>

#include "swb_config.h"
#include "swb_err.h"

/** One default of a profile: a configuration key and its value as text. */
struct swb_profile_setting {
        const char *key;
        const char *value;
};

/** The profile names: NULL-terminated. */
extern const char *const swb_profile_envs[];
extern const char *const swb_profile_policies[];

/**
 * The defaults of profile `name` of kind `kind` ("env" or "policy").
 * @returns a static array ended by a {NULL, NULL} entry, or NULL when the
 *          kind or the name is unknown.
 */
const struct swb_profile_setting *swb_profile_settings(const char *kind,
                                                       const char *name);

/**
 * Apply cfg->env's and cfg->policy's defaults to the keys whose source is
 * still SWB_CFG_SRC_DEFAULT. Call once, after file, environment and flags
 * (swb_main_config does).
 * @returns SWB_OK, or SWB_ERR_CONFIG with errstr naming the bad value.
 */
swb_err_t swb_profile_apply(swb_config_t *cfg, char *errstr, size_t errstr_size);

#endif
