/*
 * swb_llm_http - what the HTTP layer of an LLM call says, for swb_llm: the
 * response's status line and headers (content type, Retry-After,
 * retry-after-ms, x-ratelimit-*), the server's retry hint they add up to, and
 * how transport and HTTP failures map to swb_err_t. No I/O; the durations are
 * capped at SWB_LLM_HTTP_MAX_RETRY_AFTER_MS. Thread-safe (Retry-After as an
 * HTTP-date reads the wall clock).
 */
#ifndef SWB_LLM_HTTP_H
#define SWB_LLM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "swb_err.h"
#include "swb_llm_decode.h"

/** The longest wait a server may ask for: 24 hours. */
#define SWB_LLM_HTTP_MAX_RETRY_AFTER_MS (24LL * 3600 * 1000)

/** The response's status and headers; -1 = header absent or unreadable. */
struct swb_llm_http {
        int status; /* 0 until a status line arrived */
        bool ct_json, ct_sse;
        int64_t retry_after_ms, retry_after_ms_hdr, reset_req_ms, reset_tok_ms;
        int remaining_req, remaining_tok;
};

/** Forget everything: a new response (status line) begins. */
void swb_llm_http_reset(struct swb_llm_http *h);

/**
 * Read one header line as libcurl's header callback passes it (`len` bytes,
 * CRLF included, not NUL-terminated): a status line resets `h`; the headers
 * above are read, others (and lines of 512 bytes or more) ignored.
 */
void swb_llm_http_header(struct swb_llm_http *h, const char *buf, size_t len);

/** The server's hint for a failed call, in ms; -1 when none. */
int64_t swb_llm_http_retry_hint(const struct swb_llm_http *h);

/** "1h2m3.5s", "20ms", "6m0s" (Go durations, OpenAI's x-ratelimit-reset-*)
 *  in ms, capped; -1 when it does not parse. */
int64_t swb_llm_http_parse_duration_ms(const char *s);
/** Retry-After (delta-seconds or an HTTP-date) in ms from now, capped; -1 when
 *  it does not parse. */
int64_t swb_llm_http_parse_retry_after(const char *v);

/** @returns the error a failed transfer maps to (SWB_ERR_TRANSPORT by default). */
swb_err_t swb_llm_http_curl_err(CURLcode rc);
/** @returns the error a non-2xx HTTP status maps to. */
swb_err_t swb_llm_http_status_err(int status);

/**
 * Fill res->err, res->errmsg ("HTTP 429: <the server's error message>") and
 * res->retry_after_ms for a call that got the non-2xx status in `h`; `body`
 * (`len` bytes, may be NULL) is the response body.
 */
void swb_llm_http_failure(const struct swb_llm_http *h, const char *body, size_t len,
                          swb_llm_result_t *res);

/** Replace every occurrence of `secret` (the API key; ignored when shorter
 *  than 4 bytes or NULL) in `msg`: servers echo it in 401s. */
void swb_llm_http_redact(const char *secret, char *msg);

#endif
