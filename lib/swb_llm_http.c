#include "swb_llm_http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SWB__LLM_MAX_RETRY_AFTER SWB_LLM_HTTP_MAX_RETRY_AFTER_MS

/* "1h2m3.5s", "20ms", "6m0s" (Go durations, OpenAI's x-ratelimit-reset-*). */
int64_t swb_llm_http_parse_duration_ms(const char *s)
{
        double total = 0;
        bool any = false;

        while (*s == ' ')
                s++;
        while (*s) {
                char *end;
                double v = strtod(s, &end), mult;
                if (end == s || !isfinite(v) || v < 0)
                        return -1;
                s = end;
                if (!strncmp(s, "ms", 2)) {
                        mult = 1, s += 2;
                } else if (!strncmp(s, "us", 2) || !strncmp(s, "\xC2\xB5s", 3)) {
                        mult = 0.001, s += (*s == 'u') ? 2 : 3;
                } else if (!strncmp(s, "ns", 2)) {
                        mult = 0.000001, s += 2;
                } else if (*s == 'h') {
                        mult = 3600000, s++;
                } else if (*s == 'm') {
                        mult = 60000, s++;
                } else if (*s == 's' || *s == '\0' || *s == ' ') {
                        mult = 1000, s += (*s == 's');
                } else {
                        return -1;
                }
                total += v * mult;
                any = true;
                while (*s == ' ')
                        s++;
        }
        if (!any)
                return -1;
        return total > (double)SWB__LLM_MAX_RETRY_AFTER ? SWB__LLM_MAX_RETRY_AFTER
                                                        : (int64_t)ceil(total);
}

/* Retry-After: delta-seconds or an HTTP-date. */
int64_t swb_llm_http_parse_retry_after(const char *v)
{
        char *end;
        double secs;
        time_t t;

        while (*v == ' ')
                v++;
        secs = strtod(v, &end);
        if (end != v && (*end == '\0' || *end == ' ')) {
                if (!isfinite(secs) || secs < 0)
                        return -1;
                secs *= 1000;
                return secs > (double)SWB__LLM_MAX_RETRY_AFTER
                           ? SWB__LLM_MAX_RETRY_AFTER
                           : (int64_t)ceil(secs);
        }
        t = curl_getdate(v, NULL);
        if (t == (time_t)-1)
                return -1;
        t -= time(NULL);
        if (t <= 0)
                return 0;
        return (int64_t)t * 1000 > SWB__LLM_MAX_RETRY_AFTER ? SWB__LLM_MAX_RETRY_AFTER
                                                            : (int64_t)t * 1000;
}

void swb_llm_http_reset(struct swb_llm_http *h)
{
        h->status = 0;
        h->ct_json = h->ct_sse = false;
        h->retry_after_ms = h->retry_after_ms_hdr = -1;
        h->reset_req_ms = h->reset_tok_ms = -1;
        h->remaining_req = h->remaining_tok = -1;
}

void swb_llm_http_header(struct swb_llm_http *h, const char *buf, size_t len)
{
        size_t nlen;
        char line[512], *colon, *val, *e;

        if (len >= sizeof(line))
                return; /* no header we read is that long */
        memcpy(line, buf, len);
        line[len] = '\0';
        for (e = line + len;
             e > line && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ');)
                *--e = '\0';
        if (!strncmp(line, "HTTP/", 5)) {
                const char *sp = strchr(line, ' ');
                swb_llm_http_reset(h);
                h->status = sp ? atoi(sp + 1) : 0;
                return;
        }
        if (!(colon = strchr(line, ':')))
                return;
        nlen = (size_t)(colon - line);
        val = colon + 1;
        while (*val == ' ' || *val == '\t')
                val++;
#define SWB__IS(name) (nlen == sizeof(name) - 1 && !strncasecmp(line, name, nlen))
        if (SWB__IS("content-type")) {
                h->ct_json = strcasestr(val, "json") != NULL;
                h->ct_sse = strcasestr(val, "text/event-stream") != NULL;
        } else if (SWB__IS("retry-after")) {
                h->retry_after_ms = swb_llm_http_parse_retry_after(val);
        } else if (SWB__IS("retry-after-ms")) {
                double ms = strtod(val, &e);
                h->retry_after_ms_hdr =
                    e != val && isfinite(ms) && ms >= 0
                        ? (int64_t)ceil(fmin(ms, SWB__LLM_MAX_RETRY_AFTER))
                        : -1;
        } else if (SWB__IS("x-ratelimit-reset-requests")) {
                h->reset_req_ms = swb_llm_http_parse_duration_ms(val);
        } else if (SWB__IS("x-ratelimit-reset-tokens")) {
                h->reset_tok_ms = swb_llm_http_parse_duration_ms(val);
        } else if (SWB__IS("x-ratelimit-remaining-requests")) {
                h->remaining_req = atoi(val);
        } else if (SWB__IS("x-ratelimit-remaining-tokens")) {
                h->remaining_tok = atoi(val);
        }
#undef SWB__IS
}

/* The server's hint for a failed call; -1 when none. */
int64_t swb_llm_http_retry_hint(const struct swb_llm_http *h)
{
        int64_t r = -1;

        if (h->retry_after_ms_hdr >= 0)
                return h->retry_after_ms_hdr;
        if (h->retry_after_ms >= 0)
                return h->retry_after_ms;
        if (h->status != 429)
                return -1;
        /* Wait for the bucket that ran dry; when unknown, the sooner one. */
        if (h->remaining_req == 0 && h->reset_req_ms >= 0)
                r = h->reset_req_ms;
        if (h->remaining_tok == 0 && h->reset_tok_ms > r)
                r = h->reset_tok_ms;
        if (r < 0) {
                r = h->reset_req_ms;
                if (h->reset_tok_ms >= 0 && (r < 0 || h->reset_tok_ms < r))
                        r = h->reset_tok_ms;
        }
        return r;
}

swb_err_t swb_llm_http_curl_err(CURLcode rc)
{
        switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
                return SWB_ERR_TIMEOUT;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_TOO_MANY_REDIRECTS:
                return SWB_ERR_CONFIG;
        case CURLE_OUT_OF_MEMORY:
        case CURLE_BAD_FUNCTION_ARGUMENT:
                return SWB_ERR_INTERNAL;
        default:
                return SWB_ERR_TRANSPORT; /* refused, reset, DNS, closed early, ... */
        }
}

swb_err_t swb_llm_http_status_err(int status)
{
        if (status == 429 || status >= 500)
                return SWB_ERR_UNAVAILABLE;
        if (status == 408)
                return SWB_ERR_TIMEOUT;
        if (status == 401 || status == 403)
                return SWB_ERR_FORBIDDEN;
        if (status == 404)
                return SWB_ERR_NOT_FOUND;
        if (status == 413)
                return SWB_ERR_TOO_LARGE;
        if (status >= 400)
                return SWB_ERR_INVALID_ARG;
        return SWB_ERR_DECODE; /* a final 1xx or 3xx: not something we can use */
}

void swb_llm_http_failure(const struct swb_llm_http *h, const char *body, size_t len,
                          swb_llm_result_t *res)
{
        json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
        char why[200] = "";

        res->err = swb_llm_http_status_err(h->status);
        if (root && swb__llm_error_object(root, why, sizeof(why)))
                snprintf(res->errmsg, sizeof(res->errmsg), "HTTP %d: %s", h->status,
                         why + strlen("server error: "));
        else
                snprintf(res->errmsg, sizeof(res->errmsg), "HTTP %d", h->status);
        json_decref(root);
        res->retry_after_ms = swb_llm_http_retry_hint(h);
}

/* Replace every occurrence of the API key in `msg` (servers echo it in 401s). */
void swb_llm_http_redact(const char *secret, char *msg)
{
        size_t klen = secret ? strlen(secret) : 0;
        static const char mask[] = "[redacted]";
        size_t m = klen < sizeof(mask) - 1 ? klen : sizeof(mask) - 1;
        char *p = msg;

        if (klen < 4)
                return;
        while ((p = strstr(p, secret))) {
                memcpy(p, mask, m);
                memmove(p + m, p + klen, strlen(p + klen) + 1);
                p += m;
        }
}
