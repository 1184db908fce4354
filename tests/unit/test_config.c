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

static void test_defaults(void **state)
{
        swb_config_t *cfg = swb_config_new();
        assert_string_equal(cfg->topic_requests, "swb.requests");
        assert_string_equal(cfg->topic_dlq, "swb.dlq");
        assert_string_equal(cfg->group_supervisor, "swb-supervisor");
        assert_int_equal(cfg->http_port, 0);
        assert_int_equal(swb_config_source(cfg, "brokers"), SWB_CFG_SRC_DEFAULT);
        assert_int_equal(swb_config_source(cfg, "nope"), -1);
        swb_config_destroy(cfg);
}

static void test_precedence(void **state)
{
        char path[] = "/tmp/swb-test-config-XXXXXX", errstr[256];
        int fd = mkstemp(path);
        FILE *fp = fdopen(fd, "w");
        char *argv[] = {"prog", "--config", path, "--log.level=debug", "--brokers",
                        "flag:1", "--own-flag", "positional", NULL};
        char *envp[] = {"SWB_BROKERS=env:1", "SWB_LLM_MODEL=env-model",
                        "SWB_KAFKA_LINGER_MS=7", "PATH=/bin", NULL};
        int argc = 8;
        swb_config_t *cfg = swb_config_new();

        fprintf(fp, "# comment\nbrokers = file:1\nllm.model = file-model\nhttp.port = 8080\n");
        fclose(fp);
        assert_int_equal(swb_config_from_args(cfg, &argc, argv, envp, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_string_equal(cfg->brokers, "flag:1");
        assert_int_equal(swb_config_source(cfg, "brokers"), SWB_CFG_SRC_FLAG);
        assert_string_equal(cfg->llm_model, "env-model");
        assert_int_equal(swb_config_source(cfg, "llm.model"), SWB_CFG_SRC_ENV);
        assert_int_equal(cfg->http_port, 8080);
        assert_int_equal(swb_config_source(cfg, "http.port"), SWB_CFG_SRC_FILE);
        assert_string_equal(cfg->log_level, "debug");
        assert_int_equal(cfg->kafka_props_cnt, 1);
        assert_string_equal(cfg->kafka_props[0], "linger.ms");
        assert_string_equal(cfg->kafka_props[1], "7");
        /* unconsumed arguments stay, in order */
        assert_int_equal(argc, 3);
        assert_string_equal(argv[1], "--own-flag");
        assert_string_equal(argv[2], "positional");
        unlink(path);
        swb_config_destroy(cfg);
}

static void test_errors(void **state)
{
        char errstr[256];
        swb_config_t *cfg = swb_config_new();
        char *env_bad[] = {"SWB_NO_SUCH_THING=1", NULL};
        char *env_ignored[] = {"SWB_TEST_STATE=/tmp/x", NULL};

        assert_int_equal(swb_config_set(cfg, "no.such.key", "1", SWB_CFG_SRC_FLAG, errstr,
                                        sizeof(errstr)),
                         SWB_ERR_CONFIG);
        assert_non_null(strstr(errstr, "no.such.key"));
        assert_int_equal(swb_config_set(cfg, "http.port", "99999", SWB_CFG_SRC_FLAG, errstr,
                                        sizeof(errstr)),
                         SWB_ERR_CONFIG);
        assert_int_equal(swb_config_set(cfg, "http.port", "12x", SWB_CFG_SRC_FLAG, errstr,
                                        sizeof(errstr)),
                         SWB_ERR_CONFIG);
        assert_int_equal(swb_config_load_env(cfg, env_bad, errstr, sizeof(errstr)),
                         SWB_ERR_CONFIG);
        assert_non_null(strstr(errstr, "SWB_NO_SUCH_THING"));
        assert_int_equal(swb_config_load_env(cfg, env_ignored, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_config_load_file(cfg, "/nonexistent/x.conf", errstr,
                                              sizeof(errstr)),
                         SWB_ERR_CONFIG);
        swb_config_destroy(cfg);
}

static void test_reply_topic_allowed(void **state)
{
        swb_config_t *cfg = swb_config_new();
        assert_true(swb_config_reply_topic_allowed(cfg, "swb.replies"));
        assert_true(swb_config_reply_topic_allowed(cfg, "swb.replies.web"));
        assert_false(swb_config_reply_topic_allowed(cfg, "swb.audit"));
        assert_false(swb_config_reply_topic_allowed(cfg, ""));
        swb_config_set(cfg, "reply.topic.allowed.prefixes", " app., swb.replies ",
                       SWB_CFG_SRC_FLAG, NULL, 0);
        assert_true(swb_config_reply_topic_allowed(cfg, "app.mobile"));
        assert_false(swb_config_reply_topic_allowed(cfg, "other"));
        swb_config_destroy(cfg);
}

/* docs/configuration.md must be what the table generates (make docs). */
static void test_docs_current(void **state)
{
        char *buf = NULL, *file = NULL;
        size_t len = 0, flen;
        FILE *mem = open_memstream(&buf, &len);
        FILE *fp = fopen(SWB_SOURCE_DIR "/docs/configuration.md", "r");
        swb_config_write_docs(mem);
        fclose(mem);
        assert_non_null(fp);
        file = swb_malloc(len + 2);
        flen = fread(file, 1, len + 1, fp);
        fclose(fp);
        if (flen != len || memcmp(buf, file, len))
                fail_msg("docs/configuration.md is stale: run `make docs`");
        free(buf);
        swb_free(file);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_precedence),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_reply_topic_allowed),
                cmocka_unit_test(test_docs_current),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
