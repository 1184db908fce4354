/*
 * Black-box: spawn the real swb-supervisor and the four swb-agent processes
 * against the dev broker (on topics of their own), drive them as a client
 * would, and check replies, audit events, dead letters and SIGTERM.
 */
#include "swb_test_pipeline.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include "swb_client.h"
#include "swb_codec.h"
#include "swb_config.h"
#include "swb_dlq.h"
#include "swb_id.h"
#include "swb_mem.h"

static const char *const domains[] = {"hotel", "flight", "tour", "customer_service", NULL};

static struct {
        swb_test_pipeline_t *p;
        swb_codec_t *codec;
} T;

static int setup(void **state)
{
        char errstr[256];
        T.p = swb_test_pipeline_start(domains, NULL);
        T.codec = swb_codec_new(NULL, errstr, sizeof(errstr));
        assert_non_null(T.codec);
        return 0;
}

static int teardown(void **state)
{
        swb_test_pipeline_stop(T.p);
        swb_codec_destroy(T.codec);
        return 0;
}

static json_t *request(const char *session, const char *text, const char *locale)
{
        return swb_test_request(session, text, locale);
}

static json_t *ask(json_t *req, int timeout_ms)
{
        return swb_test_ask(T.p, req, timeout_ms);
}

static bool has_stage(json_t *events, const char *stage, const char *agent)
{
        size_t i;
        for (i = 0; i < json_array_size(events); i++) {
                json_t *e = json_array_get(events, i);
                if (!strcmp(json_string_value(json_object_get(e, "stage")), stage) &&
                    !strcmp(json_string_value(json_object_get(e, "agent")), agent))
                        return true;
        }
        return false;
}

/* The first request also waits for every group to form. */
static void test_every_agent_answers(void **state)
{
        static const struct {
                const char *text, *locale, *agent, *status;
        } cases[] = {
                {"Find me a hotel in Bali", "en", "hotel", "ok"},
                {"flights from Jakarta to Denpasar tomorrow", "en", "flight", "ok"},
                {"what tours do you have in Yogyakarta", "en", "tour", "ok"},
                {"show my bookings", "en", "customer_service", "ok"},
                {"carikan hotel di Bandung", "id", "hotel", "ok"},
                {"what is the capital of France", "en", "supervisor", "out_of_scope"},
        };
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(cases); i++) {
                char session[32];
                json_t *req, *reply, *audit;
                const char *rid;
                snprintf(session, sizeof(session), "bb-session-1-%zu", i); /* no follow-ups */
                req = request(session, cases[i].text, cases[i].locale);
                reply = ask(req, i == 0 ? 60000 : 15000);
                rid = json_string_value(json_object_get(req, "request_id"));
                assert_string_equal(json_string_value(json_object_get(reply, "agent")),
                                    cases[i].agent);
                assert_string_equal(json_string_value(json_object_get(reply, "status")),
                                    cases[i].status);
                assert_string_equal(json_string_value(json_object_get(reply, "request_id")), rid);
                assert_true(swb_id_is_uuid(json_string_value(json_object_get(reply, "reply_id"))));
                assert_true(json_string_length(json_object_get(reply, "text")) > 10);

                /* every stage has its AuditEvent (planners add tool_called ones) */
                if (strcmp(cases[i].agent, "supervisor")) {
                        int64_t deadline = swb_test_deadline(10000);
                        size_t want = 5;
                        for (;;) {
                                audit = swb_client_audit(T.p->client, rid, want, 500);
                                if (has_stage(audit, "replied", cases[i].agent) ||
                                    swb_test_now_ms() > deadline)
                                        break;
                                want = json_array_size(audit) + 1;
                                json_decref(audit);
                        }
                        assert_true(has_stage(audit, "received", "supervisor"));
                        assert_true(has_stage(audit, "classified", "supervisor"));
                        assert_true(has_stage(audit, "routed", "supervisor"));
                        assert_true(has_stage(audit, "received", cases[i].agent));
                        assert_true(has_stage(audit, "replied", cases[i].agent));
                } else {
                        audit = swb_client_audit(T.p->client, rid, 3, (int)(10000 * swb_test_tmout_multip()));
                        assert_true(has_stage(audit, "received", "supervisor"));
                        assert_true(has_stage(audit, "classified", "supervisor"));
                        assert_true(has_stage(audit, "replied", "supervisor"));
                }
                json_decref(audit);
                json_decref(reply);
                json_decref(req);
        }
}

/* The W3C trace an upstream app started is carried to every stage's audit. */
static void test_traceparent_carried(void **state)
{
        static const char *tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        json_t *req = request("bb-trace", "Find me a hotel in Bali", "en"), *reply, *audit;
        size_t i, n = 0;
        swb_client_set_traceparent(T.p->client, tp);
        reply = ask(req, 15000);
        swb_client_set_traceparent(T.p->client, NULL);
        audit = swb_client_audit(T.p->client, json_string_value(json_object_get(req, "request_id")),
                                 5, (int)(10000 * swb_test_tmout_multip()));
        for (i = 0; i < json_array_size(audit); i++) {
                const char *tid = json_string_value(json_object_get(
                        json_object_get(json_array_get(audit, i), "details"), "trace_id"));
                assert_non_null(tid);
                assert_string_equal(tid, "0af7651916cd43dd8448eb211c80319c");
                n++;
        }
        assert_true(n >= 5); /* supervisor and agent stages alike */
        json_decref(audit);
        json_decref(reply);
        json_decref(req);
}

static void test_replay_same_reply_id(void **state)
{
        json_t *req = request("bb-session-2", "Find me a hotel in Bali", "en");
        json_t *r1 = ask(req, 15000), *r2;
        char *again = json_dumps(req, 0);
        json_t *req2 = json_loads(again, 0, NULL);
        free(again);
        r2 = ask(req2, 15000);
        assert_string_equal(json_string_value(json_object_get(r1, "reply_id")),
                            json_string_value(json_object_get(r2, "reply_id")));
        json_decref(r1);
        json_decref(r2);
        json_decref(req);
        json_decref(req2);
}

struct dlq_seen {
        const char *want_class;
        bool found;
        char topic[128];
};

static void dlq_cb(void *arg, const void *key, size_t key_len, const void *val, size_t len,
                   const void *hdrs)
{
        struct dlq_seen *s = arg;
        const void *v;
        size_t n;
        if (!hdrs)
                return;
        if (!rd_kafka_header_get_last((rd_kafka_headers_t *)hdrs, "swb.error", &v, &n) &&
            n == strlen(s->want_class) && !memcmp(v, s->want_class, n)) {
                if (!rd_kafka_header_get_last((rd_kafka_headers_t *)hdrs, "swb.original.topic", &v,
                                              &n) &&
                    n < sizeof(s->topic)) {
                        memcpy(s->topic, v, n);
                        s->topic[n] = '\0';
                }
                if (!rd_kafka_header_get_last((rd_kafka_headers_t *)hdrs, "swb.original.offset", &v,
                                              &n) &&
                    !rd_kafka_header_get_last((rd_kafka_headers_t *)hdrs, "swb.error.message", &v,
                                              &n))
                        s->found = true;
        }
}

static bool dlq_has(void *arg)
{
        struct dlq_seen *s = arg;
        char topic[128];
        snprintf(topic, sizeof(topic), "%s.dlq", T.p->prefix);
        swb_test_read_topic(T.p->brokers, topic, 1, 300, 3000, dlq_cb, s);
        return s->found;
}

static void test_poison_goes_to_dlq(void **state)
{
        char errstr[256], want_topic[128];
        struct dlq_seen s = {"decode", false, ""};
        struct dlq_seen s2 = {"unknown_schema", false, ""};
        static const char garbage[] = "this is not avro at all";
        static const char unknown[] = "\xc3\x01\x01\x02\x03\x04\x05\x06\x07\x08 body";
        json_t *req, *reply;

        assert_int_equal(swb_client_send_raw(T.p->client, "poison", garbage, sizeof(garbage) - 1,
                                             errstr, sizeof(errstr)),
                         SWB_OK);
        assert_int_equal(swb_client_send_raw(T.p->client, "poison", unknown, sizeof(unknown) - 1,
                                             errstr, sizeof(errstr)),
                         SWB_OK);
        assert_true(swb_test_wait_for(dlq_has, &s, 20000));
        assert_true(swb_test_wait_for(dlq_has, &s2, 20000));
        snprintf(want_topic, sizeof(want_topic), "%s.requests", T.p->prefix);
        assert_string_equal(s.topic, want_topic);

        /* the pipeline keeps answering */
        req = request("poison", "what tours do you have in Bali", "en");
        reply = ask(req, 15000);
        assert_string_equal(json_string_value(json_object_get(reply, "agent")), "tour");
        json_decref(reply);
        json_decref(req);
}

/* swb-dlq lists the dead letters with their reasons and replays one to its topic. */
static void test_dlq_tool(void **state)
{
        char errstr[256];
        json_t *list = NULL, *e = NULL;
        size_t i, before;
        int32_t part;
        int64_t off;
        swb_config_t *cfg = T.p->cfg;

        assert_int_equal(swb_dlq_list(cfg, &list, errstr, sizeof(errstr)), SWB_OK);
        for (i = 0; i < json_array_size(list); i++)
                if (!strcmp(json_string_value(json_object_get(json_array_get(list, i), "error")),
                            "decode"))
                        e = json_array_get(list, i);
        if (!e)
                fail_msg("the poison message is not listed");
        assert_string_equal(json_string_value(json_object_get(e, "original_topic")),
                            swb_test_topic(T.p, "requests"));
        part = (int32_t)json_integer_value(json_object_get(e, "partition"));
        off = json_integer_value(json_object_get(e, "offset"));
        before = json_array_size(list);
        json_decref(list);

        /* replaying it sends it through the supervisor again: a second dead letter */
        assert_int_equal(swb_dlq_replay(cfg, &part, &off, 1, errstr, sizeof(errstr)), SWB_OK);
        {
                int64_t deadline = swb_test_deadline(20000);
                size_t now = before;
                while (now <= before && swb_test_now_ms() < deadline) {
                        list = NULL;
                        if (!swb_dlq_list(cfg, &list, errstr, sizeof(errstr)))
                                now = json_array_size(list);
                        json_decref(list);
                }
                assert_true(now > before);
        }
        /* an offset that is not in the DLQ is refused, nothing replayed */
        off = 999999;
        assert_int_equal(swb_dlq_replay(cfg, &part, &off, 1, errstr, sizeof(errstr)),
                         SWB_ERR_NOT_FOUND);
}

static void test_invalid_request_rejected(void **state)
{
        struct dlq_seen s = {"schema", false, ""};
        json_t *req = request("bb-session-3", "   ", "en"), *reply = ask(req, 15000);
        assert_string_equal(json_string_value(json_object_get(reply, "agent")), "supervisor");
        assert_string_equal(json_string_value(json_object_get(reply, "status")), "rejected");
        assert_true(swb_test_wait_for(dlq_has, &s, 20000));
        json_decref(reply);
        json_decref(req);
}

struct count_ctx {
        json_t *counts; /* request_id -> number of distinct reply_ids seen, and total */
        size_t total;
};

static void count_cb(void *arg, const void *key, size_t key_len, const void *val, size_t len,
                     const void *hdrs)
{
        struct count_ctx *c = arg;
        json_t *obj = NULL, *ids;
        char errstr[256];
        const char *rid;
        if (swb_codec_decode(T.codec, SWB_MSG_AGENT_REPLY, val, len, NULL, &obj, errstr,
                             sizeof(errstr)))
                fail_msg("undecodable reply: %s", errstr);
        rid = json_string_value(json_object_get(obj, "request_id"));
        if (!(ids = json_object_get(c->counts, rid)))
                json_object_set_new(c->counts, rid, ids = json_object());
        json_object_set_new(ids, json_string_value(json_object_get(obj, "reply_id")),
                            json_integer(json_integer_value(json_object_get(
                                    ids, json_string_value(json_object_get(obj, "reply_id")))) +
                                         1));
        c->total++;
        json_decref(obj);
}

static void test_reply_topic_rules(void **state)
{
        char alt[128];
        json_t *req = request("bb-session-4", "Find me a hotel in Bali", "en"), *reply;
        struct count_ctx c = {json_object(), 0};

        /* not allowed: the reply still comes, on the default topic */
        json_object_set_new(req, "reply_topic", json_string("not.allowed"));
        reply = ask(req, 15000);
        assert_string_equal(json_string_value(json_object_get(reply, "agent")), "hotel");
        json_decref(reply);
        json_decref(req);

        /* allowed prefix: the reply goes there */
        snprintf(alt, sizeof(alt), "%s.replies.alt", T.p->prefix);
        req = request("bb-session-4", "show my bookings", "en");
        json_object_set_new(req, "request_id", json_string("5f0c8a2e-1111-4222-8333-444455556666"));
        json_object_set_new(req, "reply_topic", json_string(alt));
        {
                json_t *r = NULL;
                char errstr[256];
                assert_int_equal(swb_client_request(T.p->client, req, 3000, &r, errstr, sizeof(errstr)),
                                 SWB_ERR_TIMEOUT);
        }
        swb_test_read_topic(T.p->brokers, alt, 1, 1000, 20000, count_cb, &c);
        assert_int_equal(c.total, 1);
        assert_non_null(json_object_get(c.counts, "5f0c8a2e-1111-4222-8333-444455556666"));
        json_decref(c.counts);
        json_decref(req);
}

/* Every request got exactly one reply_id (a replay repeats the same one). */
static void test_exactly_one_reply_each(void **state)
{
        char topic[128];
        struct count_ctx c = {json_object(), 0};
        const char *rid;
        json_t *ids;
        snprintf(topic, sizeof(topic), "%s.replies", T.p->prefix);
        swb_test_read_topic(T.p->brokers, topic, 9, 1500, 20000, count_cb, &c);
        assert_true(c.total >= 9);
        json_object_foreach(c.counts, rid, ids)
        {
                if (json_object_size(ids) != 1)
                        fail_msg("request %s has %zu reply ids", rid, json_object_size(ids));
        }
        json_decref(c.counts);
}

static void test_swb_send_binary(void **state)
{
        char cmd[1024], out[4096] = "";
        FILE *p;
        size_t n;
        int i, status;
        /* swb-send reads its addresses from the environment */
        for (i = 0; T.p->env[i]; i++)
                putenv(T.p->env[i]);
        snprintf(cmd, sizeof(cmd), "%s/swb-send --timeout-ms %d 'any flights to Bali?'",
                 getenv("SWB_BIN_DIR") ? getenv("SWB_BIN_DIR") : SWB_BINARY_DIR "/bin",
                 (int)(20000 * swb_test_tmout_multip()));
        p = popen(cmd, "r");
        assert_non_null(p);
        n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        status = pclose(p);
        assert_int_equal(WEXITSTATUS(status), 0);
        if (strncmp(out, "[flight] ", 9))
                fail_msg("unexpected swb-send output: %s", out);
}

/* Runs last: every worker drains, commits, leaves and exits 0 within 10 s. */
static void test_sigterm_clean_exit(void **state)
{
        int i;
        for (i = 0; i < T.p->n; i++) {
                int64_t t0 = swb_test_now_ms();
                int st = swb_test_stop(T.p->pids[i], SIGTERM, 10000);
                T.p->pids[i] = -1;
                if (st == -1)
                        fail_msg("%s did not exit within 10 s of SIGTERM", T.p->names[i]);
                assert_true(WIFEXITED(st));
                assert_int_equal(WEXITSTATUS(st), 0);
                assert_true(swb_test_now_ms() - t0 < 10000);
        }
        /* ... and committed what it did: nothing left for the next member */
        {
                char group[128], topic[128];
                snprintf(group, sizeof(group), "%s-supervisor", T.p->prefix);
                snprintf(topic, sizeof(topic), "%s.requests", T.p->prefix);
                assert_int_equal(swb_test_group_lag(T.p->brokers, group, topic), 0);
                snprintf(group, sizeof(group), "%s-agent-hotel", T.p->prefix);
                snprintf(topic, sizeof(topic), "%s.route.hotel", T.p->prefix);
                assert_int_equal(swb_test_group_lag(T.p->brokers, group, topic), 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_agent_answers),
                cmocka_unit_test(test_traceparent_carried),
                cmocka_unit_test(test_replay_same_reply_id),
                cmocka_unit_test(test_poison_goes_to_dlq),
                cmocka_unit_test(test_dlq_tool),
                cmocka_unit_test(test_invalid_request_rejected),
                cmocka_unit_test(test_reply_topic_rules),
                cmocka_unit_test(test_exactly_one_reply_each),
                cmocka_unit_test(test_swb_send_binary),
                cmocka_unit_test(test_sigterm_clean_exit),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
