/*
 * swb-bench: figures for `make bench`, all measured in one run on one broker.
 *
 *   swb-bench --brokers B [--count N] [--bin DIR]
 *
 * 1. codec: encode + decode of an AgentRequest, µs per message;
 * 2. router: µs per routing decision;
 * 3. pipeline, end to end, the same way for both contenders:
 *    - raw: a librdkafka consume -> produce passthrough (no decoding; offsets
 *      stored after delivery, like our worker), in a thread of this process;
 *    - supervisor: a real swb-supervisor process.
 *    Each is warmed up with one request (group joined, connections up); then
 *    N requests are produced and the clock runs from the first produce until
 *    the N-th output arrives at a reader subscribed beforehand.
 *    msg/s = N / that time; the supervisor's is printed as a ratio to raw.
 * Topics (created by the dev broker, see infra/scripts/bench.sh): bench.*
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "swb_codec.h"
#include "swb_config.h"
#include "swb_id.h"
#include "swb_mem.h"
#include "swb_router.h"

static const char *const texts[] = {
        "Find me a hotel in Bali for 2 nights",
        "flights from Jakarta to Denpasar tomorrow",
        "what tours do you have in Yogyakarta",
        "show my bookings",
        "carikan hotel di Bandung",
        "what is the capital of France",
};

static const char *brokers;
static swb_codec_t *codec;

static double bench_codec(int iters)
{
        json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "request_id",
                                "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5", "session_id", "s-1",
                                "user_id", "u-1", "text", texts[0], "locale", "en", "created_at",
                                (json_int_t)swb_now_ms());
        int64_t t0 = swb_mono_ms();
        int i;
        for (i = 0; i < iters; i++) {
                void *buf;
                size_t len;
                json_t *out;
                if (swb_codec_encode(codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len, NULL, 0) ||
                    swb_codec_decode(codec, SWB_MSG_AGENT_REQUEST, buf, len, NULL, &out, NULL, 0)) {
                        fprintf(stderr, "swb-bench: codec failed\n");
                        exit(1);
                }
                swb_free(buf);
                json_decref(out);
        }
        json_decref(req);
        return (double)(swb_mono_ms() - t0) * 1000.0 / iters;
}

/* µs per routing decision of the router the supervisor uses (route.model). */
static double bench_router(int iters)
{
        swb_config_t *cfg = swb_config_new();
        swb_router_t *router;
        char errstr[256];
        int64_t t0;
        volatile double sink = 0;
        int i;
        if (!(router = swb_router_new(cfg, errstr, sizeof(errstr)))) {
                fprintf(stderr, "swb-bench: %s\n", errstr);
                exit(1);
        }
        t0 = swb_mono_ms();
        for (i = 0; i < iters; i++) {
                swb_route_t r;
                swb_router_route(router, texts[i % 6], &r);
                sink += r.confidence;
        }
        (void)sink;
        swb_router_destroy(router);
        swb_config_destroy(cfg);
        return (double)(swb_mono_ms() - t0) * 1000.0 / iters;
}

static rd_kafka_t *mk(rd_kafka_type_t type, const char *group, rd_kafka_conf_t *conf)
{
        char err[256];
        rd_kafka_t *rk;
        if (!conf)
                conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err));
        if (type == RD_KAFKA_PRODUCER) {
                rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
                rd_kafka_conf_set(conf, "linger.ms", "2", err, sizeof(err));
        } else {
                rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
                rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
                rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, sizeof(err));
                rd_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, sizeof(err));
        }
        if (!(rk = rd_kafka_new(type, conf, err, sizeof(err)))) {
                fprintf(stderr, "swb-bench: %s\n", err);
                exit(1);
        }
        if (type == RD_KAFKA_CONSUMER)
                rd_kafka_poll_set_consumer(rk);
        return rk;
}

static void subscribe(rd_kafka_t *rk, const char *const *topics, int n)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
        int i;
        for (i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
}

/* ------------------------------------------------ reader of the outputs */

struct reader {
        const char *const *topics;
        int n;
        long got; /* atomic */
        int stop; /* atomic */
        pthread_t thr;
};

static void *reader_main(void *arg)
{
        struct reader *r = arg;
        char group[64];
        rd_kafka_t *rk;
        snprintf(group, sizeof(group), "bench-reader-%s", r->topics[0]);
        rk = mk(RD_KAFKA_CONSUMER, group, NULL);
        subscribe(rk, r->topics, r->n);
        while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10);
                if (!m)
                        continue;
                if (!m->err)
                        __atomic_add_fetch(&r->got, 1, __ATOMIC_RELEASE);
                rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return NULL;
}

static bool wait_got(struct reader *r, long want, int timeout_ms)
{
        int64_t deadline = swb_mono_ms() + timeout_ms;
        while (__atomic_load_n(&r->got, __ATOMIC_ACQUIRE) < want) {
                if (swb_mono_ms() > deadline)
                        return false;
                usleep(1000);
        }
        return true;
}

/* ------------------------------------------------ raw passthrough thread */

struct passthrough {
        const char *in, *out;
        int stop;
        pthread_t thr;
        rd_kafka_t *consumer;
};

static void pt_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct passthrough *p = opaque;
        intptr_t v = (intptr_t)m->_private; /* partition << 40 | offset */
        rd_kafka_topic_partition_list_t *l;
        if (m->err)
                return;
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->in, (int32_t)(v >> 40))->offset =
                (v & ((1LL << 40) - 1)) + 1;
        rd_kafka_offsets_store(p->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
}

static void *pt_main(void *arg)
{
        struct passthrough *p = arg;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *prod;
        p->consumer = mk(RD_KAFKA_CONSUMER, "bench-raw", NULL);
        rd_kafka_conf_set_dr_msg_cb(conf, pt_dr);
        rd_kafka_conf_set_opaque(conf, p);
        prod = mk(RD_KAFKA_PRODUCER, NULL, conf);
        subscribe(p->consumer, &p->in, 1);
        while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(p->consumer, 10);
                if (m && !m->err)
                        while (rd_kafka_producev(
                                       prod, RD_KAFKA_V_TOPIC(p->out),
                                       RD_KAFKA_V_KEY(m->key, m->key_len),
                                       RD_KAFKA_V_VALUE(m->payload, m->len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_OPAQUE((void *)(((intptr_t)m->partition << 40) |
                                                                  m->offset)),
                                       RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(prod, 10);
                if (m)
                        rd_kafka_message_destroy(m);
                rd_kafka_poll(prod, 0);
        }
        rd_kafka_flush(prod, 10000);
        rd_kafka_consumer_close(p->consumer);
        rd_kafka_destroy(p->consumer);
        rd_kafka_destroy(prod);
        return NULL;
}

/* ------------------------------------------------ input */

static void produce_requests(const char *topic, long n)
{
        rd_kafka_t *prod = mk(RD_KAFKA_PRODUCER, NULL, NULL);
        long i;
        for (i = 0; i < n; i++) {
                char rid[SWB_UUID_LEN], sid[32];
                void *buf;
                size_t len;
                json_t *req;
                swb_id_uuid4(rid);
                snprintf(sid, sizeof(sid), "session-%ld", i % 1000);
                req = json_pack("{s:s, s:s, s:s, s:s}", "request_id", rid, "session_id", sid,
                                "user_id", "bench", "text", texts[i % 6]);
                swb_codec_encode(codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len, NULL, 0);
                json_decref(req);
                while (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
                                         RD_KAFKA_V_KEY(sid, strlen(sid)),
                                         RD_KAFKA_V_VALUE(buf, len),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                         RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(prod, 10);
                swb_free(buf);
                rd_kafka_poll(prod, 0);
        }
        rd_kafka_flush(prod, 60000);
        rd_kafka_destroy(prod);
}

/* Warm up with one request, then time `n`. @returns msg/s, or -1. */
static double timed_run(struct reader *r, const char *in, long n)
{
        int64_t t0;
        produce_requests(in, 1);
        if (!wait_got(r, 1, 60000))
                return -1;
        t0 = swb_mono_ms();
        produce_requests(in, n);
        if (!wait_got(r, n + 1, 300000))
                return -1;
        return n * 1000.0 / (double)(swb_mono_ms() - t0 + 1);
}

int main(int argc, char **argv)
{
        static const char *const raw_out[] = {"bench.raw.out"};
        static const char *const sup_out[] = {"bench.route.hotel", "bench.route.flight",
                                              "bench.route.tour",
                                              "bench.route.customer_service",
                                              "bench.replies"};
        const char *bin = "build/bin";
        long count = 20000;
        char errstr[512];
        struct reader rr = {raw_out, 1, 0, 0, 0}, sr = {sup_out, 5, 0, 0, 0};
        struct passthrough pt = {"bench.raw.in", "bench.raw.out", 0, 0, NULL};
        double raw_rate, sup_rate;
        pid_t pid;
        int a;

        for (a = 1; a < argc; a++) {
                if (!strcmp(argv[a], "--brokers") && a + 1 < argc)
                        brokers = argv[++a];
                else if (!strcmp(argv[a], "--count") && a + 1 < argc)
                        count = atol(argv[++a]);
                else if (!strcmp(argv[a], "--bin") && a + 1 < argc)
                        bin = argv[++a];
                else
                        brokers = NULL, a = argc;
        }
        if (!brokers || count <= 0) {
                fprintf(stderr, "usage: swb-bench --brokers B [--count N] [--bin DIR]\n");
                return 2;
        }
        if (!(codec = swb_codec_new(NULL, errstr, sizeof(errstr)))) {
                fprintf(stderr, "swb-bench: %s\n", errstr);
                return 1;
        }
        printf("codec: AgentRequest encode+decode  %10.2f us/msg\n", bench_codec(200000));
        printf("router: routing decision (classifier) %7.2f us/msg\n", bench_router(200000));
        fflush(stdout);

        /* raw passthrough */
        pthread_create(&rr.thr, NULL, reader_main, &rr);
        pthread_create(&pt.thr, NULL, pt_main, &pt);
        raw_rate = timed_run(&rr, "bench.raw.in", count);
        __atomic_store_n(&pt.stop, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&rr.stop, 1, __ATOMIC_RELEASE);
        pthread_join(pt.thr, NULL);
        pthread_join(rr.thr, NULL);

        /* the real supervisor */
        pthread_create(&sr.thr, NULL, reader_main, &sr);
        if ((pid = fork()) == 0) {
                char *path = swb_asprintf("%s/swb-supervisor", bin);
                setenv("SWB_BROKERS", brokers, 1);
                setenv("SWB_TOPIC_REQUESTS", "bench.sup.in", 1);
                setenv("SWB_TOPIC_ROUTE_PREFIX", "bench.route.", 1);
                setenv("SWB_TOPIC_REPLIES", "bench.replies", 1);
                setenv("SWB_TOPIC_AUDIT", "bench.audit", 1);
                setenv("SWB_TOPIC_DLQ", "bench.dlq", 1);
                setenv("SWB_REPLY_TOPIC_ALLOWED_PREFIXES", "bench.replies", 1);
                setenv("SWB_GROUP_SUPERVISOR", "bench-supervisor", 1);
                setenv("SWB_LOG_LEVEL", "warn", 1);
                execl(path, path, (char *)NULL);
                _exit(127);
        }
        sup_rate = timed_run(&sr, "bench.sup.in", count);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        __atomic_store_n(&sr.stop, 1, __ATOMIC_RELEASE);
        pthread_join(sr.thr, NULL);
        swb_codec_destroy(codec);

        if (raw_rate < 0 || sup_rate < 0) {
                fprintf(stderr, "swb-bench: a pipeline did not deliver all outputs in time\n");
                return 1;
        }
        printf("pipeline: raw librdkafka passthrough %8.0f msg/s (%ld requests)\n", raw_rate,
               count);
        printf("pipeline: swb-supervisor             %8.0f msg/s (%ld requests; each also "
               "writes 3 audit events)\n",
               sup_rate, count);
        printf("pipeline: supervisor / passthrough   %8.2f\n", sup_rate / raw_rate);
        return 0;
}
