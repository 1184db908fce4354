/*
 * Black-box model protection: after llm.breaker.failures consecutive 5xx
 * the circuit opens, model calls stop and the planner answers (nothing
 * hangs); a model call longer than max.poll.interval.ms costs no rebalance
 * (the poll loop keeps polling while the job is deferred).
 */
#include "swb_test_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_fake_llm.h"

static const char *const domains[] = {"hotel", NULL};

static const char *ask(swb_test_pipeline_t *p, const char *text, int timeout_ms)
{
        static char agent[64];
        char session[64];
        json_t *req, *reply;
        snprintf(session, sizeof(session), "prot-%s", swb_test_unique());
        req = swb_test_request(session, text, "en");
        reply = swb_test_ask(p, req, timeout_ms);
        snprintf(agent, sizeof(agent), "%s", json_string_value(json_object_get(reply, "agent")));
        json_decref(reply);
        json_decref(req);
        return agent;
}

static void test_circuit_opens(void **state)
{
        char errstr[256], url[256], *metrics;
        const char *env[5];
        struct swb_fake_llm_reply r = {0};
        swb_fake_llm_t *fake = swb_fake_llm_new(NULL, errstr, sizeof(errstr));
        swb_test_pipeline_t *p;
        long status;
        int i;

        r.kind = SWB_FAKE_LLM_ERROR;
        r.status = 503;
        r.message = "overloaded";
        swb_fake_llm_set_default(fake, &r);
        snprintf(url, sizeof(url), "SWB_LLM_URL=%s", swb_fake_llm_url(fake));
        env[0] = url;
        env[1] = "SWB_ROUTE_LLM_THRESHOLD=0";
        env[2] = "SWB_LLM_BREAKER_FAILURES=3";
        env[3] = "SWB_LLM_BREAKER_OPEN_MS=600000";
        env[4] = NULL;
        p = swb_test_pipeline_start(domains, env);
        for (i = 0; i < 6; i++) /* every one answered, by the planner */
                assert_string_equal(ask(p, "Find me a hotel in Bali", 30000), "hotel");
        /* the first three failed at the model; then the circuit was open */
        assert_int_equal(swb_fake_llm_request_count(fake), 3);
        metrics = swb_test_http_get(p, "hotel", "/metrics", &status);
        assert_non_null(metrics);
        if (!strstr(metrics, "swb_llm_circuit_open{model=\"gpt-4o-mini\"} 1"))
                fail_msg("circuit not shown open:\n%s", metrics);
        free(metrics);
        swb_test_pipeline_stop(p);
        swb_fake_llm_destroy(fake);
}

static void test_slow_model_no_rebalance(void **state)
{
        char errstr[256], url[256], *metrics, *assign;
        const char *env[7];
        struct swb_fake_llm_reply r = {0};
        swb_fake_llm_t *fake = swb_fake_llm_new(NULL, errstr, sizeof(errstr));
        swb_test_pipeline_t *p;
        long status;

        r.kind = SWB_FAKE_LLM_COMPLETION;
        r.content = "Here is a calm hotel in Ubud.";
        r.delay_ms = 9000; /* longer than max.poll.interval.ms below */
        swb_fake_llm_set_default(fake, &r);
        snprintf(url, sizeof(url), "SWB_LLM_URL=%s", swb_fake_llm_url(fake));
        env[0] = url;
        env[1] = "SWB_ROUTE_LLM_THRESHOLD=0";
        env[2] = "SWB_KAFKA_MAX_POLL_INTERVAL_MS=6000";
        env[3] = "SWB_KAFKA_SESSION_TIMEOUT_MS=6000";
        env[4] = "SWB_KAFKA_HEARTBEAT_INTERVAL_MS=500";
        env[5] = NULL;
        p = swb_test_pipeline_start(domains, env);
        assert_string_equal(ask(p, "Find me a hotel in Bali", 60000), "hotel");
        metrics = swb_test_http_get(p, "hotel", "/metrics", &status);
        assert_non_null(metrics);
        /* one assignment at start, no revocation while the call took 9 s */
        assign = strstr(metrics, "swb_rebalances_total{event=\"assign\"} ");
        assert_non_null(assign);
        assert_int_equal(atoi(assign + strlen("swb_rebalances_total{event=\"assign\"} ")), 1);
        if (strstr(metrics, "swb_rebalances_total{event=\"revoke\"}"))
                fail_msg("the slow call cost a rebalance:\n%s", metrics);
        free(metrics);
        swb_test_pipeline_stop(p);
        swb_fake_llm_destroy(fake);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_circuit_opens),
                cmocka_unit_test(test_slow_model_no_rebalance),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
