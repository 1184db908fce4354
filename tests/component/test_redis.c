/*
 * component.redis: lib/swb_redis against the stack's Redis (SWB_REDIS_URL),
 * and against a port where nothing listens.
 */
#include "swb_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_mem.h"
#include "swb_redis.h"

static void test_set_get(void **state)
{
        char errstr[256] = "", key[128];
        swb_redis_t *r =
            swb_redis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        redisReply *rep = NULL;
        const char *argv[3];
        size_t lens[3];
        static const char bin[] = {'a', '\0', 'b'};

        assert_non_null(r);
        assert_true(swb_redis_is_up(r));
        assert_true(swb_redis_ping(r));

        snprintf(key, sizeof(key), "swb:test:%s", swb_test_unique());
        assert_int_equal(swb_redis_cmd(r, NULL, errstr, sizeof(errstr),
                                       "SET %s %s EX 60", key, "hello"),
                         SWB_OK);
        assert_int_equal(swb_redis_cmd(r, &rep, errstr, sizeof(errstr), "GET %s", key),
                         SWB_OK);
        assert_non_null(rep);
        assert_int_equal(rep->type, REDIS_REPLY_STRING);
        assert_string_equal(rep->str, "hello");
        freeReplyObject(rep);

        /* argv variant, binary safe */
        argv[0] = "SET", lens[0] = 3;
        argv[1] = key, lens[1] = strlen(key);
        argv[2] = bin, lens[2] = sizeof(bin);
        assert_int_equal(
            swb_redis_cmd_argv(r, NULL, errstr, sizeof(errstr), 3, argv, lens), SWB_OK);
        argv[0] = "GET";
        assert_int_equal(
            swb_redis_cmd_argv(r, &rep, errstr, sizeof(errstr), 2, argv, NULL), SWB_OK);
        assert_int_equal(rep->len, sizeof(bin));
        assert_memory_equal(rep->str, bin, sizeof(bin));
        freeReplyObject(rep);

        assert_int_equal(swb_redis_cmd(r, NULL, errstr, sizeof(errstr), "DEL %s", key),
                         SWB_OK);
        swb_redis_destroy(r);
        swb_redis_destroy(NULL);
}

static void test_error_reply(void **state)
{
        char errstr[256] = "", key[128];
        swb_redis_t *r =
            swb_redis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        redisReply *rep = (redisReply *)0x1;
        swb_err_t err;

        assert_non_null(r);
        snprintf(key, sizeof(key), "swb:test:%s", swb_test_unique());
        assert_int_equal(
            swb_redis_cmd(r, NULL, errstr, sizeof(errstr), "SET %s x EX 60", key),
            SWB_OK);
        /* INCR on a non-integer: an error reply, not a transport error. */
        err = swb_redis_cmd(r, &rep, errstr, sizeof(errstr), "INCR %s", key);
        assert_int_equal(err, SWB_ERR_INVALID_ARG);
        assert_false(swb_err_is_retriable(err));
        assert_null(rep);
        assert_non_null(strstr(errstr, "ERR"));
        err = swb_redis_cmd(r, NULL, errstr, sizeof(errstr), "NOSUCHCOMMAND");
        assert_int_equal(err, SWB_ERR_INVALID_ARG);
        /* The connection stays up. */
        assert_true(swb_redis_is_up(r));
        assert_true(swb_redis_ping(r));
        assert_int_equal(swb_redis_cmd(r, NULL, errstr, sizeof(errstr), "DEL %s", key),
                         SWB_OK);
        swb_redis_destroy(r);
}

static void test_bad_url(void **state)
{
        char errstr[256] = "";
        assert_null(swb_redis_new("http://127.0.0.1:1/0", 100, errstr, sizeof(errstr)));
        assert_true(strlen(errstr) > 0);
        assert_null(
            swb_redis_new("redis://127.0.0.1:notaport/0", 100, errstr, sizeof(errstr)));
        assert_null(
            swb_redis_new("redis://127.0.0.1:6379/x", 100, errstr, sizeof(errstr)));
        assert_null(swb_redis_new("", 100, errstr, sizeof(errstr)));
}

static void test_redis_down(void **state)
{
        char errstr[256] = "", url[64];
        swb_redis_t *r;
        swb_err_t err;
        int64_t t0, elapsed;
        int i;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        r = swb_redis_new(url, 2000, errstr, sizeof(errstr));
        assert_non_null(r); /* a client exists while Redis is down */
        assert_false(swb_redis_is_up(r));

        /* Commands fail fast and retriably, without waiting for timeouts. */
        t0 = swb_test_now_ms();
        for (i = 0; i < 100; i++) {
                err = swb_redis_cmd(r, NULL, errstr, sizeof(errstr), "GET k");
                assert_int_equal(err, SWB_ERR_TRANSPORT);
                assert_true(swb_err_is_retriable(err));
        }
        assert_false(swb_redis_ping(r));
        elapsed = swb_test_now_ms() - t0;
        assert_true(elapsed < 500 * swb_test_tmout_multip());
        assert_false(swb_redis_is_up(r));
        swb_redis_destroy(r);
}

/* A client whose server goes away comes back after the back-off. */
static bool pings(void *arg)
{
        return swb_redis_ping(arg);
}

static void test_reconnect(void **state)
{
        char errstr[256] = "";
        swb_redis_t *r =
                        swb_redis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr)),
                    *admin =
                        swb_redis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        redisReply *rep = NULL;
        long long id;

        assert_non_null(r);
        assert_non_null(admin);
        assert_int_equal(swb_redis_cmd(r, &rep, errstr, sizeof(errstr), "CLIENT ID"),
                         SWB_OK);
        id = rep->integer;
        freeReplyObject(rep);
        assert_int_equal(swb_redis_cmd(admin, NULL, errstr, sizeof(errstr),
                                       "CLIENT KILL ID %lld", id),
                         SWB_OK);
        /* First use sees the loss (transport error), then it reconnects. */
        assert_true(swb_test_wait_for(pings, r, 5000));
        assert_true(swb_redis_is_up(r));
        swb_redis_destroy(admin);
        swb_redis_destroy(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_set_get),   cmocka_unit_test(test_error_reply),
            cmocka_unit_test(test_bad_url),   cmocka_unit_test(test_redis_down),
            cmocka_unit_test(test_reconnect),
        };
        return cmocka_run_group_tests_name(
            "component.redis", tests, swb_test_redis_setup, swb_test_redis_teardown);
}
