/* swb_profile: env / policy defaults apply only where nothing explicit was set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swb_config.h"
#include "swb_mem.h"
#include "swb_profile.h"

/* Build a config as a main does: file, env, flags, then the profiles. */
static swb_err_t build(swb_config_t **cfgp, char **envp, const char *flag, char *errstr,
                       size_t errstr_size)
{
        char *argv[] = {"prog", (char *)flag, NULL};
        int argc = flag ? 2 : 1;
        swb_err_t err;
        *cfgp = swb_config_new();
        err = swb_config_from_args(*cfgp, &argc, argv, envp, errstr, errstr_size);
        if (!err)
                err = swb_profile_apply(*cfgp, errstr, errstr_size);
        return err;
}

static void test_policy_applies_to_defaults(void **state)
{
        char errstr[256];
        char *envp[] = {"SWB_POLICY=quality_optimized", "SWB_ENV=dev", NULL};
        swb_config_t *cfg;
        assert_int_equal(build(&cfg, envp, NULL, errstr, sizeof(errstr)), SWB_OK);
        assert_string_equal(cfg->llm_model, "gpt-4o");
        assert_int_equal(cfg->agent_max_tool_rounds, 8);
        assert_int_equal(cfg->llm_timeout_ms, 120000);
        assert_true(cfg->route_llm_threshold == 0.75);
        assert_string_equal(cfg->log_level, "debug");
        assert_int_equal(cfg->route_llm_timeout_ms, 5000);
        assert_int_equal(swb_config_source(cfg, "llm.model"), SWB_CFG_SRC_PROFILE);
        assert_int_equal(swb_config_source(cfg, "log.level"), SWB_CFG_SRC_PROFILE);
        assert_int_equal(swb_config_source(cfg, "policy"), SWB_CFG_SRC_ENV);
        /* keys no profile names keep their defaults */
        assert_int_equal(swb_config_source(cfg, "brokers"), SWB_CFG_SRC_DEFAULT);
        swb_config_destroy(cfg);

        /* cost_optimized */
        {
                char *env2[] = {"SWB_POLICY=cost_optimized", NULL};
                assert_int_equal(build(&cfg, env2, NULL, errstr, sizeof(errstr)),
                                 SWB_OK);
                assert_string_equal(cfg->llm_model, "gpt-4o-mini");
                assert_int_equal(cfg->agent_max_tool_rounds, 3);
                assert_true(cfg->route_llm_threshold == 0.4);
                /* no env: log.level stays the table's */
                assert_int_equal(swb_config_source(cfg, "log.level"),
                                 SWB_CFG_SRC_DEFAULT);
                swb_config_destroy(cfg);
        }
}

static void test_explicit_beats_profile(void **state)
{
        char path[] = "/tmp/swb-test-profile-XXXXXX", errstr[256];
        int fd = mkstemp(path);
        FILE *fp = fdopen(fd, "w");
        char *envp[] = {"SWB_CONFIG_FILE=", "SWB_POLICY=quality_optimized",
                        "SWB_AGENT_MAX_TOOL_ROUNDS=2", "SWB_ENV=prod", NULL};
        char file_env[300];
        swb_config_t *cfg;

        fprintf(fp, "llm.model = my-model\nlog.level = warn\n");
        fclose(fp);
        snprintf(file_env, sizeof(file_env), "SWB_CONFIG_FILE=%s", path);
        envp[0] = file_env;
        assert_int_equal(
            build(&cfg, envp, "--llm.timeout.ms=777", errstr, sizeof(errstr)), SWB_OK);
        /* file, env and flag win over the policy and the environment profile */
        assert_string_equal(cfg->llm_model, "my-model");
        assert_int_equal(swb_config_source(cfg, "llm.model"), SWB_CFG_SRC_FILE);
        assert_int_equal(cfg->agent_max_tool_rounds, 2);
        assert_int_equal(swb_config_source(cfg, "agent.max.tool.rounds"),
                         SWB_CFG_SRC_ENV);
        assert_int_equal(cfg->llm_timeout_ms, 777);
        assert_int_equal(swb_config_source(cfg, "llm.timeout.ms"), SWB_CFG_SRC_FLAG);
        assert_string_equal(cfg->log_level, "warn");
        assert_int_equal(swb_config_source(cfg, "log.level"), SWB_CFG_SRC_FILE);
        /* what was left to the profiles */
        assert_true(cfg->route_llm_threshold == 0.75);
        assert_int_equal(swb_config_source(cfg, "route.llm.threshold"),
                         SWB_CFG_SRC_PROFILE);
        assert_int_equal(cfg->route_llm_timeout_ms, 2000);
        /* applying again changes nothing */
        assert_int_equal(swb_profile_apply(cfg, errstr, sizeof(errstr)), SWB_OK);
        assert_string_equal(cfg->llm_model, "my-model");
        swb_config_destroy(cfg);
        unlink(path);
}

static void test_unknown_values_rejected(void **state)
{
        char errstr[256];
        char *bad_env[] = {"SWB_ENV=production", NULL};
        char *bad_policy[] = {"SWB_POLICY=cheap", NULL};
        char *none[] = {"SWB_ENV=", "SWB_POLICY=", NULL};
        swb_config_t *cfg;

        assert_int_equal(build(&cfg, bad_env, NULL, errstr, sizeof(errstr)),
                         SWB_ERR_CONFIG);
        assert_non_null(strstr(errstr, "env"));
        assert_non_null(strstr(errstr, "production"));
        assert_non_null(strstr(errstr, "staging")); /* lists the known ones */
        swb_config_destroy(cfg);
        assert_int_equal(build(&cfg, NULL, "--policy=cheap", errstr, sizeof(errstr)),
                         SWB_ERR_CONFIG);
        assert_non_null(strstr(errstr, "cheap"));
        swb_config_destroy(cfg);
        assert_int_equal(build(&cfg, bad_policy, NULL, errstr, sizeof(errstr)),
                         SWB_ERR_CONFIG);
        swb_config_destroy(cfg);
        /* empty: no profile, nothing changes */
        assert_int_equal(build(&cfg, none, NULL, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_config_source(cfg, "llm.model"), SWB_CFG_SRC_DEFAULT);
        swb_config_destroy(cfg);
        assert_null(swb_profile_settings("env", "nope"));
        assert_null(swb_profile_settings("other", "dev"));
}

static void test_print_shows_profile(void **state)
{
        char errstr[256], *buf = NULL, *line;
        size_t len = 0;
        char *envp[] = {"SWB_POLICY=balanced", "SWB_LLM_MODEL=gpt-4.1", NULL};
        swb_config_t *cfg;
        FILE *mem;

        assert_int_equal(build(&cfg, envp, NULL, errstr, sizeof(errstr)), SWB_OK);
        mem = open_memstream(&buf, &len);
        swb_config_print(cfg, mem);
        fclose(mem);
        line = strstr(buf, "\nagent.max.tool.rounds ");
        assert_non_null(line);
        line = strndup(line + 1, strcspn(line + 1, "\n"));
        assert_non_null(strstr(line, "= 6 "));
        assert_non_null(strstr(line, "# profile"));
        free(line);
        line = strstr(buf, "\nllm.model ");
        assert_non_null(line);
        line = strndup(line + 1, strcspn(line + 1, "\n"));
        assert_non_null(strstr(line, "gpt-4.1"));
        assert_non_null(strstr(line, "# env"));
        free(line);
        free(buf);
        swb_config_destroy(cfg);
}

/* The env / policy rows' descriptions (docs/configuration.md) list exactly the
 * values of the table in swb_profile.c: "<name> (key=value, ...)". */
static void check_described(const char *docs, const char *kind,
                            const char *const *names)
{
        char want[64];
        const char *row, *end;
        size_t i;
        snprintf(want, sizeof(want), "| `%s` |", kind);
        row = strstr(docs, want);
        assert_non_null(row);
        end = strchr(row, '\n');
        for (i = 0; names[i]; i++) {
                const struct swb_profile_setting *s =
                    swb_profile_settings(kind, names[i]);
                const char *open, *close;
                char head[64];
                size_t n = 0;
                assert_non_null(s);
                snprintf(head, sizeof(head), "%s (", names[i]);
                open = strstr(row, head);
                if (!open || open > end)
                        fail_msg("the %s row does not describe %s", kind, names[i]);
                close = strchr(open, ')');
                for (; s->key; s++, n++) {
                        char kv[128];
                        const char *at;
                        snprintf(kv, sizeof(kv), "%s=%s", s->key, s->value);
                        at = strstr(open, kv);
                        if (!at || at > close)
                                fail_msg("the %s row does not say %s for %s", kind, kv,
                                         names[i]);
                }
                /* and nothing more: as many '=' as settings */
                {
                        size_t eq = 0;
                        const char *c;
                        for (c = open; c < close; c++)
                                eq += *c == '=';
                        assert_int_equal(eq, n);
                }
        }
}

static void test_docs_match_table(void **state)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        swb_config_write_docs(mem);
        fclose(mem);
        check_described(buf, "env", swb_profile_envs);
        check_described(buf, "policy", swb_profile_policies);
        free(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_policy_applies_to_defaults),
            cmocka_unit_test(test_explicit_beats_profile),
            cmocka_unit_test(test_unknown_values_rejected),
            cmocka_unit_test(test_print_shows_profile),
            cmocka_unit_test(test_docs_match_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
