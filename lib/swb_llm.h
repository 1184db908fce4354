/*
 * swb_llm - an asynchronous client of OpenAI-compatible chat completions.
 *
 * One swb_llm_t drives many calls at once on one libcurl multi handle: the
 * owner's thread queues calls with swb_llm_call() and runs them with
 * swb_llm_poll(), which fires the callbacks on that same thread. Hundreds of
 * calls may be in flight from one thread (tests/unit/test_llm.c holds 600).
 *
 *   POST {base_url}/chat/completions
 *   Authorization: Bearer {api_key}       (when a key is set; never logged)
 *   {"model":..., "messages":[...], "tools":[...], "stream":true,
 *    "stream_options":{"include_usage":true}, <extra fields>}
 *
 * Streaming responses (text/event-stream) are parsed as they arrive
 * (swb_sse): content fragments and tool-call starts go to the call's
 * on_delta callback, and everything is assembled into the same final result
 * a non-streaming call gets.
 *
 * Errors and what retry logic should do (it reads swb_err_is_retriable(),
 * and retry_after_ms when set; this client never retries by itself):
 *   SWB_ERR_UNAVAILABLE  HTTP 429, 5xx, an error object in a 200 body or in
 *                        the stream, client destroyed            retriable
 *   SWB_ERR_TIMEOUT      the call's deadline passed, a stalled stream
 *                        (idle_timeout_ms), connect timeout, 408  retriable
 *   SWB_ERR_TRANSPORT    connection refused / reset / closed early, a
 *                        stream cut before its end               retriable
 *   SWB_ERR_DECODE       a 2xx body that is not a chat completion (bad JSON,
 *                        no choices, bad tool call), a bad stream chunk:
 *                        permanent - the same request is likely to get the
 *                        same answer; callers may still choose one retry
 *   SWB_ERR_INVALID_ARG  HTTP 400, 422 and other 4xx not listed   permanent
 *   SWB_ERR_FORBIDDEN    HTTP 401, 403 (bad or missing key)       permanent
 *   SWB_ERR_NOT_FOUND    HTTP 404 (wrong base_url or model)       permanent
 *   SWB_ERR_TOO_LARGE    HTTP 413, or the response passed max_response_bytes
 *   SWB_ERR_CONFIG       an unusable URL or TLS setup             permanent
 *
 * Threading: a swb_llm_t is not thread-safe. swb_llm_new(), swb_llm_call(),
 * swb_llm_poll(), swb_llm_cancel() and swb_llm_destroy() are called from one
 * thread at a time (the owner's loop); only swb_llm_wakeup() may be called
 * from any thread. Callbacks run on the thread in swb_llm_poll() or
 * swb_llm_destroy().
 */
#ifndef SWB_LLM_H
#define SWB_LLM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swb_err.h"
#include "swb_llm_decode.h"

typedef struct swb_llm_s swb_llm_t;

/* ---- callbacks ------------------------------------------------------------- */

/*
 * on_delta (swb_llm_stream_cb, swb_llm_decode.h) is called for each delta of
 * a streaming call, from inside swb_llm_poll(), in the order the server sent
 * them. It must not call swb_llm_poll() or swb_llm_destroy();
 * swb_llm_call() and swb_llm_cancel() are fine.
 */

/**
 * Called once per call when it completes (also on failure, cancel excepted).
 * Takes ownership of `res` (free it with swb_llm_result_destroy()). Called
 * from swb_llm_poll() or swb_llm_destroy(); it may call swb_llm_call() (the
 * next round of an agent loop) and swb_llm_cancel(), not swb_llm_poll().
 */
typedef void(swb_llm_cb)(void *opaque, swb_llm_result_t *res);

/* ---- the client ---------------------------------------------------------------- */

/**
 * The clock every deadline is measured on. Tests inject a fake one to drive
 * timeouts without waiting; NULL in swb_llm_opts = CLOCK_MONOTONIC.
 */
typedef struct swb_llm_clock {
        /** @returns milliseconds on a monotonic clock. Called on the polling thread. */
        int64_t (*now_ms)(void *opaque);
        void *opaque;
} swb_llm_clock_t;

struct swb_llm_opts {
        const char *base_url;         /* required, e.g. "http://127.0.0.1:8080/v1" */
        const char *api_key;          /* NULL or "" = no Authorization header */
        const char *model;            /* required: the default model */
        int timeout_ms;               /* per call, from swb_llm_call() to the last byte,
                                       * queue wait included; 0 = 60000 */
        int connect_timeout_ms;       /* 0 = 10000 */
        int idle_timeout_ms;          /* once a response has begun, this long without a
                                       * byte is a stall (SWB_ERR_TIMEOUT); 0 = off.
                                       * Meant for streams: a JSON answer may follow
                                       * its headers only when the model is done */
        bool stream;                  /* default of swb_llm_call_opts.stream */
        int max_inflight;             /* transfers at once; later calls wait in FIFO
                                       * order; 0 = 1024 */
        size_t max_response_bytes;    /* 0 = 8 MiB */
        const swb_llm_clock_t *clock; /* copied; NULL = CLOCK_MONOTONIC */
};

/**
 * Create a client. All strings are copied.
 * @returns the client, or NULL with errstr filled (missing base_url or model,
 *          libcurl initialisation failure).
 */
swb_llm_t *swb_llm_new(const struct swb_llm_opts *opts, char *errstr,
                       size_t errstr_size);

/**
 * Complete every call still queued or in flight with SWB_ERR_UNAVAILABLE
 * ("client destroyed"), firing their done callbacks on this thread (calls
 * made from those callbacks are refused), then free everything. Calls already
 * completed whose callbacks had not fired yet fire with their real result.
 * Accepts NULL.
 */
void swb_llm_destroy(swb_llm_t *llm);

enum swb_llm_stream_mode {
        SWB_LLM_STREAM_DEFAULT = 0, /* the client's opts.stream */
        SWB_LLM_STREAM_ON,
        SWB_LLM_STREAM_OFF,
};

/** Per-call settings; NULL or zeroed = the client's defaults. */
struct swb_llm_call_opts {
        int timeout_ms; /* 0 = the client's */
        enum swb_llm_stream_mode stream;
        const char *model;      /* NULL = the client's */
        const json_t *extra;    /* an object whose fields are added to
                                 * the request body (temperature,
                                 * max_tokens, tool_choice, user, ...),
                                 * replacing ours of the same name */
        const char *request_id; /* for log lines only */
};

/**
 * Queue a call. The request body is serialized before this returns: the
 * caller keeps ownership of `messages`, `tools` and `opts`. The transfer
 * starts on the next swb_llm_poll().
 * @param messages an array of chat messages (borrowed)
 * @param tools    an array of OpenAI tools ({"type":"function","function":{..}})
 *                 or NULL / empty for none (borrowed)
 * @param done     called once when the call completes; not NULL
 * @param on_delta called with streaming deltas; NULL = not interested
 * @returns SWB_OK; SWB_ERR_INVALID_ARG (messages not an array, tools not an
 *          array, extra not an object, done NULL); SWB_ERR_UNAVAILABLE while
 *          the client is being destroyed. On error no callback ever fires.
 */
swb_err_t swb_llm_call(swb_llm_t *llm, const json_t *messages, const json_t *tools,
                       const struct swb_llm_call_opts *opts, swb_llm_cb *done,
                       swb_llm_stream_cb *on_delta, void *opaque);

/**
 * Drive the transfers: start queued calls, move bytes, enforce deadlines and
 * fire callbacks. Waits at most `timeout_ms` (0 = do what is ready and
 * return at once, for owners that poll from their own loop; < 0 = until
 * something happens) and returns early once a call completed or
 * swb_llm_wakeup() was called; callers loop.
 * @returns the number of calls completed (done callbacks fired) by this call.
 */
int swb_llm_poll(swb_llm_t *llm, int timeout_ms);

/** Make a swb_llm_poll() that is waiting return soon. Any thread. */
void swb_llm_wakeup(swb_llm_t *llm);

/**
 * @returns how long the owner may wait before it needs to call swb_llm_poll()
 *          again (the next transfer timer or call deadline; 0 when calls are
 *          queued), or -1 when no call is queued or in flight.
 */
int swb_llm_timeout_ms(swb_llm_t *llm);

/** @returns the calls queued or in flight whose callback has not fired. */
size_t swb_llm_inflight(const swb_llm_t *llm);

/**
 * Abandon every call made with `opaque` (queued, in flight, or completed but
 * not yet reported). Their callbacks never fire. May be called from the
 * callbacks, including a call's own on_delta.
 * @returns the number of calls abandoned.
 */
size_t swb_llm_cancel(swb_llm_t *llm, void *opaque);

#endif
