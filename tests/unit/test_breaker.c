#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "swb_breaker.h"

static int64_t fake_now;
static int64_t now_ms(void)
{
        return fake_now;
}

static void test_circuit(void **state)
{
        struct swb_breaker_opts o = {"m", 3, 1000, 8, 5000, now_ms};
        swb_breaker_t *b = swb_breaker_new(&o);
        int i;
        fake_now = 0;
        for (i = 0; i < 2; i++) {
                assert_int_equal(swb_breaker_acquire(b, 0), SWB_OK);
                swb_breaker_release(b, SWB_ERR_UNAVAILABLE, 10, 0);
        }
        assert_false(swb_breaker_is_open(b));
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_OK);
        swb_breaker_release(b, SWB_ERR_TIMEOUT, 10, 0);
        /* three in a row: open, calls refused */
        assert_true(swb_breaker_is_open(b));
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_ERR_UNAVAILABLE);
        fake_now = 999;
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_ERR_UNAVAILABLE);
        /* half-open: one probe only */
        fake_now = 1000;
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_OK);
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_ERR_UNAVAILABLE);
        swb_breaker_release(b, SWB_ERR_UNAVAILABLE, 10, 0); /* probe failed: open again */
        assert_true(swb_breaker_is_open(b));
        fake_now = 2500;
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_OK);
        swb_breaker_release(b, SWB_OK, 10, 0); /* probe succeeded: closed */
        assert_false(swb_breaker_is_open(b));
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_OK);
        /* a permanent error (bad request) does not count towards opening */
        for (i = 0; i < 5; i++)
                swb_breaker_release(b, SWB_ERR_INVALID_ARG, 10, 0);
        assert_false(swb_breaker_is_open(b));
        /* a Retry-After holds calls back that long, without opening */
        fake_now = 10000;
        swb_breaker_release(b, SWB_ERR_UNAVAILABLE, 10, 500);
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_ERR_UNAVAILABLE);
        fake_now = 10499;
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_ERR_UNAVAILABLE);
        fake_now = 10500;
        assert_int_equal(swb_breaker_acquire(b, 0), SWB_OK);
        swb_breaker_destroy(b);
}

static void test_aimd(void **state)
{
        struct swb_breaker_opts o = {"m", 100, 1000, 16, 5000, now_ms};
        swb_breaker_t *b = swb_breaker_new(&o);
        int i;
        assert_int_equal(swb_breaker_limit(b), 16);
        assert_int_equal(swb_breaker_acquire(b, 16), SWB_ERR_CONFLICT);
        swb_breaker_release(b, SWB_ERR_UNAVAILABLE, 10, 0); /* 429 / 5xx: halve */
        assert_int_equal(swb_breaker_limit(b), 8);
        swb_breaker_release(b, SWB_OK, 9000, 0); /* slow counts as overload */
        assert_int_equal(swb_breaker_limit(b), 4);
        assert_int_equal(swb_breaker_acquire(b, 4), SWB_ERR_CONFLICT);
        assert_int_equal(swb_breaker_acquire(b, 3), SWB_OK);
        for (i = 0; i < 5; i++)
                swb_breaker_release(b, SWB_ERR_TIMEOUT, 10, 0);
        assert_int_equal(swb_breaker_limit(b), 1); /* never below 1 */
        for (i = 0; i < 200; i++)
                swb_breaker_release(b, SWB_OK, 10, 0); /* additive increase back up */
        assert_int_equal(swb_breaker_limit(b), 16);
        swb_breaker_destroy(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_circuit),
                cmocka_unit_test(test_aimd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
