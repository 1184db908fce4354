/*
 * swb_kafka - librdkafka producer and consumer wrappers.
 *
 * Producer: idempotent (enable.idempotence=true, acks=all), payloads copied,
 * one delivery-report callback per message, served from swb_producer_poll()
 * on the caller's thread. Consumer: manual offset store
 * (enable.auto.offset.store=false; the auto-commit timer commits only what was
 * stored), cooperative-sticky assignment, optional static membership, clean
 * close (commit stored offsets, leave the group). The consumer's statistics
 * (statistics.interval.ms, default 5000 here; kafka.statistics.interval.ms
 * overrides) set the gauge swb_consumer_lag{topic,partition} in the default
 * metrics registry.
 *
 * Any `kafka.*` key of the configuration is passed to librdkafka as is and
 * overrides the defaults set here. librdkafka's log lines are routed into
 * swb_log (JSON lines) from its own threads; the callback never blocks.
 */
#ifndef SWB_KAFKA_H
#define SWB_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

#include "swb_config.h"
#include "swb_err.h"

typedef struct swb_producer_s swb_producer_t;
typedef struct swb_consumer_s swb_consumer_t;

/** One Kafka header: name and a value of `size` bytes (not NUL-terminated). */
typedef struct swb_header {
        const char *name;
        const void *value;
        size_t size;
} swb_header_t;

/** Map a librdkafka error to an swb error (with the retriable flag right). */
swb_err_t swb_kafka_err(rd_kafka_resp_err_t err);

/**
 * Called once per produced message, from swb_producer_poll()/flush() on the
 * thread that calls them. `err` is SWB_OK on success. `msg_opaque` is the
 * pointer given to swb_producer_send().
 */
typedef void(swb_producer_dr_cb)(void *opaque, void *msg_opaque, swb_err_t err,
                                 const char *errstr);

/** @returns a new producer, or NULL with errstr filled. */
swb_producer_t *swb_producer_new(const swb_config_t *cfg, swb_producer_dr_cb *dr_cb,
                                 void *opaque, char *errstr, size_t errstr_size);
/** Flush (up to timeout_ms) and destroy. Accepts NULL. */
void swb_producer_destroy(swb_producer_t *p, int timeout_ms);

/**
 * Queue one message (payload and headers are copied). When the local queue
 * is full, serves delivery reports and retries for up to 5 s.
 * If this returns an error, the delivery callback will not fire for it.
 */
swb_err_t swb_producer_send(swb_producer_t *p, const char *topic, const void *key,
                            size_t key_len, const void *value, size_t value_len,
                            const swb_header_t *hdrs, size_t hdr_cnt, void *msg_opaque);

/** Serve delivery reports. @returns how many were served. */
int swb_producer_poll(swb_producer_t *p, int timeout_ms);
/** Wait until every queued message is delivered or failed. */
swb_err_t swb_producer_flush(swb_producer_t *p, int timeout_ms);
/** Messages queued and not yet reported. */
int swb_producer_outq_len(swb_producer_t *p);
rd_kafka_t *swb_producer_handle(swb_producer_t *p);

/**
 * Called from within swb_consumer_poll() when partitions are being revoked
 * (or lost), before they are unassigned: finish or abandon work for them and
 * store what is done; the wrapper then commits synchronously.
 */
typedef void(swb_consumer_revoke_cb)(void *opaque,
                                     const rd_kafka_topic_partition_list_t *parts,
                                     bool lost);

/** @returns a new consumer subscribed to `topics`, or NULL with errstr filled. */
swb_consumer_t *swb_consumer_new(const swb_config_t *cfg, const char *group_id,
                                 const char *const *topics, size_t topic_cnt,
                                 swb_consumer_revoke_cb *revoke_cb, void *opaque,
                                 char *errstr, size_t errstr_size);
/** Close (commits stored offsets, leaves the group) if not done, then destroy. NULL ok. */
void swb_consumer_destroy(swb_consumer_t *c);

/**
 * @returns the next message (caller destroys it with rd_kafka_message_destroy),
 * or NULL on timeout. Consumer errors (not messages) are logged and return NULL.
 */
rd_kafka_message_t *swb_consumer_poll(swb_consumer_t *c, int timeout_ms);

/** Store offset+1 of (topic, partition) for the next commit. */
swb_err_t swb_consumer_store(swb_consumer_t *c, const char *topic, int32_t partition,
                             int64_t offset);

/** Commit stored offsets now (synchronously). */
swb_err_t swb_consumer_commit(swb_consumer_t *c);

/** Commit stored offsets and leave the group, within 10 s. Idempotent. */
swb_err_t swb_consumer_close(swb_consumer_t *c);
/**
 * The same within `timeout_ms`: past it (broker unreachable) the consumer is
 * left to be timed out by the group. @returns SWB_ERR_TIMEOUT then.
 */
swb_err_t swb_consumer_close_timeout(swb_consumer_t *c, int timeout_ms);

/** True once the consumer has been given an assignment (possibly empty) by the group. Thread-safe. */
bool swb_consumer_joined(const swb_consumer_t *c);
/** Number of rebalances (assign + revoke events) seen. Thread-safe. */
long swb_consumer_rebalances(const swb_consumer_t *c);
rd_kafka_t *swb_consumer_handle(swb_consumer_t *c);

/** True when at least one broker connection is up (from librdkafka stats/metadata). */
bool swb_kafka_broker_up(rd_kafka_t *rk, int timeout_ms);

#endif
