#include "swb_dlq.h"

#include <inttypes.h>
#include <string.h>

#include "swb_id.h"
#include "swb_kafka.h"
#include "swb_mem.h"

/* Calls cb for every message of the DLQ, from the beginning to the current end. */
typedef void(swb__dlq_cb)(void *arg, const rd_kafka_message_t *m);

static swb_err_t swb__dlq_scan(const swb_config_t *cfg, swb__dlq_cb *cb, void *arg,
                               char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_partition_list_t *l = NULL;
        rd_kafka_topic_t *rkt = NULL;
        rd_kafka_t *rk;
        int64_t *hi = NULL, deadline;
        int i, n = 0, done = 0;
        char kerr[256];
        rd_kafka_resp_err_t err;
        swb_err_t ret = SWB_OK;

        rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, kerr, sizeof(kerr));
        rd_kafka_conf_set(conf, "group.id", "swb-dlq-tool", kerr, sizeof(kerr));
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", kerr, sizeof(kerr));
        if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr))))
                return swb_seterr(errstr, errstr_size, SWB_ERR_KAFKA, "%s", kerr);
        rd_kafka_poll_set_consumer(rk);
        rkt = rd_kafka_topic_new(rk, cfg->topic_dlq, NULL);
        if ((err = rd_kafka_metadata(rk, 0, rkt, &md, 10000)) || md->topic_cnt != 1 ||
            md->topics[0].err) {
                ret = swb_seterr(errstr, errstr_size, SWB_ERR_UNAVAILABLE, "cannot read %s: %s",
                                 cfg->topic_dlq,
                                 rd_kafka_err2str(err ? err : md->topics[0].err));
                goto out;
        }
        n = md->topics[0].partition_cnt;
        hi = swb_calloc((size_t)n, sizeof(*hi));
        l = rd_kafka_topic_partition_list_new(n);
        for (i = 0; i < n; i++) {
                int64_t lo;
                if ((err = rd_kafka_query_watermark_offsets(rk, cfg->topic_dlq, i, &lo, &hi[i],
                                                            10000))) {
                        ret = swb_seterr(errstr, errstr_size, SWB_ERR_UNAVAILABLE, "%s",
                                         rd_kafka_err2str(err));
                        goto out;
                }
                if (hi[i] > lo)
                        rd_kafka_topic_partition_list_add(l, cfg->topic_dlq, i)->offset = lo;
                else
                        done++;
        }
        rd_kafka_assign(rk, l);
        deadline = swb_mono_ms() + 30000;
        while (done < n && swb_mono_ms() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err && m->offset < hi[m->partition]) {
                        cb(arg, m);
                        if (m->offset + 1 == hi[m->partition])
                                done++;
                }
                rd_kafka_message_destroy(m);
        }
        if (done < n)
                ret = swb_seterr(errstr, errstr_size, SWB_ERR_TIMEOUT, "reading %s timed out",
                                 cfg->topic_dlq);
out:
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        swb_free(hi);
        return ret;
}

static json_t *swb__hdr(const rd_kafka_message_t *m, const char *name)
{
        rd_kafka_headers_t *h = NULL;
        const void *v;
        size_t n;
        if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &n))
                return json_string("");
        return json_stringn(v, n);
}

static void swb__list_cb(void *arg, const rd_kafka_message_t *m)
{
        static const char *const hdrs[][2] = {
                {"error", "swb.error"},
                {"message", "swb.error.message"},
                {"retriable", "swb.error.retriable"},
                {"original_topic", "swb.original.topic"},
                {"original_partition", "swb.original.partition"},
                {"original_offset", "swb.original.offset"},
                {"attempts", "swb.attempts"},
                {"first_seen", "swb.first_seen"},
        };
        json_t *e = json_pack("{s:i, s:I, s:s%, s:I}", "partition", (int)m->partition, "offset",
                              (json_int_t)m->offset, "key", m->key ? (const char *)m->key : "",
                              m->key ? m->key_len : 0, "size", (json_int_t)m->len);
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(hdrs); i++)
                json_object_set_new(e, hdrs[i][0], swb__hdr(m, hdrs[i][1]));
        json_array_append_new(arg, e);
}

swb_err_t swb_dlq_list(const swb_config_t *cfg, json_t **out, char *errstr,
                       size_t errstr_size)
{
        swb_err_t err;
        *out = json_array();
        if ((err = swb__dlq_scan(cfg, swb__list_cb, *out, errstr, errstr_size))) {
                json_decref(*out);
                *out = NULL;
        }
        return err;
}

struct swb__replay {
        const int32_t *parts;
        const int64_t *offs;
        size_t cnt, found;
        swb_producer_t *p;
        const char *dlq;
        swb_err_t err;
};

static void swb__replay_cb(void *arg, const rd_kafka_message_t *m)
{
        struct swb__replay *r = arg;
        size_t i;
        for (i = 0; i < r->cnt; i++) {
                json_t *topic;
                char from[256];
                swb_header_t h;
                if (r->parts[i] != m->partition || r->offs[i] != m->offset)
                        continue;
                topic = swb__hdr(m, "swb.original.topic");
                snprintf(from, sizeof(from), "%s/%" PRId32 "/%" PRId64, r->dlq, m->partition,
                         m->offset);
                h = (swb_header_t){"swb.replayed_from", from, strlen(from)};
                if (json_string_length(topic) == 0)
                        r->err = SWB_ERR_SCHEMA;
                else if (!r->err)
                        r->err = swb_producer_send(r->p, json_string_value(topic), m->key,
                                                   m->key_len, m->payload, m->len, &h, 1, NULL);
                r->found++;
                json_decref(topic);
        }
}

swb_err_t swb_dlq_replay(const swb_config_t *cfg, const int32_t *partitions,
                         const int64_t *offsets, size_t cnt, char *errstr, size_t errstr_size)
{
        struct swb__replay r = {partitions, offsets, cnt, 0, NULL, cfg->topic_dlq, SWB_OK};
        swb_err_t err;
        /* first make sure every one of them is there */
        json_t *list = NULL;
        size_t i, j;
        if ((err = swb_dlq_list(cfg, &list, errstr, errstr_size)))
                return err;
        for (i = 0; i < cnt; i++) {
                bool found = false;
                for (j = 0; j < json_array_size(list) && !found; j++) {
                        json_t *e = json_array_get(list, j);
                        found = json_integer_value(json_object_get(e, "partition")) ==
                                        partitions[i] &&
                                json_integer_value(json_object_get(e, "offset")) == offsets[i];
                }
                if (!found) {
                        json_decref(list);
                        return swb_seterr(errstr, errstr_size, SWB_ERR_NOT_FOUND,
                                          "no dead letter at %s partition %d offset %lld",
                                          cfg->topic_dlq, (int)partitions[i],
                                          (long long)offsets[i]);
                }
        }
        json_decref(list);
        if (!(r.p = swb_producer_new(cfg, NULL, NULL, errstr, errstr_size)))
                return SWB_ERR_KAFKA;
        err = swb__dlq_scan(cfg, swb__replay_cb, &r, errstr, errstr_size);
        if (!err && r.err)
                err = swb_seterr(errstr, errstr_size, r.err, "replaying failed: %s",
                                 swb_err2str(r.err));
        if (!err && (err = swb_producer_flush(r.p, 30000)))
                swb_seterr(errstr, errstr_size, err, "replayed messages not delivered");
        swb_producer_destroy(r.p, 0);
        return err;
}

void swb_dlq_print(const json_t *list, FILE *fp)
{
        size_t i;
        fprintf(fp, "%-4s %-8s %-15s %-9s %-30s %s\n", "part", "offset", "error", "retriable",
                "original", "message");
        for (i = 0; i < json_array_size(list); i++) {
                json_t *e = json_array_get(list, i);
                char orig[256];
                snprintf(orig, sizeof(orig), "%s[%s]@%s",
                         json_string_value(json_object_get(e, "original_topic")),
                         json_string_value(json_object_get(e, "original_partition")),
                         json_string_value(json_object_get(e, "original_offset")));
                fprintf(fp, "%-4d %-8lld %-15s %-9s %-30s %s\n",
                        (int)json_integer_value(json_object_get(e, "partition")),
                        (long long)json_integer_value(json_object_get(e, "offset")),
                        json_string_value(json_object_get(e, "error")),
                        json_string_value(json_object_get(e, "retriable")), orig,
                        json_string_value(json_object_get(e, "message")));
        }
        fprintf(fp, "%zu dead letter(s)\n", json_array_size(list));
}
