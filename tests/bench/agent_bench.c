/*
 * swb-bench-agent: how many model calls one agent process holds in flight.
 *
 *   swb-bench-agent --brokers B --bin DIR [--count N] [--delay-ms MS]
 *
 * Starts a fake OpenAI-compatible server in this process whose every answer
 * takes MS (default 1000) ms, one swb-agent --domain hotel against it, and
 * produces N (default 2000) RoutedRequests of distinct sessions. Prints the
 * peak number of model calls open at once, replies per second from the first
 * request to the last reply, and the agent's peak RSS (VmHWM).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "swb_codec.h"
#include "swb_fake_llm.h"
#include "swb_id.h"
#include "swb_mem.h"

static long vm_hwm_kb(pid_t pid)
{
        char path[64], line[256];
        long kb = -1;
        FILE *fp;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        if (!(fp = fopen(path, "r")))
                return -1;
        while (fgets(line, sizeof(line), fp))
                if (!strncmp(line, "VmHWM:", 6))
                        kb = atol(line + 6);
        fclose(fp);
        return kb;
}

int main(int argc, char **argv)
{
        const char *brokers = NULL, *bin = "build/bin";
        long count = 2000, delay = 1000, i, got = 0, hwm = 0;
        char errstr[512], url[256], prefix[64];
        struct swb_fake_llm_opts fo = {NULL, true};
        struct swb_fake_llm_reply r = {0};
        swb_fake_llm_t *fake;
        swb_codec_t *codec;
        rd_kafka_conf_t *conf;
        rd_kafka_t *prod, *cons;
        rd_kafka_topic_partition_list_t *subs;
        int64_t t0, t_last = 0, deadline;
        pid_t pid;
        int a;

        for (a = 1; a < argc; a++) {
                if (!strcmp(argv[a], "--brokers") && a + 1 < argc)
                        brokers = argv[++a];
                else if (!strcmp(argv[a], "--bin") && a + 1 < argc)
                        bin = argv[++a];
                else if (!strcmp(argv[a], "--count") && a + 1 < argc)
                        count = atol(argv[++a]);
                else if (!strcmp(argv[a], "--delay-ms") && a + 1 < argc)
                        delay = atol(argv[++a]);
                else
                        brokers = NULL, a = argc;
        }
        if (!brokers || count <= 0) {
                fprintf(stderr, "usage: swb-bench-agent --brokers B --bin DIR [--count N] "
                                "[--delay-ms MS]\n");
                return 2;
        }
        if (!(fake = swb_fake_llm_new(&fo, errstr, sizeof(errstr))) ||
            !(codec = swb_codec_new(NULL, errstr, sizeof(errstr)))) {
                fprintf(stderr, "swb-bench-agent: %s\n", errstr);
                return 1;
        }
        r.kind = SWB_FAKE_LLM_COMPLETION;
        r.content = "Here are three hotels in Bali that fit.";
        r.delay_ms = (int)delay;
        r.stream = -1; /* plain JSON answers */
        swb_fake_llm_set_default(fake, &r);
        snprintf(prefix, sizeof(prefix), "agentbench%d", (int)getpid());

        if ((pid = fork()) == 0) {
                char *route = swb_asprintf("%s.route.", prefix);
                char *replies = swb_asprintf("%s.replies", prefix);
                char *audit = swb_asprintf("%s.audit", prefix);
                char *stream = swb_asprintf("%s.stream", prefix);
                char *group = swb_asprintf("%s-agent-", prefix);
                char *path = swb_asprintf("%s/swb-agent", bin);
                snprintf(url, sizeof(url), "%s", swb_fake_llm_url(fake));
                setenv("SWB_BROKERS", brokers, 1);
                setenv("SWB_TOPIC_ROUTE_PREFIX", route, 1);
                setenv("SWB_TOPIC_REPLIES", replies, 1);
                setenv("SWB_REPLY_TOPIC_ALLOWED_PREFIXES", replies, 1);
                setenv("SWB_TOPIC_AUDIT", audit, 1);
                setenv("SWB_TOPIC_STREAM", stream, 1);
                setenv("SWB_GROUP_AGENT_PREFIX", group, 1);
                setenv("SWB_LLM_URL", url, 1);
                setenv("SWB_LLM_TIMEOUT_MS", "60000", 1);
                setenv("SWB_WORKER_MAX_INFLIGHT", "5000", 1);
                setenv("SWB_LOG_LEVEL", "warn", 1);
                execl(path, path, "--domain", "hotel", (char *)NULL);
                _exit(127);
        }

        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr));
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", prefix, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "50", errstr, sizeof(errstr));
        cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        rd_kafka_poll_set_consumer(cons);
        {
                char *t = swb_asprintf("%s.replies", prefix);
                subs = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(subs, t, RD_KAFKA_PARTITION_UA);
                rd_kafka_subscribe(cons, subs);
                rd_kafka_topic_partition_list_destroy(subs);
                swb_free(t);
        }

        t0 = swb_mono_ms();
        for (i = 0; i < count; i++) {
                char rid[SWB_UUID_LEN], sid[32], *topic = swb_asprintf("%s.route.hotel", prefix);
                void *buf;
                size_t len;
                json_t *req;
                swb_id_uuid4(rid);
                snprintf(sid, sizeof(sid), "s-%ld", i); /* all different: all concurrent */
                req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "request_id", rid,
                                "session_id", sid, "user_id", "bench", "text",
                                "Find me a hotel in Bali", "domain", "hotel", "created_at",
                                (json_int_t)swb_now_ms());
                swb_codec_encode(codec, SWB_MSG_ROUTED_REQUEST, req, &buf, &len, NULL, 0);
                json_decref(req);
                while (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
                                         RD_KAFKA_V_KEY(sid, strlen(sid)),
                                         RD_KAFKA_V_VALUE(buf, len),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                         RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(prod, 10);
                swb_free(buf);
                swb_free(topic);
        }
        rd_kafka_flush(prod, 30000);
        deadline = swb_mono_ms() + 120000 + count * 10;
        while (got < count && swb_mono_ms() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 100);
                long h = vm_hwm_kb(pid);
                if (h > hwm)
                        hwm = h;
                if (!m)
                        continue;
                if (!m->err) {
                        got++;
                        t_last = swb_mono_ms();
                }
                rd_kafka_message_destroy(m);
        }
        {
                long h = vm_hwm_kb(pid);
                if (h > hwm)
                        hwm = h;
        }
        printf("agent: fake model %ld ms per call, %ld requests of distinct sessions\n", delay,
               count);
        printf("agent: model calls in flight at once   %8d (peak, one process)\n",
               swb_fake_llm_peak_active(fake));
        printf("agent: replies                          %8ld of %ld\n", got, count);
        printf("agent: requests per second              %8.0f (first request to last reply)\n",
               got * 1000.0 / (double)(t_last - t0 + 1));
        printf("agent: peak RSS                         %8.1f MiB\n", hwm / 1024.0);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        rd_kafka_consumer_close(cons);
        rd_kafka_destroy(cons);
        rd_kafka_destroy(prod);
        swb_codec_destroy(codec);
        swb_fake_llm_destroy(fake);
        return got == count ? 0 : 1;
}
