#include "swb_http.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swb_log.h"
#include "swb_mem.h"

#define SWB__HTTP_THREADS         2
#define SWB__HTTP_MAX_CONNECTIONS 64
#define SWB__HTTP_CONN_TIMEOUT_S  30
#define SWB__HTTP_WHY_SIZE        256

#define SWB__JSON_TYPE    "application/json"
#define SWB__METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct swb__route {
        char *method;
        char *path;
        swb_http_handler_fn fn;
        void *opaque;
} swb__route_t;

typedef struct swb__check {
        char *name;
        swb_http_check_fn fn;
        void *opaque;
} swb__check_t;

struct swb_http_s {
        struct MHD_Daemon *daemon;
        int port;
        swb_metrics_t *metrics;
        atomic_size_t max_body;

        pthread_mutex_t lock; /* guards the arrays below and last_error */
        swb__route_t *routes;
        size_t n_routes, cap_routes;
        swb__check_t *checks;
        size_t n_checks, cap_checks;
        char last_error[256]; /* latest MHD log line (start-up errors) */
};

/* Per-request state, from the first access-handler call to request completion. */
typedef struct swb__req {
        swb_http_handler_fn fn;
        void *opaque;
        char *body;
        size_t len, cap;
        bool too_large;
        bool answered; /* an error went out before the body was read */
} swb__req_t;

/* ---- responses ---------------------------------------------------------- */

static enum MHD_Result swb__queue(struct MHD_Connection *conn, int status,
                                  const char *content_type, char *body, size_t len,
                                  const char *hname, const char *hvalue)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (body)
                resp = MHD_create_response_from_buffer_with_free_callback(len, body,
                                                                          swb_free);
        else
                resp = MHD_create_response_from_buffer(0, (void *)"",
                                                       MHD_RESPMEM_PERSISTENT);
        if (!resp) {
                swb_free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                content_type ? content_type : SWB__JSON_TYPE);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (hname && hvalue)
                MHD_add_response_header(resp, hname, hvalue);
        ret = MHD_queue_response(conn, (unsigned int)status, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* Queue a JSON error body {"error":"<msg>"} (msg is plain ASCII, no escaping). */
static enum MHD_Result swb__queue_error(struct MHD_Connection *conn, int status,
                                        const char *msg, const char *hname,
                                        const char *hvalue)
{
        char *body = swb_asprintf("{\"error\":\"%s\"}", msg);
        return swb__queue(conn, status, SWB__JSON_TYPE, body, strlen(body), hname,
                          hvalue);
}

/* @returns a swb_malloc()ed copy of the compact JSON of `obj`; steals `obj`. */
static char *swb__json_steal(json_t *obj, size_t *len)
{
        char *s = json_dumps(obj, JSON_COMPACT);
        char *copy = swb_strdup(s ? s : "{}");
        free(s); /* jansson allocates with malloc */
        json_decref(obj);
        *len = strlen(copy);
        return copy;
}

/* ---- built-in routes ---------------------------------------------------- */

static int swb__handle_live(void *opaque, const swb_http_request_t *req,
                            swb_http_response_t *resp)
{
        resp->body = swb_strdup("{\"status\":\"live\"}");
        resp->body_len = strlen(resp->body);
        return 200;
}

static int swb__handle_ready(void *opaque, const swb_http_request_t *req,
                             swb_http_response_t *resp)
{
        swb_http_t *http = opaque;
        swb__check_t *snap = NULL;
        size_t n, i;
        bool ready = true;
        json_t *root = json_object(), *checks = json_object();

        /* Call the checks outside the lock: they may be slow-ish or add checks. */
        pthread_mutex_lock(&http->lock);
        n = http->n_checks;
        if (n) {
                snap = swb_malloc(n * sizeof(*snap));
                memcpy(snap, http->checks, n * sizeof(*snap));
        }
        pthread_mutex_unlock(&http->lock);

        for (i = 0; i < n; i++) {
                char why[SWB__HTTP_WHY_SIZE] = "";
                bool ok = snap[i].fn(snap[i].opaque, why, sizeof(why));
                why[sizeof(why) - 1] = '\0';
                if (!ok) {
                        ready = false;
                        if (!why[0])
                                snprintf(why, sizeof(why), "not ready");
                }
                json_object_set_new(checks, snap[i].name, json_string(ok ? "ok" : why));
        }
        swb_free(snap);

        json_object_set_new(root, "status", json_string(ready ? "ready" : "not_ready"));
        json_object_set_new(root, "checks", checks);
        resp->body = swb__json_steal(root, &resp->body_len);
        return ready ? 200 : 503;
}

static int swb__handle_metrics(void *opaque, const swb_http_request_t *req,
                               swb_http_response_t *resp)
{
        swb_http_t *http = opaque;
        resp->content_type = SWB__METRICS_TYPE;
        resp->body = swb_metrics_render(http->metrics);
        resp->body_len = strlen(resp->body);
        return 200;
}

/* ---- dispatch ----------------------------------------------------------- */

/*
 * Find the handler of method + path (HEAD uses GET's). On a miss, fill
 * `allow` with the methods the path has ("" when the path is unknown).
 */
static bool swb__route_find(swb_http_t *http, const char *method, const char *path,
                            swb_http_handler_fn *fn, void **opaque, char *allow,
                            size_t allow_size)
{
        size_t i, pos = 0;
        bool found = false;

        if (!strcmp(method, MHD_HTTP_METHOD_HEAD))
                method = MHD_HTTP_METHOD_GET;
        allow[0] = '\0';
        pthread_mutex_lock(&http->lock);
        for (i = 0; i < http->n_routes && !found; i++) {
                const swb__route_t *r = &http->routes[i];
                if (strcmp(r->path, path))
                        continue;
                if (!strcmp(r->method, method)) {
                        *fn = r->fn;
                        *opaque = r->opaque;
                        found = true;
                } else if (pos + strlen(r->method) + 3 < allow_size) {
                        pos += (size_t)snprintf(allow + pos, allow_size - pos, "%s%s",
                                                pos ? ", " : "", r->method);
                }
        }
        pthread_mutex_unlock(&http->lock);
        return found;
}

static enum MHD_Result swb__dispatch(swb_http_t *http, struct MHD_Connection *conn,
                                     const char *url, const char *method, swb__req_t *r)
{
        swb_http_request_t req = {
            .method = method,
            .path = url,
            .body = r->body ? r->body : "",
            .body_len = r->len,
            .conn_ = conn,
        };
        swb_http_response_t resp = {0};
        int status = r->fn(r->opaque, &req, &resp);

        if (status < 100 || status > 599) {
                SWB_ERR(NULL, "http: handler of %s %s returned status %d", method, url,
                        status);
                swb_free(resp.body);
                return swb__queue_error(conn, 500, "internal error", NULL, NULL);
        }
        return swb__queue(conn, status, resp.content_type, resp.body,
                          resp.body ? resp.body_len : 0, resp.header_name,
                          resp.header_value);
}

static enum MHD_Result swb__access(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
        swb_http_t *http = cls;
        swb__req_t *r = *con_cls;
        size_t max_body = atomic_load(&http->max_body);

        if (!r) {
                /* Headers are in: route now, so errors go out before the body. */
                char allow[128];
                const char *cl;

                r = swb_calloc(1, sizeof(*r));
                *con_cls = r;
                if (!swb__route_find(http, method, url, &r->fn, &r->opaque, allow,
                                     sizeof(allow))) {
                        r->answered = true;
                        if (allow[0])
                                return swb__queue_error(conn, 405, "method not allowed",
                                                        MHD_HTTP_HEADER_ALLOW, allow);
                        return swb__queue_error(conn, 404, "not found", NULL, NULL);
                }
                cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > max_body) {
                        r->answered = true;
                        return swb__queue_error(conn, 413, "request body too large",
                                                NULL, NULL);
                }
                return MHD_YES;
        }

        if (*upload_data_size) {
                /* Chunked uploads: keep up to max_body bytes, then drop the rest. */
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (r->answered || r->too_large)
                        return MHD_YES;
                if (n > max_body || r->len > max_body - n) {
                        r->too_large = true;
                        swb_free(r->body);
                        r->body = NULL;
                        r->len = r->cap = 0;
                        return MHD_YES;
                }
                if (r->len + n + 1 > r->cap) {
                        r->cap = r->cap ? r->cap : 1024;
                        while (r->len + n + 1 > r->cap)
                                r->cap *= 2;
                        r->body = swb_realloc(r->body, r->cap);
                }
                memcpy(r->body + r->len, upload_data, n);
                r->len += n;
                r->body[r->len] = '\0';
                return MHD_YES;
        }

        if (r->answered)
                return MHD_YES;
        if (r->too_large)
                return swb__queue_error(conn, 413, "request body too large", NULL,
                                        NULL);
        return swb__dispatch(http, conn, url, method, r);
}

static void swb__completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
        swb__req_t *r = *con_cls;
        if (!r)
                return;
        swb_free(r->body);
        swb_free(r);
        *con_cls = NULL;
}

static void swb__mhd_log(void *cls, const char *fmt, va_list ap)
{
        swb_http_t *http = cls;
        char line[256];
        size_t n;

        vsnprintf(line, sizeof(line), fmt, ap);
        n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        pthread_mutex_lock(&http->lock);
        snprintf(http->last_error, sizeof(http->last_error), "%s", line);
        pthread_mutex_unlock(&http->lock);
        SWB_WARN(NULL, "http: %s", line);
}

/* ---- public API --------------------------------------------------------- */

const char *swb_http_request_header(const swb_http_request_t *req, const char *name)
{
        if (!req || !req->conn_ || !name)
                return NULL;
        return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

const char *swb_http_request_arg(const swb_http_request_t *req, const char *name)
{
        if (!req || !req->conn_ || !name)
                return NULL;
        return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, name);
}

void swb_http_add_route(swb_http_t *http, const char *method, const char *path,
                        swb_http_handler_fn handler, void *opaque)
{
        size_t i;
        if (!http || !method || !path || !handler)
                return;
        pthread_mutex_lock(&http->lock);
        for (i = 0; i < http->n_routes; i++) {
                swb__route_t *r = &http->routes[i];
                if (!strcmp(r->method, method) && !strcmp(r->path, path)) {
                        r->fn = handler;
                        r->opaque = opaque;
                        pthread_mutex_unlock(&http->lock);
                        return;
                }
        }
        if (http->n_routes == http->cap_routes) {
                http->cap_routes = http->cap_routes ? http->cap_routes * 2 : 8;
                http->routes =
                    swb_realloc(http->routes, http->cap_routes * sizeof(*http->routes));
        }
        http->routes[http->n_routes++] = (swb__route_t){
            .method = swb_strdup(method),
            .path = swb_strdup(path),
            .fn = handler,
            .opaque = opaque,
        };
        pthread_mutex_unlock(&http->lock);
}

void swb_http_add_check(swb_http_t *http, const char *name, swb_http_check_fn check,
                        void *opaque)
{
        if (!http || !name || !check)
                return;
        pthread_mutex_lock(&http->lock);
        if (http->n_checks == http->cap_checks) {
                http->cap_checks = http->cap_checks ? http->cap_checks * 2 : 8;
                http->checks =
                    swb_realloc(http->checks, http->cap_checks * sizeof(*http->checks));
        }
        http->checks[http->n_checks++] = (swb__check_t){
            .name = swb_strdup(name),
            .fn = check,
            .opaque = opaque,
        };
        pthread_mutex_unlock(&http->lock);
}

void swb_http_set_max_body(swb_http_t *http, size_t max_body)
{
        if (http)
                atomic_store(&http->max_body, max_body);
}

int swb_http_port(const swb_http_t *http)
{
        return http ? http->port : 0;
}

/* Resolve bind_addr:port into `ss`. @returns SWB_OK or SWB_ERR_CONFIG. */
static swb_err_t swb__resolve(const char *bind_addr, int port,
                              struct sockaddr_storage *ss, char *errstr,
                              size_t errstr_size)
{
        struct addrinfo hints = {0}, *res = NULL;
        int rc;

        memset(ss, 0, sizeof(*ss));
        if (!bind_addr || !*bind_addr) {
                struct sockaddr_in *sin = (struct sockaddr_in *)ss;
                sin->sin_family = AF_INET;
                sin->sin_addr.s_addr = htonl(INADDR_ANY);
                sin->sin_port = htons((uint16_t)port);
                return SWB_OK;
        }
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        rc = getaddrinfo(bind_addr, NULL, &hints, &res);
        if (rc || !res) {
                if (res)
                        freeaddrinfo(res);
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "cannot resolve HTTP bind address \"%s\": %s",
                                  bind_addr, gai_strerror(rc));
        }
        memcpy(ss, res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        if (ss->ss_family == AF_INET6)
                ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
        else
                ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
        return SWB_OK;
}

swb_http_t *swb_http_new(const char *bind_addr, int port, swb_metrics_t *metrics,
                         char *errstr, size_t errstr_size)
{
        swb_http_t *http = swb_calloc(1, sizeof(*http));
        struct sockaddr_storage ss;
        const union MHD_DaemonInfo *info;
        unsigned int flags =
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;

        pthread_mutex_init(&http->lock, NULL);
        atomic_init(&http->max_body, (size_t)SWB_HTTP_DEFAULT_MAX_BODY);
        http->metrics = metrics;

        if (port < 0 || port > 65535) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "invalid HTTP port %d",
                           port);
                goto fail;
        }
        if (swb__resolve(bind_addr, port, &ss, errstr, errstr_size))
                goto fail;
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;

        /* Routes first: the daemon may take requests as soon as it starts. */
        swb_http_add_route(http, MHD_HTTP_METHOD_GET, "/health/live", swb__handle_live,
                           http);
        swb_http_add_route(http, MHD_HTTP_METHOD_GET, "/health/ready",
                           swb__handle_ready, http);
        if (metrics)
                swb_http_add_route(http, MHD_HTTP_METHOD_GET, "/metrics",
                                   swb__handle_metrics, http);

        /* The logger goes first, so that MHD routes even option errors to it. */
        http->daemon = MHD_start_daemon(
            flags, (uint16_t)port, NULL, NULL, swb__access, http,
            MHD_OPTION_EXTERNAL_LOGGER, swb__mhd_log, http, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
            (unsigned int)SWB__HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)SWB__HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned int)SWB__HTTP_CONN_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
            swb__completed, http, MHD_OPTION_END);
        if (!http->daemon) {
                pthread_mutex_lock(&http->lock);
                swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                           "cannot start HTTP server on %s:%d: %s",
                           bind_addr && *bind_addr ? bind_addr : "0.0.0.0", port,
                           http->last_error[0] ? http->last_error : "unknown error");
                pthread_mutex_unlock(&http->lock);
                goto fail;
        }
        info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
        http->port = info && info->port ? (int)info->port : port;
        SWB_INFO(NULL, "http: listening on %s:%d",
                 bind_addr && *bind_addr ? bind_addr : "0.0.0.0", http->port);
        return http;

fail:
        swb_http_destroy(http);
        return NULL;
}

void swb_http_destroy(swb_http_t *http)
{
        size_t i;
        if (!http)
                return;
        if (http->daemon)
                MHD_stop_daemon(http->daemon);
        for (i = 0; i < http->n_routes; i++) {
                swb_free(http->routes[i].method);
                swb_free(http->routes[i].path);
        }
        swb_free(http->routes);
        for (i = 0; i < http->n_checks; i++)
                swb_free(http->checks[i].name);
        swb_free(http->checks);
        pthread_mutex_destroy(&http->lock);
        swb_free(http);
}

swb_err_t swb_http_write_port_file(const swb_http_t *http, const char *path,
                                   char *errstr, size_t errstr_size)
{
        char *tmp, line[16];
        int fd, n, saved;
        swb_err_t err = SWB_OK;

        if (!http || !path || !*path)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "no server or port file path");
        tmp = swb_asprintf("%s.XXXXXX", path);
        fd = mkstemp(tmp);
        if (fd < 0) {
                err = swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                                 "cannot create %s: %s", tmp, strerror(errno));
                swb_free(tmp);
                return err;
        }
        n = snprintf(line, sizeof(line), "%d\n", http->port);
        if (fchmod(fd, 0644) || write(fd, line, (size_t)n) != n || fsync(fd)) {
                saved = errno;
                err = swb_seterr(errstr, errstr_size, SWB_ERR_IO, "cannot write %s: %s",
                                 tmp, strerror(saved));
        }
        if (close(fd) && !err)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_IO, "cannot close %s: %s",
                                 tmp, strerror(errno));
        if (!err && rename(tmp, path))
                err = swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                                 "cannot rename %s to %s: %s", tmp, path,
                                 strerror(errno));
        if (err)
                unlink(tmp);
        swb_free(tmp);
        return err;
}
