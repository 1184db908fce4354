#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "swb_keyq.h"

static void test_order_per_key(void **state)
{
        swb_keyq_t *q = swb_keyq_new();
        int items[6] = {0, 1, 2, 3, 4, 5};
        assert_true(swb_keyq_push(q, "a", 1, &items[0]));  /* runs */
        assert_true(swb_keyq_push(q, "b", 1, &items[1]));  /* other key: runs too */
        assert_false(swb_keyq_push(q, "a", 1, &items[2])); /* waits behind 0 */
        assert_false(swb_keyq_push(q, "a", 1, &items[3]));
        assert_int_equal(swb_keyq_waiting(q), 2);
        assert_int_equal(swb_keyq_busy_keys(q), 2);
        assert_ptr_equal(swb_keyq_done(q, "a", 1), &items[2]);
        assert_ptr_equal(swb_keyq_done(q, "a", 1), &items[3]);
        assert_null(swb_keyq_done(q, "a", 1));
        assert_null(swb_keyq_done(q, "b", 1));
        assert_int_equal(swb_keyq_busy_keys(q), 0);
        /* binary keys and the empty key */
        assert_true(swb_keyq_push(q, "\0x", 2, &items[4]));
        assert_true(swb_keyq_push(q, "", 0, &items[5]));
        assert_null(swb_keyq_done(q, "\0x", 2));
        assert_null(swb_keyq_done(q, "", 0));
        assert_null(swb_keyq_done(q, "never", 5));
        swb_keyq_destroy(q);
}

static bool is_odd(void *item, void *arg)
{
        return *(int *)item % 2;
}

static void count(void *item, void *arg)
{
        (*(int *)arg)++;
}

static void test_many_keys_and_remove(void **state)
{
        swb_keyq_t *q = swb_keyq_new();
        static int items[3000];
        char key[16];
        int i, dropped = 0;
        for (i = 0; i < 3000; i++) {
                items[i] = i;
                snprintf(key, sizeof(key), "k%d", i % 1000);
                assert_int_equal(swb_keyq_push(q, key, strlen(key), &items[i]), i < 1000);
        }
        assert_int_equal(swb_keyq_waiting(q), 2000);
        swb_keyq_remove_if(q, is_odd, count, &dropped);
        assert_int_equal(dropped, 1000);
        assert_int_equal(swb_keyq_waiting(q), 1000);
        /* k0 had 0 (running), 1000, 2000 waiting: both even, still in order */
        assert_ptr_equal(swb_keyq_done(q, "k0", 2), &items[1000]);
        assert_ptr_equal(swb_keyq_done(q, "k0", 2), &items[2000]);
        assert_null(swb_keyq_done(q, "k0", 2));
        /* k1: 1, 1001, 2001 all odd: nothing waits; a push after removal still queues at the end */
        assert_false(swb_keyq_push(q, "k1", 2, &items[2]));
        assert_ptr_equal(swb_keyq_done(q, "k1", 2), &items[2]);
        swb_keyq_destroy(q);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_per_key),
                cmocka_unit_test(test_many_keys_and_remove),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
