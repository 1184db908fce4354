/*
 * component.devbroker: spawn build/bin/swb-devbroker, produce and consume one
 * message on swb.requests, check the partition count, stop it with SIGTERM.
 */
#include "swb_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "swb_mem.h"

#define TOPIC "swb.requests"

struct broker {
        char dir[256];
        char addr_file[300];
        char log[300];
        pid_t pid;
        char addr[256];
};

static bool addr_file_ready(void *arg)
{
        struct broker *b = arg;
        FILE *fp = fopen(b->addr_file, "r");
        bool ok = false;
        if (!fp)
                return false;
        if (fgets(b->addr, sizeof(b->addr), fp)) {
                b->addr[strcspn(b->addr, "\r\n")] = '\0';
                ok = b->addr[0] != '\0';
        }
        fclose(fp);
        return ok;
}

static int setup(void **state)
{
        struct broker *b = swb_calloc(1, sizeof(*b));
        const char *argv[] = {"--addr-file", b->addr_file, "--topic", "swb.test.extra",
                              NULL};
        snprintf(b->dir, sizeof(b->dir), "/tmp/swb-devbroker-test-XXXXXX");
        if (!mkdtemp(b->dir)) {
                swb_free(b);
                return -1;
        }
        snprintf(b->addr_file, sizeof(b->addr_file), "%s/addr", b->dir);
        snprintf(b->log, sizeof(b->log), "%s/devbroker.log", b->dir);
        b->pid = swb_test_spawn("swb-devbroker", argv, NULL, b->log);
        if (b->pid < 0) {
                swb_free(b);
                return -1;
        }
        *state = b;
        return 0;
}

static void dump_log(const struct broker *b)
{
        char line[1024];
        FILE *fp = fopen(b->log, "r");
        while (fp && fgets(line, sizeof(line), fp))
                fprintf(stderr, "  devbroker: %s", line);
        if (fp)
                fclose(fp);
}

static int teardown(void **state)
{
        struct broker *b = *state;
        char path[400];
        if (!b)
                return 0;
        if (b->pid > 0)
                swb_test_stop(b->pid, SIGKILL, 5000);
        unlink(b->addr_file);
        unlink(b->log);
        snprintf(path, sizeof(path), "%s", b->dir);
        rmdir(path);
        swb_free(b);
        return 0;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        rd_kafka_message_t *out = opaque;
        out->err = m->err;
        out->partition = m->partition;
        out->offset = m->offset;
}

static void test_produce_consume_stop(void **state)
{
        struct broker *b = *state;
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *p, *c;
        rd_kafka_message_t dr = {.err = RD_KAFKA_RESP_ERR__IN_PROGRESS};
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_partition_list_t *tp;
        rd_kafka_resp_err_t err;
        char payload[128];
        int64_t deadline;
        bool got = false;
        int status;

        if (!swb_test_wait_for(addr_file_ready, b, 10000)) {
                dump_log(b);
                fail_msg("swb-devbroker wrote no address file");
        }

        /* Producer */
        conf = rd_kafka_conf_new();
        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", b->addr, errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_opaque(conf, &dr);
        p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(p);

        /* The configured topic exists with 8 partitions; so does --topic. */
        {
                rd_kafka_topic_t *t = rd_kafka_topic_new(p, TOPIC, NULL);
                err = rd_kafka_metadata(p, 0, t, &md,
                                        (int)(10000 * swb_test_tmout_multip()));
                assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
                assert_int_equal(md->topic_cnt, 1);
                assert_string_equal(md->topics[0].topic, TOPIC);
                assert_int_equal(md->topics[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
                assert_int_equal(md->topics[0].partition_cnt, 8);
                rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(t);
        }
        {
                static const char *const expect[] = {
                    "swb.route.hotel", "swb.route.flight",
                    "swb.route.tour",  "swb.route.customer_service",
                    "swb.replies",     "swb.stream",
                    "swb.audit",       "swb.dlq",
                    "swb.test.extra"};
                size_t k;
                int j;
                err = rd_kafka_metadata(p, 1, NULL, &md,
                                        (int)(10000 * swb_test_tmout_multip()));
                assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
                for (k = 0; k < SWB_ARRAY_LEN(expect); k++) {
                        bool found = false;
                        for (j = 0; j < md->topic_cnt; j++)
                                if (!strcmp(md->topics[j].topic, expect[k]) &&
                                    md->topics[j].partition_cnt == 8)
                                        found = true;
                        if (!found)
                                fail_msg("topic %s (8 partitions) missing", expect[k]);
                }
                rd_kafka_metadata_destroy(md);
        }

        snprintf(payload, sizeof(payload), "hello-%s", swb_test_unique());
        err =
            rd_kafka_producev(p, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_KEY("k", 1),
                              RD_KAFKA_V_VALUE(payload, strlen(payload)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_flush(p, (int)(10000 * swb_test_tmout_multip())),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(dr.err, RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_true(dr.partition >= 0 && dr.partition < 8);
        assert_true(dr.offset >= 0);
        rd_kafka_destroy(p);

        /* Consumer: read it back from where it was written. */
        conf = rd_kafka_conf_new();
        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", b->addr, errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "group.id", swb_test_unique(), errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        assert_non_null(c);
        tp = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tp, TOPIC, dr.partition)->offset = dr.offset;
        assert_int_equal(rd_kafka_assign(c, tp), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(tp);
        deadline = swb_test_deadline(10000);
        while (!got && swb_test_now_ms() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
                if (!m)
                        continue;
                if (!m->err && m->len == strlen(payload) &&
                    !memcmp(m->payload, payload, m->len))
                        got = true;
                else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
        }
        assert_true(got);
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);

        /* SIGTERM: a clean exit 0, and the address file is gone. */
        status = swb_test_stop(b->pid, SIGTERM, 10000);
        b->pid = -1;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                dump_log(b);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        {
                struct stat st;
                assert_int_not_equal(stat(b->addr_file, &st), 0);
        }
}

static void test_bad_flag(void **state)
{
        const char *argv[] = {"--partitions", "zero", NULL};
        pid_t pid = swb_test_spawn("swb-devbroker", argv, NULL, "/dev/null");
        int status;
        assert_true(pid > 0);
        status = swb_test_stop(pid, 0, 10000); /* signal 0: just wait */
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_produce_consume_stop, setup, teardown),
            cmocka_unit_test(test_bad_flag),
        };
        return cmocka_run_group_tests_name("component.devbroker", tests, NULL, NULL);
}
