/*
 * Black-box: agents driven by a model (a scripted fake OpenAI-compatible
 * server in this process). Each agent offers its full tool list, the model's
 * tool call runs against the real database, and the answer carries the
 * result. A hotel booking goes search -> availability -> book -> pay ->
 * history -> cancel, across the hotel and customer-service agents; another
 * user's cancel is refused. Stream events and token usage are checked too.
 *
 * The script: for a request whose last message is the user's, the model
 * calls T.tc (set by the test before each request); once a tool result is
 * in, it answers with that result verbatim, so the test can read ids.
 */
#include "swb_test_pipeline.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_codec.h"
#include "swb_fake_llm.h"
#include "swb_mem.h"

static const char *const domains[] = {"hotel", "flight", "tour", "customer_service", NULL};

static struct {
        swb_fake_llm_t *fake;
        swb_test_pipeline_t *p;
        pthread_mutex_t lock;
        char tool[64], args[512];
        struct swb_fake_llm_tool_call tc;
} T;

static bool script(void *opaque, const json_t *request, uint64_t seq,
                   struct swb_fake_llm_reply *reply, char *scratch, size_t scratch_size)
{
        const json_t *msgs = json_object_get(request, "messages");
        const json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
        const char *role = json_string_value(json_object_get(last, "role"));
        reply->kind = SWB_FAKE_LLM_COMPLETION;
        reply->prompt_tokens = 100;
        reply->completion_tokens = 20;
        if (role && !strcmp(role, "tool")) {
                snprintf(scratch, scratch_size, "%s",
                         json_string_value(json_object_get(last, "content")));
                reply->content = scratch;
                return true;
        }
        pthread_mutex_lock(&T.lock);
        T.tc.name = T.tool;
        T.tc.arguments = T.args;
        pthread_mutex_unlock(&T.lock);
        reply->tool_calls = &T.tc;
        reply->n_tool_calls = 1;
        return true;
}

static int setup(void **state)
{
        char errstr[256], url[256];
        const char *env[4];
        pthread_mutex_init(&T.lock, NULL);
        T.fake = swb_fake_llm_new(NULL, errstr, sizeof(errstr));
        assert_non_null(T.fake);
        swb_fake_llm_set_handler(T.fake, script, NULL);
        snprintf(url, sizeof(url), "SWB_LLM_URL=%s", swb_fake_llm_url(T.fake));
        env[0] = url;
        env[1] = "SWB_ROUTE_LLM_THRESHOLD=0"; /* routing stays with the classifier here */
        env[2] = "SWB_ROUTE_MODEL=rule";      /* predictable routing of the script's texts */
        env[3] = NULL;
        T.p = swb_test_pipeline_start(domains, env);
        return 0;
}

static int teardown(void **state)
{
        swb_test_pipeline_stop(T.p);
        swb_fake_llm_destroy(T.fake);
        pthread_mutex_destroy(&T.lock);
        return 0;
}

/* Script the model's next tool call, send `text`, and return the reply as JSON. */
static json_t *step(const char *session, const char *user, const char *text, const char *agent,
                    const char *tool, const char *args_fmt, ...)
{
        va_list ap;
        json_t *req = swb_test_request(session, text, "en"), *reply, *out;
        json_error_t jerr;
        pthread_mutex_lock(&T.lock);
        snprintf(T.tool, sizeof(T.tool), "%s", tool);
        va_start(ap, args_fmt);
        vsnprintf(T.args, sizeof(T.args), args_fmt, ap);
        va_end(ap);
        pthread_mutex_unlock(&T.lock);
        json_object_set_new(req, "user_id", json_string(user));
        reply = swb_test_ask(T.p, req, 30000);
        if (strcmp(json_string_value(json_object_get(reply, "agent")), agent))
                fail_msg("\"%s\" was answered by %s, not %s", text,
                         json_string_value(json_object_get(reply, "agent")), agent);
        out = json_loads(json_string_value(json_object_get(reply, "text")), 0, &jerr);
        if (!out)
                fail_msg("reply to \"%s\" is not the tool result: %s", text,
                         json_string_value(json_object_get(reply, "text")));
        json_decref(reply);
        json_decref(req);
        return out;
}

/* Does the JSON text of `v` contain `needle`? */
static bool json_has(const json_t *v, const char *needle)
{
        char *s = json_dumps(v, JSON_COMPACT);
        bool has = s && strstr(s, needle);
        free(s);
        return has;
}

static void date_in(int days, char *buf, size_t size)
{
        time_t t = time(NULL) + (time_t)days * 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, size, "%Y-%m-%d", &tm);
}

/* The tools the model was offered on its latest call that offered `probe`. */
static size_t tools_offered(const char *probe, json_t **names)
{
        json_t *reqs = swb_fake_llm_requests(T.fake);
        size_t i, j, n = 0;
        *names = json_array();
        for (i = json_array_size(reqs); i-- > 0;) {
                json_t *tools = json_object_get(json_object_get(json_array_get(reqs, i), "body"),
                                                "tools");
                bool has = false;
                for (j = 0; j < json_array_size(tools); j++)
                        has |= !strcmp(json_string_value(json_object_get(
                                               json_object_get(json_array_get(tools, j),
                                                               "function"),
                                               "name")),
                                       probe);
                if (!has)
                        continue;
                for (j = 0; j < json_array_size(tools); j++)
                        json_array_append(*names,
                                          json_object_get(json_object_get(json_array_get(tools, j),
                                                                          "function"),
                                                          "name"));
                n = json_array_size(tools);
                break;
        }
        json_decref(reqs);
        return n;
}

static void test_hotel_booking_flow(void **state)
{
        char session[64], user[64], other[64], in[16], out[16];
        json_t *r, *names;
        json_int_t hotel, room_type, booking;
        const char *code;

        snprintf(session, sizeof(session), "llm-flow-%s", swb_test_unique());
        snprintf(user, sizeof(user), "llm-user-%s", swb_test_unique());
        snprintf(other, sizeof(other), "llm-other-%s", swb_test_unique());
        date_in(10, in, sizeof(in));
        date_in(12, out, sizeof(out));

        r = step(session, user, "Find me a hotel in Bali", "hotel", "search_hotels_by_location",
                 "{\"location\":\"Bali\"}");
        assert_true(json_integer_value(json_object_get(r, "count")) > 0);
        hotel = json_integer_value(
                json_object_get(json_array_get(json_object_get(r, "hotels"), 0), "hotel_id"));
        assert_true(hotel > 0);
        json_decref(r);
        /* the hotel agent offered the model its seven tools */
        assert_int_equal(tools_offered("search_hotels_by_location", &names), 7);
        json_decref(names);

        r = step(session, user, "which rooms are free at that hotel?", "hotel",
                 "check_available_rooms",
                 "{\"hotel_id\":%lld,\"check_in\":\"%s\",\"check_out\":\"%s\",\"guests\":2}",
                 (long long)hotel, in, out);
        room_type = json_integer_value(json_object_get(
                json_array_get(json_object_get(r, "room_types"), 0), "room_type_id"));
        assert_true(room_type > 0);
        json_decref(r);

        r = step(session, user, "book that hotel room please", "hotel", "book_hotel_room",
                 "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\",\"check_out\":"
                 "\"%s\",\"guests\":2}",
                 (long long)hotel, (long long)room_type, in, out);
        booking = json_integer_value(json_object_get(r, "booking_id"));
        if (booking <= 0)
                fail_msg("no booking id in the book_hotel_room result");
        json_decref(r);

        r = step(session, user, "pay for my hotel room by card", "hotel", "process_hotel_payment",
                 "{\"booking_id\":%lld,\"payment_method\":\"credit_card\"}", (long long)booking);
        assert_null(json_object_get(r, "error"));
        json_decref(r);

        /* history is customer service's */
        r = step(session, user, "show my bookings", "customer_service",
                 "get_user_booking_history", "{}");
        assert_true(json_has(r, "\"paid\""));
        json_decref(r);
        assert_int_equal(tools_offered("get_user_booking_history", &names), 12);
        json_decref(names);

        /* another user cannot cancel it */
        r = step(session, other, "cancel hotel booking please", "customer_service",
                 "cancel_hotel_booking", "{\"booking_id\":%lld}", (long long)booking);
        code = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
        assert_non_null(code);
        assert_string_equal(code, "forbidden");
        json_decref(r);

        /* the owner can */
        r = step(session, user, "cancel hotel booking please", "customer_service",
                 "cancel_hotel_booking", "{\"booking_id\":%lld}", (long long)booking);
        assert_null(json_object_get(r, "error"));
        assert_true(json_has(r, "cancelled"));
        json_decref(r);
}

struct seen {
        swb_codec_t *codec;
        json_t *kinds;  /* StreamEvent kinds seen */
        json_int_t tokens_in;
};

static void stream_cb(void *arg, const void *key, size_t key_len, const void *val, size_t len,
                      const void *hdrs)
{
        struct seen *s = arg;
        json_t *ev = NULL;
        swb_msg_type_t type;
        if (swb_codec_decode(s->codec, -1, val, len, &type, &ev, NULL, 0))
                return;
        if (type == SWB_MSG_STREAM_EVENT)
                json_object_set_new(s->kinds, json_string_value(json_object_get(ev, "kind")),
                                    json_true());
        if (type == SWB_MSG_AUDIT_EVENT &&
                 !strcmp(json_string_value(json_object_get(ev, "stage")), "model_called")) {
                s->tokens_in += json_integer_value(json_object_get(ev, "tokens_in"));
        }
        json_decref(ev);
}

/* Runs after the flow: partial replies were streamed, usage was audited. */
static void test_stream_and_usage(void **state)
{
        struct seen s = {swb_codec_new(NULL, NULL, 0), json_object(), 0};
        static const char *const kinds[] = {"start", "tool_start", "tool_end", "token", "done"};
        size_t i;
        char *metrics;
        long status;
        swb_test_read_topic(T.p->brokers, swb_test_topic(T.p, "stream"), 5, 1000, 20000,
                            stream_cb, &s);
        for (i = 0; i < SWB_ARRAY_LEN(kinds); i++)
                if (!json_object_get(s.kinds, kinds[i]))
                        fail_msg("no StreamEvent of kind %s", kinds[i]);
        swb_test_read_topic(T.p->brokers, swb_test_topic(T.p, "audit"), 10, 1000, 20000,
                            stream_cb, &s);
        if (s.tokens_in < 100 * 7) /* the fake reports 100 per call */
                fail_msg("model_called audit events carry %lld input tokens", (long long)s.tokens_in);
        metrics = swb_test_http_get(T.p, "hotel", "/metrics", &status);
        assert_non_null(metrics);
        assert_non_null(strstr(metrics, "swb_llm_tokens_total{"));
        assert_non_null(strstr(metrics, "swb_tool_calls_total{agent=\"hotel\",tool=\"book_hotel_room\",outcome=\"ok\"} 1"));
        free(metrics);
        json_decref(s.kinds);
        swb_codec_destroy(s.codec);
}

/* The flight and tour agents too: their full tool lists, a tool run, its result. */
static void test_flight_and_tour_agents(void **state)
{
        char session[64];
        json_t *r, *names;
        snprintf(session, sizeof(session), "llm-ft-%s", swb_test_unique());
        r = step(session, "llm-ft", "flights from Jakarta to Denpasar", "flight",
                 "search_flights_by_route", "{\"origin\":\"Jakarta\",\"destination\":\"Denpasar\"}");
        assert_true(json_integer_value(json_object_get(r, "count")) > 0);
        json_decref(r);
        assert_int_equal(tools_offered("search_flights_by_route", &names), 6);
        json_decref(names);
        snprintf(session, sizeof(session), "llm-ft2-%s", swb_test_unique());
        r = step(session, "llm-ft", "what tours do you have in Yogyakarta", "tour",
                 "search_tours_by_destination", "{\"destination\":\"Yogyakarta\"}");
        assert_true(json_integer_value(json_object_get(r, "count")) > 0);
        json_decref(r);
        assert_int_equal(tools_offered("search_tours_by_destination", &names), 7);
        json_decref(names);
}

/* A redelivered request is answered from the inbox: same reply, no model call. */
static void test_replay_answered_from_inbox(void **state)
{
        char session[64];
        json_t *req, *r1, *r2;
        char *again;
        uint64_t calls;
        snprintf(session, sizeof(session), "llm-replay-%s", swb_test_unique());
        pthread_mutex_lock(&T.lock);
        snprintf(T.tool, sizeof(T.tool), "search_hotels_by_location");
        snprintf(T.args, sizeof(T.args), "{\"location\":\"Lombok\"}");
        pthread_mutex_unlock(&T.lock);
        req = swb_test_request(session, "Find me a hotel in Lombok", "en");
        r1 = swb_test_ask(T.p, req, 30000);
        calls = swb_fake_llm_request_count(T.fake);
        again = json_dumps(req, 0); /* the same request_id, as a redelivery would have */
        json_decref(req);
        req = json_loads(again, 0, NULL);
        free(again);
        r2 = swb_test_ask(T.p, req, 30000);
        assert_string_equal(json_string_value(json_object_get(r1, "reply_id")),
                            json_string_value(json_object_get(r2, "reply_id")));
        assert_string_equal(json_string_value(json_object_get(r1, "text")),
                            json_string_value(json_object_get(r2, "text")));
        assert_int_equal(swb_fake_llm_request_count(T.fake), calls);
        json_decref(r1);
        json_decref(r2);
        json_decref(req);
}

static void test_unknown_tool_is_not_run(void **state)
{
        char session[64];
        json_t *r;
        snprintf(session, sizeof(session), "llm-unknown-%s", swb_test_unique());
        r = step(session, "llm-u", "Find me a hotel in Bali", "hotel", "drop_all_tables", "{}");
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                "unknown_tool");
        json_decref(r);
        r = step(session, "llm-u", "hotel in Bali with stars", "hotel",
                 "search_hotels_by_location", "{\"location\":\"Bali\",\"user_id\":\"x\"}");
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                "invalid_argument");
        json_decref(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hotel_booking_flow),
                cmocka_unit_test(test_stream_and_usage),
                cmocka_unit_test(test_flight_and_tour_agents),
                cmocka_unit_test(test_replay_answered_from_inbox),
                cmocka_unit_test(test_unknown_tool_is_not_run),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
