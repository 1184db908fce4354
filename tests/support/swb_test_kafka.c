#include "swb_test.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int swb_test_create_topics(const char *brokers, const char *const *names, size_t cnt,
                           int partitions)
{
        /* The dev broker (librdkafka's mock cluster) has no admin API, but it
         * auto-creates a topic (4 partitions) on a producer's metadata request
         * for it; real brokers do the same with auto.create.topics.enable. */
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        char errstr[256];
        size_t i;
        int rc = 0;

        (void)partitions;
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk)
                return -1;
        for (i = 0; i < cnt && !rc; i++) {
                int64_t deadline = swb_test_deadline(10000);
                bool ok = false;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, names[i], NULL);
                while (!ok && swb_test_now_ms() < deadline) {
                        const struct rd_kafka_metadata *md = NULL;
                        if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000) && md->topic_cnt == 1 &&
                            !md->topics[0].err && md->topics[0].partition_cnt > 0)
                                ok = true;
                        if (md)
                                rd_kafka_metadata_destroy(md);
                        if (!ok)
                                rd_kafka_poll(rk, 50);
                }
                rd_kafka_topic_destroy(rkt);
                if (!ok) {
                        fprintf(stderr, "topic %s was not created\n", names[i]);
                        rc = -1;
                }
        }
        rd_kafka_destroy(rk);
        return rc;
}

size_t swb_test_read_topic(const char *brokers, const char *topic, size_t want, int idle_ms,
                           int max_ms,
                           void (*cb)(void *arg, const void *key, size_t key_len,
                                      const void *val, size_t len, const void *hdrs),
                           void *arg)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_topic_t *rkt;
        char errstr[256];
        size_t n = 0;
        int i;
        int64_t last = swb_test_now_ms(), end = last + (int64_t)(max_ms * swb_test_tmout_multip());

        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", "swb-test-reader", errstr, sizeof(errstr));
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!rk)
                return 0;
        rd_kafka_poll_set_consumer(rk);
        rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1) {
                if (md)
                        rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
                rd_kafka_destroy(rk);
                return 0;
        }
        l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
        for (i = 0; i < md->topics[0].partition_cnt; i++)
                rd_kafka_topic_partition_list_add(l, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        while ((n < want || swb_test_now_ms() - last < idle_ms) && swb_test_now_ms() < end) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
                if (!m)
                        continue;
                if (!m->err) {
                        rd_kafka_headers_t *h = NULL;
                        rd_kafka_message_headers(m, &h);
                        cb(arg, m->key, m->key_len, m->payload, m->len, h);
                        n++;
                        last = swb_test_now_ms();
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return n;
}

int64_t swb_test_group_lag(const char *brokers, const char *group, const char *topic)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_topic_t *rkt;
        rd_kafka_t *rk;
        char errstr[256];
        int64_t lag = 0;
        int i;

        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr));
        if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr))))
                return -1;
        rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1) {
                lag = -1;
                goto out;
        }
        l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
        for (i = 0; i < md->topics[0].partition_cnt; i++)
                rd_kafka_topic_partition_list_add(l, topic, i);
        if (rd_kafka_committed(rk, l, 10000))
                lag = -1;
        for (i = 0; lag >= 0 && i < l->cnt; i++) {
                int64_t lo, hi;
                if (rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &hi, 10000)) {
                        lag = -1;
                        break;
                }
                lag += hi - (l->elems[i].offset >= 0 ? l->elems[i].offset : 0);
        }
        rd_kafka_topic_partition_list_destroy(l);
out:
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return lag;
}
