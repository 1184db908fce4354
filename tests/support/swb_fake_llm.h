/*
 * swb_fake_llm - a scripted, OpenAI-compatible chat-completions server for
 * tests (libmicrohttpd, one thread per connection, 127.0.0.1, ephemeral port).
 *
 * Each POST .../chat/completions is answered by, in this order: the next
 * reply pushed with swb_fake_llm_push() (FIFO), else the handler set with
 * swb_fake_llm_set_handler(), else the default reply (swb_fake_llm_set_default();
 * initially a completion with content "ok"). Other paths get 404, a body that
 * is not JSON gets 400, a wrong key gets 401 (when opts.api_key is set).
 *
 * Completions are sent as JSON or, when the request asked for "stream":true
 * (or the reply forces it), as an event stream exactly as OpenAI sends one: a
 * role chunk, content chunks, one chunk per tool call start and argument
 * fragments, a finish_reason chunk, a usage chunk (choices []) when
 * stream_options.include_usage was asked, then "data: [DONE]".
 *
 * Every request is recorded (method, path, authorization, parsed body) for
 * the test to assert on. Waits (delays, stalls) end early when the client
 * closes the connection or the server is destroyed, so swb_fake_llm_destroy()
 * returns promptly and leaves no thread behind, even mid-stall.
 *
 * All functions are thread-safe.
 */
#ifndef SWB_FAKE_LLM_H
#define SWB_FAKE_LLM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct swb_fake_llm_s swb_fake_llm_t;

typedef enum swb_fake_llm_kind {
        SWB_FAKE_LLM_COMPLETION = 0, /* content and/or tool_calls (JSON or SSE) */
        SWB_FAKE_LLM_ERROR,     /* `status` with an OpenAI error body, Retry-After */
        SWB_FAKE_LLM_STALL,     /* hold the request stall_ms (-1: until the client
                                 * leaves or shutdown), then close, no answer */
        SWB_FAKE_LLM_MALFORMED, /* 200 with a truncated JSON body; when streaming,
                                 * a good chunk then a chunk that is not JSON */
        SWB_FAKE_LLM_RAW,       /* `status`, `content_type` and `body` as given */
} swb_fake_llm_kind_t;

struct swb_fake_llm_tool_call {
        const char *id; /* NULL = "call_<seq>_<i>" */
        const char *name;
        const char *arguments; /* JSON text; NULL = "{}" */
};

/**
 * One scripted reply. Zero-initialised fields take the defaults noted. The
 * strings are copied by swb_fake_llm_push() / swb_fake_llm_set_default().
 */
struct swb_fake_llm_reply {
        swb_fake_llm_kind_t kind;
        int status;              /* ERROR: default 500; RAW: default 200 */
        const char *message;     /* ERROR: the error message */
        const char *retry_after; /* Retry-After header value, or NULL */
        const char *headers;     /* extra response headers, "Name: value" lines
                                  * separated by '\n', or NULL */
        /* COMPLETION */
        const char *content; /* NULL = none (null in JSON) */
        const struct swb_fake_llm_tool_call *tool_calls;
        size_t n_tool_calls;
        const char
            *finish_reason; /* NULL = "tool_calls" when there are some, else "stop" */
        const char *model;  /* NULL = the request's model */
        int prompt_tokens;  /* 0 = derived from the request size */
        int completion_tokens; /* 0 = derived from the answer size */
        /* RAW */
        const char *content_type; /* NULL = "application/json" */
        const char *body;
        /* timing */
        int delay_ms; /* wait before answering (any kind) */
        int stall_ms; /* STALL, or mid-stream with stall_after_events */
        /* streaming */
        int stream;             /* 0 = as the request asks, 1 = SSE, -1 = JSON */
        size_t piece;           /* content / arguments split every `piece`
                                 * bytes, one chunk each; 0 = 4 */
        int event_delay_ms;     /* pause between writes */
        size_t max_write;       /* at most this many bytes per write, cutting
                                 * events anywhere; 0 = whole events */
        int stall_after_events; /* > 0: after that many events, stall stall_ms
                                 * then drop the connection */
        bool omit_done;         /* no "data: [DONE]" */
        bool crlf;              /* end lines with CRLF */
};

struct swb_fake_llm_opts {
        const char *api_key; /* when set, requests without "Bearer <key>" get 401 */
        bool no_record;      /* keep counts but not request bodies (benchmarks) */
};

/**
 * Decides the reply to one request when the queue is empty. Called on a
 * server thread, possibly several at once. `request` is the parsed body
 * (borrowed); `seq` numbers requests from 0. Fill `reply` (zeroed); strings
 * must be static, owned by `opaque`, or written into `scratch` (scratch_size
 * bytes, valid until the reply is sent).
 * @returns false to use the default reply instead.
 */
typedef bool(swb_fake_llm_handler_fn)(void *opaque, const json_t *request, uint64_t seq,
                                      struct swb_fake_llm_reply *reply, char *scratch,
                                      size_t scratch_size);

/**
 * Start serving on 127.0.0.1, an ephemeral port.
 * @param opts NULL = defaults
 * @returns the server, or NULL with errstr filled.
 */
swb_fake_llm_t *swb_fake_llm_new(const struct swb_fake_llm_opts *opts, char *errstr,
                                 size_t errstr_size);

/** Stop (ending any delay or stall at once), join every thread, free. Accepts NULL. */
void swb_fake_llm_destroy(swb_fake_llm_t *fake);

/** @returns "http://127.0.0.1:<port>/v1" (owned by the fake). */
const char *swb_fake_llm_url(const swb_fake_llm_t *fake);
int swb_fake_llm_port(const swb_fake_llm_t *fake);

/** Queue a reply for the next request not yet answered (copied). */
void swb_fake_llm_push(swb_fake_llm_t *fake, const struct swb_fake_llm_reply *reply);
/** Replace the default reply (copied). */
void swb_fake_llm_set_default(swb_fake_llm_t *fake,
                              const struct swb_fake_llm_reply *reply);
/** Set (or with NULL, remove) the handler. */
void swb_fake_llm_set_handler(swb_fake_llm_t *fake, swb_fake_llm_handler_fn *fn,
                              void *opaque);

/**
 * The requests received so far, oldest first:
 *   [{"seq":0,"method":"POST","path":"/v1/chat/completions",
 *     "authorization":"Bearer ..." or null,"accept":"..." or null,
 *     "body":<parsed JSON, or the raw text when it was not JSON>}, ...]
 * @returns a new reference (a deep copy).
 */
json_t *swb_fake_llm_requests(swb_fake_llm_t *fake);

/** @returns the number of requests received (complete bodies), any path. */
uint64_t swb_fake_llm_request_count(swb_fake_llm_t *fake);

/** Waits until `n` requests were received or timeout_ms passes. @returns true if so. */
bool swb_fake_llm_wait_requests(swb_fake_llm_t *fake, uint64_t n, int64_t timeout_ms);

/** @returns requests being answered right now / the most ever at once. */
int swb_fake_llm_active(swb_fake_llm_t *fake);
int swb_fake_llm_peak_active(swb_fake_llm_t *fake);

#endif
