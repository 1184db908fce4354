/* swb_kafka against the dev broker: delivery reports, manual offset store, commit on close. */
#include "swb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_kafka.h"
#include "swb_mem.h"

static int delivered, failed;

static void dr(void *opaque, void *msg_opaque, swb_err_t err, const char *errstr)
{
        if (err)
                failed++;
        else
                delivered++;
        assert_ptr_equal(opaque, &delivered);
        assert_int_equal((intptr_t)msg_opaque, 42);
}

static int64_t committed(const char *brokers, const char *group, const char *topic, int part)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        char err[256];
        rd_kafka_t *rk;
        int64_t off;
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err));
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        rd_kafka_topic_partition_list_add(l, topic, part);
        assert_int_equal(rd_kafka_committed(rk, l, 10000), 0);
        off = l->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_destroy(rk);
        return off;
}

static void test_produce_consume_store_close(void **state)
{
        char *brokers = swb_test_stack_env("SWB_BROKERS");
        char topic[64], group[64], errstr[256];
        const char *topics[1];
        swb_config_t *cfg = swb_config_new();
        swb_producer_t *p;
        swb_consumer_t *c;
        swb_header_t h = {"h", "v", 1};
        int i, got = 0;
        int64_t deadline;

        assert_non_null(brokers);
        snprintf(topic, sizeof(topic), "kt.%s", swb_test_unique());
        snprintf(group, sizeof(group), "kg.%s", swb_test_unique());
        topics[0] = topic;
        assert_int_equal(swb_test_create_topics(brokers, topics, 1, 1), 0);
        swb_config_set(cfg, "brokers", brokers, SWB_CFG_SRC_FLAG, NULL, 0);
        swb_config_set(cfg, "kafka.partitioner", "murmur2_random", SWB_CFG_SRC_FLAG, NULL, 0);

        p = swb_producer_new(cfg, dr, &delivered, errstr, sizeof(errstr));
        assert_non_null(p);
        for (i = 0; i < 10; i++)
                assert_int_equal(swb_producer_send(p, topic, "k", 1, "value", 5, &h, 1,
                                                   (void *)(intptr_t)42),
                                 SWB_OK);
        assert_int_equal(swb_producer_flush(p, 10000), SWB_OK);
        assert_int_equal(delivered, 10);
        assert_int_equal(failed, 0);
        swb_producer_destroy(p, 1000);

        /* consume everything; store only the first 5 (partition 0 of key "k" is
         * wherever the partitioner put it: read it from the message) */
        c = swb_consumer_new(cfg, group, topics, 1, NULL, NULL, errstr, sizeof(errstr));
        assert_non_null(c);
        deadline = swb_test_deadline(30000);
        {
                int32_t part = -1;
                while (got < 10 && swb_test_now_ms() < deadline) {
                        rd_kafka_message_t *m = swb_consumer_poll(c, 100);
                        if (!m)
                                continue;
                        assert_int_equal(m->len, 5);
                        part = m->partition;
                        if (got < 5)
                                assert_int_equal(swb_consumer_store(c, topic, m->partition,
                                                                    m->offset),
                                                 SWB_OK);
                        got++;
                        rd_kafka_message_destroy(m);
                }
                assert_int_equal(got, 10);
                assert_true(swb_consumer_joined(c));
                assert_true(swb_consumer_rebalances(c) >= 1);
                assert_int_equal(swb_consumer_close(c), SWB_OK);
                swb_consumer_destroy(c);
                /* closing committed exactly what was stored: 5, not 10 */
                assert_int_equal(committed(brokers, group, topic, part), 5);
        }
        swb_config_destroy(cfg);
        free(brokers);
}

static void test_bad_config_is_an_error(void **state)
{
        char errstr[256] = "";
        swb_config_t *cfg = swb_config_new();
        swb_config_set(cfg, "kafka.no.such.property", "1", SWB_CFG_SRC_FLAG, NULL, 0);
        assert_null(swb_producer_new(cfg, NULL, NULL, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "no.such.property"));
        swb_config_destroy(cfg);
}

static void test_error_mapping(void **state)
{
        assert_true(swb_err_is_retriable(swb_kafka_err(RD_KAFKA_RESP_ERR__TRANSPORT)));
        assert_true(swb_err_is_retriable(swb_kafka_err(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)));
        assert_true(swb_err_is_retriable(swb_kafka_err(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)));
        assert_false(swb_err_is_retriable(swb_kafka_err(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)));
        assert_false(swb_err_is_retriable(swb_kafka_err(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)));
        assert_int_equal(swb_kafka_err(RD_KAFKA_RESP_ERR_NO_ERROR), SWB_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_produce_consume_store_close),
                cmocka_unit_test(test_bad_config_is_an_error),
                cmocka_unit_test(test_error_mapping),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
