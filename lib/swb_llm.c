/*
 * swb_llm - chat completions over libcurl multi. See swb_llm.h.
 *
 * Every call sits on exactly one of three lists: queued (waiting for a
 * transfer slot), active (an easy handle on the multi handle) or done
 * (completed, its result waiting for the done callback to fire). Answers are
 * decoded by swb_llm_decode.
 */
#include "swb_llm.h"

#include <curl/curl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_llm_http.h"
#include "swb_log.h"
#include "swb_buf.h"
#include "swb_mem.h"

#define SWB__LLM_TIMEOUT_MS   60000
#define SWB__LLM_CONNECT_MS   10000
#define SWB__LLM_MAX_INFLIGHT 1024
#define SWB__LLM_MAX_RESPONSE (8 * 1024 * 1024)

enum swb__where { SWB__NOWHERE, SWB__QUEUED, SWB__ACTIVE, SWB__DONE };

typedef struct swb__call swb__call_t;

typedef struct swb__list {
        swb__call_t *head, *tail;
        size_t n;
} swb__list_t;

struct swb__call {
        swb_llm_t *llm;
        swb__call_t *prev, *next;
        enum swb__where where;
        swb_llm_cb *done;
        swb_llm_stream_cb *on_delta;
        void *opaque;
        char *request_id;
        char *body;
        size_t body_len;
        bool stream, cancelled;
        int timeout_ms;
        int64_t t_call, deadline, t_last_io, first_byte_ms;

        CURL *easy;
        char curl_err[CURL_ERROR_SIZE];
        /* the response's status and headers, reset on each status line
         * (100 Continue) */
        struct swb_llm_http http;
        bool begun; /* a byte of the response arrived */
        bool mode_decided, use_sse, too_large;
        size_t received;
        swb_buf_t body_in;
        swb_llm_stream_t *st;
        swb_err_t write_err;

        swb_llm_result_t *res; /* set once on the done list */
};

struct swb_llm_s {
        char *url;
        char *model;
        char *api_key; /* kept only to redact it from messages */
        struct curl_slist *hdr_json, *hdr_sse;
        int timeout_ms, connect_timeout_ms, idle_timeout_ms, max_inflight;
        bool stream;
        size_t max_response;
        swb_llm_clock_t clock;
        CURLM *multi;
        swb__list_t queued, active, done;
        bool in_perform, in_poll, destroying;
};

static pthread_once_t swb__curl_once = PTHREAD_ONCE_INIT;
static CURLcode swb__curl_rc;

static void swb__curl_init(void)
{
        swb__curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t swb__mono_ms(void *opaque)
{
        struct timespec ts;
        (void)opaque;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t swb__now(const swb_llm_t *llm)
{
        return llm->clock.now_ms(llm->clock.opaque);
}

static void swb__list_push(swb__list_t *l, swb__call_t *c, enum swb__where where)
{
        c->prev = l->tail;
        c->next = NULL;
        if (l->tail)
                l->tail->next = c;
        else
                l->head = c;
        l->tail = c;
        l->n++;
        c->where = where;
}

static swb__list_t *swb__list_of(swb_llm_t *llm, swb__call_t *c)
{
        switch (c->where) {
        case SWB__QUEUED:
                return &llm->queued;
        case SWB__ACTIVE:
                return &llm->active;
        case SWB__DONE:
                return &llm->done;
        default:
                return NULL;
        }
}

static void swb__list_unlink(swb_llm_t *llm, swb__call_t *c)
{
        swb__list_t *l = swb__list_of(llm, c);
        if (!l)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                l->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                l->tail = c->prev;
        l->n--;
        c->prev = c->next = NULL;
        c->where = SWB__NOWHERE;
}

/* Take the call's transfer off the multi handle (the connection stays cached). */
static void swb__call_detach(swb_llm_t *llm, swb__call_t *c)
{
        if (!c->easy)
                return;
        curl_multi_remove_handle(llm->multi, c->easy);
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
}

static void swb__call_free(swb_llm_t *llm, swb__call_t *c)
{
        swb__list_unlink(llm, c);
        swb__call_detach(llm, c);
        swb_llm_stream_destroy(c->st);
        swb_llm_result_destroy(c->res);
        swb_free(c->body_in.p);
        swb_free(c->body);
        swb_free(c->request_id);
        swb_free(c);
}

/* ---- response headers ---- */

static size_t swb__on_header(char *buf, size_t size, size_t nmemb, void *opaque)
{
        swb__call_t *c = opaque;
        size_t len = size * nmemb;

        c->t_last_io = swb__now(c->llm);
        c->begun = true;
        swb_llm_http_header(&c->http, buf, len);
        return len;
}

static size_t swb__on_body(char *buf, size_t size, size_t nmemb, void *opaque)
{
        swb__call_t *c = opaque;
        swb_llm_t *llm = c->llm;
        size_t len = size * nmemb;
        int64_t now = swb__now(llm);

        c->t_last_io = now;
        c->begun = true;
        if (c->first_byte_ms < 0)
                c->first_byte_ms = now - c->t_call;
        if (c->cancelled)
                return 0;
        if (c->received + len > llm->max_response) {
                c->too_large = true;
                return 0; /* aborts the transfer */
        }
        c->received += len;
        if (!c->mode_decided) {
                c->mode_decided = true;
                /* Servers may ignore "stream" either way: the content type decides. */
                c->use_sse = c->http.status / 100 == 2 &&
                             (c->http.ct_sse || (c->stream && !c->http.ct_json));
                if (c->use_sse)
                        c->st = swb_llm_stream_new(0, c->on_delta, c->opaque);
        }
        if (c->use_sse) {
                c->write_err = swb_llm_stream_feed(c->st, buf, len);
                return c->write_err ? 0 : len;
        }
        swb_buf_put(&c->body_in, buf, len);
        return len;
}

/* ---- completing calls ---- */

static void swb__log_done(const swb_llm_t *llm, const swb__call_t *c,
                          const swb_llm_result_t *res)
{
        swb_corr_t corr = {.request_id = c->request_id};

        if (res->err)
                SWB_INFO(&corr,
                         "llm call failed: err=%s status=%d latency_ms=%lld "
                         "retry_after_ms=%lld: %s",
                         swb_err2str(res->err), res->http_status,
                         (long long)res->latency_ms, (long long)res->retry_after_ms,
                         res->errmsg);
        else
                SWB_DBG(&corr,
                        "llm call done: status=%d stream=%d latency_ms=%lld "
                        "first_byte_ms=%lld finish=%s tool_calls=%zu tokens=%lld/%lld",
                        res->http_status, (int)res->streamed,
                        (long long)res->latency_ms, (long long)res->first_byte_ms,
                        res->finish_reason ? res->finish_reason : "-",
                        res->n_tool_calls, (long long)res->usage.prompt_tokens,
                        (long long)res->usage.completion_tokens);
        (void)llm;
}

/*
 * Move the call to the done list with `res` (already filled with the outcome).
 * The done callback fires later, from swb__fire_done().
 */
static void swb__finish(swb_llm_t *llm, swb__call_t *c, swb_llm_result_t *res)
{
        swb__list_unlink(llm, c);
        swb__call_detach(llm, c);
        if (!res->http_status)
                res->http_status = c->http.status;
        res->latency_ms = swb__now(llm) - c->t_call;
        res->first_byte_ms = c->first_byte_ms;
        swb_llm_http_redact(llm->api_key, res->errmsg);
        swb__log_done(llm, c, res);
        c->res = res;
        swb__list_push(&llm->done, c, SWB__DONE);
}

static void swb__fail_call(swb_llm_t *llm, swb__call_t *c, swb_err_t err,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void swb__fail_call(swb_llm_t *llm, swb__call_t *c, swb_err_t err,
                           const char *fmt, ...)
{
        swb_llm_result_t *res = swb_llm_result_new();
        va_list ap;

        res->err = err;
        va_start(ap, fmt);
        vsnprintf(res->errmsg, sizeof(res->errmsg), fmt, ap);
        va_end(ap);
        swb__finish(llm, c, res);
}

/* The transfer ended (curl says how). */
static void swb__transfer_done(swb_llm_t *llm, swb__call_t *c, CURLcode rc)
{
        swb_llm_result_t *res = swb_llm_result_new();

        res->http_status = c->http.status;
        if (rc == CURLE_OK && c->http.status / 100 == 2) {
                if (c->use_sse)
                        swb_llm_stream_finish(c->st, res);
                else
                        swb_llm_parse_response(c->body_in.p, c->body_in.len, res);
        } else if (rc == CURLE_OK) {
                swb_llm_http_failure(&c->http, c->body_in.p, c->body_in.len, res);
        } else if (c->too_large) {
                res->err = SWB_ERR_TOO_LARGE;
                snprintf(res->errmsg, sizeof(res->errmsg),
                         "response larger than %zu bytes", llm->max_response);
        } else if (c->write_err) {
                swb_llm_stream_finish(c->st, res); /* the decoder's error and message */
        } else {
                res->err = swb_llm_http_curl_err(rc);
                snprintf(res->errmsg, sizeof(res->errmsg), "%s",
                         c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc));
                if (c->http.status && c->http.status / 100 != 2)
                        res->retry_after_ms = swb_llm_http_retry_hint(&c->http);
        }
        swb__finish(llm, c, res);
}

static int swb__fire_done(swb_llm_t *llm)
{
        swb__call_t *c;
        int n = 0;

        while ((c = llm->done.head)) {
                swb_llm_result_t *res = c->res;
                swb_llm_cb *done = c->done;
                void *opaque = c->opaque;

                c->res = NULL;
                swb__call_free(llm, c);
                done(opaque, res);
                n++;
        }
        return n;
}

/* ---- starting calls ---- */

static bool swb__start(swb_llm_t *llm, swb__call_t *c)
{
        CURL *e = curl_easy_init();
        CURLMcode mrc;

        if (!e)
                return false;
        c->easy = e;
        swb_llm_http_reset(&c->http);
        curl_easy_setopt(e, CURLOPT_URL, llm->url);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER,
                         c->stream ? llm->hdr_sse : llm->hdr_json);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, swb__on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, swb__on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
        curl_easy_setopt(e, CURLOPT_PRIVATE, c);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curl_err);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)llm->connect_timeout_ms);
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "switchboard/" SWB_VERSION);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        mrc = curl_multi_add_handle(llm->multi, e);
        if (mrc != CURLM_OK) {
                curl_easy_cleanup(e);
                c->easy = NULL;
                return false;
        }
        swb__list_unlink(llm, c);
        swb__list_push(&llm->active, c, SWB__ACTIVE);
        c->t_last_io = swb__now(llm);
        return true;
}

static void swb__start_queued(swb_llm_t *llm)
{
        swb__call_t *c;

        while ((c = llm->queued.head) && llm->active.n < (size_t)llm->max_inflight) {
                if (!swb__start(llm, c))
                        swb__fail_call(llm, c, SWB_ERR_INTERNAL,
                                       "could not start a transfer");
        }
}

/* Time out calls past their deadline or stalled. */
static void swb__check_deadlines(swb_llm_t *llm)
{
        int64_t now = swb__now(llm);
        swb__call_t *c, *next;

        for (c = llm->active.head; c; c = next) {
                next = c->next;
                if (now >= c->deadline)
                        swb__fail_call(llm, c, SWB_ERR_TIMEOUT,
                                       "no complete answer within %d ms (status %d)",
                                       c->timeout_ms, c->http.status);
                else if (llm->idle_timeout_ms && c->begun &&
                         now - c->t_last_io >= llm->idle_timeout_ms)
                        swb__fail_call(llm, c, SWB_ERR_TIMEOUT,
                                       "response stalled: nothing for %d ms",
                                       llm->idle_timeout_ms);
        }
        for (c = llm->queued.head; c; c = next) {
                next = c->next;
                if (now >= c->deadline)
                        swb__fail_call(llm, c, SWB_ERR_TIMEOUT,
                                       "queued for %d ms without a transfer slot",
                                       c->timeout_ms);
        }
}

/* One round: start, transfer, collect, time out. */
static void swb__step(swb_llm_t *llm)
{
        swb__call_t *c, *next;
        CURLMsg *msg;
        int running, left;

        swb__start_queued(llm);
        llm->in_perform = true;
        curl_multi_perform(llm->multi, &running);
        llm->in_perform = false;
        while ((msg = curl_multi_info_read(llm->multi, &left))) {
                if (msg->msg != CURLMSG_DONE)
                        continue;
                c = NULL;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
                if (c && c->cancelled)
                        swb__call_free(llm, c);
                else if (c)
                        swb__transfer_done(llm, c, msg->data.result);
        }
        for (c = llm->active.head; c; c = next) { /* cancelled from on_delta */
                next = c->next;
                if (c->cancelled)
                        swb__call_free(llm, c);
        }
        swb__check_deadlines(llm);
        swb__start_queued(llm);
}

/* How long a poll may sleep: until the nearest deadline, at most `max`. */
static int swb__wait_ms(swb_llm_t *llm, int max)
{
        int64_t now = swb__now(llm), w = max < 0 ? INT_MAX : max;
        const swb__list_t *lists[] = {&llm->active, &llm->queued};

        for (size_t i = 0; i < SWB_ARRAY_LEN(lists); i++) {
                for (const swb__call_t *c = lists[i]->head; c; c = c->next) {
                        int64_t d = c->deadline - now;
                        if (llm->idle_timeout_ms && c->begun &&
                            c->where == SWB__ACTIVE &&
                            c->t_last_io + llm->idle_timeout_ms - now < d)
                                d = c->t_last_io + llm->idle_timeout_ms - now;
                        if (d < w)
                                w = d < 0 ? 0 : d;
                }
        }
        return (int)w;
}

/* ---- public ---- */

swb_llm_t *swb_llm_new(const struct swb_llm_opts *opts, char *errstr,
                       size_t errstr_size)
{
        swb_llm_t *llm = swb_calloc(1, sizeof(*llm));
        size_t n;
        char *h;

        if (!opts || !opts->base_url || !*opts->base_url) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "LLM base URL not set");
                goto fail;
        }
        if (!opts->model || !*opts->model) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "LLM model not set");
                goto fail;
        }
        pthread_once(&swb__curl_once, swb__curl_init);
        if (swb__curl_rc != CURLE_OK) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "curl_global_init: %s", curl_easy_strerror(swb__curl_rc));
                goto fail;
        }
        n = strlen(opts->base_url);
        while (n > 0 && opts->base_url[n - 1] == '/')
                n--;
        llm->url = swb_asprintf("%.*s/chat/completions", (int)n, opts->base_url);
        llm->model = swb_strdup(opts->model);
        llm->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : SWB__LLM_TIMEOUT_MS;
        llm->connect_timeout_ms = opts->connect_timeout_ms > 0
                                      ? opts->connect_timeout_ms
                                      : SWB__LLM_CONNECT_MS;
        llm->idle_timeout_ms = opts->idle_timeout_ms > 0 ? opts->idle_timeout_ms : 0;
        llm->max_inflight =
            opts->max_inflight > 0 ? opts->max_inflight : SWB__LLM_MAX_INFLIGHT;
        llm->max_response =
            opts->max_response_bytes ? opts->max_response_bytes : SWB__LLM_MAX_RESPONSE;
        llm->stream = opts->stream;
        if (opts->clock && opts->clock->now_ms)
                llm->clock = *opts->clock;
        else
                llm->clock.now_ms = swb__mono_ms;

        llm->hdr_json = curl_slist_append(NULL, "Content-Type: application/json");
        llm->hdr_json = curl_slist_append(llm->hdr_json, "Expect:");
        llm->hdr_sse = curl_slist_append(NULL, "Content-Type: application/json");
        llm->hdr_sse = curl_slist_append(llm->hdr_sse, "Expect:");
        llm->hdr_sse = curl_slist_append(llm->hdr_sse, "Accept: text/event-stream");
        llm->hdr_json = curl_slist_append(llm->hdr_json, "Accept: application/json");
        if (opts->api_key && *opts->api_key) {
                llm->api_key = swb_strdup(opts->api_key);
                h = swb_asprintf("Authorization: Bearer %s", opts->api_key);
                llm->hdr_json = curl_slist_append(llm->hdr_json, h);
                llm->hdr_sse = curl_slist_append(llm->hdr_sse, h);
                explicit_bzero(h, strlen(h));
                swb_free(h);
        }
        if (!llm->hdr_json || !llm->hdr_sse) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "curl_slist_append failed");
                goto fail;
        }
        llm->multi = curl_multi_init();
        if (!llm->multi) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "curl_multi_init failed");
                goto fail;
        }
        /* Keep a connection per call in flight so keep-alive survives bursts. */
        curl_multi_setopt(llm->multi, CURLMOPT_MAXCONNECTS, (long)llm->max_inflight);
        return llm;
fail:
        swb_llm_destroy(llm);
        return NULL;
}

static void swb__slist_free(struct curl_slist *l)
{
        for (struct curl_slist *p = l; p; p = p->next)
                explicit_bzero(p->data, strlen(p->data)); /* the key */
        curl_slist_free_all(l);
}

void swb_llm_destroy(swb_llm_t *llm)
{
        swb__call_t *c;

        if (!llm)
                return;
        llm->destroying = true;
        while ((c = llm->active.head))
                swb__fail_call(llm, c, SWB_ERR_UNAVAILABLE, "client destroyed");
        while ((c = llm->queued.head))
                swb__fail_call(llm, c, SWB_ERR_UNAVAILABLE, "client destroyed");
        swb__fire_done(llm);
        if (llm->multi)
                curl_multi_cleanup(llm->multi);
        swb__slist_free(llm->hdr_json);
        swb__slist_free(llm->hdr_sse);
        if (llm->api_key)
                explicit_bzero(llm->api_key, strlen(llm->api_key));
        swb_free(llm->api_key);
        swb_free(llm->url);
        swb_free(llm->model);
        swb_free(llm);
}

swb_err_t swb_llm_call(swb_llm_t *llm, const json_t *messages, const json_t *tools,
                       const struct swb_llm_call_opts *opts, swb_llm_cb *done,
                       swb_llm_stream_cb *on_delta, void *opaque)
{
        static const struct swb_llm_call_opts defaults;
        swb__call_t *c;
        json_t *body;
        bool stream;
        size_t n;

        if (!opts)
                opts = &defaults;
        if (!llm || !json_is_array(messages) || !done ||
            (tools && !json_is_null(tools) && !json_is_array(tools)) ||
            (opts->extra && !json_is_object(opts->extra)))
                return SWB_ERR_INVALID_ARG;
        if (llm->destroying)
                return SWB_ERR_UNAVAILABLE;
        stream = opts->stream == SWB_LLM_STREAM_ON ||
                 (opts->stream == SWB_LLM_STREAM_DEFAULT && llm->stream);

        body = json_pack("{s:s, s:O}", "model", opts->model ? opts->model : llm->model,
                         "messages", messages);
        if (!body)
                return SWB_ERR_INVALID_ARG; /* model not UTF-8 */
        if (json_array_size(tools))
                json_object_set(body, "tools", (json_t *)tools);
        if (stream) {
                json_object_set_new(body, "stream", json_true());
                json_object_set_new(body, "stream_options",
                                    json_pack("{s:b}", "include_usage", 1));
        }
        if (opts->extra)
                json_object_update(body, (json_t *)opts->extra);

        c = swb_calloc(1, sizeof(*c));
        c->llm = llm;
        c->done = done;
        c->on_delta = on_delta;
        c->opaque = opaque;
        c->stream = stream;
        c->request_id = swb_strdup(opts->request_id);
        c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : llm->timeout_ms;
        c->t_call = swb__now(llm);
        c->deadline = c->t_call + c->timeout_ms;
        c->first_byte_ms = -1;
        n = json_dumpb(body, NULL, 0, JSON_COMPACT);
        c->body = swb_malloc(n + 1);
        c->body_len = json_dumpb(body, c->body, n, JSON_COMPACT);
        c->body[c->body_len] = '\0';
        json_decref(body);
        swb__list_push(&llm->queued, c, SWB__QUEUED);
        return SWB_OK;
}

int swb_llm_poll(swb_llm_t *llm, int timeout_ms)
{
        int fired;

        if (llm->in_poll || llm->destroying)
                return 0;
        llm->in_poll = true;
        swb__step(llm);
        if (!llm->done.n && timeout_ms != 0) {
                curl_multi_poll(llm->multi, NULL, 0, swb__wait_ms(llm, timeout_ms),
                                NULL);
                swb__step(llm);
        }
        fired = swb__fire_done(llm);
        llm->in_poll = false;
        return fired;
}

void swb_llm_wakeup(swb_llm_t *llm)
{
        curl_multi_wakeup(llm->multi);
}

int swb_llm_timeout_ms(swb_llm_t *llm)
{
        long t = -1;

        if (!llm->queued.n && !llm->active.n && !llm->done.n)
                return -1;
        if (llm->done.n || (llm->queued.n && llm->active.n < (size_t)llm->max_inflight))
                return 0;
        curl_multi_timeout(llm->multi, &t);
        return swb__wait_ms(llm, t < 0 || t > INT_MAX ? -1 : (int)t);
}

size_t swb_llm_inflight(const swb_llm_t *llm)
{
        return llm->queued.n + llm->active.n + llm->done.n;
}

size_t swb_llm_cancel(swb_llm_t *llm, void *opaque)
{
        swb__list_t *lists[] = {&llm->queued, &llm->active, &llm->done};
        size_t n = 0;

        for (size_t i = 0; i < SWB_ARRAY_LEN(lists); i++) {
                swb__call_t *c, *next;
                for (c = lists[i]->head; c; c = next) {
                        next = c->next;
                        if (c->opaque != opaque || c->cancelled)
                                continue;
                        n++;
                        if (llm->in_perform && c->where == SWB__ACTIVE)
                                c->cancelled = true; /* freed after curl returns */
                        else
                                swb__call_free(llm, c);
                }
        }
        return n;
}
