/*
 * swb_llm_decode - what an OpenAI-compatible chat completion answered, as a
 * swb_llm_result_t: JSON bodies (swb_llm_parse_response()) and event streams
 * (swb_llm_stream_*, built on swb_sse). No I/O and no clock: the client
 * (swb_llm) feeds it bytes, fuzz/fuzz_llm.c feeds it garbage.
 *
 * Decoding is lenient where servers differ and strict where the agent loop
 * depends on it: content may be a string or an array of text parts; tool
 * call ids are synthesized when missing; arguments sent as an object are
 * re-serialized; a tool call without a function name is SWB_ERR_DECODE.
 */
#ifndef SWB_LLM_DECODE_H
#define SWB_LLM_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swb_err.h"

/* ---- results --------------------------------------------------------------- */

/** One tool call the model asked for. */
typedef struct swb_llm_tool_call {
        char *id;        /* "call_..."; "call_<index>" when the server sent none */
        char *name;      /* the function name */
        char *arguments; /* the arguments as JSON text, exactly as the model wrote
                          * them (not validated: may be invalid JSON); "{}" when
                          * none were sent */
} swb_llm_tool_call_t;

typedef struct swb_llm_usage {
        int64_t prompt_tokens;
        int64_t completion_tokens;
        int64_t total_tokens;
} swb_llm_usage_t;

/**
 * The outcome of one call. Strings are NUL-terminated and owned by the
 * result; free it all with swb_llm_result_destroy().
 */
typedef struct swb_llm_result {
        swb_err_t err;          /* SWB_OK, or the class of failure (swb_llm.h) */
        char errmsg[256];       /* why, when err != SWB_OK; "" otherwise */
        int http_status;        /* 0 when no response arrived */
        int64_t retry_after_ms; /* server's hint (Retry-After, retry-after-ms,
                                 * x-ratelimit-reset-* on a 429); -1 when none */

        char *id;            /* the completion's id, or NULL */
        char *model;         /* the model that answered, or NULL */
        char *content;       /* the assistant's text, or NULL when it sent none */
        char *finish_reason; /* "stop", "tool_calls", "length", ...; or NULL */
        swb_llm_tool_call_t *tool_calls;
        size_t n_tool_calls;
        bool has_usage; /* usage below came from the server */
        swb_llm_usage_t usage;

        bool streamed;         /* the answer came as an event stream */
        int64_t latency_ms;    /* from swb_llm_call() to completion (queue wait
                                * included), on the client's clock */
        int64_t first_byte_ms; /* from swb_llm_call() to the first body byte; -1 */
} swb_llm_result_t;

/** @returns a new, empty result (err SWB_OK, retry_after_ms and first_byte_ms -1). */
swb_llm_result_t *swb_llm_result_new(void);

/** Frees `res` and everything it holds. Accepts NULL. */
void swb_llm_result_destroy(swb_llm_result_t *res);

/**
 * The assistant message of a successful result, ready to append to the
 * conversation before sending tool results back:
 *   {"role":"assistant","content":<text or null>,
 *    "tool_calls":[{"id":..,"type":"function","function":{"name":..,"arguments":".."}}]}
 * ("tool_calls" only when there are some).
 * @returns a new reference.
 */
json_t *swb_llm_result_message(const swb_llm_result_t *res);

/* ---- streaming deltas -------------------------------------------------------- */

typedef enum swb_llm_delta_kind {
        SWB_LLM_DELTA_CONTENT,    /* text: the next fragment of the answer */
        SWB_LLM_DELTA_TOOL_START, /* a tool call begins; text: its function name */
        SWB_LLM_DELTA_TOOL_ARGS,  /* text: the next fragment of its arguments */
} swb_llm_delta_kind_t;

/** A piece of a streaming answer. Valid only during the on_delta call. */
typedef struct swb_llm_delta {
        swb_llm_delta_kind_t kind;
        const char *text; /* NUL-terminated; never empty */
        size_t len;
        int tool_index;      /* TOOL_*: the tool call's index in the answer */
        const char *tool_id; /* TOOL_*: its id when known so far, else "" */
} swb_llm_delta_t;

/** Called with each delta of a stream (see swb_llm_call() for where it runs). */
typedef void(swb_llm_stream_cb)(void *opaque, const swb_llm_delta_t *delta);

/**
 * Decode a non-streaming chat completion body into `res` (id, model, content,
 * finish_reason, tool_calls, usage), replacing what they held. Any bytes are
 * accepted.
 * @returns res->err: SWB_OK; SWB_ERR_DECODE (not a chat completion) or
 *          SWB_ERR_UNAVAILABLE (an error object), with res->errmsg filled.
 */
swb_err_t swb_llm_parse_response(const char *body, size_t len, swb_llm_result_t *res);

/** An incremental decoder of a streamed chat completion (an event stream). */
typedef struct swb_llm_stream_s swb_llm_stream_t;

/**
 * @param max_event_size limit of one SSE line / event; 0 = 4 MiB
 * @param on_delta       called for each delta; may be NULL
 * @returns a new decoder (never NULL).
 */
swb_llm_stream_t *swb_llm_stream_new(size_t max_event_size, swb_llm_stream_cb *on_delta,
                                     void *opaque);

/** Accepts NULL. */
void swb_llm_stream_destroy(swb_llm_stream_t *st);

/**
 * Feed the next bytes of the event stream, in pieces of any size.
 * @returns SWB_OK; or (sticky) SWB_ERR_DECODE for a chunk that is not JSON or
 *          not a completion chunk (tool call index over 127 included),
 *          SWB_ERR_UNAVAILABLE for an error event, SWB_ERR_TOO_LARGE for an
 *          oversized event.
 */
swb_err_t swb_llm_stream_feed(swb_llm_stream_t *st, const char *buf, size_t len);

/** @returns true once "data: [DONE]" was seen. */
bool swb_llm_stream_done(const swb_llm_stream_t *st);

/**
 * The byte stream ended cleanly. Moves what was assembled into `res` (as
 * swb_llm_parse_response() does) and sets res->err: the feed error if any;
 * SWB_ERR_TRANSPORT when the stream stopped before both [DONE] and a
 * finish_reason (cut short); SWB_OK otherwise. Sets res->streamed.
 * @returns res->err.
 */
swb_err_t swb_llm_stream_finish(swb_llm_stream_t *st, swb_llm_result_t *res);

/** Internal (shared with swb_llm): fill msg from {"error": ...}; @returns false when
 * absent. */
bool swb__llm_error_object(const json_t *root, char *msg, size_t size);

#endif
