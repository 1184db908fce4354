#include "swb_kafka.h"

#include <jansson.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"

struct swb_producer_s {
        rd_kafka_t *rk;
        swb_producer_dr_cb *dr_cb;
        void *opaque;
};

struct swb_consumer_s {
        rd_kafka_t *rk;
        swb_consumer_revoke_cb *revoke_cb;
        void *opaque;
        bool closed;
        bool close_timed_out;
        atomic_bool joined;
        atomic_long rebalances;
        swb_metric_t *m_lag; /* swb_consumer_lag{topic,partition} */
};

swb_err_t swb_kafka_err(rd_kafka_resp_err_t err)
{
        switch (err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
                return SWB_OK;
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
                return SWB_ERR_TRANSPORT;
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
                return SWB_ERR_TIMEOUT;
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
                return SWB_ERR_TOO_LARGE;
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
                return SWB_ERR_KAFKA_RETRIABLE;
        default:
                return SWB_ERR_KAFKA;
        }
}

static void swb__kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                              const char *buf)
{
        swb_log_level_t l = level <= 3 ? SWB_LOG_ERROR : level <= 5 ? SWB_LOG_WARN
                                                   : level == 6   ? SWB_LOG_INFO
                                                                  : SWB_LOG_DEBUG;
        SWB_LOG(l, NULL, "librdkafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

static void swb__kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        /* Most errors are transient; librdkafka retries by itself. Fatal ones
         * (idempotence violations) are logged as such and surface through the
         * delivery reports. */
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char fatal[256];
                rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                SWB_ERR(NULL, "kafka fatal error: %s", fatal);
        } else
                SWB_WARN(NULL, "kafka error: %s: %s", rd_kafka_err2name(err), reason);
}

/* Defaults set here, then the kafka.* passthrough overrides them. */
static rd_kafka_conf_t *swb__conf_new(const swb_config_t *cfg, const char *const *defaults,
                                      char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        size_t i;
        char kerr[512];

        rd_kafka_conf_set_log_cb(conf, swb__kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, swb__kafka_error_cb);
        if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, kerr, sizeof(kerr)) ||
            (cfg->name && *cfg->name &&
             rd_kafka_conf_set(conf, "client.id", cfg->name, kerr, sizeof(kerr))))
                goto fail;
        for (i = 0; defaults && defaults[i]; i += 2)
                if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], kerr, sizeof(kerr)))
                        goto fail;
        for (i = 0; i < cfg->kafka_props_cnt; i++)
                if (rd_kafka_conf_set(conf, cfg->kafka_props[2 * i], cfg->kafka_props[2 * i + 1],
                                      kerr, sizeof(kerr)))
                        goto fail;
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "kafka config: %s", kerr);
        return NULL;
}

/* ---------------------------------------------------------------- producer */

static void swb__dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        swb_producer_t *p = opaque;
        if (p->dr_cb)
                p->dr_cb(p->opaque, m->_private, swb_kafka_err(m->err),
                         m->err ? rd_kafka_err2str(m->err) : NULL);
}

swb_producer_t *swb_producer_new(const swb_config_t *cfg, swb_producer_dr_cb *dr_cb,
                                 void *opaque, char *errstr, size_t errstr_size)
{
        static const char *const defaults[] = {
                "enable.idempotence", "true",
                "acks", "all",
                "linger.ms", "2",
                "compression.type", "lz4",
                "message.timeout.ms", "120000",
                NULL,
        };
        swb_producer_t *p = swb_calloc(1, sizeof(*p));
        rd_kafka_conf_t *conf = swb__conf_new(cfg, defaults, errstr, errstr_size);
        char kerr[512];

        if (!conf)
                goto fail;
        p->dr_cb = dr_cb;
        p->opaque = opaque;
        rd_kafka_conf_set_opaque(conf, p);
        rd_kafka_conf_set_dr_msg_cb(conf, swb__dr_msg_cb);
        p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
        if (!p->rk) {
                rd_kafka_conf_destroy(conf);
                swb_seterr(errstr, errstr_size, SWB_ERR_KAFKA, "producer: %s", kerr);
                goto fail;
        }
        return p;
fail:
        swb_producer_destroy(p, 0);
        return NULL;
}

void swb_producer_destroy(swb_producer_t *p, int timeout_ms)
{
        if (!p)
                return;
        if (p->rk) {
                if (timeout_ms > 0)
                        rd_kafka_flush(p->rk, timeout_ms);
                if (rd_kafka_outq_len(p->rk) > 0)
                        SWB_WARN(NULL, "producer closing with %d undelivered messages",
                                 rd_kafka_outq_len(p->rk));
                rd_kafka_destroy(p->rk);
        }
        swb_free(p);
}

swb_err_t swb_producer_send(swb_producer_t *p, const char *topic, const void *key,
                            size_t key_len, const void *value, size_t value_len,
                            const swb_header_t *hdrs, size_t hdr_cnt, void *msg_opaque)
{
        int tries;
        for (tries = 0; tries < 500; tries++) {
                rd_kafka_headers_t *h = NULL;
                rd_kafka_resp_err_t err;
                size_t i;
                if (hdr_cnt) {
                        h = rd_kafka_headers_new(hdr_cnt);
                        for (i = 0; i < hdr_cnt; i++)
                                rd_kafka_header_add(h, hdrs[i].name, -1, hdrs[i].value,
                                                    (ssize_t)hdrs[i].size);
                }
                err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic),
                                        RD_KAFKA_V_KEY(key, key_len),
                                        RD_KAFKA_V_VALUE((void *)value, value_len),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(msg_opaque),
                                        RD_KAFKA_V_END);
                if (!err)
                        return SWB_OK;
                if (h)
                        rd_kafka_headers_destroy(h);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        SWB_ERR(NULL, "produce to %s failed: %s", topic, rd_kafka_err2str(err));
                        return swb_kafka_err(err);
                }
                rd_kafka_poll(p->rk, 10);
        }
        return SWB_ERR_KAFKA_RETRIABLE;
}

int swb_producer_poll(swb_producer_t *p, int timeout_ms)
{
        return rd_kafka_poll(p->rk, timeout_ms);
}

swb_err_t swb_producer_flush(swb_producer_t *p, int timeout_ms)
{
        return swb_kafka_err(rd_kafka_flush(p->rk, timeout_ms));
}

int swb_producer_outq_len(swb_producer_t *p)
{
        return rd_kafka_outq_len(p->rk);
}

rd_kafka_t *swb_producer_handle(swb_producer_t *p)
{
        return p->rk;
}

/* ---------------------------------------------------------------- consumer */

static void swb__rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        swb_consumer_t *c = opaque;
        bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t ret_err = RD_KAFKA_RESP_ERR_NO_ERROR;

        atomic_fetch_add(&c->rebalances, 1);
        {
                static const char *const labels[] = {"event", NULL};
                swb_metric_inc1(swb_metrics_counter(swb_metrics_default(),
                                                    "swb_rebalances_total",
                                                    "Consumer group rebalance events.", labels),
                                err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS   ? "assign"
                                : err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? "revoke"
                                                                              : "error",
                                1);
        }
        switch (err) {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                SWB_INFO(NULL, "assigned %d partition(s) (%s)", parts->cnt,
                         rd_kafka_rebalance_protocol(rk));
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        ret_err = rd_kafka_assign(rk, parts);
                atomic_store(&c->joined, true);
                break;
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS: {
                bool lost = rd_kafka_assignment_lost(rk);
                SWB_INFO(NULL, "revoking %d partition(s)%s", parts->cnt, lost ? " (lost)" : "");
                if (c->revoke_cb)
                        c->revoke_cb(c->opaque, parts, lost);
                if (!lost) {
                        rd_kafka_resp_err_t cerr = rd_kafka_commit(rk, NULL, 0);
                        if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
                                SWB_WARN(NULL, "commit on revoke: %s", rd_kafka_err2str(cerr));
                }
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        ret_err = rd_kafka_assign(rk, NULL);
                break;
        }
        default:
                SWB_ERR(NULL, "rebalance failed: %s", rd_kafka_err2str(err));
                rd_kafka_assign(rk, NULL);
                break;
        }
        if (error) {
                SWB_ERR(NULL, "incremental (un)assign failed: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (ret_err)
                SWB_ERR(NULL, "assign failed: %s", rd_kafka_err2str(ret_err));
}

/* A partition this consumer fetches (assigned), by its fetch state. */
static bool swb__stats_assigned(const char *fetch_state)
{
        return fetch_state && strcmp(fetch_state, "none") && strcmp(fetch_state, "stopping") &&
               strcmp(fetch_state, "stopped");
}

/* librdkafka's statistics (every statistics.interval.ms), served from
 * swb_consumer_poll() on the poll thread: set swb_consumer_lag of each
 * partition from its consumer_lag (high watermark - committed offset); 0 for
 * partitions not assigned here (their lag is another member's), unchanged
 * while the lag is unknown (-1: nothing committed yet). Only sets gauges;
 * returns 0 so librdkafka frees `json`. */
static int swb__stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
        swb_consumer_t *c = opaque;
        json_t *root = json_loadb(json, json_len, 0, NULL), *topic, *part;
        const char *tname, *pname;

        json_object_foreach(json_object_get(root, "topics"), tname, topic)
        {
                json_object_foreach(json_object_get(topic, "partitions"), pname, part)
                {
                        json_t *lag = json_object_get(part, "consumer_lag");
                        if (!strcmp(pname, "-1")) /* librdkafka's internal UA partition */
                                continue;
                        if (!swb__stats_assigned(
                                    json_string_value(json_object_get(part, "fetch_state"))))
                                swb_metric_set2(c->m_lag, tname, pname, 0);
                        else if (json_is_integer(lag) && json_integer_value(lag) >= 0)
                                swb_metric_set2(c->m_lag, tname, pname,
                                                (double)json_integer_value(lag));
                }
        }
        json_decref(root);
        return 0;
}

swb_consumer_t *swb_consumer_new(const swb_config_t *cfg, const char *group_id,
                                 const char *const *topics, size_t topic_cnt,
                                 swb_consumer_revoke_cb *revoke_cb, void *opaque,
                                 char *errstr, size_t errstr_size)
{
        static const char *const defaults[] = {
                "enable.auto.offset.store", "false",
                "enable.auto.commit", "true",
                "auto.commit.interval.ms", "1000",
                "auto.offset.reset", "earliest",
                "partition.assignment.strategy", "cooperative-sticky",
                "enable.partition.eof", "false",
                /* the mock broker answers a fetch only when this expires, so it is
                 * per-hop latency on the dev stack; 100 ms costs little on Kafka */
                "fetch.wait.max.ms", "100",
                "session.timeout.ms", "10000",
                "heartbeat.interval.ms", "1000",
                "max.poll.interval.ms", "300000",
                /* feeds swb_consumer_lag (swb__stats_cb) */
                "statistics.interval.ms", "5000",
                NULL,
        };
        static const char *const lag_labels[] = {"topic", "partition", NULL};
        swb_consumer_t *c = swb_calloc(1, sizeof(*c));
        rd_kafka_conf_t *conf = swb__conf_new(cfg, defaults, errstr, errstr_size);
        rd_kafka_topic_partition_list_t *subs = NULL;
        char kerr[512];
        size_t i;
        rd_kafka_resp_err_t err;

        if (!conf)
                goto fail;
        c->revoke_cb = revoke_cb;
        c->opaque = opaque;
        c->m_lag = swb_metrics_gauge(swb_metrics_default(), "swb_consumer_lag",
                                     "Messages not yet committed by this consumer, per "
                                     "assigned partition (high watermark - committed offset).",
                                     lag_labels);
        if (rd_kafka_conf_set(conf, "group.id", group_id, kerr, sizeof(kerr)) ||
            (cfg->group_instance_id && *cfg->group_instance_id &&
             rd_kafka_conf_set(conf, "group.instance.id", cfg->group_instance_id, kerr,
                               sizeof(kerr)))) {
                rd_kafka_conf_destroy(conf);
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "consumer: %s", kerr);
                goto fail;
        }
        rd_kafka_conf_set_opaque(conf, c);
        rd_kafka_conf_set_rebalance_cb(conf, swb__rebalance_cb);
        rd_kafka_conf_set_stats_cb(conf, swb__stats_cb);
        c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
        if (!c->rk) {
                rd_kafka_conf_destroy(conf);
                swb_seterr(errstr, errstr_size, SWB_ERR_KAFKA, "consumer: %s", kerr);
                goto fail;
        }
        rd_kafka_poll_set_consumer(c->rk);
        subs = rd_kafka_topic_partition_list_new((int)topic_cnt);
        for (i = 0; i < topic_cnt; i++)
                rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(c->rk, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (err) {
                swb_seterr(errstr, errstr_size, swb_kafka_err(err), "subscribe: %s",
                           rd_kafka_err2str(err));
                goto fail;
        }
        return c;
fail:
        swb_consumer_destroy(c);
        return NULL;
}

swb_err_t swb_consumer_close(swb_consumer_t *c)
{
        return swb_consumer_close_timeout(c, 10000);
}

swb_err_t swb_consumer_close_timeout(swb_consumer_t *c, int timeout_ms)
{
        rd_kafka_queue_t *q;
        rd_kafka_error_t *error;
        int64_t deadline;
        swb_err_t ret = SWB_OK;

        if (!c || !c->rk || c->closed)
                return SWB_OK;
        c->closed = true;
        /* Asynchronously, so a broker that is gone cannot hold us past the
         * deadline: commit stored offsets, leave the group. */
        q = rd_kafka_queue_new(c->rk);
        if ((error = rd_kafka_consumer_close_queue(c->rk, q))) {
                SWB_WARN(NULL, "consumer close: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                rd_kafka_queue_destroy(q);
                return SWB_ERR_KAFKA;
        }
        deadline = swb_mono_ms() + timeout_ms;
        while (!rd_kafka_consumer_closed(c->rk) && swb_mono_ms() < deadline) {
                rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
                if (!ev)
                        continue;
                if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
                        /* revoke what is left (no callback serves this queue) */
                        rd_kafka_topic_partition_list_t *parts =
                                rd_kafka_event_topic_partition_list(ev);
                        if (!strcmp(rd_kafka_rebalance_protocol(c->rk), "COOPERATIVE")) {
                                rd_kafka_error_t *e = rd_kafka_incremental_unassign(c->rk, parts);
                                if (e)
                                        rd_kafka_error_destroy(e);
                        } else
                                rd_kafka_assign(c->rk, NULL);
                }
                rd_kafka_event_destroy(ev);
        }
        if (!rd_kafka_consumer_closed(c->rk)) {
                SWB_WARN(NULL, "consumer close did not finish within %d ms (broker unreachable?); "
                               "the group will time this member out",
                         timeout_ms);
                c->close_timed_out = true;
                ret = SWB_ERR_TIMEOUT;
        }
        rd_kafka_queue_destroy(q);
        return ret;
}

void swb_consumer_destroy(swb_consumer_t *c)
{
        if (!c)
                return;
        if (c->rk) {
                swb_consumer_close(c);
                if (c->close_timed_out)
                        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
                else
                        rd_kafka_destroy(c->rk);
        }
        swb_free(c);
}

rd_kafka_message_t *swb_consumer_poll(swb_consumer_t *c, int timeout_ms)
{
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
        if (!m)
                return NULL;
        if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        SWB_WARN(NULL, "consumer: %s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                return NULL;
        }
        return m;
}

swb_err_t swb_consumer_store(swb_consumer_t *c, const char *topic, int32_t partition,
                             int64_t offset)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset + 1;
        err = rd_kafka_offsets_store(c->rk, l);
        if (!err && l->elems[0].err)
                err = l->elems[0].err;
        rd_kafka_topic_partition_list_destroy(l);
        if (err)
                SWB_DBG(NULL, "offset store %s[%d]@%lld: %s", topic, (int)partition,
                        (long long)offset, rd_kafka_err2str(err));
        return swb_kafka_err(err);
}

swb_err_t swb_consumer_commit(swb_consumer_t *c)
{
        rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
        if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
                return SWB_OK;
        return swb_kafka_err(err);
}

bool swb_consumer_joined(const swb_consumer_t *c)
{
        return atomic_load(&((swb_consumer_t *)c)->joined);
}

long swb_consumer_rebalances(const swb_consumer_t *c)
{
        return atomic_load(&((swb_consumer_t *)c)->rebalances);
}

rd_kafka_t *swb_consumer_handle(swb_consumer_t *c)
{
        return c->rk;
}

bool swb_kafka_broker_up(rd_kafka_t *rk, int timeout_ms)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
        if (md)
                rd_kafka_metadata_destroy(md);
        return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}
