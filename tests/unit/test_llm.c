/*
 * swb_llm against the scripted fake server (tests/support/swb_fake_llm), and
 * swb_llm_decode on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "swb_fake_llm.h"
#include "swb_llm.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_test.h"

#define API_KEY "sk-test-SECRET-4f1c9a"

/* ---- helpers ------------------------------------------------------------------ */

typedef struct call {
        bool done;
        swb_llm_result_t *res;
        int64_t t_done;
        char content[4096]; /* content deltas, concatenated */
        int n_content;
        char tools[512];   /* TOOL_START deltas: "idx:id:name;" */
        char args[2][512]; /* TOOL_ARGS deltas per index */
} call_t;

static void on_done(void *opaque, swb_llm_result_t *res)
{
        call_t *c = opaque;
        assert_false(c->done);
        c->done = true;
        c->res = res;
        c->t_done = swb_test_now_ms();
}

static void on_delta(void *opaque, const swb_llm_delta_t *d)
{
        call_t *c = opaque;
        assert_true(d->len > 0);
        assert_int_equal(strlen(d->text), d->len);
        switch (d->kind) {
        case SWB_LLM_DELTA_CONTENT:
                strncat(c->content, d->text,
                        sizeof(c->content) - strlen(c->content) - 1);
                c->n_content++;
                break;
        case SWB_LLM_DELTA_TOOL_START: {
                char s[128];
                snprintf(s, sizeof(s), "%d:%s:%s;", d->tool_index, d->tool_id, d->text);
                strncat(c->tools, s, sizeof(c->tools) - strlen(c->tools) - 1);
                break;
        }
        case SWB_LLM_DELTA_TOOL_ARGS:
                assert_true(d->tool_index >= 0 && d->tool_index < 2);
                strncat(c->args[d->tool_index], d->text,
                        sizeof(c->args[0]) - strlen(c->args[d->tool_index]) - 1);
                break;
        }
}

static void call_reset(call_t *c)
{
        swb_llm_result_destroy(c->res);
        memset(c, 0, sizeof(*c));
}

static swb_fake_llm_t *fake_new(void)
{
        char err[256];
        struct swb_fake_llm_opts o = {.api_key = API_KEY};
        swb_fake_llm_t *f = swb_fake_llm_new(&o, err, sizeof(err));
        if (!f)
                fail_msg("fake: %s", err);
        return f;
}

static swb_llm_t *llm_new(const char *url, const struct swb_llm_opts *extra)
{
        struct swb_llm_opts o = {0};
        char err[256];
        swb_llm_t *llm;

        if (extra)
                o = *extra;
        o.base_url = url;
        if (!o.model)
                o.model = "gpt-test";
        if (!o.api_key)
                o.api_key = API_KEY;
        llm = swb_llm_new(&o, err, sizeof(err));
        if (!llm)
                fail_msg("llm: %s", err);
        return llm;
}

static json_t *messages(const char *user)
{
        return json_pack("[{s:s, s:s}, {s:s, s:s}]", "role", "system", "content",
                         "You are a travel assistant.", "role", "user", "content",
                         user);
}

static json_t *tools(void)
{
        return json_pack("[{s:s, s:{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}}]", "type",
                         "function", "function", "name", "search_hotels_by_location",
                         "description", "Hotels in a city", "parameters", "type",
                         "object", "properties", "location", "type", "string",
                         "required", "location");
}

/* Poll until every call in cs[0..n) is done or the (scaled) deadline passes. */
static bool run(swb_llm_t *llm, call_t *cs, size_t n, int64_t timeout_ms)
{
        int64_t deadline = swb_test_deadline(timeout_ms);
        for (;;) {
                size_t done = 0;
                for (size_t i = 0; i < n; i++)
                        done += cs[i].done;
                if (done == n)
                        return true;
                if (swb_test_now_ms() >= deadline)
                        return false;
                swb_llm_poll(llm, 50);
        }
}

/* One call with the given stream mode; waits for it. */
static void call1(swb_llm_t *llm, call_t *c, enum swb_llm_stream_mode mode,
                  const json_t *tl)
{
        json_t *m = messages("Find me a hotel in Bali");
        struct swb_llm_call_opts co = {.stream = mode, .request_id = "req-1"};

        call_reset(c);
        assert_int_equal(swb_llm_call(llm, m, tl, &co, on_done, on_delta, c), SWB_OK);
        json_decref(m);
        assert_true(run(llm, c, 1, 10000));
}

/* ---- plain and tool-call completions ------------------------------------------ */

static void test_completion(void **state)
{
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        json_t *tl = tools(), *reqs, *body, *m = messages("Find me a hotel in Bali");
        call_t c = {0};
        (void)state;

        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.content = "Hello there",
                                                          .prompt_tokens = 11,
                                                          .completion_tokens = 3});
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, tl);
        assert_int_equal(c.res->err, SWB_OK);
        assert_int_equal(c.res->http_status, 200);
        assert_string_equal(c.res->content, "Hello there");
        assert_string_equal(c.res->finish_reason, "stop");
        assert_string_equal(c.res->model, "gpt-test");
        assert_string_equal(c.res->id, "chatcmpl-fake-0");
        assert_true(c.res->has_usage);
        assert_int_equal(c.res->usage.prompt_tokens, 11);
        assert_int_equal(c.res->usage.completion_tokens, 3);
        assert_int_equal(c.res->usage.total_tokens, 14);
        assert_int_equal(c.res->n_tool_calls, 0);
        assert_false(c.res->streamed);
        assert_true(c.res->latency_ms >= 0 && c.res->first_byte_ms >= 0);
        assert_int_equal(c.n_content, 0);

        /* What was sent: path, key, model, messages and tools as given, no stream. */
        reqs = swb_fake_llm_requests(f);
        assert_int_equal(json_array_size(reqs), 1);
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(reqs, 0), "path")),
            "/v1/chat/completions");
        assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0),
                                                              "authorization")),
                            "Bearer " API_KEY);
        body = json_object_get(json_array_get(reqs, 0), "body");
        assert_string_equal(json_string_value(json_object_get(body, "model")),
                            "gpt-test");
        assert_true(json_equal(json_object_get(body, "messages"), m));
        assert_true(json_equal(json_object_get(body, "tools"), tl));
        assert_null(json_object_get(body, "stream"));
        json_decref(reqs);

        /* Per-call model and extra body fields; no tools when none are given. */
        {
                json_t *extra =
                    json_pack("{s:f, s:s}", "temperature", 0.25, "tool_choice", "none");
                struct swb_llm_call_opts co = {.model = "gpt-other", .extra = extra};
                call_reset(&c);
                assert_int_equal(swb_llm_call(llm, m, NULL, &co, on_done, NULL, &c),
                                 SWB_OK);
                assert_true(run(llm, &c, 1, 10000));
                assert_int_equal(c.res->err, SWB_OK);
                assert_string_equal(c.res->content, "ok"); /* the default reply */
                reqs = swb_fake_llm_requests(f);
                body = json_object_get(json_array_get(reqs, 1), "body");
                assert_string_equal(json_string_value(json_object_get(body, "model")),
                                    "gpt-other");
                assert_string_equal(
                    json_string_value(json_object_get(body, "tool_choice")), "none");
                assert_true(json_real_value(json_object_get(body, "temperature")) ==
                            0.25);
                assert_null(json_object_get(body, "tools"));
                json_decref(reqs);
                json_decref(extra);
        }

        /* Bad arguments: refused at once, no callback ever. */
        call_reset(&c);
        {
                json_t *obj = json_object(), *extra = json_string("x");
                struct swb_llm_call_opts co = {.extra = extra};
                assert_int_equal(swb_llm_call(llm, obj, NULL, NULL, on_done, NULL, &c),
                                 SWB_ERR_INVALID_ARG);
                assert_int_equal(swb_llm_call(llm, m, obj, NULL, on_done, NULL, &c),
                                 SWB_ERR_INVALID_ARG);
                assert_int_equal(swb_llm_call(llm, m, NULL, &co, on_done, NULL, &c),
                                 SWB_ERR_INVALID_ARG);
                json_decref(obj);
                json_decref(extra);
        }
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, NULL, NULL, &c),
                         SWB_ERR_INVALID_ARG);
        assert_int_equal(swb_llm_inflight(llm), 0);
        assert_int_equal(swb_llm_timeout_ms(llm), -1);
        assert_int_equal(swb_llm_poll(llm, 0), 0);
        assert_false(c.done);

        call_reset(&c);
        json_decref(m);
        json_decref(tl);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

/* The next round of the loop, started from the done callback. */
typedef struct {
        swb_llm_t *llm;
        call_t first, second;
        json_t *msgs;
} loop_t;

static void on_first_done(void *opaque, swb_llm_result_t *res)
{
        loop_t *l = opaque;
        json_t *m = l->msgs;

        on_done(&l->first, res);
        json_array_append_new(m, swb_llm_result_message(res));
        for (size_t i = 0; i < res->n_tool_calls; i++)
                json_array_append_new(
                    m, json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id",
                                 res->tool_calls[i].id, "content", "{\"hotels\":[]}"));
        assert_int_equal(swb_llm_call(l->llm, m, NULL, NULL, on_done, NULL, &l->second),
                         SWB_OK);
}

static void test_tool_calls(void **state)
{
        static const struct swb_fake_llm_tool_call tcs[] = {
            {.id = "call_abc",
             .name = "search_hotels_by_location",
             .arguments = "{\"location\":\"Bali\"}"},
            {.name = "get_hotel_details", .arguments = "{\"hotel_id\": 42}"},
        };
        swb_fake_llm_t *f = fake_new();
        loop_t l = {.msgs = messages("Find me a hotel in Bali")};
        json_t *tl = tools(), *reqs, *sent;
        swb_llm_result_t *r;
        (void)state;

        l.llm = llm_new(swb_fake_llm_url(f), NULL);
        swb_fake_llm_push(
            f, &(struct swb_fake_llm_reply){.tool_calls = tcs, .n_tool_calls = 2});
        swb_fake_llm_push(
            f, &(struct swb_fake_llm_reply){.content = "Here are the hotels."});
        assert_int_equal(swb_llm_call(l.llm, l.msgs, tl, NULL, on_first_done, NULL, &l),
                         SWB_OK);
        assert_true(run(l.llm, &l.second, 1, 10000));

        r = l.first.res;
        assert_int_equal(r->err, SWB_OK);
        assert_null(r->content);
        assert_string_equal(r->finish_reason, "tool_calls");
        assert_int_equal(r->n_tool_calls, 2);
        assert_string_equal(r->tool_calls[0].id, "call_abc");
        assert_string_equal(r->tool_calls[0].name, "search_hotels_by_location");
        assert_string_equal(r->tool_calls[0].arguments, "{\"location\":\"Bali\"}");
        assert_string_equal(r->tool_calls[1].id, "call_0_1"); /* the fake's id */
        assert_string_equal(r->tool_calls[1].name, "get_hotel_details");
        assert_string_equal(r->tool_calls[1].arguments, "{\"hotel_id\": 42}");

        assert_int_equal(l.second.res->err, SWB_OK);
        assert_string_equal(l.second.res->content, "Here are the hotels.");
        /* The second request carried the assistant message and both tool results. */
        reqs = swb_fake_llm_requests(f);
        sent = json_object_get(json_object_get(json_array_get(reqs, 1), "body"),
                               "messages");
        assert_int_equal(json_array_size(sent), 5);
        assert_true(json_equal(sent, l.msgs));
        assert_string_equal(
            json_string_value(json_object_get(
                json_object_get(
                    json_array_get(
                        json_object_get(json_array_get(sent, 2), "tool_calls"), 1),
                    "function"),
                "arguments")),
            "{\"hotel_id\": 42}");
        assert_true(json_is_null(json_object_get(json_array_get(sent, 2), "content")));
        json_decref(reqs);

        call_reset(&l.first);
        call_reset(&l.second);
        json_decref(l.msgs);
        json_decref(tl);
        swb_llm_destroy(l.llm);
        swb_fake_llm_destroy(f);
}

/* ---- streaming ------------------------------------------------------------------- */

static void test_stream_content(void **state)
{
        const char *text =
            "Hello, w\xC3\xB6rld! \xE4\xBD\xA0\xE5\xA5\xBD - Bali has 3 hotels.";
        swb_fake_llm_t *f = fake_new();
        struct swb_llm_opts o = {.stream = true};
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), &o);
        json_t *reqs, *req, *body;
        call_t c = {0};
        (void)state;

        /* Pieces of 3 bytes, written 7 bytes at a time: events cut anywhere. */
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.content = text,
                                                          .piece = 3,
                                                          .max_write = 7,
                                                          .event_delay_ms = 1,
                                                          .prompt_tokens = 21,
                                                          .completion_tokens = 9});
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_OK);
        assert_true(c.res->streamed);
        assert_string_equal(c.res->content, text);
        assert_string_equal(c.content, text);
        assert_true(c.n_content > 5);
        assert_string_equal(c.res->finish_reason, "stop");
        assert_true(c.res->has_usage);
        assert_int_equal(c.res->usage.prompt_tokens, 21);
        assert_int_equal(c.res->usage.completion_tokens, 9);
        assert_int_equal(c.res->usage.total_tokens, 30);
        assert_string_equal(c.res->id, "chatcmpl-fake-0");

        reqs = swb_fake_llm_requests(f);
        req = json_array_get(reqs, 0);
        body = json_object_get(req, "body");
        assert_true(json_is_true(json_object_get(body, "stream")));
        assert_true(json_is_true(
            json_object_get(json_object_get(body, "stream_options"), "include_usage")));
        assert_string_equal(json_string_value(json_object_get(req, "accept")),
                            "text/event-stream");
        json_decref(reqs);

        /* CRLF line ends and no [DONE]: finish_reason is enough. */
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){
                                 .content = "crlf", .crlf = true, .omit_done = true});
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_OK);
        assert_string_equal(c.res->content, "crlf");

        /* The server may ignore "stream": a JSON answer is taken as it is. */
        swb_fake_llm_push(
            f, &(struct swb_fake_llm_reply){.content = "json", .stream = -1});
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_OK);
        assert_false(c.res->streamed);
        assert_string_equal(c.res->content, "json");

        /* And a call can turn streaming off. */
        call1(llm, &c, SWB_LLM_STREAM_OFF, NULL);
        assert_int_equal(c.res->err, SWB_OK);
        assert_false(c.res->streamed);

        call_reset(&c);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

static void test_stream_tool_calls(void **state)
{
        static const struct swb_fake_llm_tool_call tcs[] = {
            {.id = "call_1",
             .name = "search_hotels_by_location",
             .arguments = "{\"location\":\"Denpasar, Bali\",\"guests\":2}"},
            {.id = "call_2",
             .name = "search_flights_by_route",
             .arguments = "{\"from\":\"CGK\",\"to\":\"DPS\"}"},
        };
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        json_t *tl = tools();
        call_t c = {0};
        (void)state;

        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.tool_calls = tcs,
                                                          .n_tool_calls = 2,
                                                          .piece = 5,
                                                          .max_write = 11,
                                                          .prompt_tokens = 50,
                                                          .completion_tokens = 20});
        call1(llm, &c, SWB_LLM_STREAM_ON, tl);
        assert_int_equal(c.res->err, SWB_OK);
        assert_true(c.res->streamed);
        assert_null(c.res->content);
        assert_string_equal(c.res->finish_reason, "tool_calls");
        assert_int_equal(c.res->n_tool_calls, 2);
        for (int i = 0; i < 2; i++) {
                assert_string_equal(c.res->tool_calls[i].id, tcs[i].id);
                assert_string_equal(c.res->tool_calls[i].name, tcs[i].name);
                assert_string_equal(c.res->tool_calls[i].arguments, tcs[i].arguments);
                assert_string_equal(c.args[i], tcs[i].arguments);
        }
        assert_string_equal(
            c.tools,
            "0:call_1:search_hotels_by_location;1:call_2:search_flights_by_route;");
        assert_int_equal(c.n_content, 0);
        assert_int_equal(c.res->usage.prompt_tokens, 50);
        assert_int_equal(c.res->usage.total_tokens, 70);

        call_reset(&c);
        json_decref(tl);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

/* ---- HTTP errors ---------------------------------------------------------------- */

static void expect_error(swb_llm_t *llm, swb_fake_llm_t *f,
                         const struct swb_fake_llm_reply *reply, swb_err_t err,
                         int status, int64_t ra_min, int64_t ra_max)
{
        call_t c = {0};

        swb_fake_llm_push(f, reply);
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        if (c.res->err != err)
                fail_msg("want %s, got %s (%s)", swb_err2str(err),
                         swb_err2str(c.res->err), c.res->errmsg);
        assert_int_equal(c.res->http_status, status);
        if (c.res->retry_after_ms < ra_min || c.res->retry_after_ms > ra_max)
                fail_msg("retry_after_ms %lld not in [%lld, %lld]",
                         (long long)c.res->retry_after_ms, (long long)ra_min,
                         (long long)ra_max);
        assert_true(c.res->errmsg[0] != '\0');
        assert_null(c.res->content);
        call_reset(&c);
}

static void test_http_errors(void **state)
{
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        char date[64];
        const char *hdr =
            "x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 1.5s\n"
            "x-ratelimit-remaining-tokens: 100\nx-ratelimit-reset-tokens: 6m0s";
        time_t t = time(NULL) + 30;
        struct tm tm;
        (void)state;

        /* 429 with Retry-After in seconds: unavailable, retriable, hint kept. */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR,
                                                  .status = 429,
                                                  .message = "Rate limit reached",
                                                  .retry_after = "2"},
                     SWB_ERR_UNAVAILABLE, 429, 2000, 2000);
        assert_true(swb_err_is_retriable(SWB_ERR_UNAVAILABLE));
        /* ... as an HTTP-date */
        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR,
                                                  .status = 429,
                                                  .retry_after = date},
                     SWB_ERR_UNAVAILABLE, 429, 27000, 31000);
        /* ... OpenAI's retry-after-ms wins over Retry-After */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR,
                                                  .status = 429,
                                                  .retry_after = "9",
                                                  .headers = "retry-after-ms: 1500"},
                     SWB_ERR_UNAVAILABLE, 429, 1500, 1500);
        /* ... x-ratelimit-reset-* of the bucket that ran dry */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){
                         .kind = SWB_FAKE_LLM_ERROR, .status = 429, .headers = hdr},
                     SWB_ERR_UNAVAILABLE, 429, 1500, 1500);
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR,
                                         .status = 429,
                                         .headers = "x-ratelimit-remaining-tokens: 0\n"
                                                    "x-ratelimit-reset-tokens: 1m2.5s"},
            SWB_ERR_UNAVAILABLE, 429, 62500, 62500);
        /* 429 without any hint */
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR, .status = 429},
            SWB_ERR_UNAVAILABLE, 429, -1, -1);

        /* 5xx: unavailable, retriable */
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR, .status = 500},
            SWB_ERR_UNAVAILABLE, 500, -1, -1);
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){
                         .kind = SWB_FAKE_LLM_ERROR, .status = 503, .retry_after = "1"},
                     SWB_ERR_UNAVAILABLE, 503, 1000, 1000);
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR, .status = 502},
            SWB_ERR_UNAVAILABLE, 502, -1, -1);

        /* 4xx: permanent */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR,
                                                  .status = 400,
                                                  .message = "Invalid 'messages'"},
                     SWB_ERR_INVALID_ARG, 400, -1, -1);
        assert_false(swb_err_is_retriable(SWB_ERR_INVALID_ARG));
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR, .status = 403},
            SWB_ERR_FORBIDDEN, 403, -1, -1);
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR, .status = 404},
            SWB_ERR_NOT_FOUND, 404, -1, -1);
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_ERROR, .status = 408},
            SWB_ERR_TIMEOUT, 408, -1, -1);

        /* Malformed bodies: decode, permanent. */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_MALFORMED},
                     SWB_ERR_DECODE, 200, -1, -1);
        assert_false(swb_err_is_retriable(SWB_ERR_DECODE));
        expect_error(
            llm, f,
            &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_MALFORMED, .stream = 1},
            SWB_ERR_DECODE, 200, -1, -1);
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_RAW,
                                                  .body = "{\"choices\":[]}"},
                     SWB_ERR_DECODE, 200, -1, -1);
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_RAW,
                                                  .body = "<html>Bad Gateway</html>",
                                                  .content_type = "text/html"},
                     SWB_ERR_DECODE, 200, -1, -1);
        /* An error object in a 200 (some proxies): unavailable. */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){
                         .kind = SWB_FAKE_LLM_RAW,
                         .body = "{\"error\":{\"message\":\"overloaded\"}}"},
                     SWB_ERR_UNAVAILABLE, 200, -1, -1);
        /* ... or in the stream */
        expect_error(llm, f,
                     &(struct swb_fake_llm_reply){
                         .kind = SWB_FAKE_LLM_RAW,
                         .content_type = "text/event-stream",
                         .body = "data: {\"error\":{\"message\":\"overloaded\"}}\n\n"},
                     SWB_ERR_UNAVAILABLE, 200, -1, -1);
        swb_llm_destroy(llm);

        /* A wrong key: 401, forbidden. */
        {
                struct swb_llm_opts o = {.api_key = "sk-wrong-key-123"};
                call_t c = {0};
                llm = llm_new(swb_fake_llm_url(f), &o);
                call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
                assert_int_equal(c.res->err, SWB_ERR_FORBIDDEN);
                assert_int_equal(c.res->http_status, 401);
                assert_false(swb_err_is_retriable(c.res->err));
                call_reset(&c);
                swb_llm_destroy(llm);
        }
        swb_fake_llm_destroy(f);
}

static void test_too_large(void **state)
{
        swb_fake_llm_t *f = fake_new();
        struct swb_llm_opts o = {.max_response_bytes = 512};
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), &o);
        char big[2048];
        call_t c = {0};
        (void)state;

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.content = big});
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_ERR_TOO_LARGE);
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.content = big});
        call1(llm, &c, SWB_LLM_STREAM_ON, NULL);
        assert_int_equal(c.res->err, SWB_ERR_TOO_LARGE);
        call_reset(&c);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

/* ---- transport: refused, stalls, deadlines ------------------------------------ */

static void test_refused(void **state)
{
        /* A bound socket that does not listen: connections are refused. */
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(sin);
        char url[64];
        swb_llm_t *llm;
        call_t c = {0};
        (void)state;

        assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", ntohs(sin.sin_port));
        llm = llm_new(url, NULL);
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_ERR_TRANSPORT);
        assert_true(swb_err_is_retriable(c.res->err));
        assert_int_equal(c.res->http_status, 0);
        call_reset(&c);
        swb_llm_destroy(llm);
        close(s);
}

static void test_stall_timeout(void **state)
{
        swb_fake_llm_t *f = fake_new();
        struct swb_llm_opts o = {.timeout_ms = 300};
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), &o);
        json_t *m = messages("hi");
        call_t c = {0};
        int64_t t0, took;
        (void)state;

        /* A stall without end: the call's deadline ends it. */
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_STALL,
                                                          .stall_ms = -1});
        t0 = swb_test_now_ms();
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done, NULL, &c), SWB_OK);
        assert_true(run(llm, &c, 1, 5000));
        took = c.t_done - t0;
        assert_int_equal(c.res->err, SWB_ERR_TIMEOUT);
        assert_true(swb_err_is_retriable(c.res->err));
        assert_true(c.res->latency_ms >= 300);
        if (took < 290 || took > 300 + (int64_t)(700 * swb_test_tmout_multip()))
                fail_msg("timed out after %lld ms, want ~300", (long long)took);
        call_reset(&c);

        /* A late answer (delay longer than the timeout) is a timeout too. */
        swb_fake_llm_push(
            f, &(struct swb_fake_llm_reply){.content = "late", .delay_ms = 2000});
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done, NULL, &c), SWB_OK);
        assert_true(run(llm, &c, 1, 5000));
        assert_int_equal(c.res->err, SWB_ERR_TIMEOUT);
        call_reset(&c);
        swb_llm_destroy(llm);

        /* A stream that stalls mid-way: the idle timeout ends it long before the
         * deadline. */
        o = (struct swb_llm_opts){
            .timeout_ms = 30000, .idle_timeout_ms = 300, .stream = true};
        llm = llm_new(swb_fake_llm_url(f), &o);
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.content = "abcdefgh",
                                                          .piece = 2,
                                                          .stall_after_events = 3,
                                                          .stall_ms = -1});
        t0 = swb_test_now_ms();
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done, on_delta, &c),
                         SWB_OK);
        assert_true(run(llm, &c, 1, 5000));
        took = c.t_done - t0;
        assert_int_equal(c.res->err, SWB_ERR_TIMEOUT);
        assert_non_null(strstr(c.res->errmsg, "stalled"));
        assert_string_equal(c.content, "abcd"); /* role chunk + 2 pieces came first */
        if (took > 300 + (int64_t)(1000 * swb_test_tmout_multip()))
                fail_msg("stall noticed after %lld ms", (long long)took);
        call_reset(&c);
        swb_llm_destroy(llm);

        json_decref(m);
        swb_fake_llm_destroy(f);
}

/* The fake destroyed while it holds a stall: it returns at once; the call sees a
 * transport error. */
static void test_fake_destroy_mid_stall(void **state)
{
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        json_t *m = messages("hi");
        call_t c[3] = {{0}};
        int64_t t0;
        (void)state;

        swb_fake_llm_set_default(f, &(struct swb_fake_llm_reply){
                                        .kind = SWB_FAKE_LLM_STALL, .stall_ms = -1});
        for (int i = 0; i < 3; i++)
                assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done, NULL, &c[i]),
                                 SWB_OK);
        t0 = swb_test_deadline(5000);
        while (swb_fake_llm_request_count(f) < 3 && swb_test_now_ms() < t0)
                swb_llm_poll(llm, 20);
        assert_int_equal(swb_fake_llm_request_count(f), 3);
        assert_int_equal(swb_fake_llm_active(f), 3);
        t0 = swb_test_now_ms();
        swb_fake_llm_destroy(f);
        assert_true(swb_test_now_ms() - t0 < (int64_t)(2000 * swb_test_tmout_multip()));
        assert_true(run(llm, c, 3, 5000));
        for (int i = 0; i < 3; i++) {
                assert_int_equal(c[i].res->err, SWB_ERR_TRANSPORT);
                call_reset(&c[i]);
        }
        json_decref(m);
        swb_llm_destroy(llm);
}

/* Deadlines follow the injected clock, not the wall clock. */
static int64_t fake_now(void *opaque)
{
        return *(int64_t *)opaque;
}

static void test_fake_clock(void **state)
{
        swb_fake_llm_t *f = fake_new();
        int64_t now = 1000000;
        swb_llm_clock_t clock = {fake_now, &now};
        struct swb_llm_opts o = {.timeout_ms = 1000, .clock = &clock};
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), &o);
        json_t *m = messages("hi");
        call_t c = {0};
        (void)state;

        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.kind = SWB_FAKE_LLM_STALL,
                                                          .stall_ms = -1});
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done, NULL, &c), SWB_OK);
        assert_int_equal(swb_llm_timeout_ms(llm), 0); /* queued, a slot is free */
        for (int i = 0; i < 10 && swb_fake_llm_request_count(f) < 1; i++)
                swb_llm_poll(llm, 50);
        assert_true(swb_fake_llm_wait_requests(f, 1, 5000));
        now += 999;
        swb_llm_poll(llm, 20);
        assert_false(c.done);
        assert_true(swb_llm_timeout_ms(llm) <= 1);
        now += 1;
        assert_int_equal(swb_llm_poll(llm, 0), 1);
        assert_true(c.done);
        assert_int_equal(c.res->err, SWB_ERR_TIMEOUT);
        assert_int_equal(c.res->latency_ms, 1000);
        call_reset(&c);
        json_decref(m);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

/* ---- many calls at once ---------------------------------------------------------- */

static void concurrent(int n, int delay_ms, int64_t max_ms, int min_peak)
{
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        json_t *m = messages("hi");
        call_t *cs = swb_calloc((size_t)n, sizeof(*cs));
        size_t max_inflight = 0;
        int64_t t0 = swb_test_now_ms(), took, deadline;

        swb_fake_llm_set_default(
            f, &(struct swb_fake_llm_reply){.content = "ok", .delay_ms = delay_ms});
        for (int i = 0; i < n; i++)
                assert_int_equal(
                    swb_llm_call(llm, m, NULL, NULL, on_done, NULL, &cs[i]), SWB_OK);
        deadline = swb_test_deadline(max_ms);
        for (;;) {
                size_t done = 0;
                for (int i = 0; i < n; i++)
                        done += cs[i].done;
                if ((int)done == n || swb_test_now_ms() > deadline)
                        break;
                if (swb_llm_inflight(llm) > max_inflight)
                        max_inflight = swb_llm_inflight(llm);
                swb_llm_poll(llm, 100);
        }
        took = swb_test_now_ms() - t0;
        print_message("%d calls of %d ms: %lld ms, %d at once in the server\n", n,
                      delay_ms, (long long)took, swb_fake_llm_peak_active(f));
        for (int i = 0; i < n; i++) {
                assert_true(cs[i].done);
                if (cs[i].res->err)
                        fail_msg("call %d: %s", i, cs[i].res->errmsg);
                assert_string_equal(cs[i].res->content, "ok");
                call_reset(&cs[i]);
        }
        assert_int_equal(swb_fake_llm_request_count(f), n);
        assert_true(swb_fake_llm_peak_active(f) >= min_peak);
        assert_int_equal(max_inflight, n);
        assert_true(took < (int64_t)((double)max_ms * swb_test_tmout_multip()));
        swb_free(cs);
        json_decref(m);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

static void test_concurrent_300(void **state)
{
        (void)state;
        /* In series this would take 60 s. */
        concurrent(300, 200, 5000, 250);
}

static void test_concurrent_600(void **state)
{
        (void)state;
        /* >= 500 model calls in flight from one thread. */
        concurrent(600, 1000, 8000, 550);
}

static void test_max_inflight(void **state)
{
        swb_fake_llm_t *f = fake_new();
        struct swb_llm_opts o = {.max_inflight = 2};
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), &o);
        json_t *m = messages("hi");
        call_t cs[6] = {{0}};
        (void)state;

        swb_fake_llm_set_default(
            f, &(struct swb_fake_llm_reply){.content = "ok", .delay_ms = 50});
        for (int i = 0; i < 6; i++)
                assert_int_equal(
                    swb_llm_call(llm, m, NULL, NULL, on_done, NULL, &cs[i]), SWB_OK);
        assert_true(run(llm, cs, 6, 10000));
        for (int i = 0; i < 6; i++) {
                assert_int_equal(cs[i].res->err, SWB_OK);
                call_reset(&cs[i]);
        }
        assert_int_equal(swb_fake_llm_peak_active(f), 2);
        json_decref(m);
        swb_llm_destroy(llm);
        swb_fake_llm_destroy(f);
}

/* ---- cancel and destroy ---------------------------------------------------------- */

typedef struct {
        swb_llm_t *llm;
        call_t c;
        swb_err_t recall;
} destroy_t;

static void on_done_recall(void *opaque, swb_llm_result_t *res)
{
        destroy_t *d = opaque;
        json_t *m = json_array();
        on_done(&d->c, res);
        d->recall = swb_llm_call(d->llm, m, NULL, NULL, on_done, NULL, &d->c);
        json_decref(m);
}

static void test_cancel_destroy(void **state)
{
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        json_t *m = messages("hi");
        destroy_t a = {.llm = llm}, b = {.llm = llm}, x = {.llm = llm};
        int64_t t0;
        (void)state;

        swb_fake_llm_set_default(
            f, &(struct swb_fake_llm_reply){.content = "ok", .delay_ms = 10000});
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done_recall, NULL, &a),
                         SWB_OK);
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done_recall, NULL, &b),
                         SWB_OK);
        assert_int_equal(swb_llm_call(llm, m, NULL, NULL, on_done_recall, NULL, &x),
                         SWB_OK);
        t0 = swb_test_deadline(5000);
        while (swb_fake_llm_request_count(f) < 3 && swb_test_now_ms() < t0)
                swb_llm_poll(llm, 20);
        assert_int_equal(swb_llm_inflight(llm), 3);
        assert_int_equal(swb_llm_cancel(llm, &x), 1);
        assert_int_equal(swb_llm_cancel(llm, &x), 0);
        assert_int_equal(swb_llm_inflight(llm), 2);
        swb_llm_poll(llm, 0);

        /* Destroy completes what is left, on this thread; new calls are refused. */
        swb_llm_destroy(llm);
        assert_true(a.c.done && b.c.done);
        assert_false(x.c.done);
        assert_int_equal(a.c.res->err, SWB_ERR_UNAVAILABLE);
        assert_non_null(strstr(a.c.res->errmsg, "destroyed"));
        assert_int_equal(b.c.res->err, SWB_ERR_UNAVAILABLE);
        assert_int_equal(a.recall, SWB_ERR_UNAVAILABLE);
        call_reset(&a.c);
        call_reset(&b.c);
        json_decref(m);
        swb_fake_llm_destroy(f);
        swb_llm_destroy(NULL);
}

/* A streaming call that cancels itself from its own on_delta: no done callback. */
typedef struct {
        swb_llm_t *llm;
        call_t c;
        size_t cancelled;
} self_cancel_t;

static void on_delta_cancel(void *opaque, const swb_llm_delta_t *d)
{
        self_cancel_t *s = opaque;
        (void)d;
        s->cancelled += swb_llm_cancel(s->llm, s);
}

static void on_done_never(void *opaque, swb_llm_result_t *res)
{
        (void)opaque;
        swb_llm_result_destroy(res);
        fail_msg("a cancelled call completed");
}

static void test_cancel_from_delta(void **state)
{
        swb_fake_llm_t *f = fake_new();
        struct swb_llm_opts o = {.stream = true};
        self_cancel_t s = {0};
        json_t *m = messages("hi");
        int64_t deadline = swb_test_deadline(5000);
        (void)state;

        s.llm = llm_new(swb_fake_llm_url(f), &o);
        swb_fake_llm_push(f, &(struct swb_fake_llm_reply){.content = "one two three",
                                                          .event_delay_ms = 20});
        assert_int_equal(
            swb_llm_call(s.llm, m, NULL, NULL, on_done_never, on_delta_cancel, &s),
            SWB_OK);
        while (swb_llm_inflight(s.llm) && swb_test_now_ms() < deadline)
                swb_llm_poll(s.llm, 20);
        assert_int_equal(swb_llm_inflight(s.llm), 0);
        assert_int_equal(s.cancelled, 1);
        /* The client is still usable. */
        call1(s.llm, &s.c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(s.c.res->err, SWB_OK);
        call_reset(&s.c);
        json_decref(m);
        swb_llm_destroy(s.llm);
        swb_fake_llm_destroy(f);
}

/* ---- the key stays secret ---------------------------------------------------------
 */

static void test_key_not_logged(void **state)
{
        char path[] = "/tmp/swb_test_llm_log_XXXXXX";
        int fd = mkstemp(path);
        swb_log_level_t old = swb_log_level;
        swb_fake_llm_t *f = fake_new();
        swb_llm_t *llm = llm_new(swb_fake_llm_url(f), NULL);
        json_t *reqs;
        call_t c = {0};
        char buf[65536];
        ssize_t n;
        (void)state;

        assert_true(fd >= 0);
        swb_log_set_fd(fd);
        swb_log_level = SWB_LOG_DEBUG;
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_OK);
        call1(llm, &c, SWB_LLM_STREAM_ON, NULL);
        assert_int_equal(c.res->err, SWB_OK);
        /* A server that echoes the key in its error message. */
        swb_fake_llm_push(f,
                          &(struct swb_fake_llm_reply){
                              .kind = SWB_FAKE_LLM_ERROR,
                              .status = 401,
                              .message = "Incorrect API key provided: " API_KEY "."});
        call1(llm, &c, SWB_LLM_STREAM_DEFAULT, NULL);
        assert_int_equal(c.res->err, SWB_ERR_FORBIDDEN);
        assert_null(strstr(c.res->errmsg, API_KEY));
        assert_non_null(strstr(c.res->errmsg, "Incorrect API key provided"));
        call_reset(&c);
        swb_llm_destroy(llm);
        swb_log_level = old;
        swb_log_set_fd(2);

        /* The key went out in the Authorization header ... */
        reqs = swb_fake_llm_requests(f);
        assert_int_equal(json_array_size(reqs), 3);
        for (size_t i = 0; i < 3; i++)
                assert_string_equal(json_string_value(json_object_get(
                                        json_array_get(reqs, i), "authorization")),
                                    "Bearer " API_KEY);
        json_decref(reqs);
        swb_fake_llm_destroy(f);

        /* ... and nowhere in the log, which did record the calls. */
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "llm call done"));
        assert_non_null(strstr(buf, "llm call failed"));
        assert_non_null(strstr(buf, "req-1"));
        assert_null(strstr(buf, API_KEY));
        close(fd);
        unlink(path);
}

/* ---- decoding without HTTP ---------------------------------------------------------
 */

static const char openai_stream[] =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_x\",\"type\":"
    "\"function\","
    "\"function\":{\"name\":\"book_hotel_room\",\"arguments\":\"\"}}],\"refusal\":null}"
    ","
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
    "[{\"index\":0,\"function\":{\"arguments\":\"{\\\"room\"}}]},\"finish_reason\":"
    "null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
    "[{\"index\":0,\"function\":{\"arguments\":\"_id\\\": "
    "7}\"}}]},\"finish_reason\":null}]}\r\n\r\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
    "[{\"index\":1,\"id\":\"call_y\",\"function\":{\"name\":\"get_hotels\","
    "\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":100,"
    "\"completion_tokens\":17,\"total_tokens\":117}}\n\n"
    "data: [DONE]\n\n";

static swb_llm_result_t *decode_cut(const char *s, size_t len, size_t cut1, size_t cut2,
                                    call_t *c)
{
        swb_llm_stream_t *st = swb_llm_stream_new(0, on_delta, c);
        swb_llm_result_t *res = swb_llm_result_new();

        assert_int_equal(swb_llm_stream_feed(st, s, cut1), SWB_OK);
        assert_int_equal(swb_llm_stream_feed(st, s + cut1, cut2 - cut1), SWB_OK);
        assert_int_equal(swb_llm_stream_feed(st, s + cut2, len - cut2), SWB_OK);
        swb_llm_stream_finish(st, res);
        swb_llm_stream_destroy(st);
        return res;
}

static void test_decode_stream_every_split(void **state)
{
        size_t len = sizeof(openai_stream) - 1;
        (void)state;

        /* Every first cut; for some of them, every second cut too. */
        for (size_t i = 0; i <= len; i += 1) {
                for (size_t j = i; j <= len; j += (i % 61 == 0 ? 1 : 151)) {
                        call_t c = {0};
                        swb_llm_result_t *r = decode_cut(openai_stream, len, i, j, &c);
                        assert_int_equal(r->err, SWB_OK);
                        assert_null(r->content);
                        assert_string_equal(r->id, "chatcmpl-1");
                        assert_string_equal(r->model, "gpt-4o");
                        assert_string_equal(r->finish_reason, "tool_calls");
                        assert_int_equal(r->n_tool_calls, 2);
                        assert_string_equal(r->tool_calls[0].id, "call_x");
                        assert_string_equal(r->tool_calls[0].name, "book_hotel_room");
                        assert_string_equal(r->tool_calls[0].arguments,
                                            "{\"room_id\": 7}");
                        assert_string_equal(r->tool_calls[1].id, "call_y");
                        assert_string_equal(r->tool_calls[1].arguments, "{}");
                        assert_int_equal(r->usage.total_tokens, 117);
                        assert_string_equal(
                            c.tools, "0:call_x:book_hotel_room;1:call_y:get_hotels;");
                        assert_string_equal(c.args[0], "{\"room_id\": 7}");
                        swb_llm_result_destroy(r);
                }
        }
}

static swb_err_t decode_one(const char *s, swb_llm_result_t **out)
{
        swb_llm_stream_t *st = swb_llm_stream_new(0, NULL, NULL);
        swb_llm_result_t *res = swb_llm_result_new();
        swb_err_t err;

        swb_llm_stream_feed(st, s, strlen(s));
        err = swb_llm_stream_finish(st, res);
        swb_llm_stream_destroy(st);
        if (out)
                *out = res;
        else
                swb_llm_result_destroy(res);
        return err;
}

static swb_err_t parse(const char *body, swb_llm_result_t *r)
{
        return swb_llm_parse_response(body, strlen(body), r);
}

static void test_decode_edges(void **state)
{
        swb_llm_result_t *r = swb_llm_result_new();
        (void)state;

        /* Streams */
        assert_int_equal(
            decode_one("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
                       NULL),
            SWB_ERR_TRANSPORT); /* cut before [DONE] and finish_reason */
        assert_int_equal(decode_one("data: [DONE]\n\n", NULL), SWB_ERR_DECODE);
        assert_int_equal(
            decode_one("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                       "\"a\"}}]}\n\ndata: {nope}\n\ndata: [DONE]\n\n",
                       NULL),
            SWB_ERR_DECODE);
        assert_int_equal(decode_one("event: error\ndata: overloaded\n\n", NULL),
                         SWB_ERR_UNAVAILABLE);
        assert_int_equal(
            decode_one(
                "data: "
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":"
                "999,\"function\":{\"name\":\"x\"}}]}}]}\n\ndata: [DONE]\n\n",
                NULL),
            SWB_ERR_DECODE);
        /* A tool call whose name never came. */
        assert_int_equal(
            decode_one(
                "data: "
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":"
                "1,\"function\":{\"name\":\"x\"}}]}}]}\n\ndata: [DONE]\n\n",
                NULL),
            SWB_ERR_DECODE);
        /* Servers without [DONE] or its final blank line; second choice ignored. */
        {
                swb_llm_result_t *o;
                assert_int_equal(
                    decode_one(
                        "data: "
                        "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"no\"}},"
                        "{\"index\":0,\"delta\":{\"content\":\"yes\"},"
                        "\"finish_reason\":\"length\"}]}",
                        &o),
                    SWB_OK);
                assert_string_equal(o->content, "yes");
                assert_string_equal(o->finish_reason, "length");
                swb_llm_result_destroy(o);
        }

        /* Bodies: lenient where servers differ. */
        assert_int_equal(
            parse("{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\","
                  "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}],"
                  "\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":"
                  "{\"k\":1}}}]}}]}",
                  r),
            SWB_OK);
        assert_string_equal(r->content, "ab");
        assert_int_equal(r->n_tool_calls, 1);
        assert_string_equal(r->tool_calls[0].id, "call_0");
        assert_string_equal(r->tool_calls[0].arguments, "{\"k\":1}");
        assert_false(r->has_usage);
        /* ... strict where the loop depends on it */
        assert_int_equal(parse("{\"choices\":[{\"message\":{\"tool_calls\":"
                               "[{\"function\":{}}]}}]}",
                               r),
                         SWB_ERR_DECODE);
        assert_int_equal(parse("[]", r), SWB_ERR_DECODE);
        assert_int_equal(parse("", r), SWB_ERR_DECODE);
        assert_int_equal(swb_llm_parse_response(NULL, 0, r), SWB_ERR_DECODE);
        assert_int_equal(parse("{\"error\":\"busy\"}", r), SWB_ERR_UNAVAILABLE);
        assert_non_null(strstr(r->errmsg, "busy"));
        swb_llm_result_destroy(r);
}

int main(void)
{
        swb_log_level = SWB_LOG_WARN; /* failed calls log at info */
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_completion),
            cmocka_unit_test(test_tool_calls),
            cmocka_unit_test(test_stream_content),
            cmocka_unit_test(test_stream_tool_calls),
            cmocka_unit_test(test_http_errors),
            cmocka_unit_test(test_too_large),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_stall_timeout),
            cmocka_unit_test(test_fake_destroy_mid_stall),
            cmocka_unit_test(test_fake_clock),
            cmocka_unit_test(test_concurrent_300),
            cmocka_unit_test(test_concurrent_600),
            cmocka_unit_test(test_max_inflight),
            cmocka_unit_test(test_cancel_destroy),
            cmocka_unit_test(test_cancel_from_delta),
            cmocka_unit_test(test_key_not_logged),
            cmocka_unit_test(test_decode_stream_every_split),
            cmocka_unit_test(test_decode_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
