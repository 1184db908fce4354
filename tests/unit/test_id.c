#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "swb_id.h"

static void test_uuid(void **state)
{
        char a[SWB_UUID_LEN], b[SWB_UUID_LEN];
        swb_id_uuid4(a);
        swb_id_uuid4(b);
        assert_true(swb_id_is_uuid(a));
        assert_string_not_equal(a, b);
        assert_int_equal(a[14], '4');
        assert_false(swb_id_is_uuid("not-a-uuid"));
        assert_false(swb_id_is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
        assert_true(swb_id_is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert_false(swb_id_is_uuid(NULL));
}

static void test_derive(void **state)
{
        char a[SWB_UUID_LEN], b[SWB_UUID_LEN], c[SWB_UUID_LEN];
        swb_id_derive(a, "reply", "r1", "hotel", NULL);
        swb_id_derive(b, "reply", "r1", "hotel", NULL);
        swb_id_derive(c, "reply", "r1h", "otel", NULL);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_true(swb_id_is_uuid(a));
        assert_int_equal(a[14], '8');
}

static void test_traceparent(void **state)
{
        char out[SWB_TRACEPARENT_LEN], tid[SWB_TRACE_ID_LEN];
        const char *in = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_true(swb_id_traceparent(in, strlen(in), out, tid));
        assert_string_equal(tid, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_int_equal(strlen(out), 55);
        assert_memory_equal(out, in, 36);
        assert_memory_not_equal(out + 36, in + 36, 16);
        /* invalid (all-zero trace id, bad version, NULL) start a new trace */
        assert_false(swb_id_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                                        55, out, tid));
        assert_false(swb_id_traceparent("zz", 2, out, tid));
        assert_false(swb_id_traceparent(NULL, 0, out, tid));
        assert_int_equal(strlen(tid), 32);
        assert_memory_equal(out, "00-", 3);
        assert_memory_equal(out + 3, tid, 32);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uuid),
                cmocka_unit_test(test_derive),
                cmocka_unit_test(test_traceparent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
