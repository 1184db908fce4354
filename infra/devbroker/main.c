/*
 * swb-devbroker - librdkafka's mock cluster as a development Kafka broker.
 *
 * Creates the topics named by the configuration (plus --topic extras), prints
 * the bootstrap address on stdout, writes it to --addr-file (atomically), and
 * runs until SIGTERM or SIGINT. Everything is in memory. See README.md for
 * the limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "swb_config.h"
#include "swb_http.h"
#include "swb_metrics.h"
#include "swb_err.h"
#include "swb_log.h"
#include "swb_mem.h"

extern char **environ;

static const char *const swb__domains[] = {"hotel", "flight", "tour",
                                           "customer_service"};

struct devbroker_opts {
        int brokers;
        int partitions;
        const char *addr_file;
        const char **topics; /* --topic extras */
        size_t topics_cnt;
};

static void usage(FILE *fp)
{
        fprintf(
            fp,
            "usage: swb-devbroker [--brokers N] [--partitions N] [--addr-file PATH]\n"
            "                     [--topic NAME]... [configuration flags]\n"
            "\n"
            "  --brokers N       mock brokers in the cluster (default 1)\n"
            "  --partitions N    partitions of each created topic (default 8)\n"
            "  --addr-file PATH  write the bootstrap address here (atomically)\n"
            "  --topic NAME      create NAME too (repeatable)\n"
            "\n"
            "The configured topics (topic.requests, topic.route.prefix + each domain,\n"
            "topic.replies, topic.stream, topic.audit, topic.dlq) are always created.\n"
            "Configuration flags, SWB_* variables and --config work as for every\n"
            "switchboard binary (docs/configuration.md).\n");
}

static int parse_int(const char *flag, const char *s, int min, int max, int *out)
{
        char *end;
        long v;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max) {
                fprintf(
                    stderr,
                    "swb-devbroker: %s: expected an integer in %d..%d, got \"%s\"\n",
                    flag, min, max, s);
                return -1;
        }
        *out = (int)v;
        return 0;
}

/* Takes --flag VALUE or --flag=VALUE; @returns the value or NULL when argv[*ip] is not
 * `flag`. */
static const char *flag_value(const char *flag, int argc, char **argv, int *ip,
                              int *missing)
{
        const char *a = argv[*ip];
        size_t n = strlen(flag);
        if (strncmp(a, flag, n))
                return NULL;
        if (a[n] == '=')
                return a + n + 1;
        if (a[n])
                return NULL;
        if (*ip + 1 >= argc) {
                *missing = 1;
                return NULL;
        }
        return argv[++*ip];
}

/*
 * Pull our own flags out of argv before the configuration sees it (the table
 * has a `brokers` key of its own: the bootstrap list). On return argv holds
 * argv[0] and the other arguments.
 * @returns 0, 1 for --help, -1 on a bad flag.
 */
static int parse_own_flags(struct devbroker_opts *o, int *argcp, char **argv)
{
        int argc = *argcp, i, out = 1;
        for (i = 1; i < argc; i++) {
                const char *v;
                int missing = 0;
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return 1;
                if ((v = flag_value("--brokers", argc, argv, &i, &missing))) {
                        if (parse_int("--brokers", v, 1, 64, &o->brokers))
                                return -1;
                } else if ((v = flag_value("--partitions", argc, argv, &i, &missing))) {
                        if (parse_int("--partitions", v, 1, 10000, &o->partitions))
                                return -1;
                } else if ((v = flag_value("--addr-file", argc, argv, &i, &missing))) {
                        o->addr_file = v;
                } else if ((v = flag_value("--topic", argc, argv, &i, &missing))) {
                        o->topics = swb_realloc(o->topics, (o->topics_cnt + 1) *
                                                               sizeof(*o->topics));
                        o->topics[o->topics_cnt++] = v;
                } else if (missing) {
                        fprintf(stderr, "swb-devbroker: %s needs a value\n", argv[i]);
                        return -1;
                } else {
                        argv[out++] = argv[i];
                }
        }
        argv[out] = NULL;
        *argcp = out;
        return 0;
}

/* Write `line` + '\n' to path via a temporary file and rename(2). */
static int write_addr_file(const char *path, const char *line)
{
        char *tmp = swb_asprintf("%s.tmp.%ld", path, (long)getpid());
        FILE *fp = fopen(tmp, "w");
        int ok = 0;
        if (fp) {
                ok = fprintf(fp, "%s\n", line) > 0;
                ok = (fflush(fp) == 0) && ok;
                ok = (fsync(fileno(fp)) == 0) && ok;
                ok = (fclose(fp) == 0) && ok;
                if (ok && rename(tmp, path))
                        ok = 0;
        }
        if (!ok) {
                SWB_ERR(NULL, "cannot write address file %s: %s", path,
                        strerror(errno));
                unlink(tmp);
        }
        swb_free(tmp);
        return ok ? 0 : -1;
}

/* librdkafka's log callback: route into our JSON log (never blocks). */
static void rdkafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                           const char *buf)
{
        swb_log_level_t l = level <= LOG_ERR       ? SWB_LOG_ERROR
                            : level <= LOG_WARNING ? SWB_LOG_WARN
                            : level <= LOG_INFO    ? SWB_LOG_INFO
                                                   : SWB_LOG_DEBUG;
        SWB_LOG(l, NULL, "rdkafka %s: %s", fac, buf);
}

/* One topic to create, on a thread of its own. rd_kafka_mock_topic_create()
 * hands an op to the cluster's thread and waits for it; that thread usually
 * answers within a millisecond, but now and then it misses the wake-up and
 * sees the op only when its 1 s poll times out (librdkafka 2.0). One after
 * the other, 70 topics then took up to 20 s; so each waits at most 50 ms
 * for the one before it, and a stuck one holds up nothing but itself. */
struct topic_job {
        rd_kafka_mock_cluster_t *mc;
        const char *name;
        int partitions, replication;
        rd_kafka_resp_err_t err;
        bool started, joined;
        pthread_t thr;
};

static void *create_topic_main(void *arg)
{
        struct topic_job *j = arg;
        j->err =
            rd_kafka_mock_topic_create(j->mc, j->name, j->partitions, j->replication);
        return NULL;
}

/* Create `n` topics (empty names skipped). @returns 0, or -1 (logged). */
static int create_topics(rd_kafka_mock_cluster_t *mc, char **names, size_t n,
                         int partitions, int replication)
{
        struct topic_job *jobs = swb_calloc(n ? n : 1, sizeof(*jobs));
        size_t i;
        int rc = 0;
        for (i = 0; i < n; i++) {
                struct topic_job *j = &jobs[i];
                struct timespec until;
                *j = (struct topic_job){.mc = mc,
                                        .name = names[i] && *names[i] ? names[i] : NULL,
                                        .partitions = partitions,
                                        .replication = replication};
                if (!j->name)
                        continue;
                if (!(j->started =
                          !pthread_create(&j->thr, NULL, create_topic_main, j))) {
                        create_topic_main(j); /* no thread: here, then */
                        continue;
                }
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += 50 * 1000000L;
                if (until.tv_nsec >= 1000000000L)
                        until.tv_sec++, until.tv_nsec -= 1000000000L;
                j->joined = !pthread_timedjoin_np(j->thr, NULL, &until);
        }
        for (i = 0; i < n; i++) {
                if (!jobs[i].name)
                        continue;
                if (jobs[i].started && !jobs[i].joined)
                        pthread_join(jobs[i].thr, NULL);
                if (jobs[i].err) {
                        SWB_ERR(NULL, "cannot create topic %s: %s", jobs[i].name,
                                rd_kafka_err2str(jobs[i].err));
                        rc = -1;
                } else {
                        SWB_INFO(NULL,
                                 "created topic %s (%d partitions, replication %d)",
                                 jobs[i].name, partitions, replication);
                }
        }
        swb_free(jobs);
        return rc;
}

int main(int argc, char **argv)
{
        struct devbroker_opts o = {.brokers = 1, .partitions = 8};
        swb_config_t *cfg = NULL;
        rd_kafka_conf_t *conf = NULL;
        rd_kafka_t *rk = NULL;
        rd_kafka_mock_cluster_t *mc = NULL;
        const char *bootstraps;
        swb_http_t *http = NULL;
        char *port_file = NULL;
        char errstr[512];
        sigset_t sigs;
        int sig = 0, rc = 1, replication, level, r;
        size_t i;

        r = parse_own_flags(&o, &argc, argv);
        if (r) {
                usage(r > 0 ? stdout : stderr);
                rc = r > 0 ? 0 : 2;
                goto done;
        }
        cfg = swb_config_new();
        if (swb_config_from_args(cfg, &argc, argv, environ, errstr, sizeof(errstr))) {
                fprintf(stderr, "swb-devbroker: %s\n", errstr);
                rc = 2;
                goto done;
        }
        if (argc > 1) {
                fprintf(stderr, "swb-devbroker: unknown argument %s\n", argv[1]);
                usage(stderr);
                rc = 2;
                goto done;
        }
        level = swb_log_level_parse(cfg->log_level);
        swb_log_init(cfg->name && *cfg->name ? cfg->name : "devbroker",
                     level < 0 ? SWB_LOG_INFO : (swb_log_level_t)level);

        /* Block the stop signals before librdkafka starts its threads, so they
         * inherit the mask and only sigwait() below sees them. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, rdkafka_log_cb);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                SWB_ERR(NULL, "rd_kafka_new: %s", errstr);
                rd_kafka_conf_destroy(conf);
                goto done;
        }
        mc = rd_kafka_mock_cluster_new(rk, o.brokers);
        if (!mc) {
                SWB_ERR(NULL, "cannot create the mock cluster (%d brokers)", o.brokers);
                goto done;
        }

        replication = o.brokers < 3 ? o.brokers : 3;
        {
                size_t nd = SWB_ARRAY_LEN(swb__domains), n = 5 + nd + o.topics_cnt,
                       k = 0;
                char **names = swb_calloc(n, sizeof(*names));
                int e;
                names[k++] = swb_strdup(cfg->topic_requests ? cfg->topic_requests : "");
                for (i = 0; i < nd; i++)
                        names[k++] = swb_config_route_topic(cfg, swb__domains[i]);
                names[k++] = swb_strdup(cfg->topic_replies ? cfg->topic_replies : "");
                names[k++] = swb_strdup(cfg->topic_stream ? cfg->topic_stream : "");
                names[k++] = swb_strdup(cfg->topic_audit ? cfg->topic_audit : "");
                names[k++] = swb_strdup(cfg->topic_dlq ? cfg->topic_dlq : "");
                for (i = 0; i < o.topics_cnt; i++)
                        names[k++] = swb_strdup(o.topics[i]);
                e = create_topics(mc, names, k, o.partitions, replication);
                for (i = 0; i < k; i++)
                        swb_free(names[i]);
                swb_free(names);
                if (e)
                        goto done;
        }

        bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
        if (o.addr_file && write_addr_file(o.addr_file, bootstraps))
                goto done;
        /* /health/live, /health/ready and /metrics like every other process
         * (its port in run.dir/<name>.port when run.dir is set) */
        swb_metrics_register_build_info(swb_metrics_default(), SWB_VERSION);
        if (!(http = swb_http_new(cfg->http_bind, cfg->http_port, swb_metrics_default(),
                                  errstr, sizeof(errstr)))) {
                SWB_ERR(NULL, "%s", errstr);
                goto done;
        }
        if (cfg->run_dir && *cfg->run_dir) {
                port_file =
                    swb_asprintf("%s/%s.port", cfg->run_dir,
                                 cfg->name && *cfg->name ? cfg->name : "devbroker");
                if (swb_http_write_port_file(http, port_file, errstr, sizeof(errstr))) {
                        SWB_ERR(NULL, "%s", errstr);
                        goto done;
                }
        }
        printf("%s\n", bootstraps);
        fflush(stdout);
        SWB_INFO(NULL, "dev broker up: %d broker(s) at %s, http port %d", o.brokers,
                 bootstraps, swb_http_port(http));

        do {
                if (sigwait(&sigs, &sig))
                        sig = 0;
        } while (sig != SIGTERM && sig != SIGINT);
        SWB_INFO(NULL, "signal %d: shutting down", sig);
        if (o.addr_file)
                unlink(o.addr_file);
        rc = 0;

done:
        swb_http_destroy(http);
        if (port_file) {
                unlink(port_file);
                swb_free(port_file);
        }
        if (mc)
                rd_kafka_mock_cluster_destroy(mc);
        if (rk)
                rd_kafka_destroy(rk);
        swb_config_destroy(cfg);
        swb_free(o.topics);
        return rc;
}
