#include "swb_profile.h"

#include <stdio.h>
#include <string.h>

#include "swb_mem.h"

/* The one table of profile values (mirrored in the `env` and `policy` rows'
 * descriptions; test_profile checks they agree). Environments own logging and
 * the routing deadline; policies own the model, tool rounds, the agent's
 * deadline and the routing threshold: no key is set by both. */
#define SWB__MAX_SETTINGS 4

struct swb__profile {
        const char *name;
        struct swb_profile_setting set[SWB__MAX_SETTINGS + 1];
};

static const struct swb__profile swb__envs[] = {
    {"dev", {{"log.level", "debug"}, {"route.llm.timeout.ms", "5000"}}},
    {"staging", {{"log.level", "info"}, {"route.llm.timeout.ms", "3000"}}},
    {"prod", {{"log.level", "info"}, {"route.llm.timeout.ms", "2000"}}},
};

static const struct swb__profile swb__policies[] = {
    {"cost_optimized",
     {{"llm.model", "gpt-4o-mini"},
      {"agent.max.tool.rounds", "3"},
      {"llm.timeout.ms", "30000"},
      {"route.llm.threshold", "0.4"}}},
    {"balanced",
     {{"llm.model", "gpt-4o-mini"},
      {"agent.max.tool.rounds", "6"},
      {"llm.timeout.ms", "60000"},
      {"route.llm.threshold", "0.6"}}},
    {"quality_optimized",
     {{"llm.model", "gpt-4o"},
      {"agent.max.tool.rounds", "8"},
      {"llm.timeout.ms", "120000"},
      {"route.llm.threshold", "0.75"}}},
};

const char *const swb_profile_envs[] = {"dev", "staging", "prod", NULL};
const char *const swb_profile_policies[] = {"cost_optimized", "balanced",
                                            "quality_optimized", NULL};

static const struct swb__profile *swb__find(const struct swb__profile *tab, size_t n,
                                            const char *name)
{
        size_t i;
        for (i = 0; name && i < n; i++)
                if (!strcmp(tab[i].name, name))
                        return &tab[i];
        return NULL;
}

const struct swb_profile_setting *swb_profile_settings(const char *kind,
                                                       const char *name)
{
        const struct swb__profile *p = NULL;
        if (kind && !strcmp(kind, "env"))
                p = swb__find(swb__envs, SWB_ARRAY_LEN(swb__envs), name);
        else if (kind && !strcmp(kind, "policy"))
                p = swb__find(swb__policies, SWB_ARRAY_LEN(swb__policies), name);
        return p ? p->set : NULL;
}

static swb_err_t swb__apply(swb_config_t *cfg, const char *kind, const char *name,
                            const char *const *known, char *errstr, size_t errstr_size)
{
        const struct swb_profile_setting *s;
        char msg[256];
        swb_err_t err;

        if (!name || !*name)
                return SWB_OK;
        if (!(s = swb_profile_settings(kind, name))) {
                char list[128] = "";
                size_t i, pos = 0;
                for (i = 0; known[i] && pos < sizeof(list); i++)
                        pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s",
                                                i ? ", " : "", known[i]);
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "%s: unknown value \"%s\" (known: %s)", kind, name,
                                  list);
        }
        for (; s->key; s++) {
                if (swb_config_source(cfg, s->key) != SWB_CFG_SRC_DEFAULT)
                        continue; /* set explicitly (or by the other profile): it wins
                                   */
                if ((err = swb_config_set(cfg, s->key, s->value, SWB_CFG_SRC_PROFILE,
                                          msg, sizeof(msg))))
                        return swb_seterr(errstr, errstr_size, err, "%s %s: %s", kind,
                                          name, msg);
        }
        return SWB_OK;
}

swb_err_t swb_profile_apply(swb_config_t *cfg, char *errstr, size_t errstr_size)
{
        swb_err_t err =
            swb__apply(cfg, "env", cfg->env, swb_profile_envs, errstr, errstr_size);
        if (!err)
                err = swb__apply(cfg, "policy", cfg->policy, swb_profile_policies,
                                 errstr, errstr_size);
        return err;
}
