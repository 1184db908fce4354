/* The supervisor's pure parts: validation and the rule router. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "swb_router.h"
#include "swb_supervisor.h"

static void test_validate(void **state)
{
        char why[256];
        json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "request_id",
                              "123e4567-e89b-42d3-a456-426614174000", "session_id", "s",
                              "user_id", "u", "text", "hi");
        assert_int_equal(swb_supervisor_validate(r, why, sizeof(why)), SWB_OK);
        json_object_set_new(r, "text", json_string("  \n"));
        assert_int_equal(swb_supervisor_validate(r, why, sizeof(why)), SWB_ERR_SCHEMA);
        assert_non_null(strstr(why, "text"));
        json_object_set_new(r, "text", json_string("ok"));
        json_object_set_new(r, "request_id", json_string("42"));
        assert_int_equal(swb_supervisor_validate(r, why, sizeof(why)), SWB_ERR_SCHEMA);
        assert_non_null(strstr(why, "UUID"));
        json_decref(r);
}

static void expect_route(const char *text, const char *domain)
{
        swb_route_t r;
        swb_router_rule(text, &r);
        if (strcmp(r.domain, domain))
                fail_msg("\"%s\" routed to %s, expected %s", text, r.domain, domain);
        assert_true(r.confidence > 0 && r.confidence <= 1);
        assert_string_equal(r.method, "rule");
}

static void test_rule(void **state)
{
        expect_route("Find me a hotel in Bali", "hotel");
        expect_route("carikan hotel di Bandung", "hotel");
        expect_route("flights from Jakarta to Denpasar tomorrow", "flight");
        expect_route("tiket pesawat ke Medan", "flight");
        expect_route("what tours do you have in Yogyakarta", "tour");
        expect_route("paket wisata ke Lombok", "tour");
        expect_route("cancel booking 42", "customer_service");
        expect_route("show my bookings", "customer_service");
        expect_route("cancel my hotel booking", "customer_service");
        expect_route("what is the capital of France", "out_of_scope");
        expect_route("", "out_of_scope");
}

static void test_decide(void **state)
{
        swb_route_t r = {"out_of_scope", "out_of_scope", 0.5, "rule", NULL};
        /* a vague follow-up stays with the active agent */
        swb_supervisor_decide(&r, "hotel", NULL, 0.8);
        assert_string_equal(r.domain, "hotel");
        assert_string_equal(r.method, "sticky");
        /* a confident other route switches */
        r = (swb_route_t){"flight", "flight_search", 0.95, "classifier", NULL};
        swb_supervisor_decide(&r, "hotel", NULL, 0.8);
        assert_string_equal(r.domain, "flight");
        assert_string_equal(r.method, "classifier");
        /* same route as active: unchanged */
        r = (swb_route_t){"hotel", "hotel_search", 0.3, "classifier", NULL};
        swb_supervisor_decide(&r, "hotel", NULL, 0.8);
        assert_string_equal(r.method, "classifier");
        /* a confident out_of_scope does not break the conversation */
        r = (swb_route_t){"out_of_scope", "yes", 0.95, "classifier", NULL};
        swb_supervisor_decide(&r, "hotel", NULL, 0.8);
        assert_string_equal(r.domain, "hotel");
        assert_string_equal(r.method, "sticky");
        /* no active agent: unchanged, even when unsure */
        r = (swb_route_t){"out_of_scope", "out_of_scope", 0.4, "classifier", NULL};
        swb_supervisor_decide(&r, NULL, NULL, 0.8);
        assert_string_equal(r.domain, "out_of_scope");
        /* escalation never returns to the escalating agent */
        r = (swb_route_t){"hotel", "hotel_search", 0.9, "classifier", NULL};
        swb_supervisor_decide(&r, "hotel", "hotel", 0.8);
        assert_string_equal(r.domain, "customer_service");
        /* ... and takes the classifier's best other agent when it has one */
        r = (swb_route_t){"hotel", "hotel_search", 0.9, "classifier", "tour"};
        swb_supervisor_decide(&r, "hotel", "hotel", 0.8);
        assert_string_equal(r.domain, "tour");
        assert_string_equal(r.method, "escalation");
        r = (swb_route_t){"flight", "flight_search", 0.9, "classifier", NULL};
        swb_supervisor_decide(&r, "hotel", "hotel", 0.8);
        assert_string_equal(r.domain, "flight");
        r = (swb_route_t){"customer_service", "x", 0.9, "classifier", NULL};
        swb_supervisor_decide(&r, NULL, "customer_service", 0.8);
        assert_string_equal(r.domain, "out_of_scope");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_rule),
                cmocka_unit_test(test_decide),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
