/*
 * swb_worker in-process against the dev broker, with a test handler that
 * defers every job and completes them from the poll hook in scrambled order:
 * per-key order holds, the in-flight cap is never exceeded (partitions pause,
 * polling goes on), every offset is committed at the end.
 */
#include "swb_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_worker.h"

#define N_KEYS 20
#define N_MSGS 400
#define MAX_INFLIGHT 16

static struct {
        swb_worker_t *w;
        swb_job_t *pending[N_MSGS];
        size_t n_pending;
        int last_seq[N_KEYS];
        int handled, completed, order_violations, max_pending;
        unsigned rnd;
} T;

static swb_err_t handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *m,
                        char *errstr, size_t errstr_size)
{
        int key, seq;
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*s", (int)m->len, (const char *)m->payload);
        if (sscanf(buf, "%d:%d", &key, &seq) != 2)
                return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE, "bad test payload");
        if (seq != T.last_seq[key] + 1)
                T.order_violations++;
        T.last_seq[key] = seq;
        T.handled++;
        swb_job_defer(job);
        T.pending[T.n_pending++] = job;
        if ((int)T.n_pending > T.max_pending)
                T.max_pending = (int)T.n_pending;
        return SWB_OK;
}

/* Complete a random pending job now and then: scrambled completion order. */
static void poll_cb(void *opaque, int timeout_ms)
{
        if (T.n_pending && (T.rnd = T.rnd * 1103515245 + 12345) % 3 == 0) {
                size_t i = (T.rnd >> 8) % T.n_pending;
                swb_job_t *job = T.pending[i];
                T.pending[i] = T.pending[--T.n_pending];
                T.completed++;
                swb_job_complete(job, SWB_OK, NULL);
        }
        if (T.completed == N_MSGS)
                swb_worker_stop(T.w);
}

static void test_order_cap_commit(void **state)
{
        char *brokers = swb_test_stack_env("SWB_BROKERS");
        char topic[64], group[64], errstr[256];
        const char *topics[1];
        swb_config_t *cfg = swb_config_new();
        struct swb_worker_spec spec = {0};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *prod;
        int i;

        T.rnd = 7;
        snprintf(topic, sizeof(topic), "wt.%s", swb_test_unique());
        snprintf(group, sizeof(group), "wg.%s", swb_test_unique());
        topics[0] = topic;
        assert_int_equal(swb_test_create_topics(brokers, topics, 1, 4), 0);

        /* N_MSGS messages over N_KEYS keys, "key:seq" */
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        for (i = 0; i < N_MSGS; i++) {
                char key[16], val[32];
                snprintf(key, sizeof(key), "k%d", i % N_KEYS);
                snprintf(val, sizeof(val), "%d:%d", i % N_KEYS, i / N_KEYS + 1);
                assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
                                                   RD_KAFKA_V_KEY(key, strlen(key)),
                                                   RD_KAFKA_V_VALUE(val, strlen(val)),
                                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                   RD_KAFKA_V_END),
                                 0);
        }
        assert_int_equal(rd_kafka_flush(prod, 10000), 0);
        rd_kafka_destroy(prod);

        swb_config_set(cfg, "brokers", brokers, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "worker.max.inflight", "16", SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "name", "test-worker", SWB_CFG_SRC_FLAG, NULL, 0);
        spec.component = "test";
        spec.group_id = group;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = handle;
        spec.poll = poll_cb;
        T.w = swb_worker_new(cfg, &spec, errstr, sizeof(errstr));
        if (!T.w)
                fail_msg("worker: %s", errstr);
        assert_int_equal(swb_worker_run(T.w), 0);
        swb_worker_destroy(T.w);

        assert_int_equal(T.handled, N_MSGS);
        assert_int_equal(T.order_violations, 0);
        for (i = 0; i < N_KEYS; i++)
                assert_int_equal(T.last_seq[i], N_MSGS / N_KEYS);
        /* at most one job per key runs, and never more than the cap */
        assert_true(T.max_pending <= N_KEYS);
        assert_true(T.max_pending <= MAX_INFLIGHT);
        assert_true(T.max_pending > 1); /* it really ran concurrently */
        assert_int_equal(swb_test_group_lag(brokers, group, topic), 0);
        swb_config_destroy(cfg);
        free(brokers);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_cap_commit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
