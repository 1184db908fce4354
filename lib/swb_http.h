/*
 * swb_http - the HTTP endpoints every process serves (libmicrohttpd).
 *
 *   GET /health/live   200 {"status":"live"}
 *   GET /health/ready  200 {"status":"ready","checks":{"kafka":"ok",...}} when
 *                      every readiness check passes, else
 *                      503 {"status":"not_ready","checks":{"kafka":"<why>",...}}
 *   GET /metrics       200 text/plain; version=0.0.4 (swb_metrics_render())
 *   anything else      404 {"error":"not found"}; a known path with another
 *                      method: 405 {"error":"method not allowed"} with Allow.
 * HEAD is answered like GET, without the body. More routes can be added with
 * swb_http_add_route() (the gateway's API).
 *
 * The server runs on its own small pool of threads (MHD internal polling with
 * a thread pool): no call here blocks the caller on network I/O. Everything
 * that is called back (readiness checks, route handlers) runs on those
 * threads, possibly several at once.
 */
#ifndef SWB_HTTP_H
#define SWB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "swb_err.h"
#include "swb_metrics.h"

typedef struct swb_http_s swb_http_t;

/** Default limit of a request body; see swb_http_set_max_body(). */
#define SWB_HTTP_DEFAULT_MAX_BODY (1024 * 1024)

/**
 * Start serving.
 * @param bind_addr numeric IPv4 or IPv6 address or host name to listen on;
 *                  NULL or "" = all IPv4 interfaces
 * @param port      TCP port; 0 = an ephemeral port (read it with swb_http_port())
 * @param metrics   registry served on /metrics; not owned, must outlive the
 *                  server; NULL = no /metrics route
 * @returns the running server, or NULL with errstr filled (e.g. port in use).
 */
swb_http_t *swb_http_new(const char *bind_addr, int port, swb_metrics_t *metrics,
                         char *errstr, size_t errstr_size);

/**
 * Stop serving: closes the listening socket, waits for the requests in
 * progress (so no callback runs once this returns) and frees everything.
 * Accepts NULL.
 */
void swb_http_destroy(swb_http_t *http);

/** @returns the port actually bound (useful with port 0). */
int swb_http_port(const swb_http_t *http);

/**
 * Write the bound port ("<port>\n") to `path` atomically: a temporary file in
 * the same directory, then rename(2), so readers never see a partial file.
 * @returns SWB_OK, or SWB_ERR_IO with errstr filled.
 */
swb_err_t swb_http_write_port_file(const swb_http_t *http, const char *path,
                                   char *errstr, size_t errstr_size);

/**
 * A readiness check, called on every GET /health/ready from an HTTP thread,
 * possibly concurrently with itself and with the owner's threads. It must be
 * thread-safe, fast and non-blocking: read a flag (an atomic) the owner keeps
 * up to date, never do I/O.
 * @param why      on failure, write a short reason (NUL-terminated) here; it
 *                 becomes the check's value in the JSON ("not ready" if empty)
 * @returns true when this dependency is ready.
 */
typedef bool (*swb_http_check_fn)(void *opaque, char *why, size_t why_size);

/**
 * Add a readiness check named `name` (copied; it is the key in "checks").
 * May be called at any time, from any thread. `opaque` must stay valid until
 * swb_http_destroy(). Checks run in the order added.
 */
void swb_http_add_check(swb_http_t *http, const char *name, swb_http_check_fn check,
                        void *opaque);

/** A request as a route handler sees it. Valid only during the handler call. */
typedef struct swb_http_request {
        const char *method; /* "GET", "POST", ... */
        const char *path;   /* without the query string */
        const char *body;   /* NUL-terminated; "" when there is none */
        size_t body_len;
        void *conn_; /* internal */
} swb_http_request_t;

/** @returns the value of request header `name` (case-insensitive), or NULL. */
const char *swb_http_request_header(const swb_http_request_t *req, const char *name);
/** @returns the value of query-string argument `name` (URL-decoded), or NULL. */
const char *swb_http_request_arg(const swb_http_request_t *req, const char *name);

/** What a route handler answers besides the status. Starts zeroed. */
typedef struct swb_http_response {
        /** Static string (not freed); NULL = "application/json". */
        const char *content_type;
        /** swb_malloc()ed body; the server takes ownership. NULL = empty body. */
        char *body;
        size_t body_len;
        /** Optional extra header, e.g. "Retry-After" / "1"; static strings. */
        const char *header_name;
        const char *header_value;
} swb_http_response_t;

/**
 * A route handler. Called from an HTTP thread (several may run at once) once
 * the whole request body has arrived.
 * @returns the HTTP status (100..599; anything else is answered 500).
 */
typedef int (*swb_http_handler_fn)(void *opaque, const swb_http_request_t *req,
                                   swb_http_response_t *resp);

/**
 * Route `method` `path` (exact match, no patterns; both copied) to `handler`.
 * Adding an existing method + path replaces its handler. May be called at any
 * time, from any thread; `opaque` must stay valid until swb_http_destroy().
 * Request bodies longer than the limit (swb_http_set_max_body()) are answered
 * 413 without calling the handler.
 */
void swb_http_add_route(swb_http_t *http, const char *method, const char *path,
                        swb_http_handler_fn handler, void *opaque);

/** Set the request body limit in bytes (default SWB_HTTP_DEFAULT_MAX_BODY). */
void swb_http_set_max_body(swb_http_t *http, size_t max_body);

#endif
