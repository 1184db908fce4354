/*
 * Black-box: the supervisor routes requests the classifier is unsure of with
 * the model's routing tools (a fake OpenAI-compatible server in this
 * process); a timeout, a 5xx or a malformed body falls back to the
 * classifier. The method is in the audit.
 */
#include "swb_test_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_fake_llm.h"
#include "swb_mem.h"

static const char *const domains[] = {"hotel", "flight", "tour", "customer_service", NULL};

static struct {
        swb_fake_llm_t *fake;
        swb_test_pipeline_t *p;
} T;

static int setup(void **state)
{
        char errstr[256], url[256], *env[5];
        T.fake = swb_fake_llm_new(NULL, errstr, sizeof(errstr));
        assert_non_null(T.fake);
        snprintf(url, sizeof(url), "SWB_LLM_URL=%s", swb_fake_llm_url(T.fake));
        env[0] = url;
        /* the keyword rule gives 0.5 to what it cannot place, 1.0 to clear cases */
        env[1] = "SWB_ROUTE_LLM_THRESHOLD=0.9";
        env[2] = "SWB_ROUTE_LLM_TIMEOUT_MS=1500";
        /* the keyword rule: its confidence is predictable, which this test needs */
        env[3] = "SWB_ROUTE_MODEL=rule";
        env[4] = NULL;
        T.p = swb_test_pipeline_start(domains, (const char *const *)env);
        return 0;
}

static int teardown(void **state)
{
        swb_test_pipeline_stop(T.p);
        swb_fake_llm_destroy(T.fake);
        return 0;
}

/* Model calls made for routing (offered ToHotelAgent), as agents call the model too. */
static size_t routing_calls(void)
{
        json_t *reqs = swb_fake_llm_requests(T.fake);
        size_t i, j, n = 0;
        for (i = 0; i < json_array_size(reqs); i++) {
                json_t *tools = json_object_get(json_object_get(json_array_get(reqs, i), "body"),
                                                "tools");
                for (j = 0; j < json_array_size(tools); j++)
                        n += !strcmp(json_string_value(json_object_get(
                                             json_object_get(json_array_get(tools, j), "function"),
                                             "name")),
                                     "ToHotelAgent");
        }
        json_decref(reqs);
        return n;
}

/* Ask, and return the reply's agent and the method in the classified audit event. */
static void ask(const char *text, char *agent, size_t agent_size, char *method,
                size_t method_size)
{
        char session[64];
        json_t *req, *reply, *audit;
        size_t i;
        snprintf(session, sizeof(session), "llm-%s", swb_test_unique());
        req = swb_test_request(session, text, "en");
        reply = swb_test_ask(T.p, req, 30000);
        snprintf(agent, agent_size, "%s", json_string_value(json_object_get(reply, "agent")));
        audit = swb_client_audit(T.p->client,
                                 json_string_value(json_object_get(req, "request_id")), 3,
                                 (int)(10000 * swb_test_tmout_multip()));
        *method = '\0';
        for (i = 0; i < json_array_size(audit); i++) {
                json_t *e = json_array_get(audit, i);
                if (!strcmp(json_string_value(json_object_get(e, "stage")), "classified"))
                        snprintf(method, method_size, "%s",
                                 json_string_value(json_object_get(
                                         json_object_get(e, "details"), "method")));
        }
        json_decref(audit);
        json_decref(reply);
        json_decref(req);
}

static void test_tool_call_routes(void **state)
{
        struct swb_fake_llm_tool_call tc = {NULL, "ToHotelAgent", "{}"};
        struct swb_fake_llm_reply r = {0};
        char agent[64], method[64];
        json_t *reqs, *last;
        size_t before = routing_calls();
        size_t i;
        int seen = 0;

        r.kind = SWB_FAKE_LLM_COMPLETION;
        r.tool_calls = &tc;
        r.n_tool_calls = 1;
        swb_fake_llm_push(T.fake, &r);
        /* the rule cannot place this one: the model routes it to the hotel agent */
        ask("somewhere quiet near the beach for two", agent, sizeof(agent), method,
            sizeof(method));
        assert_string_equal(agent, "hotel");
        assert_string_equal(method, "llm");
        assert_int_equal(routing_calls(), before + 1);

        /* the model was offered the five routing tools and had to pick one */
        reqs = swb_fake_llm_requests(T.fake);
        for (i = json_array_size(reqs), last = NULL; i-- > 0 && !last;) {
                json_t *body = json_object_get(json_array_get(reqs, i), "body");
                if (json_object_get(body, "tool_choice")) /* routing calls set it */
                        last = body;
        }
        assert_non_null(last);
        assert_string_equal(json_string_value(json_object_get(last, "tool_choice")), "required");
        for (i = 0; i < json_array_size(json_object_get(last, "tools")); i++) {
                const char *n = json_string_value(json_object_get(
                        json_object_get(json_array_get(json_object_get(last, "tools"), i),
                                        "function"),
                        "name"));
                seen += !strcmp(n, "ToHotelAgent") + !strcmp(n, "ToFlightAgent") +
                        !strcmp(n, "ToTourAgent") + !strcmp(n, "ToCustomerServiceAgent") +
                        !strcmp(n, "OutOfScope");
        }
        assert_int_equal(seen, 5);
        json_decref(reqs);

        /* a clear case never asks the model */
        ask("Find me a hotel in Bali", agent, sizeof(agent), method, sizeof(method));
        assert_string_equal(agent, "hotel");
        assert_string_equal(method, "rule");
        assert_int_equal(routing_calls(), before + 1);
}

static void expect_fallback(const struct swb_fake_llm_reply *r)
{
        char agent[64], method[64];
        int64_t t0 = swb_test_now_ms();
        swb_fake_llm_push(T.fake, r);
        ask("somewhere quiet near the beach for two", agent, sizeof(agent), method,
            sizeof(method));
        /* the classifier's best guess: out of scope, answered by the supervisor */
        assert_string_equal(agent, "supervisor");
        assert_string_equal(method, "fallback");
        /* within the routing deadline (1.5 s) plus the pipeline, never hanging */
        assert_true(swb_test_now_ms() - t0 < (int64_t)(15000 * swb_test_tmout_multip()));
}

static void test_timeout_falls_back(void **state)
{
        struct swb_fake_llm_reply r = {0};
        r.kind = SWB_FAKE_LLM_STALL;
        r.stall_ms = 10000;
        expect_fallback(&r);
}

static void test_5xx_falls_back(void **state)
{
        struct swb_fake_llm_reply r = {0};
        r.kind = SWB_FAKE_LLM_ERROR;
        r.status = 503;
        r.message = "overloaded";
        expect_fallback(&r);
}

static void test_malformed_falls_back(void **state)
{
        struct swb_fake_llm_reply r = {0};
        r.kind = SWB_FAKE_LLM_MALFORMED;
        expect_fallback(&r);
}

static void test_unknown_tool_falls_back(void **state)
{
        struct swb_fake_llm_tool_call tc = {NULL, "ToTheMoon", "{}"};
        struct swb_fake_llm_reply r = {0};
        r.kind = SWB_FAKE_LLM_COMPLETION;
        r.tool_calls = &tc;
        r.n_tool_calls = 1;
        expect_fallback(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tool_call_routes),
                cmocka_unit_test(test_timeout_falls_back),
                cmocka_unit_test(test_5xx_falls_back),
                cmocka_unit_test(test_malformed_falls_back),
                cmocka_unit_test(test_unknown_tool_falls_back),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
