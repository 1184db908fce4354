/*
 * swb_fake_llm - a scripted OpenAI-compatible server for tests.
 * See swb_fake_llm.h.
 *
 * libmicrohttpd runs one thread per connection, so a request may block in
 * its handler (a delay, a stall, a pause between stream events) without
 * holding up the others. Every wait is a poll() on the connection (to see the
 * client leave) and on a pipe written once at shutdown (to see the server
 * stop), never a bare sleep.
 */
#include "swb_fake_llm.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "swb_mem.h"

#define SWB__FAKE_MAX_BODY     (32 * 1024 * 1024)
#define SWB__FAKE_MAX_CONNS    8192
#define SWB__FAKE_STACK_SIZE   (1024 * 1024)
#define SWB__FAKE_SCRATCH_SIZE 16384

/* An owned copy of a reply: every string of `r` points into memory we own. */
typedef struct swb__freply {
        struct swb_fake_llm_reply r;
        struct swb_fake_llm_tool_call *tcs;
        struct swb__freply *next;
} swb__freply_t;

struct swb_fake_llm_s {
        struct MHD_Daemon *daemon;
        int port;
        char url[64];
        char *api_key;
        bool no_record;
        int stop_pipe[2];
        atomic_bool stopping;

        pthread_mutex_t lock; /* guards everything below */
        pthread_cond_t cond;  /* a request arrived */
        swb__freply_t *queue_head, *queue_tail;
        swb__freply_t *dflt;
        swb_fake_llm_handler_fn *handler;
        void *handler_opaque;
        json_t *requests;
        uint64_t n_requests;
        int active, peak;
        char last_error[256];
};

/* One request, from its first byte to its completion. */
typedef struct swb__freq {
        swb_fake_llm_t *fake;
        char *body;
        size_t len, cap;
        bool too_large, counted;
        int fd;
        swb__freply_t *reply;
        char **events; /* an event stream being written */
        size_t n_events, i, off, writes;
} swb__freq_t;

static int64_t swb__fake_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- replies ---------------------------------------------------------------- */

static swb__freply_t *swb__freply_copy(const struct swb_fake_llm_reply *in)
{
        swb__freply_t *o = swb_calloc(1, sizeof(*o));

        o->r = *in;
        o->r.message = swb_strdup(in->message);
        o->r.retry_after = swb_strdup(in->retry_after);
        o->r.headers = swb_strdup(in->headers);
        o->r.content = swb_strdup(in->content);
        o->r.finish_reason = swb_strdup(in->finish_reason);
        o->r.model = swb_strdup(in->model);
        o->r.content_type = swb_strdup(in->content_type);
        o->r.body = swb_strdup(in->body);
        if (in->n_tool_calls) {
                o->tcs = swb_calloc(in->n_tool_calls, sizeof(*o->tcs));
                for (size_t i = 0; i < in->n_tool_calls; i++) {
                        o->tcs[i].id = swb_strdup(in->tool_calls[i].id);
                        o->tcs[i].name = swb_strdup(in->tool_calls[i].name);
                        o->tcs[i].arguments = swb_strdup(in->tool_calls[i].arguments);
                }
        }
        o->r.tool_calls = o->tcs;
        return o;
}

static void swb__freply_free(swb__freply_t *o)
{
        if (!o)
                return;
        swb_free((char *)o->r.message);
        swb_free((char *)o->r.retry_after);
        swb_free((char *)o->r.headers);
        swb_free((char *)o->r.content);
        swb_free((char *)o->r.finish_reason);
        swb_free((char *)o->r.model);
        swb_free((char *)o->r.content_type);
        swb_free((char *)o->r.body);
        for (size_t i = 0; i < o->r.n_tool_calls; i++) {
                swb_free((char *)o->tcs[i].id);
                swb_free((char *)o->tcs[i].name);
                swb_free((char *)o->tcs[i].arguments);
        }
        swb_free(o->tcs);
        swb_free(o);
}

/* ---- waiting ------------------------------------------------------------------ */

/*
 * Wait `ms` milliseconds (-1: without end).
 * @returns true when the time passed; false when the server is stopping or
 *          the client closed the connection.
 */
static bool swb__fake_wait(swb_fake_llm_t *fake, int fd, int ms)
{
        int64_t deadline = swb__fake_now_ms() + ms;

        for (;;) {
                struct pollfd p[2] = {{.fd = fake->stop_pipe[0], .events = POLLIN},
                                      {.fd = fd, .events = POLLRDHUP}};
                int64_t left = ms < 0 ? -1 : deadline - swb__fake_now_ms();
                int rc;

                if (atomic_load(&fake->stopping))
                        return false;
                if (ms >= 0 && left <= 0)
                        return true;
                rc = poll(p, fd >= 0 ? 2 : 1, (int)left);
                if (rc < 0 && errno != EINTR)
                        return false;
                if (rc > 0 && (p[0].revents || (p[1].revents & (POLLRDHUP | POLLHUP |
                                                                POLLERR | POLLNVAL))))
                        return false;
        }
}

/* ---- building answers ------------------------------------------------------ */

static char *swb__dump(const json_t *v)
{
        size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
        char *s = swb_malloc(n + 1);
        json_dumpb(v, s, n, JSON_COMPACT);
        s[n] = '\0';
        return s;
}

static const char *swb__finish_reason(const struct swb_fake_llm_reply *r)
{
        if (r->finish_reason)
                return r->finish_reason;
        return r->n_tool_calls ? "tool_calls" : "stop";
}

static json_t *swb__usage(const struct swb_fake_llm_reply *r, size_t request_len)
{
        size_t out = r->content ? strlen(r->content) : 0;
        int p, c;

        for (size_t i = 0; i < r->n_tool_calls; i++)
                out += strlen(r->tool_calls[i].name) +
                       (r->tool_calls[i].arguments ? strlen(r->tool_calls[i].arguments)
                                                   : 2);
        p = r->prompt_tokens ? r->prompt_tokens : (int)(request_len / 4 + 1);
        c = r->completion_tokens ? r->completion_tokens : (int)(out / 4 + 1);
        return json_pack("{s:i, s:i, s:i}", "prompt_tokens", p, "completion_tokens", c,
                         "total_tokens", p + c);
}

static char *swb__tool_id(const struct swb_fake_llm_reply *r, size_t i, uint64_t seq)
{
        if (r->tool_calls[i].id)
                return swb_strdup(r->tool_calls[i].id);
        return swb_asprintf("call_%llu_%zu", (unsigned long long)seq, i);
}

static json_t *swb__completion(const struct swb_fake_llm_reply *r, const char *model,
                               uint64_t seq, size_t request_len)
{
        json_t *msg =
            json_pack("{s:s, s:o, s:n}", "role", "assistant", "content",
                      r->content ? json_string(r->content) : json_null(), "refusal");
        if (r->n_tool_calls) {
                json_t *tcs = json_array();
                for (size_t i = 0; i < r->n_tool_calls; i++) {
                        char *id = swb__tool_id(r, i, seq);
                        json_array_append_new(
                            tcs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", id, "type",
                                           "function", "function", "name",
                                           r->tool_calls[i].name, "arguments",
                                           r->tool_calls[i].arguments
                                               ? r->tool_calls[i].arguments
                                               : "{}"));
                        swb_free(id);
                }
                json_object_set_new(msg, "tool_calls", tcs);
        }
        char id[64];

        snprintf(id, sizeof(id), "chatcmpl-fake-%llu", (unsigned long long)seq);
        return json_pack("{s:s, s:s, s:I, s:s, s:s, s:[{s:i, s:o, s:n, s:s}], s:o}",
                         "id", id, "object", "chat.completion", "created",
                         (json_int_t)time(NULL), "model", model, "system_fingerprint",
                         "fp_fake", "choices", "index", 0, "message", msg, "logprobs",
                         "finish_reason", swb__finish_reason(r), "usage",
                         swb__usage(r, request_len));
}

typedef struct swb__events {
        char **v;
        size_t n, cap;
        const char *eol;
} swb__events_t;

static void swb__event_raw(swb__events_t *ev, const char *data)
{
        if (ev->n == ev->cap) {
                ev->cap = ev->cap ? ev->cap * 2 : 16;
                ev->v = swb_realloc(ev->v, ev->cap * sizeof(*ev->v));
        }
        ev->v[ev->n++] = swb_asprintf("data: %s%s%s", data, ev->eol, ev->eol);
}

/* A chunk {"id",...,"choices":[{"index":0,"delta":delta,...}]}; takes `delta`. */
static void swb__event_chunk(swb__events_t *ev, const char *id, const char *model,
                             json_t *delta, const char *finish, bool usage_null)
{
        json_t *c = json_pack(
            "{s:s, s:s, s:I, s:s, s:s, s:[{s:i, s:o, s:n, s:o}]}", "id", id, "object",
            "chat.completion.chunk", "created", (json_int_t)time(NULL), "model", model,
            "system_fingerprint", "fp_fake", "choices", "index", 0, "delta", delta,
            "logprobs", "finish_reason", finish ? json_string(finish) : json_null());
        char *s;

        if (usage_null)
                json_object_set_new(c, "usage", json_null());
        s = swb__dump(c);
        swb__event_raw(ev, s);
        swb_free(s);
        json_decref(c);
}

/* Split s into pieces of about `piece` bytes, never inside a UTF-8 sequence. */
static size_t swb__next_piece(const char *s, size_t len, size_t piece)
{
        size_t n = piece < len ? piece : len;
        while (n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
                n++;
        return n;
}

static void swb__completion_events(swb__events_t *ev,
                                   const struct swb_fake_llm_reply *r,
                                   const char *model, uint64_t seq, size_t request_len,
                                   bool include_usage)
{
        char id[64];
        size_t piece = r->piece ? r->piece : 4;

        snprintf(id, sizeof(id), "chatcmpl-fake-%llu", (unsigned long long)seq);
        swb__event_chunk(ev, id, model,
                         json_pack("{s:s, s:o, s:n}", "role", "assistant", "content",
                                   r->content ? json_string("") : json_null(),
                                   "refusal"),
                         NULL, include_usage);
        if (r->content) {
                const char *s = r->content;
                size_t len = strlen(s);
                while (len) {
                        size_t n = swb__next_piece(s, len, piece);
                        swb__event_chunk(ev, id, model,
                                         json_pack("{s:s%}", "content", s, n), NULL,
                                         include_usage);
                        s += n;
                        len -= n;
                }
        }
        for (size_t i = 0; i < r->n_tool_calls; i++) {
                const char *args =
                    r->tool_calls[i].arguments ? r->tool_calls[i].arguments : "{}";
                size_t len = strlen(args);
                char *tid = swb__tool_id(r, i, seq);
                swb__event_chunk(ev, id, model,
                                 json_pack("{s:[{s:i, s:s, s:s, s:{s:s, s:s}}]}",
                                           "tool_calls", "index", (int)i, "id", tid,
                                           "type", "function", "function", "name",
                                           r->tool_calls[i].name, "arguments", ""),
                                 NULL, include_usage);
                swb_free(tid);
                while (len) {
                        size_t n = swb__next_piece(args, len, piece);
                        swb__event_chunk(ev, id, model,
                                         json_pack("{s:[{s:i, s:{s:s%}}]}",
                                                   "tool_calls", "index", (int)i,
                                                   "function", "arguments", args, n),
                                         NULL, include_usage);
                        args += n;
                        len -= n;
                }
        }
        swb__event_chunk(ev, id, model, json_object(), swb__finish_reason(r),
                         include_usage);
        if (include_usage) {
                json_t *c = json_pack("{s:s, s:s, s:I, s:s, s:s, s:[], s:o}", "id", id,
                                      "object", "chat.completion.chunk", "created",
                                      (json_int_t)time(NULL), "model", model,
                                      "system_fingerprint", "fp_fake", "choices",
                                      "usage", swb__usage(r, request_len));
                char *s = swb__dump(c);
                swb__event_raw(ev, s);
                swb_free(s);
                json_decref(c);
        }
        if (!r->omit_done)
                swb__event_raw(ev, "[DONE]");
}

/* ---- responses ------------------------------------------------------------------ */

static void swb__add_headers(struct MHD_Response *resp,
                             const struct swb_fake_llm_reply *r)
{
        const char *p = r->headers;

        if (r->retry_after)
                MHD_add_response_header(resp, "Retry-After", r->retry_after);
        while (p && *p) {
                const char *end = strchr(p, '\n'), *colon;
                size_t n = end ? (size_t)(end - p) : strlen(p);
                char *line = swb_strndup(p, n);
                if ((colon = strchr(line, ':'))) {
                        const char *v = colon + 1;
                        line[colon - line] = '\0';
                        while (*v == ' ')
                                v++;
                        MHD_add_response_header(resp, line, v);
                }
                swb_free(line);
                p += n + (end ? 1 : 0);
        }
}

/* Queue a response whose body we own (swb_malloc). */
static enum MHD_Result swb__send(struct MHD_Connection *conn, int status,
                                 const char *content_type, char *body, size_t len,
                                 const struct swb_fake_llm_reply *r)
{
        struct MHD_Response *resp =
            MHD_create_response_from_buffer_with_free_callback(len, body, swb_free);
        enum MHD_Result ret;

        if (!resp) {
                swb_free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        if (r)
                swb__add_headers(resp, r);
        ret = MHD_queue_response(conn, (unsigned int)status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result swb__send_error(struct MHD_Connection *conn, int status,
                                       const char *message,
                                       const struct swb_fake_llm_reply *r)
{
        const char *type = status == 429   ? "requests"
                           : status >= 500 ? "server_error"
                                           : "invalid_request_error";
        json_t *e = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message",
                              message ? message : "fake error", "type", type, "param",
                              "code", status == 429 ? "rate_limit_exceeded" : type);
        char *s = swb__dump(e);

        json_decref(e);
        return swb__send(conn, status, "application/json", s, strlen(s), r);
}

static ssize_t swb__sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        swb__freq_t *req = cls;
        const struct swb_fake_llm_reply *r = &req->reply->r;
        const char *e;
        size_t n;

        (void)pos;
        if (req->i >= req->n_events)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (req->off == 0 && r->stall_after_events > 0 &&
            req->i == (size_t)r->stall_after_events) {
                swb__fake_wait(req->fake, req->fd, r->stall_ms);
                return MHD_CONTENT_READER_END_WITH_ERROR; /* drop the connection */
        }
        if (req->writes && r->event_delay_ms > 0 &&
            !swb__fake_wait(req->fake, req->fd, r->event_delay_ms))
                return MHD_CONTENT_READER_END_WITH_ERROR;
        e = req->events[req->i] + req->off;
        n = strlen(e);
        if (n > max)
                n = max;
        if (r->max_write && n > r->max_write)
                n = r->max_write;
        memcpy(buf, e, n);
        req->off += n;
        if (!req->events[req->i][req->off]) {
                req->i++;
                req->off = 0;
        }
        req->writes++;
        return (ssize_t)n;
}

static enum MHD_Result swb__send_events(struct MHD_Connection *conn, swb__freq_t *req,
                                        swb__events_t *ev)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        req->events = ev->v;
        req->n_events = ev->n;
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                                 swb__sse_reader, req, NULL);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "text/event-stream; charset=utf-8");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        swb__add_headers(resp, &req->reply->r);
        ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* ---- requests ---------------------------------------------------------------- */

static uint64_t swb__record(swb_fake_llm_t *fake, struct MHD_Connection *conn,
                            const char *url, const char *method, const json_t *body,
                            const swb__freq_t *req)
{
        const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_AUTHORIZATION);
        const char *accept =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        uint64_t seq;

        pthread_mutex_lock(&fake->lock);
        seq = fake->n_requests++;
        if (!fake->no_record) {
                json_t *rec = json_pack("{s:I, s:s, s:s, s:s?, s:s?}", "seq",
                                        (json_int_t)seq, "method", method, "path", url,
                                        "authorization", auth, "accept", accept);
                json_object_set_new(
                    rec, "body",
                    body ? json_deep_copy(body)
                         : json_stringn_nocheck(req->body ? req->body : "", req->len));
                json_array_append_new(fake->requests, rec);
        }
        if (++fake->active > fake->peak)
                fake->peak = fake->active;
        pthread_cond_broadcast(&fake->cond);
        pthread_mutex_unlock(&fake->lock);
        return seq;
}

static swb__freply_t *swb__pick(swb_fake_llm_t *fake, const json_t *body, uint64_t seq)
{
        swb__freply_t *o;
        swb_fake_llm_handler_fn *fn;
        void *opaque;

        pthread_mutex_lock(&fake->lock);
        if ((o = fake->queue_head)) {
                fake->queue_head = o->next;
                if (!fake->queue_head)
                        fake->queue_tail = NULL;
                o->next = NULL;
        }
        fn = fake->handler;
        opaque = fake->handler_opaque;
        pthread_mutex_unlock(&fake->lock);
        if (o)
                return o;
        if (fn) {
                char *scratch = swb_calloc(1, SWB__FAKE_SCRATCH_SIZE);
                struct swb_fake_llm_reply r = {0};
                if (fn(opaque, body, seq, &r, scratch, SWB__FAKE_SCRATCH_SIZE))
                        o = swb__freply_copy(&r);
                swb_free(scratch);
                if (o)
                        return o;
        }
        pthread_mutex_lock(&fake->lock);
        o = swb__freply_copy(&fake->dflt->r);
        pthread_mutex_unlock(&fake->lock);
        return o;
}

static bool swb__ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcmp(s + n - m, suffix);
}

static enum MHD_Result swb__answer(swb_fake_llm_t *fake, swb__freq_t *req,
                                   struct MHD_Connection *conn, const char *url,
                                   const char *method)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        json_t *body = req->len ? json_loadb(req->body, req->len, 0, NULL) : NULL;
        const struct swb_fake_llm_reply *r;
        const char *model;
        uint64_t seq;
        bool stream, usage;
        enum MHD_Result ret;

        req->fd = ci ? ci->connect_fd : -1;
        seq = swb__record(fake, conn, url, method, body, req);
        req->counted = true;
        if (strcmp(method, "POST") || !swb__ends_with(url, "/chat/completions")) {
                ret = swb__send_error(conn, 404, "no such route", NULL);
                goto out;
        }
        if (fake->api_key) {
                const char *auth = MHD_lookup_connection_value(
                    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
                char *want = swb_asprintf("Bearer %s", fake->api_key);
                bool ok = auth && !strcmp(auth, want);
                swb_free(want);
                if (!ok) {
                        ret = swb__send_error(conn, 401, "Incorrect API key provided",
                                              NULL);
                        goto out;
                }
        }
        if (req->too_large || !json_is_object(body)) {
                ret = swb__send_error(conn, req->too_large ? 413 : 400,
                                      "request body is not a JSON object", NULL);
                goto out;
        }
        req->reply = swb__pick(fake, body, seq);
        r = &req->reply->r;
        model = r->model ? r->model : json_string_value(json_object_get(body, "model"));
        if (!model)
                model = "fake-model";
        stream = r->stream > 0 ||
                 (r->stream == 0 && json_is_true(json_object_get(body, "stream")));
        usage = json_is_true(
            json_object_get(json_object_get(body, "stream_options"), "include_usage"));
        if (r->delay_ms > 0 && !swb__fake_wait(fake, req->fd, r->delay_ms)) {
                ret = MHD_NO;
                goto out;
        }
        switch (r->kind) {
        case SWB_FAKE_LLM_STALL:
                swb__fake_wait(fake, req->fd, r->stall_ms ? r->stall_ms : -1);
                ret = MHD_NO; /* close without an answer */
                break;
        case SWB_FAKE_LLM_ERROR:
                ret = swb__send_error(conn, r->status ? r->status : 500, r->message, r);
                break;
        case SWB_FAKE_LLM_RAW:
                ret = swb__send(conn, r->status ? r->status : 200,
                                r->content_type ? r->content_type : "application/json",
                                swb_strdup(r->body ? r->body : ""),
                                r->body ? strlen(r->body) : 0, r);
                break;
        case SWB_FAKE_LLM_MALFORMED:
                if (stream) {
                        swb__events_t ev = {.eol = r->crlf ? "\r\n" : "\n"};
                        swb__event_raw(
                            &ev, "{\"id\":\"chatcmpl-fake\",\"choices\":[{\"index\":"
                                 "0,\"delta\":{\"role\":\"assistant\"}}]}");
                        swb__event_raw(&ev,
                                       "{\"choices\":[{\"index\":0,\"delta\":{\"con");
                        swb__event_raw(&ev, "[DONE]");
                        ret = swb__send_events(conn, req, &ev);
                } else {
                        json_t *c = swb__completion(r, model, seq, req->len);
                        char *s = swb__dump(c);
                        json_decref(c);
                        ret = swb__send(conn, 200, "application/json", s, strlen(s) / 2,
                                        r);
                }
                break;
        case SWB_FAKE_LLM_COMPLETION:
        default:
                if (stream) {
                        swb__events_t ev = {.eol = r->crlf ? "\r\n" : "\n"};
                        swb__completion_events(&ev, r, model, seq, req->len, usage);
                        ret = swb__send_events(conn, req, &ev);
                } else {
                        json_t *c = swb__completion(r, model, seq, req->len);
                        char *s = swb__dump(c);
                        json_decref(c);
                        ret = swb__send(conn, 200, "application/json", s, strlen(s), r);
                }
                break;
        }
out:
        json_decref(body);
        return ret;
}

static enum MHD_Result swb__access(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
        swb_fake_llm_t *fake = cls;
        swb__freq_t *req = *con_cls;

        (void)version;
        if (!req) {
                req = swb_calloc(1, sizeof(*req));
                req->fake = fake;
                req->fd = -1;
                *con_cls = req;
                return MHD_YES;
        }
        if (*upload_data_size) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (req->too_large || req->len + n > SWB__FAKE_MAX_BODY) {
                        req->too_large = true;
                        return MHD_YES;
                }
                if (req->len + n + 1 > req->cap) {
                        req->cap = (req->len + n + 1) * 2;
                        req->body = swb_realloc(req->body, req->cap);
                }
                memcpy(req->body + req->len, upload_data, n);
                req->len += n;
                req->body[req->len] = '\0';
                return MHD_YES;
        }
        return swb__answer(fake, req, conn, url, method);
}

static void swb__completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
        swb_fake_llm_t *fake = cls;
        swb__freq_t *req = *con_cls;

        (void)conn;
        (void)toe;
        if (!req)
                return;
        if (req->counted) {
                pthread_mutex_lock(&fake->lock);
                fake->active--;
                pthread_mutex_unlock(&fake->lock);
        }
        for (size_t i = 0; i < req->n_events; i++)
                swb_free(req->events[i]);
        swb_free(req->events);
        swb__freply_free(req->reply);
        swb_free(req->body);
        swb_free(req);
        *con_cls = NULL;
}

static void swb__mhd_log(void *cls, const char *fmt, va_list ap)
{
        swb_fake_llm_t *fake = cls;
        char line[256];

        vsnprintf(line, sizeof(line), fmt, ap);
        pthread_mutex_lock(&fake->lock);
        snprintf(fake->last_error, sizeof(fake->last_error), "%s", line);
        pthread_mutex_unlock(&fake->lock);
}

/* ---- public -------------------------------------------------------------------- */

swb_fake_llm_t *swb_fake_llm_new(const struct swb_fake_llm_opts *opts, char *errstr,
                                 size_t errstr_size)
{
        static const struct swb_fake_llm_reply dflt = {.content = "ok"};
        swb_fake_llm_t *fake = swb_calloc(1, sizeof(*fake));
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        pthread_condattr_t ca;
        const union MHD_DaemonInfo *info;

        fake->stop_pipe[0] = fake->stop_pipe[1] = -1;
        pthread_mutex_init(&fake->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&fake->cond, &ca);
        pthread_condattr_destroy(&ca);
        fake->requests = json_array();
        fake->dflt = swb__freply_copy(&dflt);
        if (opts && opts->api_key)
                fake->api_key = swb_strdup(opts->api_key);
        fake->no_record = opts && opts->no_record;
        if (pipe2(fake->stop_pipe, O_CLOEXEC) < 0) {
                snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
                goto fail;
        }
        fake->daemon = MHD_start_daemon(
            MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                MHD_USE_POLL | MHD_USE_ERROR_LOG,
            0, NULL, NULL, swb__access, fake, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)SWB__FAKE_MAX_CONNS, MHD_OPTION_LISTEN_BACKLOG_SIZE,
            (unsigned int)4096, MHD_OPTION_THREAD_STACK_SIZE,
            (size_t)SWB__FAKE_STACK_SIZE, MHD_OPTION_NOTIFY_COMPLETED, swb__completed,
            fake, MHD_OPTION_EXTERNAL_LOGGER, swb__mhd_log, fake, MHD_OPTION_END);
        if (!fake->daemon) {
                snprintf(errstr, errstr_size, "MHD_start_daemon failed: %s",
                         fake->last_error[0] ? fake->last_error : "(no detail)");
                goto fail;
        }
        info = MHD_get_daemon_info(fake->daemon, MHD_DAEMON_INFO_BIND_PORT);
        fake->port = info ? info->port : 0;
        if (!fake->port) {
                snprintf(errstr, errstr_size, "could not read the bound port");
                goto fail;
        }
        snprintf(fake->url, sizeof(fake->url), "http://127.0.0.1:%d/v1", fake->port);
        return fake;
fail:
        swb_fake_llm_destroy(fake);
        return NULL;
}

void swb_fake_llm_destroy(swb_fake_llm_t *fake)
{
        swb__freply_t *o;

        if (!fake)
                return;
        atomic_store(&fake->stopping, true);
        if (fake->stop_pipe[1] >= 0) {
                ssize_t w = write(fake->stop_pipe[1], "x", 1); /* never drained */
                (void)w;
        }
        if (fake->daemon)
                MHD_stop_daemon(fake->daemon); /* joins every connection thread */
        while ((o = fake->queue_head)) {
                fake->queue_head = o->next;
                swb__freply_free(o);
        }
        swb__freply_free(fake->dflt);
        json_decref(fake->requests);
        if (fake->stop_pipe[0] >= 0)
                close(fake->stop_pipe[0]);
        if (fake->stop_pipe[1] >= 0)
                close(fake->stop_pipe[1]);
        pthread_cond_destroy(&fake->cond);
        pthread_mutex_destroy(&fake->lock);
        swb_free(fake->api_key);
        swb_free(fake);
}

const char *swb_fake_llm_url(const swb_fake_llm_t *fake)
{
        return fake->url;
}

int swb_fake_llm_port(const swb_fake_llm_t *fake)
{
        return fake->port;
}

void swb_fake_llm_push(swb_fake_llm_t *fake, const struct swb_fake_llm_reply *reply)
{
        swb__freply_t *o = swb__freply_copy(reply);

        pthread_mutex_lock(&fake->lock);
        if (fake->queue_tail)
                fake->queue_tail->next = o;
        else
                fake->queue_head = o;
        fake->queue_tail = o;
        pthread_mutex_unlock(&fake->lock);
}

void swb_fake_llm_set_default(swb_fake_llm_t *fake,
                              const struct swb_fake_llm_reply *reply)
{
        swb__freply_t *o = swb__freply_copy(reply), *old;

        pthread_mutex_lock(&fake->lock);
        old = fake->dflt;
        fake->dflt = o;
        pthread_mutex_unlock(&fake->lock);
        swb__freply_free(old);
}

void swb_fake_llm_set_handler(swb_fake_llm_t *fake, swb_fake_llm_handler_fn *fn,
                              void *opaque)
{
        pthread_mutex_lock(&fake->lock);
        fake->handler = fn;
        fake->handler_opaque = opaque;
        pthread_mutex_unlock(&fake->lock);
}

json_t *swb_fake_llm_requests(swb_fake_llm_t *fake)
{
        json_t *copy;

        pthread_mutex_lock(&fake->lock);
        copy = json_deep_copy(fake->requests);
        pthread_mutex_unlock(&fake->lock);
        return copy;
}

uint64_t swb_fake_llm_request_count(swb_fake_llm_t *fake)
{
        uint64_t n;

        pthread_mutex_lock(&fake->lock);
        n = fake->n_requests;
        pthread_mutex_unlock(&fake->lock);
        return n;
}

bool swb_fake_llm_wait_requests(swb_fake_llm_t *fake, uint64_t n, int64_t timeout_ms)
{
        int64_t deadline = swb__fake_now_ms() + timeout_ms;
        struct timespec ts = {.tv_sec = deadline / 1000,
                              .tv_nsec = (deadline % 1000) * 1000000};
        bool ok;

        pthread_mutex_lock(&fake->lock);
        while (fake->n_requests < n)
                if (pthread_cond_timedwait(&fake->cond, &fake->lock, &ts) == ETIMEDOUT)
                        break;
        ok = fake->n_requests >= n;
        pthread_mutex_unlock(&fake->lock);
        return ok;
}

int swb_fake_llm_active(swb_fake_llm_t *fake)
{
        int n;

        pthread_mutex_lock(&fake->lock);
        n = fake->active;
        pthread_mutex_unlock(&fake->lock);
        return n;
}

int swb_fake_llm_peak_active(swb_fake_llm_t *fake)
{
        int n;

        pthread_mutex_lock(&fake->lock);
        n = fake->peak;
        pthread_mutex_unlock(&fake->lock);
        return n;
}
