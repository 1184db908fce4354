/*
 * component.cache: lib/swb_cache against the stack's Redis (hits, misses,
 * TTLs, invalidation, read-through), against a dead port (Redis down), and
 * against a Redis of its own that goes away and comes back (the epoch bump
 * after lost invalidations).
 */
#include "swb_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swb_cache.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_redis.h"

static double count(swb_metrics_t *m, const char *type, const char *result)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_metric_t *f =
            swb_metrics_counter(m, "swb_cache_requests_total", "x", labels);
        const char *const v[] = {type, result};
        return swb_metric_value(f, v);
}

static swb_cache_t *new_cache(const char *url, swb_metrics_t *m)
{
        char errstr[256] = "";
        struct swb_cache_conf conf = {
            .redis_url = url, .metrics = m, .ttl = {.availability = 120}};
        swb_cache_t *c = swb_cache_new(&conf, errstr, sizeof(errstr));
        if (!c)
                fail_msg("swb_cache_new(%s): %s", url, errstr);
        return c;
}

static void test_get_put_invalidate(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        swb_cache_t *c = new_cache(swb_test_redis_url, m);
        char errstr[256], scope[96], *val = NULL;
        swb_cache_slot_t slot, slot2;
        swb_redis_t *r =
            swb_redis_new(swb_test_redis_url, 1000, errstr, sizeof(errstr));
        redisReply *rep = NULL;

        snprintf(scope, sizeof(scope), "hotel:%s", swb_test_unique());
        assert_int_equal(swb_cache_ttl(c, SWB_CACHE_HOTELS), 3600);
        assert_int_equal(swb_cache_ttl(c, SWB_CACHE_FLIGHTS), 1800);
        assert_int_equal(swb_cache_ttl(c, SWB_CACHE_TOURS), 3600);
        assert_int_equal(swb_cache_ttl(c, SWB_CACHE_AVAILABILITY),
                         120); /* configured */
        assert_int_equal(swb_cache_ttl(c, SWB_CACHE_USER_BOOKINGS), 600);

        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_AVAILABILITY, scope, "q1", &slot, &val),
            SWB_ERR_NOT_FOUND);
        assert_null(val);
        assert_true(slot.usable);
        assert_non_null(strstr(slot.key, "swb:c:availability:"));
        assert_non_null(strstr(slot.key, scope));
        swb_cache_put(c, &slot, "{\"a\":1}");
        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_AVAILABILITY, scope, "q1", &slot2, &val),
            SWB_OK);
        assert_string_equal(val, "{\"a\":1}");
        swb_free(val);
        assert_string_equal(slot.key, slot2.key);

        /* The value carries the type's TTL. */
        assert_int_equal(
            swb_redis_cmd(r, &rep, errstr, sizeof(errstr), "TTL %s", slot.key), SWB_OK);
        assert_true(rep->integer > 100 && rep->integer <= 120);
        freeReplyObject(rep);

        /* Another query, type or scope is another key. */
        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_AVAILABILITY, scope, "q2", &slot2, &val),
            SWB_ERR_NOT_FOUND);
        assert_int_equal(swb_cache_get(c, SWB_CACHE_HOTELS, scope, "q1", &slot2, &val),
                         SWB_ERR_NOT_FOUND);
        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_AVAILABILITY, "other", "q1", &slot2, &val),
            SWB_ERR_NOT_FOUND);

        /* Invalidating the scope: the old value is never read again. */
        assert_int_equal(swb_cache_invalidate(c, SWB_CACHE_AVAILABILITY, scope),
                         SWB_OK);
        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_AVAILABILITY, scope, "q1", &slot2, &val),
            SWB_ERR_NOT_FOUND);
        assert_string_not_equal(slot.key, slot2.key);

        /* A value loaded before the invalidation is stored under the old
         * generation (slot), so it cannot shadow the new data. */
        swb_cache_put(c, &slot, "{\"stale\":true}");
        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_AVAILABILITY, scope, "q1", &slot2, &val),
            SWB_ERR_NOT_FOUND);

        assert_true(count(m, "availability", "hit") == 1);
        assert_true(count(m, "availability", "miss") == 5);
        assert_true(count(m, "hotels", "miss") == 1);
        assert_true(count(m, "availability", "error") == 0);
        assert_true(swb_cache_is_up(c));

        swb_redis_destroy(r);
        swb_cache_destroy(c);
        swb_cache_destroy(NULL);
        swb_metrics_destroy(m);
}

struct loader {
        int calls;
        bool store;
};

static swb_err_t load(void *opaque, json_t **val, bool *store)
{
        struct loader *l = opaque;
        l->calls++;
        *val = json_pack("{s:i}", "n", l->calls);
        *store = l->store;
        return SWB_OK;
}

static swb_err_t load_fails(void *opaque, json_t **val, bool *store)
{
        return SWB_ERR_TRANSPORT;
}

static void test_fetch(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        swb_cache_t *c = new_cache(swb_test_redis_url, m);
        struct loader l = {0, true};
        char query[128];
        json_t *v = NULL;
        bool hit = true;

        snprintf(query, sizeof(query), "get_tours\n{\"u\":\"%s\"}", swb_test_unique());
        assert_int_equal(
            swb_cache_fetch(c, SWB_CACHE_TOURS, NULL, query, load, &l, &v, &hit),
            SWB_OK);
        assert_false(hit);
        assert_int_equal(json_integer_value(json_object_get(v, "n")), 1);
        json_decref(v);
        assert_int_equal(
            swb_cache_fetch(c, SWB_CACHE_TOURS, NULL, query, load, &l, &v, &hit),
            SWB_OK);
        assert_true(hit);
        assert_int_equal(json_integer_value(json_object_get(v, "n")), 1);
        assert_int_equal(l.calls, 1);
        json_decref(v);

        /* Not stored when the loader says so (error results). */
        snprintf(query, sizeof(query), "x\n%s", swb_test_unique());
        l.store = false;
        assert_int_equal(
            swb_cache_fetch(c, SWB_CACHE_TOURS, NULL, query, load, &l, &v, &hit),
            SWB_OK);
        json_decref(v);
        assert_int_equal(
            swb_cache_fetch(c, SWB_CACHE_TOURS, NULL, query, load, &l, &v, &hit),
            SWB_OK);
        assert_false(hit);
        assert_int_equal(l.calls, 3);
        json_decref(v);

        /* The loader's error is returned. */
        assert_int_equal(swb_cache_fetch(c, SWB_CACHE_TOURS, NULL, query, load_fails,
                                         NULL, &v, NULL),
                         SWB_ERR_TRANSPORT);
        assert_null(v);

        /* Without a cache: the loader every time. */
        l.store = true;
        assert_int_equal(
            swb_cache_fetch(NULL, SWB_CACHE_TOURS, NULL, query, load, &l, &v, &hit),
            SWB_OK);
        assert_false(hit);
        json_decref(v);

        assert_true(count(m, "tours", "hit") == 1);
        assert_true(count(m, "tours", "miss") == 4);
        swb_cache_destroy(c);
        swb_metrics_destroy(m);
}

static void test_redis_down(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        char url[64], *val = NULL;
        swb_cache_t *c;
        swb_cache_slot_t slot;
        struct loader l = {0, true};
        json_t *v = NULL;
        int64_t t0;

        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", swb_test_dead_port());
        c = new_cache(url, m);
        assert_false(swb_cache_is_up(c));
        t0 = swb_test_now_ms();
        for (int i = 0; i < 50; i++) {
                assert_int_equal(
                    swb_cache_get(c, SWB_CACHE_FLIGHTS, NULL, "q", &slot, &val),
                    SWB_ERR_TRANSPORT);
                assert_false(slot.usable);
                swb_cache_put(c, &slot, "{}"); /* does nothing */
        }
        /* Read-through still answers, from the loader. */
        assert_int_equal(
            swb_cache_fetch(c, SWB_CACHE_FLIGHTS, NULL, "q", load, &l, &v, NULL),
            SWB_OK);
        assert_int_equal(l.calls, 1);
        json_decref(v);
        assert_int_not_equal(swb_cache_invalidate(c, SWB_CACHE_FLIGHTS, NULL), SWB_OK);
        assert_true(swb_test_now_ms() - t0 < 1000 * swb_test_tmout_multip());
        assert_true(count(m, "flights", "error") == 51);
        assert_true(count(m, "flights", "hit") == 0);
        swb_cache_destroy(c);
        swb_metrics_destroy(m);
}

/* ---- a Redis of our own, to take away and bring back */

static pid_t own_redis;

static pid_t start_redis(int port, const char *dir)
{
        char portstr[16];
        pid_t pid;

        snprintf(portstr, sizeof(portstr), "%d", port);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                if (devnull >= 0) {
                        dup2(devnull, 1);
                        dup2(devnull, 2);
                }
                execlp("redis-server", "redis-server", "--port", portstr, "--bind",
                       "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb", "--save",
                       "", "--appendonly", "no", (char *)NULL);
                _exit(127);
        }
        own_redis = pid;
        return pid;
}

static bool redis_ping(void *arg)
{
        return swb_redis_ping(arg);
}

static void wait_redis(const char *url)
{
        char errstr[256];
        swb_redis_t *r = swb_redis_new(url, 500, errstr, sizeof(errstr));
        assert_non_null(r);
        assert_true(swb_test_wait_for(redis_ping, r, 10000));
        swb_redis_destroy(r);
}

static void shutdown_redis(const char *url, pid_t pid, bool save)
{
        char errstr[256];
        swb_redis_t *r = swb_redis_new(url, 2000, errstr, sizeof(errstr));
        int status;

        assert_non_null(r);
        swb_redis_cmd(r, NULL, errstr, sizeof(errstr),
                      save ? "SHUTDOWN SAVE" : "SHUTDOWN NOSAVE");
        swb_redis_destroy(r);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        own_redis = 0;
}

struct get_arg {
        swb_cache_t *c;
        swb_err_t err;
        char *val;
};

static bool get_answers(void *arg)
{
        struct get_arg *g = arg;
        swb_cache_slot_t slot;
        g->err =
            swb_cache_get(g->c, SWB_CACHE_USER_BOOKINGS, "u1", "q", &slot, &g->val);
        return g->err != SWB_ERR_TRANSPORT && g->err != SWB_ERR_TIMEOUT;
}

static void test_outage_bumps_epoch(void **state)
{
        char dir[] = "/tmp/swb-cache-test-XXXXXX", url[64], path[128], *val = NULL;
        swb_metrics_t *m = swb_metrics_new();
        int port = swb_test_dead_port();
        swb_cache_slot_t slot;
        struct get_arg g = {0};
        swb_cache_t *c;
        pid_t pid;

        assert_non_null(mkdtemp(dir));
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", port);
        pid = start_redis(port, dir);
        wait_redis(url);
        c = new_cache(url, m);

        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_USER_BOOKINGS, "u1", "q", &slot, &val),
            SWB_ERR_NOT_FOUND);
        swb_cache_put(c, &slot, "\"before\"");
        assert_int_equal(
            swb_cache_get(c, SWB_CACHE_USER_BOOKINGS, "u1", "q", &slot, &val), SWB_OK);
        swb_free(val);

        /* Redis goes away (keeping its data); a write's invalidation is lost. */
        shutdown_redis(url, pid, true);
        assert_int_not_equal(swb_cache_invalidate(c, SWB_CACHE_USER_BOOKINGS, "u1"),
                             SWB_OK);
        assert_false(swb_cache_is_up(c));

        /* Back with the old data: the stale value must not be served. */
        pid = start_redis(port, dir);
        wait_redis(url);
        g.c = c;
        assert_true(swb_test_wait_for(get_answers, &g, 10000));
        assert_int_equal(g.err, SWB_ERR_NOT_FOUND);
        assert_null(g.val);
        assert_true(swb_cache_is_up(c));

        swb_cache_destroy(c);
        shutdown_redis(url, pid, false);
        own_redis = 0;
        snprintf(path, sizeof(path), "%s/dump.rdb", dir);
        unlink(path);
        rmdir(dir);
        swb_metrics_destroy(m);
}

/* Whatever happened in the test, no redis-server of ours outlives it. */
static int kill_own_redis(void **state)
{
        if (own_redis > 0) {
                kill(own_redis, SIGKILL);
                waitpid(own_redis, NULL, 0);
                own_redis = 0;
        }
        return 0;
}

static void test_bad_conf(void **state)
{
        char errstr[256] = "";
        struct swb_cache_conf conf = {.redis_url = ""};
        assert_null(swb_cache_new(&conf, errstr, sizeof(errstr)));
        assert_true(strlen(errstr) > 0);
        assert_null(swb_cache_new(NULL, errstr, sizeof(errstr)));
        conf.redis_url = "http://nope";
        assert_null(swb_cache_new(&conf, errstr, sizeof(errstr)));
        assert_string_equal(swb_cache_type_name(SWB_CACHE_USER_BOOKINGS),
                            "user_bookings");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_get_put_invalidate),
            cmocka_unit_test(test_fetch),
            cmocka_unit_test(test_redis_down),
            cmocka_unit_test_teardown(test_outage_bumps_epoch, kill_own_redis),
            cmocka_unit_test(test_bad_conf),
        };
        return cmocka_run_group_tests_name(
            "component.cache", tests, swb_test_redis_setup, swb_test_redis_teardown);
}
