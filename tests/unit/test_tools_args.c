/*
 * unit.tools_args: argument checking against the tools' JSON schemas
 * (swb_tools_check_args), the tool tables themselves, and swb_tools_call()
 * refusing unknown tools and bad arguments without running anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_tools.h"

static const char schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"hotel_id\":{\"type\":\"integer\",\"minimum\":1},"
    "\"check_in\":{\"type\":\"string\",\"format\":\"date\"},"
    "\"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5},"
    "\"code\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"},"
    "\"price\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":100},"
    "\"sort\":{\"type\":\"string\",\"enum\":[\"rating\",\"price\"]},"
    "\"flag\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":2},"
    "\"opt\":{\"type\":[\"string\",\"null\"]}"
    "},\"required\":[\"hotel_id\"],\"additionalProperties\":false}";

/* Check `args_json` against the schema; returns the error, errstr in *why. */
static swb_err_t check(const char *args_json, char *why, size_t why_size)
{
        json_error_t jerr;
        json_t *args = json_loads(args_json, JSON_DECODE_ANY, &jerr);
        swb_err_t err;

        if (!args)
                fail_msg("bad test JSON %s: %s", args_json, jerr.text);
        why[0] = '\0';
        err = swb_tools_check_args(schema, args, why, why_size);
        json_decref(args);
        return err;
}

#define ASSERT_OK(js)                                                                  \
        do {                                                                           \
                char why_[300];                                                        \
                swb_err_t e_ = check(js, why_, sizeof(why_));                          \
                if (e_)                                                                \
                        fail_msg("%s: unexpected %s", js, why_);                       \
        } while (0)

#define ASSERT_BAD(js, fragment)                                                       \
        do {                                                                           \
                char why_[300];                                                        \
                assert_int_equal(check(js, why_, sizeof(why_)), SWB_ERR_INVALID_ARG);  \
                if (!strstr(why_, fragment))                                           \
                        fail_msg("%s: \"%s\" does not mention \"%s\"", js, why_,       \
                                 fragment);                                            \
        } while (0)

static void test_valid(void **state)
{
        ASSERT_OK("{\"hotel_id\":1}");
        ASSERT_OK("{\"hotel_id\":7,\"check_in\":\"2028-02-29\",\"name\":\"ab\","
                  "\"code\":\"DPS\",\"price\":100,\"sort\":\"price\",\"flag\":false,"
                  "\"tags\":[\"a\",\"b\"],\"opt\":null}");
        ASSERT_OK("{\"hotel_id\":3.0}"); /* an integral number is an integer */
        ASSERT_OK("{\"hotel_id\":1,\"name\":\"\xc3\xa9t\xc3\xa9\"}"); /* 3 characters, 5
                                                                         bytes */
}

static void test_missing_required(void **state)
{
        ASSERT_BAD("{}", "arguments.hotel_id: required");
        ASSERT_BAD("{\"name\":\"abc\"}", "hotel_id: required");
}

static void test_wrong_type(void **state)
{
        ASSERT_BAD("{\"hotel_id\":\"1\"}", "hotel_id: must be of type integer");
        ASSERT_BAD("{\"hotel_id\":1.5}", "hotel_id: must be of type integer");
        ASSERT_BAD("{\"hotel_id\":1,\"flag\":\"yes\"}",
                   "flag: must be of type boolean");
        ASSERT_BAD("{\"hotel_id\":1,\"tags\":\"a\"}", "tags: must be of type array");
        ASSERT_BAD("{\"hotel_id\":1,\"tags\":[1]}", "tags[0]: must be of type string");
        ASSERT_BAD("{\"hotel_id\":1,\"opt\":3}", "opt: has the wrong type");
        ASSERT_BAD("[1]", "arguments: must be of type object");
        ASSERT_BAD("null", "arguments: must be of type object");
}

static void test_enum(void **state)
{
        ASSERT_BAD("{\"hotel_id\":1,\"sort\":\"cheapest\"}", "sort: must be one of");
        ASSERT_BAD("{\"hotel_id\":1,\"sort\":1}", "sort: must be of type string");
}

static void test_extra_property(void **state)
{
        ASSERT_BAD("{\"hotel_id\":1,\"user_id\":\"someone-else\"}",
                   "user_id: unknown property");
}

static void test_ranges_and_formats(void **state)
{
        ASSERT_BAD("{\"hotel_id\":0}", "hotel_id: must be >= 1");
        ASSERT_BAD("{\"hotel_id\":1,\"price\":0}", "price: must be > 0");
        ASSERT_BAD("{\"hotel_id\":1,\"price\":100.5}", "price: must be <= 100");
        ASSERT_BAD("{\"hotel_id\":1,\"name\":\"a\"}", "name: must be at least 2");
        ASSERT_BAD("{\"hotel_id\":1,\"name\":\"abcdef\"}", "name: must be at most 5");
        ASSERT_BAD("{\"hotel_id\":1,\"code\":\"dps\"}", "code: must match");
        ASSERT_BAD("{\"hotel_id\":1,\"check_in\":\"2027-02-29\"}",
                   "check_in: must be a date");
        ASSERT_BAD("{\"hotel_id\":1,\"check_in\":\"tomorrow\"}",
                   "check_in: must be a date");
        ASSERT_BAD("{\"hotel_id\":1,\"check_in\":\"2027-13-01\"}",
                   "check_in: must be a date");
        ASSERT_BAD("{\"hotel_id\":1,\"tags\":[\"a\",\"b\",\"c\"]}",
                   "tags: takes at most 2");
}

static void test_bad_schema(void **state)
{
        char why[300];
        json_t *args = json_object();
        assert_int_equal(swb_tools_check_args("{not json", args, why, sizeof(why)),
                         SWB_ERR_SCHEMA);
        assert_int_equal(swb_tools_check_args(NULL, args, why, sizeof(why)),
                         SWB_ERR_SCHEMA);
        json_decref(args);
}

/* Every shipped table: names, descriptions, object schemas that refuse extras. */
static void test_tables(void **state)
{
        static const char *const hotel[] = {
            "get_hotels",          "search_hotels_by_location",
            "get_hotel_details",   "check_available_rooms",
            "book_hotel_room",     "process_hotel_payment",
            "cancel_hotel_booking"};
        static const char *const flight[] = {
            "get_flights", "search_flights_by_route", "get_flight_details",
            "book_flight", "process_flight_payment",  "cancel_flight_booking"};
        static const char *const tour[] = {
            "get_tours",          "search_tours_by_destination",
            "get_tour_details",   "check_tour_availability",
            "book_tour",          "process_tour_payment",
            "cancel_tour_booking"};
        static const char *const service[] = {
            "get_user_booking_history", "get_booking_details", "cancel_hotel_booking",
            "cancel_flight_booking",    "cancel_tour_booking", "search_currency_rates",
            "search_travel_articles",   "search_general_info", "query_knowledge_base",
            /* beyond the seed list: customer service pays the bookings it finds */
            "process_hotel_payment",    "process_flight_payment", "process_tour_payment"};
        const struct {
                const struct swb_tool *t;
                size_t n;
                const char *const *names;
                size_t nn;
        } tables[] = {
            {swb_tools_hotel, swb_tools_hotel_cnt, hotel, 7},
            {swb_tools_flight, swb_tools_flight_cnt, flight, 6},
            {swb_tools_tour, swb_tools_tour_cnt, tour, 7},
            {swb_tools_service, swb_tools_service_cnt, service, 12},
        };
        char why[300];

        for (size_t i = 0; i < SWB_ARRAY_LEN(tables); i++) {
                if (swb_tools_check_table(tables[i].t, tables[i].n, why, sizeof(why)))
                        fail_msg("table %zu: %s", i, why);
                assert_int_equal(tables[i].n, tables[i].nn);
                for (size_t j = 0; j < tables[i].nn; j++)
                        assert_non_null(swb_tools_find(tables[i].t, tables[i].n,
                                                       tables[i].names[j]));
        }
        /* customer_service runs the very same cancel fns as the domains. */
        assert_ptr_equal(
            swb_tools_find(swb_tools_service, swb_tools_service_cnt,
                           "cancel_hotel_booking")
                ->fn,
            swb_tools_find(swb_tools_hotel, swb_tools_hotel_cnt, "cancel_hotel_booking")
                ->fn);
        assert_ptr_equal(
            swb_tools_find(swb_tools_service, swb_tools_service_cnt,
                           "cancel_tour_booking")
                ->fn,
            swb_tools_find(swb_tools_tour, swb_tools_tour_cnt, "cancel_tour_booking")
                ->fn);
        assert_null(
            swb_tools_find(swb_tools_hotel, swb_tools_hotel_cnt, "book_flight"));
}

static swb_err_t nop(const struct swb_tool_ctx *c, const json_t *a, json_t **r)
{
        return SWB_OK;
}

static void test_table_check_catches(void **state)
{
        const struct swb_tool open_schema[] = {
            {"t", "d", "{\"type\":\"object\",\"properties\":{}}", nop}};
        const struct swb_tool bad_required[] = {
            {"t", "d",
             "{\"type\":\"object\",\"properties\":{},\"required\":[\"x\"],"
             "\"additionalProperties\":false}",
             nop}};
        const struct swb_tool twice[] = {
            {"t", "d",
             "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
             nop},
            {"t", "d",
             "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
             nop}};
        const struct swb_tool bad_name[] = {
            {"no spaces", "d",
             "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
             nop}};
        char why[300];

        assert_int_equal(swb_tools_check_table(open_schema, 1, why, sizeof(why)),
                         SWB_ERR_SCHEMA);
        assert_int_equal(swb_tools_check_table(bad_required, 1, why, sizeof(why)),
                         SWB_ERR_SCHEMA);
        assert_int_equal(swb_tools_check_table(twice, 2, why, sizeof(why)),
                         SWB_ERR_SCHEMA);
        assert_int_equal(swb_tools_check_table(bad_name, 1, why, sizeof(why)),
                         SWB_ERR_SCHEMA);
}

/* swb_tools_call answers unknown tools and bad arguments without running the
 * tool: with a NULL database in the context, running it would answer
 * "internal" instead. */
static void test_call_refuses(void **state)
{
        struct swb_tool_ctx ctx = {
            .user_id = "u1", .request_id = "r1", .call_id = "c1"};
        json_t *res = NULL, *args;
        const char *code = NULL;

        assert_int_equal(swb_tools_call(swb_tools_hotel, swb_tools_hotel_cnt,
                                        "book_flight", &ctx, NULL, &res),
                         SWB_OK);
        assert_true(swb_tools_is_error(res, &code));
        assert_string_equal(code, SWB_TOOL_E_UNKNOWN_TOOL);
        json_decref(res);

        args = json_pack("{s:s}", "check_in", "2030-01-01");
        assert_int_equal(swb_tools_call(swb_tools_hotel, swb_tools_hotel_cnt,
                                        "check_available_rooms", &ctx, args, &res),
                         SWB_OK);
        assert_true(swb_tools_is_error(res, &code));
        assert_string_equal(code, SWB_TOOL_E_INVALID);
        assert_non_null(strstr(json_string_value(json_object_get(
                                   json_object_get(res, "error"), "message")),
                               "hotel_id: required"));
        json_decref(res);
        json_decref(args);

        /* Valid arguments reach the tool, which refuses a context without a database.
         */
        args = json_pack("{s:s}", "location", "Bali");
        assert_int_equal(swb_tools_call(swb_tools_hotel, swb_tools_hotel_cnt,
                                        "search_hotels_by_location", &ctx, args, &res),
                         SWB_OK);
        assert_true(swb_tools_is_error(res, &code));
        assert_string_equal(code, SWB_TOOL_E_INTERNAL);
        json_decref(res);
        json_decref(args);
}

static void test_openai_spec(void **state)
{
        json_t *spec = swb_tools_openai_spec(swb_tools_tour, swb_tools_tour_cnt);
        json_t *f = json_object_get(json_array_get(spec, 0), "function");

        assert_int_equal(json_array_size(spec), swb_tools_tour_cnt);
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(spec, 0), "type")),
            "function");
        assert_string_equal(json_string_value(json_object_get(f, "name")), "get_tours");
        assert_true(json_is_object(json_object_get(f, "parameters")));
        json_decref(spec);
}

static void test_results(void **state)
{
        json_t *e = swb_tools_error(SWB_TOOL_E_FORBIDDEN, "booking %d", 42);
        const char *code = NULL;
        char key1[SWB_TOOLS_IDEM_KEY_LEN], key2[SWB_TOOLS_IDEM_KEY_LEN];
        struct swb_tool_ctx a = {.user_id = "u1", .request_id = "r1", .call_id = "c1"},
                            b = a;

        assert_true(swb_tools_is_error(e, &code));
        assert_string_equal(code, "forbidden");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(e, "error"), "message")),
            "booking 42");
        json_decref(e);
        e = json_pack("{s:i}", "booking_id", 1);
        assert_false(swb_tools_is_error(e, NULL));
        json_decref(e);

        /* Idempotency keys: equal for the same call, different otherwise. */
        swb_tools_idem_key(&a, "book_tour", key1);
        swb_tools_idem_key(&b, "book_tour", key2);
        assert_string_equal(key1, key2);
        b.call_id = "c2";
        swb_tools_idem_key(&b, "book_tour", key2);
        assert_string_not_equal(key1, key2);
        b = a, b.user_id = "u2";
        swb_tools_idem_key(&b, "book_tour", key2);
        assert_string_not_equal(key1, key2);
        swb_tools_idem_key(&a, "book_flight", key2);
        assert_string_not_equal(key1, key2);

        e = swb_tools_money(12.345);
        assert_true(json_is_real(e));
        json_decref(e);
        e = swb_tools_money(1500000.0);
        assert_true(json_is_integer(e));
        assert_int_equal(json_integer_value(e), 1500000);
        json_decref(e);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid),
            cmocka_unit_test(test_missing_required),
            cmocka_unit_test(test_wrong_type),
            cmocka_unit_test(test_enum),
            cmocka_unit_test(test_extra_property),
            cmocka_unit_test(test_ranges_and_formats),
            cmocka_unit_test(test_bad_schema),
            cmocka_unit_test(test_tables),
            cmocka_unit_test(test_table_check_catches),
            cmocka_unit_test(test_call_refuses),
            cmocka_unit_test(test_openai_spec),
            cmocka_unit_test(test_results),
        };
        return cmocka_run_group_tests_name("unit.tools_args", tests, NULL, NULL);
}
