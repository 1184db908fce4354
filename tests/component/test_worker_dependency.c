/*
 * swb_worker against the dev broker with a declared dependency that goes
 * down: the job that failed for it is held (not retried, not dead-lettered,
 * no attempt counted), nothing else is handled while it is down (partitions
 * paused, polling goes on), the probe backs off, and on recovery every message
 * is handled once, in per-key order, and every offset is committed. A stop
 * while it is down returns promptly and commits nothing past the held message.
 */
#include "swb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_worker.h"

#define N_KEYS 10
#define N_MSGS 100

static struct {
        swb_worker_t *w;
        const char *dep;
        int last_seq[N_KEYS];
        int handled, failures, order_violations, probes;
        int fail_after;        /* the dependency goes down after this many successes */
        int64_t outage_ms;     /* and comes back this long after (<0: never) */
        int64_t stop_after_ms; /* stop the worker this long into the outage (<0: no) */
        bool down;
        int64_t down_at, stop_at;
} T;

static bool probe(void *opaque)
{
        T.probes++;
        return !T.down;
}

static swb_err_t handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *m,
                        char *errstr, size_t errstr_size)
{
        int key, seq;
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*s", (int)m->len, (const char *)m->payload);
        if (sscanf(buf, "%d:%d", &key, &seq) != 2)
                return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                  "bad test payload");
        if (T.down) {
                T.failures++;
                swb_job_dependency_down(job, T.dep);
                return swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT, "%s refused",
                                  T.dep);
        }
        if (seq != T.last_seq[key] + 1)
                T.order_violations++;
        T.last_seq[key] = seq;
        if (++T.handled == T.fail_after) {
                T.down = true;
                T.down_at = swb_test_now_ms();
        }
        return SWB_OK;
}

static void poll_cb(void *opaque, int timeout_ms)
{
        int64_t now = swb_test_now_ms();
        if (T.down && T.outage_ms >= 0 && now - T.down_at >= T.outage_ms)
                T.down = false;
        if (T.down && T.failures && T.stop_after_ms >= 0 && !T.stop_at &&
            now - T.down_at >= T.stop_after_ms) {
                T.stop_at = now;
                swb_worker_stop(T.w);
        }
        if (T.handled == N_MSGS)
                swb_worker_stop(T.w);
}

static void ignore(void *arg, const void *key, size_t key_len, const void *val,
                   size_t len, const void *hdrs)
{
}

static size_t count_topic(const char *brokers, const char *topic)
{
        return swb_test_read_topic(brokers, topic, 0, 500, 3000, ignore, NULL);
}

/* Produce "key:seq" messages and run a worker over them until poll_cb stops it. */
static void run_worker(const char *brokers, const char *topic, const char *group,
                       const char *dlq, int n_msgs, int n_keys)
{
        char errstr[256];
        const char *topics[1] = {topic};
        swb_config_t *cfg = swb_config_new();
        struct swb_worker_spec spec = {0};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *prod;
        int i;

        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        for (i = 0; i < n_msgs; i++) {
                char key[16], val[32];
                snprintf(key, sizeof(key), "k%d", i % n_keys);
                snprintf(val, sizeof(val), "%d:%d", i % n_keys, i / n_keys + 1);
                assert_int_equal(
                    rd_kafka_producev(
                        prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                        RD_KAFKA_V_VALUE(val, strlen(val)),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                    0);
        }
        assert_int_equal(rd_kafka_flush(prod, 10000), 0);
        rd_kafka_destroy(prod);

        swb_config_set(cfg, "brokers", brokers, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "name", "test-worker-dep", SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "topic.dlq", dlq, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "topic.audit", dlq, SWB_CFG_SRC_FLAG, NULL, 0);
        /* the old path would dead-letter within a few hundred ms */
        swb_config_set(cfg, "retry.max.attempts", "2", SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "retry.backoff.ms", "50", SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "health.probe.interval.ms", "200", SWB_CFG_SRC_FLAG, NULL,
                       0);
        swb_config_set(cfg, "shutdown.timeout.ms", "5000", SWB_CFG_SRC_FLAG, NULL, 0);
        spec.component = "test";
        spec.group_id = group;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = handle;
        spec.poll = poll_cb;
        T.w = swb_worker_new(cfg, &spec, errstr, sizeof(errstr));
        if (!T.w)
                fail_msg("worker: %s", errstr);
        assert_int_equal(swb_worker_add_dependency(T.w, T.dep, probe, NULL), SWB_OK);
        assert_true(swb_worker_dependency_up(T.w, T.dep));
        assert_int_equal(swb_worker_run(T.w), 0);
        swb_worker_destroy(T.w);
        T.w = NULL;
        swb_config_destroy(cfg);
}

static double metric(const char *name, bool gauge, const char *dep)
{
        static const char *const l[] = {"dependency", NULL};
        swb_metrics_t *m = swb_metrics_default();
        swb_metric_t *f = gauge ? swb_metrics_gauge(m, name, "", l)
                                : swb_metrics_counter(m, name, "", l);
        const char *v[] = {dep, NULL};
        assert_non_null(f);
        return swb_metric_value(f, v);
}

static void test_outage_held_then_resumed(void **state)
{
        char *brokers = swb_test_stack_env("SWB_BROKERS");
        char topic[64], group[64], dlq[64];
        const char *topics[2] = {topic, dlq};
        int i;

        memset(&T, 0, sizeof(T));
        T.dep = "db1";
        T.fail_after = 30;
        T.outage_ms = 1500;
        T.stop_after_ms = -1;
        snprintf(topic, sizeof(topic), "wd.%s", swb_test_unique());
        snprintf(group, sizeof(group), "wdg.%s", swb_test_unique());
        snprintf(dlq, sizeof(dlq), "wdq.%s", swb_test_unique());
        assert_int_equal(swb_test_create_topics(brokers, topics, 2, 4), 0);

        run_worker(brokers, topic, group, dlq, N_MSGS, N_KEYS);

        assert_int_equal(T.handled, N_MSGS);
        assert_int_equal(T.order_violations, 0);
        for (i = 0; i < N_KEYS; i++)
                assert_int_equal(T.last_seq[i], N_MSGS / N_KEYS);
        /* one handling failed; nothing else was handled while it was down */
        assert_int_equal(T.failures, 1);
        /* probed with back-off: 50 ms doubling to 200 ms over 1.5 s */
        print_message("probes during a 1500 ms outage: %d\n", T.probes);
        assert_true(T.probes >= 3);
        assert_true(T.probes <= 40);
        assert_int_equal(count_topic(brokers, dlq), 0);
        assert_int_equal(swb_test_group_lag(brokers, group, topic), 0);
        assert_true(metric("swb_dependency_up", true, "db1") == 1);
        assert_true(metric("swb_dependency_outages_total", false, "db1") == 1);
        free(brokers);
}

static void test_stop_while_down(void **state)
{
        char *brokers = swb_test_stack_env("SWB_BROKERS");
        char topic[64], group[64], dlq[64];
        const char *topics[2] = {topic, dlq};
        int64_t took;

        memset(&T, 0, sizeof(T));
        T.dep = "db2";
        T.fail_after = 5;
        T.outage_ms = -1; /* never comes back */
        T.stop_after_ms = 500;
        snprintf(topic, sizeof(topic), "wd.%s", swb_test_unique());
        snprintf(group, sizeof(group), "wdg.%s", swb_test_unique());
        snprintf(dlq, sizeof(dlq), "wdq.%s", swb_test_unique());
        assert_int_equal(swb_test_create_topics(brokers, topics, 2, 4), 0);

        run_worker(brokers, topic, group, dlq, 40, 4);
        took = swb_test_now_ms() - T.stop_at;
        print_message("stopped %lld ms after SIGTERM-equivalent\n", (long long)took);
        assert_true(T.stop_at > 0);
        assert_int_equal(T.handled, 5);
        assert_int_equal(T.failures, 1);
        /* the held jobs were abandoned, not waited for up to shutdown.timeout.ms */
        assert_true(took < (int64_t)(4000 * swb_test_tmout_multip()));
        assert_int_equal(count_topic(brokers, dlq), 0);
        /* nothing committed past the five handled messages */
        assert_true(swb_test_group_lag(brokers, group, topic) >= 35);
        assert_true(metric("swb_dependency_up", true, "db2") == 0);
        free(brokers);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_outage_held_then_resumed),
            cmocka_unit_test(test_stop_while_down),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
