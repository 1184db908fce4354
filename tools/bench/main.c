/*
 * swb-bench: figures for `make bench`, all measured in one run on one broker.
 *
 *   swb-bench --brokers B [--count N] [--sessions N] [--rounds N] [--redis URL]
 *             [--broker-pid PID] [--bin DIR]
 *   swb-bench --brokers B --passthrough IN OUT [AUDIT] (the raw contenders, run by
 *                                                        the above)
 *
 * 1. codec: encode + decode of an AgentRequest, µs per message;
 * 2. router: µs per routing decision;
 * 3. pipeline, end to end, the same way for both contenders:
 *    - raw: a librdkafka consume -> produce passthrough (no decoding; offsets
 *      stored after delivery, like our worker), a process of its own
 *      (this program with --passthrough);
 *    - raw fan-out: the same passthrough, but each request is also produced 3
 *      more times to a second topic: the supervisor's 4 messages per request
 *      (routed event + 3 audit events, which the audit contract requires)
 *      with no work at all, the ceiling of any supervisor here;
 *    - supervisor: a real swb-supervisor process, stateless;
 *    - supervisor + Redis state (with --redis URL): the same with the
 *      conversation state its production setup keeps (a read and a write
 *      of the session per request).
 *    Each is warmed up with one request of each text (group joined,
 *    connections up, every output topic known); then
 *    N requests are produced and the clock runs from the first produce until
 *    the N-th output arrives at a reader subscribed beforehand.
 *    msg/s = N / that time; each contender's is printed as a ratio to raw.
 *    Also the CPU time each contender's process (all its threads) spent over
 *    the same interval, per request: on a shared machine the less noisy of
 *    the two figures.
 * The pipeline runs 3 rounds (--rounds; raw, fan-out, supervisor, each on
 * topics of its own) and prints each round and the medians: this machine is
 * shared.
 * Topics (created by the dev broker, see infra/scripts/bench.sh):
 * bench.r<round>.*
 */
#include <dirent.h>
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
static long sessions = 1000;
static swb_codec_t *codec;

static double bench_codec(int iters)
{
        json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "request_id",
                                "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5", "session_id",
                                "s-1", "user_id", "u-1", "text", texts[0], "locale",
                                "en", "created_at", (json_int_t)swb_now_ms());
        int64_t t0 = swb_mono_ms();
        int i;
        for (i = 0; i < iters; i++) {
                void *buf;
                size_t len;
                json_t *out;
                if (swb_codec_encode(codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len,
                                     NULL, 0) ||
                    swb_codec_decode(codec, SWB_MSG_AGENT_REQUEST, buf, len, NULL, &out,
                                     NULL, 0)) {
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
                rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err,
                                  sizeof(err));
                rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", err,
                                  sizeof(err));
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
        const char *in, *out, *audit; /* audit: NULL, or 3 more copies go there */
        rd_kafka_t *consumer;
};

static volatile sig_atomic_t pt_stop;

static void pt_on_signal(int sig)
{
        (void)sig;
        pt_stop = 1;
}

static void pt_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct passthrough *p = opaque;
        intptr_t v = (intptr_t)m->_private; /* partition << 40 | offset */
        rd_kafka_topic_partition_list_t *l;
        if (m->err || v < 0) /* v < 0: a fan-out copy */
                return;
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, p->in, (int32_t)(v >> 40))->offset =
            (v & ((1LL << 40) - 1)) + 1;
        rd_kafka_offsets_store(p->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
}

static void pt_produce(rd_kafka_t *prod, const char *topic, const rd_kafka_message_t *m,
                       void *opaque)
{
        while (rd_kafka_producev(
                   prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(m->key, m->key_len),
                   RD_KAFKA_V_VALUE(m->payload, m->len),
                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque),
                   RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(prod, 10);
}

/* The raw contenders: consume -> produce (and fan out to `audit`) until SIGTERM. */
static int passthrough_main(const char *in, const char *out, const char *audit)
{
        struct passthrough pt = {in, out, audit, NULL}, *p = &pt;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *prod;
        signal(SIGTERM, pt_on_signal);
        p->consumer = mk(RD_KAFKA_CONSUMER, "bench-raw", NULL);
        rd_kafka_conf_set_dr_msg_cb(conf, pt_dr);
        rd_kafka_conf_set_opaque(conf, p);
        prod = mk(RD_KAFKA_PRODUCER, NULL, conf);
        subscribe(p->consumer, &p->in, 1);
        while (!pt_stop) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(p->consumer, 10);
                if (m && !m->err) {
                        pt_produce(
                            prod, p->out, m,
                            (void *)(((intptr_t)m->partition << 40) | m->offset));
                        for (int c = 0; p->audit && c < 3; c++)
                                pt_produce(prod, p->audit, m, (void *)(intptr_t)-1);
                }
                if (m)
                        rd_kafka_message_destroy(m);
                rd_kafka_poll(prod, 0);
        }
        rd_kafka_flush(prod, 10000);
        rd_kafka_consumer_close(p->consumer);
        rd_kafka_destroy(p->consumer);
        rd_kafka_destroy(prod);
        return 0;
}

/* Nanoseconds on CPU of every thread of `pid` (scheduler statistics). */
static int64_t process_cpu_ns(pid_t pid)
{
        char path[64];
        DIR *d;
        struct dirent *e;
        int64_t sum = 0;
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        if (!(d = opendir(path)))
                return -1;
        while ((e = readdir(d))) {
                char p2[320];
                long long ns;
                FILE *fp;
                if (e->d_name[0] == '.')
                        continue;
                snprintf(p2, sizeof(p2), "/proc/%d/task/%s/schedstat", (int)pid,
                         e->d_name);
                if ((fp = fopen(p2, "r"))) {
                        if (fscanf(fp, "%lld", &ns) == 1)
                                sum += ns;
                        fclose(fp);
                }
        }
        closedir(d);
        return sum;
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
                snprintf(sid, sizeof(sid), "session-%ld", i % sessions);
                req = json_pack("{s:s, s:s, s:s, s:s}", "request_id", rid, "session_id",
                                sid, "user_id", "bench", "text", texts[i % 6]);
                swb_codec_encode(codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len, NULL,
                                 0);
                json_decref(req);
                while (rd_kafka_producev(
                           prod, RD_KAFKA_V_TOPIC(topic),
                           RD_KAFKA_V_KEY(sid, strlen(sid)), RD_KAFKA_V_VALUE(buf, len),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(prod, 10);
                swb_free(buf);
                rd_kafka_poll(prod, 0);
        }
        rd_kafka_flush(prod, 60000);
        rd_kafka_destroy(prod);
}

struct result {
        double rate;       /* msg/s, or -1 */
        double cpu_us_msg; /* CPU µs of the contender's process per request */
        double
            rest_us_msg; /* the same of this program (load + reader) and the broker */
};

static pid_t broker_pid; /* --broker-pid: its CPU is counted in rest_us_msg */

#define WARMUP ((long)SWB_ARRAY_LEN(texts))

/* Warm up, then time `n` requests through the process `pid`. */
static struct result timed_run(struct reader *r, const char *in, long n, pid_t pid)
{
        struct result res = {-1, -1, -1};
        int64_t t0, c0, r0;
        /* one request of each text: every output topic has been produced to */
        produce_requests(in, WARMUP);
        if (!wait_got(r, WARMUP, 60000))
                return res;
        t0 = swb_mono_ms();
        c0 = process_cpu_ns(pid);
        r0 = process_cpu_ns(getpid()) + (broker_pid ? process_cpu_ns(broker_pid) : 0);
        produce_requests(in, n);
        if (!wait_got(r, n + WARMUP, 300000))
                return res;
        res.rate = n * 1000.0 / (double)(swb_mono_ms() - t0 + 1);
        res.cpu_us_msg = (double)(process_cpu_ns(pid) - c0) / 1000.0 / (double)n;
        res.rest_us_msg = (double)(process_cpu_ns(getpid()) +
                                   (broker_pid ? process_cpu_ns(broker_pid) : 0) - r0) /
                          1000.0 / (double)n;
        return res;
}

static pid_t spawn(char *const argv[], const char *const env[][2])
{
        pid_t pid = fork();
        if (pid == 0) {
                for (int i = 0; env && env[i][0]; i++)
                        setenv(env[i][0], env[i][1], 1);
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

#define MAX_ROUNDS 9

static int rounds = 3;

static const char *bin = "build/bin";
static char self[4096];
static long count = 100000;

/* "bench.r<round>.<suffix>" */
static char *topic(int round, const char *suffix)
{
        return swb_asprintf("bench.r%d.%s", round, suffix);
}

/* Time one contender: a reader of `outs` first, then the process, then the
 * requests to `in`; SIGTERM and reap. */
static struct result contend(const char *in, char **outs, int n_outs,
                             char *const argv[], const char *const env[][2])
{
        struct reader r = {(const char *const *)outs, n_outs, 0, 0, 0};
        struct result res;
        pid_t pid;
        pthread_create(&r.thr, NULL, reader_main, &r);
        pid = spawn(argv, env);
        res = timed_run(&r, in, count, pid);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
        pthread_join(r.thr, NULL);
        return res;
}

enum { C_RAW, C_FANOUT, C_SUP, C_SUP_STATE, C__CNT };
static const char *const contender_names[C__CNT] = {
    "raw librdkafka passthrough", "raw fan-out (1 in, 4 out)", "swb-supervisor",
    "swb-supervisor + Redis state"};
static const char *redis_url; /* --redis: the C_SUP_STATE contender runs */
static int n_contenders = C_SUP_STATE;

/* The real supervisor on topics bench.r<round>.<pfx>*, with conversation
 * state in Redis when `redis` is set (else explicitly without). */
static struct result run_supervisor(int round, const char *pfx, const char *redis)
{
        char *in = swb_asprintf("bench.r%d.%ssup.in", round, pfx);
        char *prefix = swb_asprintf("bench.r%d.%sroute.", round, pfx);
        char *replies = swb_asprintf("bench.r%d.%sreplies", round, pfx);
        char *audit = swb_asprintf("bench.r%d.%saudit", round, pfx);
        char *dlq = swb_asprintf("bench.r%d.%sdlq", round, pfx);
        char *group = swb_asprintf("bench.r%d.%ssupervisor", round, pfx);
        char *outs[] = {swb_asprintf("%shotel", prefix),
                        swb_asprintf("%sflight", prefix),
                        swb_asprintf("%stour", prefix),
                        swb_asprintf("%scustomer_service", prefix), replies};
        const char *const env[][2] = {
            {"SWB_BROKERS", brokers},
            {"SWB_TOPIC_REQUESTS", in},
            {"SWB_TOPIC_ROUTE_PREFIX", prefix},
            {"SWB_TOPIC_REPLIES", replies},
            {"SWB_TOPIC_AUDIT", audit},
            {"SWB_TOPIC_DLQ", dlq},
            {"SWB_REPLY_TOPIC_ALLOWED_PREFIXES", replies},
            {"SWB_GROUP_SUPERVISOR", group},
            {"SWB_REDIS_URL", redis ? redis : ""},
            {"SWB_LOG_LEVEL", "error"},
            {NULL, NULL},
        };
        char *path = swb_asprintf("%s/swb-supervisor", bin);
        char *args[] = {path, NULL};
        struct result res = contend(in, outs, 5, args, env);
        swb_free(in), swb_free(prefix), swb_free(audit), swb_free(dlq), swb_free(group);
        swb_free(path);
        for (int i = 0; i < 5; i++)
                swb_free(outs[i]);
        return res;
}

/* One round: the raw passthrough, the raw fan-out, then the supervisor
 * (without, then with Redis state), each on topics of its own. */
static bool run_round(int round, struct result res[C__CNT])
{
        char *raw_in = topic(round, "raw.in"), *raw_out = topic(round, "raw.out");
        char *fan_in = topic(round, "fan.in"), *fan_out = topic(round, "fan.out");
        char *fan_audit = topic(round, "fan.audit");
        char *raw_args[] = {
            self, "--brokers", (char *)brokers, "--passthrough", raw_in, raw_out, NULL};
        char *fan_args[] = {self,   "--brokers", (char *)brokers, "--passthrough",
                            fan_in, fan_out,     fan_audit,       NULL};

        res[C_RAW] = contend(raw_in, &raw_out, 1, raw_args, NULL);
        res[C_FANOUT] = contend(fan_in, &fan_out, 1, fan_args, NULL);
        res[C_SUP] = run_supervisor(round, "", NULL);
        if (redis_url)
                res[C_SUP_STATE] = run_supervisor(round, "st.", redis_url);
        swb_free(raw_in), swb_free(raw_out);
        swb_free(fan_in), swb_free(fan_out), swb_free(fan_audit);
        for (int c = 0; c < n_contenders; c++)
                if (res[c].rate <= 0)
                        return false;
        return true;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return v[n / 2];
}

int main(int argc, char **argv)
{
        const char *pt_in = NULL, *pt_out = NULL, *pt_audit = NULL;
        char errstr[512];
        double rate[C__CNT][MAX_ROUNDS], cpu[C__CNT][MAX_ROUNDS],
            ratio[C__CNT][MAX_ROUNDS], rest[C__CNT][MAX_ROUNDS];
        ssize_t n;
        int a;

        for (a = 1; a < argc; a++) {
                if (!strcmp(argv[a], "--brokers") && a + 1 < argc)
                        brokers = argv[++a];
                else if (!strcmp(argv[a], "--count") && a + 1 < argc)
                        count = atol(argv[++a]);
                else if (!strcmp(argv[a], "--sessions") && a + 1 < argc)
                        sessions = atol(argv[++a]);
                else if (!strcmp(argv[a], "--broker-pid") && a + 1 < argc)
                        broker_pid = (pid_t)atol(argv[++a]);
                else if (!strcmp(argv[a], "--redis") && a + 1 < argc)
                        redis_url = argv[++a], n_contenders = C__CNT;
                else if (!strcmp(argv[a], "--rounds") && a + 1 < argc)
                        rounds = atoi(argv[++a]);
                else if (!strcmp(argv[a], "--bin") && a + 1 < argc)
                        bin = argv[++a];
                else if (!strcmp(argv[a], "--passthrough") && a + 2 < argc) {
                        pt_in = argv[a + 1], pt_out = argv[a + 2], a += 2;
                        if (a + 1 < argc && argv[a + 1][0] != '-')
                                pt_audit = argv[++a];
                } else
                        brokers = NULL, a = argc;
        }
        if (!brokers || count <= 0 || sessions <= 0 || rounds < 1 ||
            rounds > MAX_ROUNDS) {
                fprintf(
                    stderr,
                    "usage: swb-bench --brokers B [--count N] [--sessions N] "
                    "[--rounds 1-9] [--redis URL] [--broker-pid PID] [--bin DIR]\n");
                return 2;
        }
        if (pt_in)
                return passthrough_main(pt_in, pt_out, pt_audit);
        if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
                perror("swb-bench: /proc/self/exe");
                return 1;
        }
        self[n] = '\0';
        if (!(codec = swb_codec_new(NULL, errstr, sizeof(errstr)))) {
                fprintf(stderr, "swb-bench: %s\n", errstr);
                return 1;
        }
        printf("codec: AgentRequest encode+decode  %10.2f us/msg\n",
               bench_codec(200000));
        printf("router: routing decision (classifier) %7.2f us/msg\n",
               bench_router(200000));
        fflush(stdout);

        for (int r = 0; r < rounds; r++) {
                struct result res[C__CNT];
                if (!run_round(r + 1, res)) {
                        fprintf(stderr,
                                "swb-bench: round %d: a pipeline did not deliver all "
                                "outputs in time\n",
                                r + 1);
                        swb_codec_destroy(codec);
                        return 1;
                }
                for (int c = 0; c < n_contenders; c++) {
                        rate[c][r] = res[c].rate, cpu[c][r] = res[c].cpu_us_msg;
                        rest[c][r] = res[c].rest_us_msg;
                        ratio[c][r] = res[c].rate / res[C_RAW].rate;
                        printf("pipeline round %d: %-28s %8.0f msg/s %6.2f us CPU/msg"
                               " (+%5.2f load, reader, broker)  ratio %.2f\n",
                               r + 1, contender_names[c], res[c].rate,
                               res[c].cpu_us_msg, res[c].rest_us_msg, ratio[c][r]);
                }
                fflush(stdout);
        }
        swb_codec_destroy(codec);
        printf("pipeline: medians of %d rounds of %ld requests each (msg/s: requests "
               "in; CPU per request: the contender's process, then the load generator, "
               "reader%s; ratio: to raw passthrough in the same round)\n",
               rounds, count, broker_pid ? " and broker" : "");
        for (int c = 0; c < n_contenders; c++)
                printf("pipeline: %-28s %8.0f msg/s %6.2f us CPU/msg (+%5.2f)  ratio "
                       "%.2f\n",
                       contender_names[c], median(rate[c], rounds),
                       median(cpu[c], rounds), median(rest[c], rounds),
                       median(ratio[c], rounds));
        return 0;
}
