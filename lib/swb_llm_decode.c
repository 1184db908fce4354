/*
 * swb_llm_decode - chat completion answers to swb_llm_result_t, without I/O.
 * See swb_llm_decode.h.
 */
#include "swb_llm_decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swb_buf.h"
#include "swb_mem.h"
#include "swb_sse.h"

#define SWB__LLM_MAX_EVENT      (4 * 1024 * 1024)
#define SWB__LLM_MAX_TOOL_CALLS 128

/* ---- small helpers ----------------------------------------------------------- */

static char *swb__json_strdup(const json_t *v)
{
        return json_is_string(v)
                   ? swb_strndup(json_string_value(v), json_string_length(v))
                   : NULL;
}

/* JSON text of `v` in a swb_malloc()ed string. */
static char *swb__json_text(const json_t *v)
{
        size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        char *s = swb_malloc(n + 1);
        json_dumpb(v, s, n, JSON_COMPACT | JSON_ENCODE_ANY);
        s[n] = '\0';
        return s;
}

static swb_err_t swb__fail(char *msg, size_t size, swb_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static swb_err_t swb__fail(char *msg, size_t size, swb_err_t err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
        return err;
}

/* ---- results ----------------------------------------------------------------- */

swb_llm_result_t *swb_llm_result_new(void)
{
        swb_llm_result_t *res = swb_calloc(1, sizeof(*res));
        res->retry_after_ms = -1;
        res->first_byte_ms = -1;
        return res;
}

static void swb__result_clear_answer(swb_llm_result_t *res)
{
        for (size_t i = 0; i < res->n_tool_calls; i++) {
                swb_free(res->tool_calls[i].id);
                swb_free(res->tool_calls[i].name);
                swb_free(res->tool_calls[i].arguments);
        }
        swb_free(res->tool_calls);
        swb_free(res->id);
        swb_free(res->model);
        swb_free(res->content);
        swb_free(res->finish_reason);
        res->tool_calls = NULL;
        res->n_tool_calls = 0;
        res->id = res->model = res->content = res->finish_reason = NULL;
        res->has_usage = false;
        memset(&res->usage, 0, sizeof(res->usage));
}

void swb_llm_result_destroy(swb_llm_result_t *res)
{
        if (!res)
                return;
        swb__result_clear_answer(res);
        swb_free(res);
}

json_t *swb_llm_result_message(const swb_llm_result_t *res)
{
        json_t *msg = json_pack("{s:s}", "role", "assistant");
        json_object_set_new(msg, "content",
                            res->content ? json_string(res->content) : json_null());
        if (res->n_tool_calls) {
                json_t *tcs = json_array();
                for (size_t i = 0; i < res->n_tool_calls; i++)
                        json_array_append_new(
                            tcs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id",
                                           res->tool_calls[i].id, "type", "function",
                                           "function", "name", res->tool_calls[i].name,
                                           "arguments", res->tool_calls[i].arguments));
                json_object_set_new(msg, "tool_calls", tcs);
        }
        return msg;
}

static void swb__parse_usage(const json_t *u, swb_llm_result_t *res)
{
        if (!json_is_object(u))
                return;
        res->has_usage = true;
        res->usage.prompt_tokens =
            json_integer_value(json_object_get(u, "prompt_tokens"));
        res->usage.completion_tokens =
            json_integer_value(json_object_get(u, "completion_tokens"));
        res->usage.total_tokens =
            json_integer_value(json_object_get(u, "total_tokens"));
        if (!res->usage.total_tokens)
                res->usage.total_tokens =
                    res->usage.prompt_tokens + res->usage.completion_tokens;
}

/* {"error": {...}} in a 2xx body or a stream: the server failed the call. */
bool swb__llm_error_object(const json_t *root, char *msg, size_t size)
{
        const json_t *e = json_object_get(root, "error");
        const json_t *m;

        if (!e || json_is_null(e))
                return false;
        m = json_is_object(e) ? json_object_get(e, "message") : e;
        snprintf(msg, size, "server error: %s",
                 json_is_string(m) ? json_string_value(m) : "(no message)");
        return true;
}

/* Text of a message's content: a string, or an array of {"type":"text","text":..}. */
static char *swb__content_text(const json_t *c)
{
        swb_buf_t b = {0};
        size_t i;
        json_t *part;

        if (json_is_string(c))
                return swb__json_strdup(c);
        if (!json_is_array(c))
                return NULL;
        json_array_foreach(c, i, part)
        {
                const json_t *t = json_object_get(part, "text");
                if (json_is_string(t))
                        swb_buf_put(&b, json_string_value(t),
                                        json_string_length(t));
        }
        return swb_buf_take(&b);
}

static swb_err_t swb__parse_tool_calls(const json_t *tcs, swb_llm_result_t *res)
{
        size_t i, n = json_array_size(tcs);
        json_t *tc;

        if (n > SWB__LLM_MAX_TOOL_CALLS)
                return swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                                 "%zu tool calls (max %d)", n, SWB__LLM_MAX_TOOL_CALLS);
        res->tool_calls = swb_calloc(n, sizeof(*res->tool_calls));
        json_array_foreach(tcs, i, tc)
        {
                swb_llm_tool_call_t *out = &res->tool_calls[i];
                const json_t *fn = json_object_get(tc, "function");
                const json_t *name = json_object_get(fn, "name");
                const json_t *args = json_object_get(fn, "arguments");
                const json_t *id = json_object_get(tc, "id");

                res->n_tool_calls = i + 1;
                if (!json_is_string(name) || !json_string_length(name))
                        return swb__fail(res->errmsg, sizeof(res->errmsg),
                                         SWB_ERR_DECODE,
                                         "tool call %zu has no function name", i);
                out->name = swb__json_strdup(name);
                out->id = json_is_string(id) && json_string_length(id)
                              ? swb__json_strdup(id)
                              : swb_asprintf("call_%zu", i);
                if (json_is_string(args))
                        out->arguments = swb__json_strdup(args);
                else if (json_is_object(args))
                        out->arguments = swb__json_text(args);
                else if (!args || json_is_null(args))
                        out->arguments = swb_strdup("{}");
                else
                        return swb__fail(
                            res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                            "tool call %zu: arguments are not a string", i);
        }
        return SWB_OK;
}

static swb_err_t swb__parse_completion(const json_t *root, swb_llm_result_t *res)
{
        const json_t *choices, *choice, *msg, *tcs;

        if (!json_is_object(root))
                return swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                                 "completion is not a JSON object");
        if (swb__llm_error_object(root, res->errmsg, sizeof(res->errmsg)))
                return SWB_ERR_UNAVAILABLE;
        res->id = swb__json_strdup(json_object_get(root, "id"));
        res->model = swb__json_strdup(json_object_get(root, "model"));
        swb__parse_usage(json_object_get(root, "usage"), res);
        choices = json_object_get(root, "choices");
        choice = json_array_get(choices, 0);
        msg = json_object_get(choice, "message");
        if (!json_is_object(msg))
                return swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                                 "completion has no choices[0].message");
        res->finish_reason = swb__json_strdup(json_object_get(choice, "finish_reason"));
        res->content = swb__content_text(json_object_get(msg, "content"));
        tcs = json_object_get(msg, "tool_calls");
        if (tcs && !json_is_null(tcs)) {
                if (!json_is_array(tcs))
                        return swb__fail(res->errmsg, sizeof(res->errmsg),
                                         SWB_ERR_DECODE, "tool_calls is not an array");
                return swb__parse_tool_calls(tcs, res);
        }
        return SWB_OK;
}

swb_err_t swb_llm_parse_response(const char *body, size_t len, swb_llm_result_t *res)
{
        json_error_t jerr;
        json_t *root;

        swb__result_clear_answer(res);
        res->errmsg[0] = '\0';
        root = json_loadb(body ? body : "", len, 0, &jerr);
        if (!root) {
                res->err =
                    swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                              "body is not JSON: %s (line %d)", jerr.text, jerr.line);
                return res->err;
        }
        res->err = swb__parse_completion(root, res);
        json_decref(root);
        return res->err;
}

/* ---- streaming decoder ------------------------------------------------------- */

typedef struct swb__tool_acc {
        char *id;
        swb_buf_t name;
        swb_buf_t args;
        bool started;
} swb__tool_acc_t;

struct swb_llm_stream_s {
        swb_sse_t *sse;
        swb_llm_stream_cb *on_delta;
        void *opaque;
        swb_err_t err;
        char errmsg[256];
        bool done, any_choice, has_content;
        char *id, *model, *finish_reason;
        swb_buf_t content;
        swb__tool_acc_t *tools;
        size_t n_tools;
        bool has_usage;
        swb_llm_usage_t usage;
};

static void swb__delta(swb_llm_stream_t *st, swb_llm_delta_kind_t kind,
                       const char *text, size_t len, int index, const char *id)
{
        swb_llm_delta_t d = {kind, text, len, index, id ? id : ""};
        if (st->on_delta && len)
                st->on_delta(st->opaque, &d);
}

static swb_err_t swb__stream_tool(swb_llm_stream_t *st, const json_t *tc)
{
        const json_t *jidx = json_object_get(tc, "index");
        const json_t *id = json_object_get(tc, "id");
        const json_t *fn = json_object_get(tc, "function");
        const json_t *name = json_object_get(fn, "name");
        const json_t *args = json_object_get(fn, "arguments");
        json_int_t idx;
        swb__tool_acc_t *t;

        if (!json_is_object(tc))
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "tool call delta is not an object");
        if (json_is_integer(jidx))
                idx = json_integer_value(jidx);
        else if (json_is_string(id) || !st->n_tools)
                idx = (json_int_t)
                          st->n_tools; /* no index: a new call starts with an id */
        else
                idx = (json_int_t)st->n_tools - 1;
        if (idx < 0 || idx >= SWB__LLM_MAX_TOOL_CALLS)
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "tool call index %lld out of range", (long long)idx);
        if ((size_t)idx >= st->n_tools) {
                st->tools =
                    swb_realloc(st->tools, ((size_t)idx + 1) * sizeof(*st->tools));
                memset(st->tools + st->n_tools, 0,
                       ((size_t)idx + 1 - st->n_tools) * sizeof(*st->tools));
                st->n_tools = (size_t)idx + 1;
        }
        t = &st->tools[idx];
        if (json_is_string(id) && json_string_length(id) && !t->id)
                t->id = swb__json_strdup(id);
        if (json_is_string(name) && json_string_length(name)) {
                /* Some servers repeat the whole name in every chunk. */
                if (!t->name.p || strcmp(t->name.p, json_string_value(name)))
                        swb_buf_put(&t->name, json_string_value(name),
                                        json_string_length(name));
        }
        if (!t->started && t->name.len) {
                t->started = true;
                swb__delta(st, SWB_LLM_DELTA_TOOL_START, t->name.p, t->name.len,
                           (int)idx, t->id);
        }
        if (json_is_string(args)) {
                swb_buf_put(&t->args, json_string_value(args),
                                json_string_length(args));
                swb__delta(st, SWB_LLM_DELTA_TOOL_ARGS, json_string_value(args),
                           json_string_length(args), (int)idx, t->id);
        } else if (json_is_object(args)) {
                char *s = swb__json_text(args);
                swb_buf_put(&t->args, s, strlen(s));
                swb__delta(st, SWB_LLM_DELTA_TOOL_ARGS, s, strlen(s), (int)idx, t->id);
                swb_free(s);
        }
        return SWB_OK;
}

static swb_err_t swb__stream_choice(swb_llm_stream_t *st, const json_t *choice)
{
        const json_t *delta, *content, *tcs, *fr;
        size_t i;
        json_t *tc;
        swb_err_t err;

        if (!json_is_object(choice))
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "choice is not an object");
        if (json_integer_value(json_object_get(choice, "index")) != 0)
                return SWB_OK; /* n > 1: only the first choice is assembled */
        st->any_choice = true;
        delta = json_object_get(choice, "delta");
        content = json_object_get(delta, "content");
        if (json_is_string(content)) {
                st->has_content = true;
                swb_buf_put(&st->content, json_string_value(content),
                                json_string_length(content));
                swb__delta(st, SWB_LLM_DELTA_CONTENT, json_string_value(content),
                           json_string_length(content), 0, NULL);
        }
        tcs = json_object_get(delta, "tool_calls");
        if (tcs && !json_is_null(tcs) && !json_is_array(tcs))
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "delta.tool_calls is not an array");
        json_array_foreach(tcs, i, tc)
        {
                if ((err = swb__stream_tool(st, tc)))
                        return err;
        }
        fr = json_object_get(choice, "finish_reason");
        if (json_is_string(fr)) {
                swb_free(st->finish_reason);
                st->finish_reason = swb__json_strdup(fr);
        }
        return SWB_OK;
}

static swb_err_t swb__stream_chunk(swb_llm_stream_t *st, const json_t *root)
{
        const json_t *choices = json_object_get(root, "choices");
        const json_t *u = json_object_get(root, "usage");
        size_t i;
        json_t *choice;
        swb_err_t err;

        if (!json_is_object(root))
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "stream chunk is not a JSON object");
        if (swb__llm_error_object(root, st->errmsg, sizeof(st->errmsg)))
                return SWB_ERR_UNAVAILABLE;
        if (!st->id)
                st->id = swb__json_strdup(json_object_get(root, "id"));
        if (!st->model)
                st->model = swb__json_strdup(json_object_get(root, "model"));
        if (json_is_object(u)) {
                swb_llm_result_t tmp = {0};
                swb__parse_usage(u, &tmp);
                st->has_usage = true;
                st->usage = tmp.usage;
        }
        if (choices && !json_is_null(choices) && !json_is_array(choices))
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "choices is not an array");
        json_array_foreach(choices, i, choice)
        {
                if ((err = swb__stream_choice(st, choice)))
                        return err;
        }
        return SWB_OK;
}

static swb_err_t swb__stream_event(void *opaque, const swb_sse_event_t *ev)
{
        swb_llm_stream_t *st = opaque;
        json_error_t jerr;
        json_t *root;
        swb_err_t err;

        if (st->done)
                return SWB_OK; /* nothing counts after [DONE] */
        if (!strcmp(ev->type, "error"))
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_UNAVAILABLE,
                                 "error event: %.200s", ev->data);
        if (ev->data_len == 6 && !memcmp(ev->data, "[DONE]", 6)) {
                st->done = true;
                return SWB_OK;
        }
        root = json_loadb(ev->data, ev->data_len, 0, &jerr);
        if (!root)
                return swb__fail(st->errmsg, sizeof(st->errmsg), SWB_ERR_DECODE,
                                 "stream chunk is not JSON: %s", jerr.text);
        err = swb__stream_chunk(st, root);
        json_decref(root);
        return err;
}

swb_llm_stream_t *swb_llm_stream_new(size_t max_event_size, swb_llm_stream_cb *on_delta,
                                     void *opaque)
{
        swb_llm_stream_t *st = swb_calloc(1, sizeof(*st));
        st->sse = swb_sse_new(max_event_size ? max_event_size : SWB__LLM_MAX_EVENT,
                              swb__stream_event, st);
        st->on_delta = on_delta;
        st->opaque = opaque;
        return st;
}

void swb_llm_stream_destroy(swb_llm_stream_t *st)
{
        if (!st)
                return;
        swb_sse_destroy(st->sse);
        for (size_t i = 0; i < st->n_tools; i++) {
                swb_free(st->tools[i].id);
                swb_free(st->tools[i].name.p);
                swb_free(st->tools[i].args.p);
        }
        swb_free(st->tools);
        swb_free(st->content.p);
        swb_free(st->id);
        swb_free(st->model);
        swb_free(st->finish_reason);
        swb_free(st);
}

static void swb__stream_sse_err(swb_llm_stream_t *st, swb_err_t err)
{
        if (err && !st->err) {
                st->err = err;
                if (!st->errmsg[0])
                        snprintf(st->errmsg, sizeof(st->errmsg), "event stream: %s",
                                 err == SWB_ERR_TOO_LARGE ? "event too large"
                                                          : swb_err2str(err));
        }
}

swb_err_t swb_llm_stream_feed(swb_llm_stream_t *st, const char *buf, size_t len)
{
        if (!st->err)
                swb__stream_sse_err(st, swb_sse_feed(st->sse, buf, len));
        return st->err;
}

bool swb_llm_stream_done(const swb_llm_stream_t *st)
{
        return st->done;
}

swb_err_t swb_llm_stream_finish(swb_llm_stream_t *st, swb_llm_result_t *res)
{
        swb__result_clear_answer(res);
        res->streamed = true;
        if (!st->err && !st->done)
                swb__stream_sse_err(st, swb_sse_finish(st->sse));
        res->id = st->id;
        res->model = st->model;
        res->finish_reason = st->finish_reason;
        st->id = st->model = st->finish_reason = NULL;
        if (st->has_content)
                res->content =
                    st->content.p ? swb_buf_take(&st->content) : swb_strdup("");
        res->has_usage = st->has_usage;
        res->usage = st->usage;
        res->err = st->err;
        snprintf(res->errmsg, sizeof(res->errmsg), "%s", st->err ? st->errmsg : "");
        if (!res->err && !st->done && !res->finish_reason)
                res->err =
                    swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_TRANSPORT,
                              "event stream ended before [DONE]");
        if (!res->err && !st->any_choice)
                res->err = swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                                     "event stream carried no answer");
        res->tool_calls =
            st->n_tools ? swb_calloc(st->n_tools, sizeof(*res->tool_calls)) : NULL;
        for (size_t i = 0; i < st->n_tools; i++) {
                swb__tool_acc_t *t = &st->tools[i];
                swb_llm_tool_call_t *out = &res->tool_calls[i];
                out->id = t->id ? t->id : swb_asprintf("call_%zu", i);
                t->id = NULL;
                out->name = t->name.p ? swb_buf_take(&t->name) : swb_strdup("");
                out->arguments =
                    t->args.len ? swb_buf_take(&t->args) : swb_strdup("{}");
                res->n_tool_calls = i + 1;
                if (!*out->name && !res->err)
                        res->err =
                            swb__fail(res->errmsg, sizeof(res->errmsg), SWB_ERR_DECODE,
                                      "tool call %zu has no function name", i);
        }
        return res->err;
}
