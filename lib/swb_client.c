#include "swb_client.h"

#include <string.h>

#include "swb_codec.h"
#include "swb_id.h"
#include "swb_kafka.h"
#include "swb_log.h"
#include "swb_mem.h"

struct swb_client_s {
        const swb_config_t *cfg;
        swb_codec_t *codec;
        rd_kafka_t *consumer;
        swb_producer_t *producer;
        json_t *replies; /* request_id -> reply, seen but not yet asked for */
        json_t *audit;   /* request_id -> [events] */
        char *traceparent;
        bool with_audit;
};

static swb_err_t swb__assign_at_end(swb_client_t *c, const char *const *topics,
                                    size_t n, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        size_t t;
        int i;

        for (t = 0; t < n && !err; t++) {
                rd_kafka_topic_t *rkt =
                    rd_kafka_topic_new(c->consumer, topics[t], NULL);
                err = rd_kafka_metadata(c->consumer, 0, rkt, &md, 10000);
                rd_kafka_topic_destroy(rkt);
                if (err)
                        break;
                if (md->topic_cnt != 1 || md->topics[0].err ||
                    !md->topics[0].partition_cnt) {
                        err = md->topic_cnt == 1 && md->topics[0].err
                                  ? md->topics[0].err
                                  : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
                        rd_kafka_metadata_destroy(md);
                        break;
                }
                for (i = 0; i < md->topics[0].partition_cnt && !err; i++) {
                        int64_t lo, hi;
                        err = rd_kafka_query_watermark_offsets(c->consumer, topics[t],
                                                               i, &lo, &hi, 10000);
                        if (!err)
                                rd_kafka_topic_partition_list_add(l, topics[t], i)
                                    ->offset = hi;
                }
                rd_kafka_metadata_destroy(md);
        }
        if (!err)
                err = rd_kafka_assign(c->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (err)
                return swb_seterr(errstr, errstr_size, swb_kafka_err(err),
                                  "cannot follow %s: %s", topics[t < n ? t : 0],
                                  rd_kafka_err2str(err));
        return SWB_OK;
}

/* The outcome of one send, filled by its delivery report (served on the
 * thread that polls the producer: the sender's). A sender that gives up
 * leaves it to the report to free. */
struct swb__sent {
        bool done, abandoned;
        swb_err_t err;
        char errstr[256];
};

static void swb__client_dr(void *opaque, void *msg_opaque, swb_err_t err,
                           const char *errstr)
{
        struct swb__sent *s = msg_opaque;
        (void)opaque;
        if (!s)
                return;
        if (s->abandoned) {
                swb_free(s);
                return;
        }
        s->done = true;
        s->err = err;
        snprintf(s->errstr, sizeof(s->errstr), "%s", errstr ? errstr : "");
}

swb_client_t *swb_client_new(const swb_config_t *cfg, bool with_audit, char *errstr,
                             size_t errstr_size)
{
        swb_client_t *c = swb_calloc(1, sizeof(*c));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char kerr[256];
        const char *topics[2];
        size_t i;

        c->cfg = cfg;
        c->with_audit = with_audit;
        c->replies = json_object();
        c->audit = json_object();
        if (!(c->codec = swb_codec_new(cfg->schema_registry_url, errstr, errstr_size)))
                goto fail_conf;
        if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, kerr,
                              sizeof(kerr)) ||
            rd_kafka_conf_set(conf, "enable.auto.commit", "false", kerr,
                              sizeof(kerr)) ||
            /* assign() needs a group id; it is never joined nor committed to */
            rd_kafka_conf_set(conf, "group.id", "swb-client", kerr, sizeof(kerr)) ||
            rd_kafka_conf_set(conf, "enable.partition.eof", "false", kerr,
                              sizeof(kerr)) ||
            rd_kafka_conf_set(conf, "fetch.wait.max.ms", "50", kerr, sizeof(kerr))) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "%s", kerr);
                goto fail_conf;
        }
        for (i = 0; i < cfg->kafka_props_cnt; i++)
                if (rd_kafka_conf_set(conf, cfg->kafka_props[2 * i],
                                      cfg->kafka_props[2 * i + 1], kerr,
                                      sizeof(kerr))) {
                        swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "%s", kerr);
                        goto fail_conf;
                }
        if (!(c->consumer =
                  rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr)))) {
                swb_seterr(errstr, errstr_size, SWB_ERR_KAFKA, "%s", kerr);
                goto fail_conf;
        }
        conf = NULL;
        rd_kafka_poll_set_consumer(c->consumer);
        if (!(c->producer =
                  swb_producer_new(cfg, swb__client_dr, NULL, errstr, errstr_size)))
                goto fail;
        topics[0] = cfg->topic_replies;
        topics[1] = cfg->topic_audit;
        if (swb__assign_at_end(c, topics, with_audit ? 2 : 1, errstr, errstr_size))
                goto fail;
        return c;
fail_conf:
        if (conf)
                rd_kafka_conf_destroy(conf);
fail:
        swb_client_destroy(c);
        return NULL;
}

void swb_client_destroy(swb_client_t *c)
{
        if (!c)
                return;
        if (c->consumer) {
                rd_kafka_consumer_close(c->consumer);
                rd_kafka_destroy(c->consumer);
        }
        swb_producer_destroy(c->producer, 5000);
        swb_codec_destroy(c->codec);
        json_decref(c->replies);
        json_decref(c->audit);
        swb_free(c->traceparent);
        swb_free(c);
}

/* Read one message (if any) into the reply / audit maps. */
static void swb__pump(swb_client_t *c, int timeout_ms)
{
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->consumer, timeout_ms);
        swb_msg_type_t type;
        json_t *obj = NULL;
        char errstr[256];
        const char *rid;

        if (!m)
                return;
        if (m->err || swb_codec_decode(c->codec, -1, m->payload, m->len, &type, &obj,
                                       errstr, sizeof(errstr))) {
                rd_kafka_message_destroy(m);
                return;
        }
        rd_kafka_message_destroy(m);
        rid = json_string_value(json_object_get(obj, "request_id"));
        if (rid && type == SWB_MSG_AGENT_REPLY)
                json_object_set(c->replies, rid, obj);
        else if (rid && type == SWB_MSG_AUDIT_EVENT) {
                json_t *arr = json_object_get(c->audit, rid);
                if (!arr)
                        json_object_set_new(c->audit, rid, arr = json_array());
                json_array_append(arr, obj);
        }
        json_decref(obj);
}

void swb_client_set_traceparent(swb_client_t *c, const char *traceparent)
{
        swb_free(c->traceparent);
        c->traceparent = swb_strdup(traceparent);
}

swb_err_t swb_client_send_raw(swb_client_t *c, const char *key, const void *buf,
                              size_t len, char *errstr, size_t errstr_size)
{
        swb_header_t h = {"traceparent", c->traceparent,
                          c->traceparent ? strlen(c->traceparent) : 0};
        struct swb__sent *sent = swb_calloc(1, sizeof(*sent));
        rd_kafka_t *rk = swb_producer_handle(c->producer);
        swb_err_t err = swb_producer_send(c->producer, c->cfg->topic_requests, key,
                                          key ? strlen(key) : 0, buf, len, &h,
                                          c->traceparent ? 1 : 0, sent);
        if (err) {
                swb_free(sent);
                return swb_seterr(errstr, errstr_size, err, "sending to %s: %s",
                                  c->cfg->topic_requests, swb_err2str(err));
        }
        swb_producer_flush(c->producer, SWB_CLIENT_SEND_TIMEOUT_MS);
        if (!sent->done) {
                /* Not confirmed in time: take it back, so it is not sent late
                 * behind the caller's back. It may have reached the broker
                 * already: a resend with the same request_id is deduplicated. */
                rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_poll(rk, 0);
                if (!sent->done)
                        sent->abandoned = true; /* its report frees it */
                else
                        swb_free(sent);
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_TIMEOUT,
                    "sending to %s: not confirmed within %d ms (it may still "
                    "arrive; resend with the same request_id)",
                    c->cfg->topic_requests, SWB_CLIENT_SEND_TIMEOUT_MS);
        }
        err = sent->err;
        if (err)
                swb_seterr(errstr, errstr_size, err, "sending to %s: %s",
                           c->cfg->topic_requests, sent->errstr);
        swb_free(sent);
        return err;
}

swb_err_t swb_client_request(swb_client_t *c, json_t *req, int timeout_ms,
                             json_t **reply, char *errstr, size_t errstr_size)
{
        const char *rid = json_string_value(json_object_get(req, "request_id"));
        char uuid[SWB_UUID_LEN];
        void *buf = NULL;
        size_t len = 0;
        swb_err_t err;
        int64_t deadline;

        if (!rid) {
                swb_id_uuid4(uuid);
                json_object_set_new(req, "request_id", json_string(uuid));
                rid = json_string_value(json_object_get(req, "request_id"));
        }
        if (!json_integer_value(json_object_get(req, "created_at")))
                json_object_set_new(req, "created_at", json_integer(swb_now_ms()));
        if ((err = swb_codec_encode(c->codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len,
                                    errstr, errstr_size)))
                return err;
        err = swb_client_send_raw(c,
                                  json_string_value(json_object_get(req, "session_id")),
                                  buf, len, errstr, errstr_size);
        swb_free(buf);
        if (err)
                return err;
        deadline = swb_mono_ms() + timeout_ms;
        while (!json_object_get(c->replies, rid) && swb_mono_ms() < deadline)
                swb__pump(c, 50);
        if (!(*reply = json_object_get(c->replies, rid)))
                return swb_seterr(errstr, errstr_size, SWB_ERR_TIMEOUT,
                                  "no reply to %s within %d ms", rid, timeout_ms);
        json_incref(*reply);
        json_object_del(c->replies, rid);
        return SWB_OK;
}

json_t *swb_client_audit(swb_client_t *c, const char *request_id, size_t min_count,
                         int timeout_ms)
{
        int64_t deadline = swb_mono_ms() + timeout_ms;
        json_t *arr;
        while (json_array_size(json_object_get(c->audit, request_id)) < min_count &&
               swb_mono_ms() < deadline)
                swb__pump(c, 50);
        arr = json_object_get(c->audit, request_id);
        return arr ? json_incref(arr) : json_array();
}
