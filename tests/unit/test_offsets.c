#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "swb_offsets.h"

static void test_contiguous(void **state)
{
        swb_offsets_t *o = swb_offsets_new();
        int64_t i;
        for (i = 10; i < 15; i++)
                swb_offsets_begin(o, "t", 0, i);
        swb_offsets_begin(o, "t", 1, 100);
        assert_int_equal(swb_offsets_inflight(o), 6);
        /* out-of-order completion never lets the stored offset pass a gap */
        assert_int_equal(swb_offsets_done(o, "t", 0, 12), -1);
        assert_int_equal(swb_offsets_done(o, "t", 0, 11), -1);
        assert_int_equal(swb_offsets_done(o, "t", 0, 10), 12);
        assert_int_equal(swb_offsets_done(o, "t", 1, 100), 100);
        assert_int_equal(swb_offsets_done(o, "t", 0, 14), -1);
        assert_int_equal(swb_offsets_done(o, "t", 0, 14), -1); /* twice is harmless */
        assert_int_equal(swb_offsets_done(o, "t", 0, 13), 14);
        assert_int_equal(swb_offsets_inflight(o), 0);
        assert_int_equal(swb_offsets_done(o, "nope", 0, 1), -1);
        swb_offsets_destroy(o);
}

static void test_growth_and_forget(void **state)
{
        swb_offsets_t *o = swb_offsets_new();
        int64_t i;
        for (i = 0; i < 1000; i++) {
                swb_offsets_begin(o, "t", 0, i);
                if (i % 3 == 0)
                        swb_offsets_done(o, "t", 0, i / 2);
        }
        swb_offsets_forget(o, "t", 0);
        assert_int_equal(swb_offsets_inflight(o), 0);
        swb_offsets_begin(o, "t", 0, 2000);
        assert_int_equal(swb_offsets_done(o, "t", 0, 2000), 2000);
        swb_offsets_destroy(o);
        swb_offsets_destroy(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_contiguous),
                cmocka_unit_test(test_growth_and_forget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
