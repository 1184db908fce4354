/*
 * Black-box: PostgreSQL goes down under a running hotel agent (issue #5):
 * the agent pauses and holds the session's requests, keeps its group
 * membership, reports not ready, answers nothing and dead-letters nothing;
 * when PostgreSQL is back every request (a booking among them) is answered
 * exactly once, in order.
 *
 * The stack's PostgreSQL is shared with the other tests, so it is never
 * stopped: the workers reach it through a small TCP proxy in this process,
 * which the test switches off (existing connections closed, new ones closed
 * at once) and on again.
 */
#include "swb_test_pipeline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "swb_codec.h"
#include "swb_id.h"
#include "swb_mem.h"

/* ------------------------------------------------------------ the proxy */

#define PROXY_MAX_PAIRS 64

struct proxy {
        int lfd, port, up_port;
        int wake[2];
        pthread_t thread;
        atomic_bool stop, want_up, is_up;
        int pairs[PROXY_MAX_PAIRS][2]; /* proxy thread only */
        int n;
};

static void proxy_close_pair(struct proxy *px, int i)
{
        close(px->pairs[i][0]);
        close(px->pairs[i][1]);
        px->pairs[i][0] = px->pairs[--px->n][0];
        px->pairs[i][1] = px->pairs[px->n][1];
}

static int connect_upstream(int port)
{
        struct sockaddr_in a = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

/* Copy what is readable on `from` to `to`. @returns false on EOF or error. */
static bool pump(int from, int to)
{
        char buf[65536];
        ssize_t n = read(from, buf, sizeof(buf)), off = 0;
        if (n <= 0)
                return false;
        while (off < n) {
                ssize_t w = write(to, buf + off, (size_t)(n - off));
                if (w <= 0)
                        return false;
                off += w;
        }
        return true;
}

static void *proxy_run(void *arg)
{
        struct proxy *px = arg;
        while (!atomic_load(&px->stop)) {
                struct pollfd fds[2 + 2 * PROXY_MAX_PAIRS];
                int i, nf = 0;
                bool up = atomic_load(&px->want_up);
                if (!up)
                        while (px->n)
                                proxy_close_pair(
                                    px, px->n - 1); /* the outage: cut them all */
                atomic_store(&px->is_up, up);
                fds[nf++] = (struct pollfd){px->lfd, POLLIN, 0};
                fds[nf++] = (struct pollfd){px->wake[0], POLLIN, 0};
                for (i = 0; i < px->n; i++) {
                        fds[nf++] = (struct pollfd){px->pairs[i][0], POLLIN, 0};
                        fds[nf++] = (struct pollfd){px->pairs[i][1], POLLIN, 0};
                }
                if (poll(fds, (nfds_t)nf, 100) <= 0)
                        continue;
                if (fds[1].revents) {
                        char c[16];
                        if (read(px->wake[0], c, sizeof(c)) < 0)
                                continue;
                }
                for (i = px->n - 1; i >= 0; i--) {
                        short r0 = fds[2 + 2 * i].revents, r1 = fds[3 + 2 * i].revents;
                        if ((r0 && !pump(px->pairs[i][0], px->pairs[i][1])) ||
                            (r1 && !pump(px->pairs[i][1], px->pairs[i][0])))
                                proxy_close_pair(px, i);
                }
                if (fds[0].revents & POLLIN) {
                        int c = accept(px->lfd, NULL, NULL), u;
                        if (c < 0)
                                continue;
                        if (!atomic_load(&px->want_up) || px->n == PROXY_MAX_PAIRS ||
                            (u = connect_upstream(px->up_port)) < 0) {
                                close(c); /* down: the client sees the server hang up */
                                continue;
                        }
                        px->pairs[px->n][0] = c;
                        px->pairs[px->n][1] = u;
                        px->n++;
                }
        }
        while (px->n)
                proxy_close_pair(px, px->n - 1);
        return NULL;
}

static struct proxy *proxy_start(int up_port)
{
        struct proxy *px = swb_calloc(1, sizeof(*px));
        struct sockaddr_in a = {0};
        socklen_t len = sizeof(a);
        int one = 1;
        px->up_port = up_port;
        atomic_init(&px->want_up, true);
        atomic_init(&px->is_up, true);
        atomic_init(&px->stop, false);
        assert_int_equal(pipe(px->wake), 0);
        px->lfd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(px->lfd >= 0);
        setsockopt(px->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(px->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(px->lfd, 64), 0);
        assert_int_equal(getsockname(px->lfd, (struct sockaddr *)&a, &len), 0);
        px->port = ntohs(a.sin_port);
        assert_int_equal(pthread_create(&px->thread, NULL, proxy_run, px), 0);
        return px;
}

static bool proxy_applied(void *arg)
{
        struct proxy *px = arg;
        return atomic_load(&px->is_up) == atomic_load(&px->want_up);
}

/* Switch the proxy; returns once existing connections are cut (down). */
static void proxy_set(struct proxy *px, bool up)
{
        atomic_store(&px->want_up, up);
        atomic_store(&px->is_up, !up);
        assert_int_equal(write(px->wake[1], "x", 1), 1);
        assert_true(swb_test_wait_for(proxy_applied, px, 5000));
}

static void proxy_stop(struct proxy *px)
{
        atomic_store(&px->stop, true);
        if (write(px->wake[1], "x", 1) != 1)
                fprintf(stderr, "proxy: wake failed\n");
        pthread_join(px->thread, NULL);
        close(px->lfd);
        close(px->wake[0]);
        close(px->wake[1]);
        swb_free(px);
}

/* ------------------------------------------------------------- the test */

static struct {
        struct proxy *px;
        swb_test_pipeline_t *p;
        swb_codec_t *codec;
} T;

/* "postgresql://user@host:PORT/db" -> PORT, and the same URL with `port`. */
static int pg_url_port(const char *url, int port, char *out, size_t out_size)
{
        const char *at = strchr(url, '@'), *colon, *slash;
        assert_non_null(at);
        slash = strchr(at, '/');
        assert_non_null(slash);
        colon = memchr(at, ':', (size_t)(slash - at));
        assert_non_null(colon);
        snprintf(out, out_size, "%.*s:%d%s", (int)(colon - url), url, port, slash);
        return atoi(colon + 1);
}

static int setup(void **state)
{
        static const char *const domains[] = {"hotel", NULL};
        char *real = swb_test_stack_env("SWB_PG_URL"), url[512], errstr[256];
        static char env_pg[600];
        const char *env[6];
        int up_port;

        assert_non_null(real);
        up_port = pg_url_port(real, 0, url, sizeof(url));
        T.px = proxy_start(up_port);
        pg_url_port(real, T.px->port, url, sizeof(url));
        free(real);
        snprintf(env_pg, sizeof(env_pg), "SWB_PG_URL=%s", url);
        env[0] = env_pg;
        env[1] = "SWB_HEALTH_PROBE_INTERVAL_MS=300";
        /* the old behaviour would dead-letter within about a second */
        env[2] = "SWB_RETRY_MAX_ATTEMPTS=2";
        env[3] = "SWB_RETRY_BACKOFF_MS=100";
        env[4] = "SWB_RETRY_BACKOFF_MAX_MS=400";
        env[5] = NULL;
        T.p = swb_test_pipeline_start(domains, env);
        T.codec = swb_codec_new(NULL, errstr, sizeof(errstr));
        assert_non_null(T.codec);
        return 0;
}

static int teardown(void **state)
{
        swb_test_pipeline_stop(T.p);
        swb_codec_destroy(T.codec);
        proxy_stop(T.px);
        return 0;
}

/* today + days as YYYY-MM-DD */
static void day(int days, char out[16])
{
        time_t t = time(NULL) + (time_t)days * 86400;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, 16, "%Y-%m-%d", &tm);
}

static long long number_after(const char *text, const char *prefix)
{
        const char *p = strstr(text, prefix);
        long long v = p ? strtoll(p + strlen(prefix), NULL, 10) : 0;
        if (v <= 0)
                fail_msg("no \"%s<number>\" in:\n%s", prefix, text);
        return v;
}

/* Ask and wait (pipeline up): @returns the reply text (free()) and its request id. */
static char *ask(const char *session, const char *user, const char *text,
                 int timeout_ms, char rid[SWB_UUID_LEN])
{
        json_t *req = swb_test_request(session, text, "en"), *reply;
        char *out;
        json_object_set_new(req, "user_id", json_string(user));
        reply = swb_test_ask(T.p, req, timeout_ms);
        snprintf(rid, SWB_UUID_LEN, "%s",
                 json_string_value(json_object_get(req, "request_id")));
        out = strdup(json_string_value(json_object_get(reply, "text")));
        print_message("> %s\n< %s\n", text, out);
        assert_string_equal(json_string_value(json_object_get(reply, "status")), "ok");
        json_decref(reply);
        json_decref(req);
        return out;
}

/* Send without waiting for the reply. */
static void send_only(const char *session, const char *user, const char *text,
                      char rid[SWB_UUID_LEN])
{
        json_t *req = swb_test_request(session, text, "en");
        char errstr[256];
        void *buf = NULL;
        size_t len = 0;
        swb_id_uuid4(rid);
        json_object_set_new(req, "user_id", json_string(user));
        json_object_set_new(req, "request_id", json_string(rid));
        json_object_set_new(req, "created_at", json_integer(swb_now_ms()));
        assert_int_equal(swb_codec_encode(T.codec, SWB_MSG_AGENT_REQUEST, req, &buf,
                                          &len, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_int_equal(
            swb_client_send_raw(T.p->client, session, buf, len, errstr, sizeof(errstr)),
            SWB_OK);
        swb_free(buf);
        json_decref(req);
}

struct replies {
        json_t *list; /* AgentReplies in topic order (one session: one partition) */
};

static void reply_cb(void *arg, const void *key, size_t key_len, const void *val,
                     size_t len, const void *hdrs)
{
        struct replies *r = arg;
        json_t *obj = NULL;
        char errstr[256];
        if (!swb_codec_decode(T.codec, SWB_MSG_AGENT_REPLY, val, len, NULL, &obj,
                              errstr, sizeof(errstr)))
                json_array_append_new(r->list, obj);
}

static void ignore_cb(void *arg, const void *key, size_t key_len, const void *val,
                      size_t len, const void *hdrs)
{
}

/* Every reply so far: at least `want`, then `idle_ms` with nothing new, or max_ms. */
static json_t *read_replies(size_t want, int idle_ms, int max_ms)
{
        struct replies r = {json_array()};
        swb_test_read_topic(T.p->brokers, swb_test_topic(T.p, "replies"), want, idle_ms,
                            max_ms, reply_cb, &r);
        return r.list;
}

static size_t dlq_count(void)
{
        return swb_test_read_topic(T.p->brokers, swb_test_topic(T.p, "dlq"), 0, 500,
                                   3000, ignore_cb, NULL);
}

static bool http_is(const char *path, long want_status, const char *needle)
{
        long status = 0;
        char *body = swb_test_http_get(T.p, "hotel", path, &status);
        bool ok = body && status == want_status && (!needle || strstr(body, needle));
        free(body);
        return ok;
}

static bool hotel_not_ready(void *arg)
{
        return http_is("/health/ready", 503, "postgres");
}

static bool hotel_ready(void *arg)
{
        return http_is("/health/ready", 200, NULL);
}

static bool hotel_pg_marked_down(void *arg)
{
        return http_is("/metrics", 200, "swb_dependency_up{dependency=\"postgres\"} 0");
}

static bool hotel_pg_marked_up(void *arg)
{
        (void)arg;
        return http_is("/metrics", 200, "swb_dependency_up{dependency=\"postgres\"} 1");
}

static bool log_has(const char *needle)
{
        char path[400], *buf;
        FILE *fp;
        long n;
        bool found;
        snprintf(path, sizeof(path), "%s/hotel.log", T.p->rundir);
        if (!(fp = fopen(path, "r")))
                return false;
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        buf = calloc(1, (size_t)n + 1);
        found = fread(buf, 1, (size_t)n, fp) == (size_t)n && strstr(buf, needle);
        fclose(fp);
        free(buf);
        return found;
}

static void test_pause_and_resume(void **state)
{
        char session[96], user[96], d1[16], d2[16], text[256], *r;
        char rids[6][SWB_UUID_LEN];
        long long hotel, room_type;
        json_t *replies;
        size_t i;

        snprintf(session, sizeof(session), "s-pg-%s", swb_test_unique());
        snprintf(user, sizeof(user), "u-pg-%s", swb_test_unique());
        day(30, d1);
        day(32, d2);

        /* up: answered through the proxy */
        r = ask(session, user, "Find me a hotel in Bali", 90000, rids[0]);
        hotel = number_after(r, "(hotel ");
        free(r);
        snprintf(text, sizeof(text), "rooms at hotel %lld from %s to %s for 2 guests",
                 hotel, d1, d2);
        r = ask(session, user, text, 30000, rids[1]);
        room_type = number_after(r, "Say 'book room type ");
        free(r);
        assert_true(swb_test_wait_for(hotel_ready, NULL, 10000));

        /* down: four requests of the session, a booking among them */
        proxy_set(T.px, false);
        send_only(session, user, "Find me a hotel in Bali", rids[2]);
        snprintf(text, sizeof(text),
                 "book room type %lld at hotel %lld from %s to %s for 2 guests",
                 room_type, hotel, d1, d2);
        send_only(session, user, text, rids[3]);
        snprintf(text, sizeof(text), "rooms at hotel %lld from %s to %s for 2 guests",
                 hotel, d1, d2);
        send_only(session, user, text, rids[4]);
        send_only(session, user, "Find me a hotel in Bandung", rids[5]);

        assert_true(swb_test_wait_for(hotel_not_ready, NULL, 15000));
        assert_true(swb_test_wait_for(hotel_pg_marked_down, NULL, 30000));
        /* while it is down: no reply, no dead letter (the old path would have
         * dead-lettered the first request within about a second) */
        replies = read_replies(3, 3000, 6000);
        assert_int_equal(json_array_size(replies), 2);
        json_decref(replies);
        assert_int_equal(dlq_count(), 0);
        assert_true(hotel_not_ready(NULL));
        assert_true(log_has("postgres is down"));

        /* back: everything answered once, in order */
        proxy_set(T.px, true);
        replies = read_replies(6, 2000, (int)(60000 * swb_test_tmout_multip()));
        for (i = 0; i < json_array_size(replies); i++)
                print_message("reply %zu: %s: %s\n", i,
                              json_string_value(json_object_get(
                                  json_array_get(replies, i), "request_id")),
                              json_string_value(
                                  json_object_get(json_array_get(replies, i), "text")));
        assert_int_equal(json_array_size(replies), 6);
        for (i = 0; i < 6; i++) {
                json_t *rep = json_array_get(replies, i);
                assert_string_equal(
                    json_string_value(json_object_get(rep, "request_id")), rids[i]);
                assert_string_equal(json_string_value(json_object_get(rep, "status")),
                                    "ok");
        }
        if (!strstr(
                json_string_value(json_object_get(json_array_get(replies, 3), "text")),
                "Booked! Booking "))
                fail_msg("the booking was not made: %s",
                         json_string_value(
                             json_object_get(json_array_get(replies, 3), "text")));
        json_decref(replies);
        assert_int_equal(dlq_count(), 0);
        assert_true(swb_test_wait_for(hotel_ready, NULL, 15000));
        assert_true(log_has("postgres is back after "));
}

/* An idle agent notices the outage without a request failing first: the
 * gauge says so, and it comes back by itself. */
static void test_idle_outage(void **state)
{
        char session[96], user[96], rid[SWB_UUID_LEN], *r;
        (void)state;
        snprintf(session, sizeof(session), "s-pg-idle-%s", swb_test_unique());
        snprintf(user, sizeof(user), "u-pg-idle-%s", swb_test_unique());
        assert_true(swb_test_wait_for(hotel_ready, NULL, 10000));
        assert_true(hotel_pg_marked_up(NULL));
        proxy_set(T.px, false);
        assert_true(swb_test_wait_for(hotel_pg_marked_down, NULL, 15000));
        assert_true(log_has("an idle-time probe failed"));
        proxy_set(T.px, true);
        assert_true(swb_test_wait_for(hotel_pg_marked_up, NULL, 15000));
        r = ask(session, user, "Find me a hotel in Bali", 30000, rid);
        assert_non_null(strstr(r, "(hotel "));
        free(r);
        assert_int_equal(dlq_count(), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pause_and_resume),
            /* after: the other counts every reply on the topic */
            cmocka_unit_test(test_idle_outage),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
