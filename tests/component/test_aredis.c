/*
 * component.aredis: lib/swb_aredis (the non-blocking Redis connection)
 * against the stack's Redis, a port where nothing listens, and a listener
 * that accepts and never answers.
 */
#include "swb_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_aredis.h"
#include "swb_id.h"
#include "swb_mem.h"

/* What the callbacks saw, in the order they ran. */
struct seen {
        int n;
        int order[256];
        swb_err_t err[256];
        char value[256][32];
        char errstr[256];
};

struct tag {
        struct seen *s;
        int i;
};

static void on_reply(void *opaque, swb_err_t err, const redisReply *reply,
                     const char *errstr)
{
        struct tag *t = opaque;
        struct seen *s = t->s;
        s->order[s->n] = t->i;
        s->err[s->n] = err;
        if (!err && reply && reply->type == REDIS_REPLY_STRING)
                snprintf(s->value[s->n], sizeof(s->value[0]), "%s", reply->str);
        else if (err)
                snprintf(s->errstr, sizeof(s->errstr), "%s", errstr);
        s->n++;
}

static void cmd(swb_aredis_t *a, struct tag *t, int argc, const char **argv)
{
        char errstr[256];
        assert_int_equal(swb_aredis_cmd_argv(a, argc, argv, NULL, on_reply, t, errstr,
                                             sizeof(errstr)),
                         SWB_OK);
}

/* Poll until nothing is in flight, at most `ms`. */
static void drain(swb_aredis_t *a, int ms)
{
        int64_t deadline = swb_mono_ms() + ms;
        while (swb_aredis_inflight(a) && swb_mono_ms() < deadline)
                swb_aredis_poll(a, 10);
        assert_int_equal(swb_aredis_inflight(a), 0);
}

/* 100 commands in flight at once: every callback once, in order, with its value. */
static void test_pipelined(void **state)
{
        static struct seen s;
        static struct tag tags[200];
        char errstr[256], key[100][64], val[100][16];
        swb_aredis_t *a =
            swb_aredis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        int i;
        (void)state;
        assert_non_null(a);
        memset(&s, 0, sizeof(s));
        for (i = 0; i < 100; i++) {
                const char *set[] = {"SET", key[i], val[i], "EX", "60"};
                snprintf(key[i], sizeof(key[i]), "swb:test:aredis:%s:%d",
                         swb_test_unique(), i);
                snprintf(val[i], sizeof(val[i]), "v%d", i);
                tags[i] = (struct tag){&s, i};
                cmd(a, &tags[i], 5, set);
        }
        for (i = 0; i < 100; i++) {
                const char *get[] = {"GET", key[i]};
                tags[100 + i] = (struct tag){&s, 100 + i};
                cmd(a, &tags[100 + i], 2, get);
        }
        /* callbacks never run from the call itself */
        assert_int_equal(s.n, 0);
        assert_int_equal(swb_aredis_inflight(a), 200);
        drain(a, 5000);
        assert_int_equal(s.n, 200);
        for (i = 0; i < 200; i++) {
                assert_int_equal(s.order[i], i);
                assert_int_equal(s.err[i], SWB_OK);
        }
        for (i = 0; i < 100; i++)
                assert_string_equal(s.value[100 + i], val[i]);
        swb_aredis_destroy(a);
}

static void test_error_reply(void **state)
{
        static struct seen s;
        struct tag t = {&s, 0};
        const char *bad[] = {"NOSUCHCOMMAND", "x"};
        char errstr[256];
        swb_aredis_t *a =
            swb_aredis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        (void)state;
        memset(&s, 0, sizeof(s));
        cmd(a, &t, 2, bad);
        drain(a, 5000);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.err[0], SWB_ERR_INVALID_ARG);
        assert_non_null(strstr(s.errstr, "unknown command"));
        swb_aredis_destroy(a);
}

/* Nothing listens: the command fails from poll (the connect is non-blocking),
 * then at once until the back-off has passed. */
static void test_refused(void **state)
{
        static struct seen s;
        struct tag t = {&s, 0};
        const char *ping[] = {"PING"};
        char url[64], errstr[256];
        swb_aredis_t *a;
        (void)state;
        memset(&s, 0, sizeof(s));
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", swb_test_dead_port());
        a = swb_aredis_new(url, 2000, errstr, sizeof(errstr));
        assert_non_null(a);
        cmd(a, &t, 1, ping);
        drain(a, 5000);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.err[0], SWB_ERR_TRANSPORT);
        assert_int_equal(
            swb_aredis_cmd_argv(a, 1, ping, NULL, on_reply, &t, errstr, sizeof(errstr)),
            SWB_ERR_TRANSPORT);
        assert_non_null(strstr(errstr, "next connection attempt"));
        assert_int_equal(s.n, 1);
        swb_aredis_destroy(a);
}

/* A server that accepts and never answers: the oldest command times out, and
 * with it every command in flight; later commands connect again. */
static void test_timeout(void **state)
{
        static struct seen s;
        static struct tag tags[3];
        const char *ping[] = {"PING"};
        struct sockaddr_in sa = {0};
        socklen_t sl = sizeof(sa);
        char url[64], errstr[256];
        int64_t t0;
        swb_aredis_t *a;
        int ls = socket(AF_INET, SOCK_STREAM, 0);
        (void)state;
        memset(&s, 0, sizeof(s));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(ls, 8), 0);
        assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", ntohs(sa.sin_port));
        a = swb_aredis_new(url, 300, errstr, sizeof(errstr));
        t0 = swb_mono_ms();
        for (int i = 0; i < 3; i++) {
                tags[i] = (struct tag){&s, i};
                cmd(a, &tags[i], 1, ping);
        }
        drain(a, 5000);
        assert_true(swb_mono_ms() - t0 >= 300);
        assert_int_equal(s.n, 3);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(s.order[i], i);
                assert_int_equal(s.err[i], SWB_ERR_TIMEOUT);
        }
        assert_non_null(strstr(s.errstr, "no reply within 300 ms"));
        swb_aredis_destroy(a);
        close(ls);
}

/* Destroying with commands in flight runs their callbacks. */
static void test_destroy_in_flight(void **state)
{
        static struct seen s;
        struct tag t = {&s, 0};
        const char *ping[] = {"PING"};
        char errstr[256];
        swb_aredis_t *a =
            swb_aredis_new(swb_test_redis_url, 2000, errstr, sizeof(errstr));
        (void)state;
        memset(&s, 0, sizeof(s));
        cmd(a, &t, 1, ping);
        swb_aredis_destroy(a);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.err[0], SWB_ERR_TRANSPORT);
}

static void test_bad_url(void **state)
{
        char errstr[256] = "";
        (void)state;
        assert_null(swb_aredis_new("http://x", 100, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "scheme"));
        assert_null(swb_aredis_new("", 100, errstr, sizeof(errstr)));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pipelined),
            cmocka_unit_test(test_error_reply),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_timeout),
            cmocka_unit_test(test_destroy_in_flight),
            cmocka_unit_test(test_bad_url),
        };
        return cmocka_run_group_tests(tests, swb_test_redis_setup,
                                      swb_test_redis_teardown);
}
