#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swb_http.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_test.h"

/* ---- a small libcurl client ------------------------------------------- */

typedef struct {
        char *p;
        size_t len;
} buf_t;

typedef struct {
        CURLcode rc;
        long status;
        buf_t body;
        buf_t headers;
} reply_t;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        buf_t *b = userdata;
        size_t n = size * nmemb;
        b->p = swb_realloc(b->p, b->len + n + 1);
        memcpy(b->p + b->len, ptr, n);
        b->len += n;
        b->p[b->len] = '\0';
        return n;
}

typedef struct {
        const char *data;
        size_t len, pos;
} upload_t;

static size_t on_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        upload_t *u = userdata;
        size_t n = size * nmemb;
        if (n > u->len - u->pos)
                n = u->len - u->pos;
        memcpy(ptr, u->data + u->pos, n);
        u->pos += n;
        return n;
}

static void reply_free(reply_t *r)
{
        swb_free(r->body.p);
        swb_free(r->headers.p);
        memset(r, 0, sizeof(*r));
}

/*
 * One request. `body` may be NULL (no body); `chunked` sends it with
 * Transfer-Encoding: chunked instead of Content-Length. Method "HEAD" uses
 * CURLOPT_NOBODY. No cmocka asserts: safe from any thread (check r.rc).
 */
static reply_t request_any_thread(int port, const char *method, const char *path,
                                  const char *body, size_t body_len, bool chunked)
{
        reply_t r = {0};
        CURL *c = curl_easy_init();
        struct curl_slist *hdrs = NULL;
        upload_t up = {body, body_len, 0};
        char *url = swb_asprintf("http://127.0.0.1:%d%s", port, path);

        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                         (long)(10000 * swb_test_tmout_multip()));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
        hdrs = curl_slist_append(hdrs, "X-Test: hello");
        if (!strcmp(method, "HEAD")) {
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (body && chunked) {
                curl_easy_setopt(c, CURLOPT_POST, 1L);
                curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
                curl_easy_setopt(c, CURLOPT_READDATA, &up);
                hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        } else if (body) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        } else {
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        r.rc = curl_easy_perform(c);
        if (r.rc != CURLE_OK)
                fprintf(stderr, "curl %s %s: %s\n", method, url,
                        curl_easy_strerror(r.rc));
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(c);
        swb_free(url);
        if (!r.body.p)
                r.body.p = swb_strdup("");
        if (!r.headers.p)
                r.headers.p = swb_strdup("");
        return r;
}

static reply_t request(int port, const char *method, const char *path, const char *body,
                       size_t body_len, bool chunked)
{
        reply_t r = request_any_thread(port, method, path, body, body_len, chunked);
        assert_int_equal(r.rc, CURLE_OK);
        return r;
}

static reply_t get(int port, const char *path)
{
        return request(port, "GET", path, NULL, 0, false);
}

static void assert_reply(int port, const char *method, const char *path, long status,
                         const char *body)
{
        reply_t r = request(port, method, path, NULL, 0, false);
        assert_int_equal(r.status, status);
        assert_string_equal(r.body.p, body);
        reply_free(&r);
}

/* ---- fixture ------------------------------------------------------------ */

typedef struct {
        swb_metrics_t *metrics;
        swb_http_t *http;
        int port;
} fixture_t;

static int setup(void **state)
{
        fixture_t *f = swb_calloc(1, sizeof(*f));
        char err[256] = "";

        f->metrics = swb_metrics_new();
        f->http = swb_http_new("127.0.0.1", 0, f->metrics, err, sizeof(err));
        if (!f->http)
                fprintf(stderr, "swb_http_new: %s\n", err);
        assert_non_null(f->http);
        f->port = swb_http_port(f->http);
        assert_true(f->port > 0 && f->port < 65536);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture_t *f = *state;
        swb_http_destroy(f->http);
        swb_metrics_destroy(f->metrics);
        swb_free(f);
        return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_live(void **state)
{
        fixture_t *f = *state;
        reply_t r = get(f->port, "/health/live");

        assert_int_equal(r.status, 200);
        assert_string_equal(r.body.p, "{\"status\":\"live\"}");
        assert_non_null(strcasestr(r.headers.p, "Content-Type: application/json"));
        reply_free(&r);

        /* HEAD is answered like GET, without a body. */
        r = request(f->port, "HEAD", "/health/live", NULL, 0, false);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body.p, "");
        reply_free(&r);
}

typedef struct {
        atomic_bool ok;
        const char *why;
} flag_check_t;

static bool flag_check(void *opaque, char *why, size_t why_size)
{
        flag_check_t *c = opaque;
        if (atomic_load(&c->ok))
                return true;
        snprintf(why, why_size, "%s", c->why);
        return false;
}

static void test_ready(void **state)
{
        fixture_t *f = *state;
        flag_check_t kafka = {.why = "broker \"b1\" down"};
        flag_check_t pg = {.why = ""};

        /* No checks: ready. */
        assert_reply(f->port, "GET", "/health/ready", 200,
                     "{\"status\":\"ready\",\"checks\":{}}");

        atomic_store(&kafka.ok, true);
        atomic_store(&pg.ok, true);
        swb_http_add_check(f->http, "kafka", flag_check, &kafka);
        swb_http_add_check(f->http, "postgres", flag_check, &pg);
        assert_reply(
            f->port, "GET", "/health/ready", 200,
            "{\"status\":\"ready\",\"checks\":{\"kafka\":\"ok\",\"postgres\":\"ok\"}}");

        atomic_store(&kafka.ok, false);
        assert_reply(
            f->port, "GET", "/health/ready", 503,
            "{\"status\":\"not_ready\",\"checks\":{\"kafka\":\"broker \\\"b1\\\" "
            "down\",\"postgres\":\"ok\"}}");

        /* A failing check that gives no reason. */
        atomic_store(&pg.ok, false);
        assert_reply(
            f->port, "GET", "/health/ready", 503,
            "{\"status\":\"not_ready\",\"checks\":{\"kafka\":\"broker \\\"b1\\\" "
            "down\",\"postgres\":\"not ready\"}}");

        atomic_store(&kafka.ok, true);
        atomic_store(&pg.ok, true);
        assert_reply(
            f->port, "GET", "/health/ready", 200,
            "{\"status\":\"ready\",\"checks\":{\"kafka\":\"ok\",\"postgres\":\"ok\"}}");
        /* Liveness does not depend on readiness. */
        atomic_store(&kafka.ok, false);
        assert_reply(f->port, "GET", "/health/live", 200, "{\"status\":\"live\"}");
}

static void test_metrics(void **state)
{
        static const char *const labels[] = {"route", NULL};
        fixture_t *f = *state;
        swb_metric_t *c =
            swb_metrics_counter(f->metrics, "test_hits_total", "Hits.", labels);
        reply_t r;

        swb_metric_inc1(c, "a", 3);
        swb_metrics_register_build_info(f->metrics, "9.9.9");
        r = get(f->port, "/metrics");
        assert_int_equal(r.status, 200);
        assert_non_null(
            strcasestr(r.headers.p, "Content-Type: text/plain; version=0.0.4"));
        assert_non_null(strstr(r.body.p, "# TYPE test_hits_total counter\n"
                                         "test_hits_total{route=\"a\"} 3\n"));
        assert_non_null(strstr(r.body.p, "swb_build_info{version=\"9.9.9\"} 1\n"));
        reply_free(&r);

        swb_metric_inc1(c, "a", 1);
        r = get(f->port, "/metrics");
        assert_non_null(strstr(r.body.p, "test_hits_total{route=\"a\"} 4\n"));
        reply_free(&r);
}

static void test_not_found_and_method(void **state)
{
        fixture_t *f = *state;
        reply_t r;

        assert_reply(f->port, "GET", "/nope", 404, "{\"error\":\"not found\"}");
        assert_reply(f->port, "GET", "/health", 404, "{\"error\":\"not found\"}");
        assert_reply(f->port, "DELETE", "/metrics", 405,
                     "{\"error\":\"method not allowed\"}");

        r = request(f->port, "POST", "/health/live", "x", 1, false);
        assert_int_equal(r.status, 405);
        assert_string_equal(r.body.p, "{\"error\":\"method not allowed\"}");
        assert_non_null(strcasestr(r.headers.p, "\nAllow: GET\r\n"));
        reply_free(&r);

        /* A body sent to an unknown path is not read, and the server stays healthy. */
        r = request(f->port, "POST", "/nope", "xyz", 3, true);
        assert_int_equal(r.status, 404);
        reply_free(&r);
        assert_reply(f->port, "GET", "/health/live", 200, "{\"status\":\"live\"}");
}

/*
 * POST /echo: "<body>|<?q=>|<X-Test header>", 201, text/plain. Runs on an
 * HTTP thread, so it reports surprises with a 500, not with cmocka asserts.
 */
static int echo_handler(void *opaque, const swb_http_request_t *req,
                        swb_http_response_t *resp)
{
        atomic_int *calls = opaque;
        const char *q = swb_http_request_arg(req, "q");
        const char *h = swb_http_request_header(req, "x-test");

        atomic_fetch_add(calls, 1);
        if (strcmp(req->method, "POST") || strcmp(req->path, "/echo") ||
            strlen(req->body) != req->body_len)
                return 500;
        resp->content_type = "text/plain";
        resp->body = swb_asprintf("%s|%s|%s", req->body, q ? q : "-", h ? h : "-");
        resp->body_len = strlen(resp->body);
        resp->header_name = "X-Echo";
        resp->header_value = "yes";
        return 201;
}

static int length_handler(void *opaque, const swb_http_request_t *req,
                          swb_http_response_t *resp)
{
        resp->body = swb_asprintf("{\"len\":%zu}", req->body_len);
        resp->body_len = strlen(resp->body);
        return 200;
}

static int bad_status_handler(void *opaque, const swb_http_request_t *req,
                              swb_http_response_t *resp)
{
        resp->body = swb_strdup("leaked?");
        resp->body_len = 7;
        return 42;
}

static int empty_handler(void *opaque, const swb_http_request_t *req,
                         swb_http_response_t *resp)
{
        return 204;
}

static void test_post_route(void **state)
{
        fixture_t *f = *state;
        atomic_int calls = 0;
        reply_t r;
        size_t big_len = 300 * 1000, i;
        char *big = swb_malloc(big_len + 1);

        swb_http_add_route(f->http, "POST", "/echo", echo_handler, &calls);
        swb_http_add_route(f->http, "PUT", "/len", length_handler, NULL);
        swb_http_add_route(f->http, "POST", "/bad", bad_status_handler, NULL);
        swb_http_add_route(f->http, "POST", "/empty", empty_handler, NULL);

        r = request(f->port, "POST", "/echo?q=a%20b", "{\"x\":1}", 7, false);
        assert_int_equal(r.status, 201);
        assert_string_equal(r.body.p, "{\"x\":1}|a b|hello");
        assert_non_null(strcasestr(r.headers.p, "Content-Type: text/plain"));
        assert_non_null(strcasestr(r.headers.p, "X-Echo: yes"));
        reply_free(&r);

        /* Chunked bodies are accumulated too. */
        r = request(f->port, "POST", "/echo", "chunky", 6, true);
        assert_int_equal(r.status, 201);
        assert_string_equal(r.body.p, "chunky|-|hello");
        reply_free(&r);

        /* No body at all. */
        r = request(f->port, "POST", "/echo", NULL, 0, false);
        assert_int_equal(r.status, 201);
        assert_string_equal(r.body.p, "|-|hello");
        reply_free(&r);
        assert_int_equal(atomic_load(&calls), 3);

        /* GET on a POST-only path: 405. */
        r = get(f->port, "/echo");
        assert_int_equal(r.status, 405);
        assert_non_null(strcasestr(r.headers.p, "\nAllow: POST\r\n"));
        reply_free(&r);

        /* A body larger than MHD's buffers arrives in pieces. */
        for (i = 0; i < big_len; i++)
                big[i] = (char)('a' + i % 26);
        big[big_len] = '\0';
        r = request(f->port, "PUT", "/len", big, big_len, false);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body.p, "{\"len\":300000}");
        reply_free(&r);
        swb_free(big);

        assert_reply(f->port, "POST", "/bad", 500, "{\"error\":\"internal error\"}");
        assert_reply(f->port, "POST", "/empty", 204, "");

        /* Re-adding a route replaces its handler. */
        swb_http_add_route(f->http, "POST", "/echo", empty_handler, NULL);
        assert_reply(f->port, "POST", "/echo", 204, "");
        assert_int_equal(atomic_load(&calls), 3);
}

static void test_too_large(void **state)
{
        fixture_t *f = *state;
        atomic_int calls = 0;
        reply_t r;
        const char *body = "0123456789abcdefXYZ"; /* 19 bytes */

        swb_http_add_route(f->http, "POST", "/echo", echo_handler, &calls);
        swb_http_set_max_body(f->http, 16);

        /* Exactly at the limit: accepted. */
        r = request(f->port, "POST", "/echo", body, 16, false);
        assert_int_equal(r.status, 201);
        assert_string_equal(r.body.p, "0123456789abcdef|-|hello");
        reply_free(&r);

        /* Content-Length over the limit: refused before the body is read. */
        r = request(f->port, "POST", "/echo", body, 17, false);
        assert_int_equal(r.status, 413);
        assert_string_equal(r.body.p, "{\"error\":\"request body too large\"}");
        reply_free(&r);

        /* Chunked over the limit: refused once it passes. */
        r = request(f->port, "POST", "/echo", body, 19, true);
        assert_int_equal(r.status, 413);
        assert_string_equal(r.body.p, "{\"error\":\"request body too large\"}");
        reply_free(&r);
        r = request(f->port, "POST", "/echo", body, 16, true);
        assert_int_equal(r.status, 201);
        reply_free(&r);

        assert_int_equal(atomic_load(&calls), 2);
        assert_reply(f->port, "GET", "/health/live", 200, "{\"status\":\"live\"}");
}

static void test_port_file(void **state)
{
        fixture_t *f = *state;
        char dir[] = "/tmp/swb_test_http_XXXXXX";
        char path[512], line[32] = "", err[256] = "";
        FILE *fp;
        DIR *d;
        struct dirent *de;
        int n_entries = 0;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/proc.port", dir);

        assert_int_equal(swb_http_write_port_file(f->http, path, err, sizeof(err)),
                         SWB_OK);
        /* Twice: rename replaces the old file. */
        assert_int_equal(swb_http_write_port_file(f->http, path, err, sizeof(err)),
                         SWB_OK);
        fp = fopen(path, "r");
        assert_non_null(fp);
        assert_non_null(fgets(line, sizeof(line), fp));
        fclose(fp);
        assert_int_equal(atoi(line), f->port);
        assert_non_null(strchr(line, '\n'));

        /* No temporary file left behind. */
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n_entries++;
        closedir(d);
        assert_int_equal(n_entries, 1);

        snprintf(path, sizeof(path), "%s/missing/proc.port", dir);
        assert_int_equal(swb_http_write_port_file(f->http, path, err, sizeof(err)),
                         SWB_ERR_IO);
        assert_true(err[0] != '\0');

        snprintf(path, sizeof(path), "%s/proc.port", dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_port_in_use(void **state)
{
        fixture_t *f = *state;
        char err[256] = "";
        swb_http_t *other = swb_http_new("127.0.0.1", f->port, NULL, err, sizeof(err));

        assert_null(other);
        assert_true(err[0] != '\0');

        other = swb_http_new("no such host.invalid", 0, NULL, err, sizeof(err));
        assert_null(other);
        other = swb_http_new(NULL, -1, NULL, err, sizeof(err));
        assert_null(other);
        swb_http_destroy(NULL);
}

static void test_ipv6_and_no_metrics(void **state)
{
        char err[256] = "";
        swb_http_t *h = swb_http_new("::1", 0, NULL, err, sizeof(err));
        CURL *c;
        char url[64];
        long status = 0;
        buf_t b = {0};

        if (!h) {
                /* No IPv6 loopback in this sandbox: nothing to test. */
                fprintf(stderr, "skipping IPv6: %s\n", err);
                skip();
        }
        c = curl_easy_init();
        snprintf(url, sizeof(url), "http://[::1]:%d/metrics", swb_http_port(h));
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        swb_free(b.p);
        assert_int_equal(status, 404); /* no registry, no /metrics */
        swb_http_destroy(h);
}

typedef struct {
        fixture_t *f;
        swb_metric_t *c;
        atomic_int failures;
} hammer_arg_t;

static void *hammer(void *p)
{
        hammer_arg_t *a = p;
        int i;
        for (i = 0; i < 50; i++) {
                reply_t r = request_any_thread(a->f->port, "GET",
                                               i % 2 ? "/metrics" : "/health/ready",
                                               NULL, 0, false);
                swb_metric_inc0(a->c, 1);
                if (r.rc != CURLE_OK || r.status != 200)
                        atomic_fetch_add(&a->failures, 1);
                reply_free(&r);
        }
        return NULL;
}

static void test_concurrent_clients(void **state)
{
        fixture_t *f = *state;
        hammer_arg_t a = {
            f, swb_metrics_counter(f->metrics, "hammer_total", "H.", NULL), 0};
        pthread_t t[4];
        reply_t r;
        int i;

        for (i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, hammer, &a), 0);
        for (i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        assert_int_equal(atomic_load(&a.failures), 0);
        r = get(f->port, "/metrics");
        assert_non_null(strstr(r.body.p, "\nhammer_total 200\n"));
        reply_free(&r);
}

static int group_setup(void **state)
{
        swb_log_init("test_http", SWB_LOG_OFF);
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
        curl_global_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_live, setup, teardown),
            cmocka_unit_test_setup_teardown(test_ready, setup, teardown),
            cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
            cmocka_unit_test_setup_teardown(test_not_found_and_method, setup, teardown),
            cmocka_unit_test_setup_teardown(test_post_route, setup, teardown),
            cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
            cmocka_unit_test_setup_teardown(test_port_file, setup, teardown),
            cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
            cmocka_unit_test(test_ipv6_and_no_metrics),
            cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
