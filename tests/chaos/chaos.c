/*
 * Chaos: the real pipeline (swb-supervisor and the four swb-agent processes,
 * no model) under a steady stream of requests -- searches across many
 * sessions and hotel bookings -- while supervisor and agent processes are
 * SIGKILLed at random and restarted. Then every request must have exactly one
 * reply_id, no booking may exist twice, and each session's replies must come
 * in the order of its requests.
 *
 *   swb-chaos [--long] [--requests N] [--kills K] [--seed S]
 *
 * Short form: 1,000 requests, >= 3 kills. --long: 5,000 requests, >= 10 kills.
 * Needs a dev stack (SWB_TEST_STATE, as the black-box tests) and the binaries
 * (SWB_BIN_DIR); tests/chaos/run.sh (make chaos) provides both. Prints one line
 * of figures; exits non-zero on a lost request, a duplicate booking or a request
 * with two reply_ids.
 */
#include "swb_test_pipeline.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "swb_client.h"
#include "swb_codec.h"
#include "swb_id.h"
#include "swb_mem.h"
#include "swb_pg.h"

static const char *const domains[] = {"hotel", "flight", "tour", "customer_service", NULL};

/* Per session: k requests of one domain (replies of different agents may
 * legitimately overtake each other; within one agent they may not). */
enum kind { K_HOTEL, K_FLIGHT, K_TOUR, K_SERVICE, K__CNT };

static const struct {
        const char *text, *locale;
} texts[K__CNT][2] = {
        [K_HOTEL] = {{"Find me a hotel in Bali", "en"}, {"carikan hotel di Bandung", "id"}},
        [K_FLIGHT] = {{"flights from Jakarta to Denpasar tomorrow", "en"},
                      {"flights from Jakarta to Denpasar tomorrow", "en"}},
        [K_TOUR] = {{"what tours do you have in Yogyakarta", "en"},
                    {"what tours do you have in Yogyakarta", "en"}},
        [K_SERVICE] = {{"show my bookings", "en"}, {"show my bookings", "en"}},
};

struct req {
        char rid[SWB_UUID_LEN];
        int session, seq;
        bool booking;
        /* per read pass */
        int replies;
        bool two;
        bool booked;
        char reply_id[SWB_UUID_LEN];
};

static struct {
        int requests, kills_min, per_session, send_ms, wait_ms, kill_min_ms, kill_max_ms;
        unsigned seed;
        bool long_form;
} O = {1000, 3, 5, 25000, 180000, 2000, 5000, 0, false};

static struct {
        swb_test_pipeline_t *p;
        swb_codec_t *codec;
        struct req *reqs;
        json_t *by_rid; /* request_id -> index */
        int sessions;
        enum kind *kind;
        int *max_seq; /* per session, per read pass */
        int order_violations;
        char unique[40];
        /* room types to book: (hotel, room type) pairs */
        long long (*rooms)[2];
        int nrooms;
} T;

static int64_t now_ms(void)
{
        return swb_test_now_ms();
}

static int rnd(int lo, int hi) /* [lo, hi] */
{
        return lo + (int)(random() % (long)(hi - lo + 1));
}

static void day(int days, char out[16])
{
        time_t t = time(NULL) + (time_t)days * 86400;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, 16, "%Y-%m-%d", &tm);
}

/* ---------------------------------------------------------------- processes */

/* Start process slot i again, as swb_test_pipeline_start did. */
static void restart(int i)
{
        const char *envp[42], *argv_sup[] = {NULL};
        const char *argv_agent[] = {"--domain", T.p->names[i], NULL};
        bool sup = !strcmp(T.p->names[i], "supervisor");
        char log[300], *nm = swb_asprintf("SWB_NAME=%s", T.p->names[i]);
        int k = 0;
        for (int j = 0; T.p->env[j]; j++)
                envp[k++] = T.p->env[j];
        envp[k++] = nm;
        envp[k] = NULL;
        snprintf(log, sizeof(log), "%s/%s.log", T.p->rundir, T.p->names[i]);
        T.p->pids[i] = swb_test_spawn(sup ? "swb-supervisor" : "swb-agent",
                                      sup ? argv_sup : argv_agent, envp, log);
        swb_free(nm);
        assert_true(T.p->pids[i] > 0);
}

static void kill_one(int i)
{
        swb_test_stop(T.p->pids[i], SIGKILL, 5000);
        T.p->pids[i] = -1;
}

/* ---------------------------------------------------------------- replies */

static void on_reply(void *arg, const void *key, size_t key_len, const void *val, size_t len,
                     const void *hdrs)
{
        json_t *obj = NULL, *ix;
        struct req *r;
        const char *rid, *reply_id;
        (void)arg, (void)key, (void)key_len, (void)hdrs;
        if (swb_codec_decode(T.codec, SWB_MSG_AGENT_REPLY, val, len, NULL, &obj, NULL, 0))
                return;
        rid = json_string_value(json_object_get(obj, "request_id"));
        reply_id = json_string_value(json_object_get(obj, "reply_id"));
        if (!rid || !reply_id || !(ix = json_object_get(T.by_rid, rid))) {
                json_decref(obj);
                return;
        }
        r = &T.reqs[json_integer_value(ix)];
        if (r->replies++ == 0) {
                snprintf(r->reply_id, sizeof(r->reply_id), "%s", reply_id);
                /* first reply of each request, in topic (= partition) order */
                if (r->seq < T.max_seq[r->session])
                        T.order_violations++;
                else
                        T.max_seq[r->session] = r->seq;
        } else if (strcmp(r->reply_id, reply_id)) {
                r->two = true;
        }
        if (r->booking && strstr(json_string_value(json_object_get(obj, "text")) ?: "",
                                 "Booked! Booking "))
                r->booked = true;
        json_decref(obj);
}

/* Read the whole reply topic again. @returns requests without a reply. */
static int read_replies(int max_ms)
{
        int lost = 0;
        for (int i = 0; i < O.requests; i++) {
                T.reqs[i].replies = 0;
                T.reqs[i].two = T.reqs[i].booked = false;
        }
        for (int s = 0; s < T.sessions; s++)
                T.max_seq[s] = -1;
        T.order_violations = 0;
        swb_test_read_topic(T.p->brokers, swb_test_topic(T.p, "replies"), (size_t)O.requests,
                            1500, max_ms, on_reply, NULL);
        for (int i = 0; i < O.requests; i++)
                lost += T.reqs[i].replies == 0;
        return lost;
}

static void count_msg(void *arg, const void *key, size_t key_len, const void *val, size_t len,
                      const void *hdrs)
{
        (void)key, (void)key_len, (void)val, (void)len, (void)hdrs;
        (*(int *)arg)++;
}

/* Lines containing `what` in the workers' logs. */
static int log_lines(const char *what)
{
        DIR *d = opendir(T.p->rundir);
        struct dirent *e;
        char line[8192];
        int n = 0;
        if (!d)
                return -1;
        while ((e = readdir(d))) {
                char path[600];
                FILE *fp;
                size_t l = strlen(e->d_name);
                if (l < 5 || strcmp(e->d_name + l - 4, ".log"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", T.p->rundir, e->d_name);
                if (!(fp = fopen(path, "r")))
                        continue;
                while (fgets(line, sizeof(line), fp))
                        n += strstr(line, what) != NULL;
                fclose(fp);
        }
        closedir(d);
        return n;
}

/* ---------------------------------------------------------------- PostgreSQL */

static swb_pg_t *pg_open(void)
{
        char *url = swb_test_stack_env("SWB_PG_URL"), errstr[512];
        swb_pg_t *pg;
        assert_non_null(url);
        pg = swb_pg_new(url, errstr, sizeof(errstr));
        free(url);
        if (!pg)
                fail_msg("postgres: %s", errstr);
        return pg;
}

static long long pg_count(swb_pg_t *pg, const char *sql, const char *param)
{
        const char *params[] = {param};
        PGresult *res = NULL;
        char errstr[512];
        long long v;
        if (swb_pg_exec(pg, sql, param ? 1 : 0, param ? params : NULL, &res, errstr,
                        sizeof(errstr)))
                fail_msg("%s: %s", sql, errstr);
        v = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
        PQclear(res);
        return v;
}

static void load_rooms(void)
{
        swb_pg_t *pg = pg_open();
        PGresult *res = NULL;
        char errstr[512];
        if (swb_pg_exec(pg,
                        "SELECT hotel_id, room_type_id FROM room_types WHERE capacity >= 2 "
                        "AND total_rooms >= 6 ORDER BY hotel_id, room_type_id",
                        0, NULL, &res, errstr, sizeof(errstr)))
                fail_msg("room types: %s", errstr);
        T.nrooms = PQntuples(res);
        assert_true(T.nrooms > 0);
        T.rooms = swb_calloc((size_t)T.nrooms, sizeof(*T.rooms));
        for (int i = 0; i < T.nrooms; i++) {
                T.rooms[i][0] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
                T.rooms[i][1] = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        }
        PQclear(res);
        swb_pg_destroy(pg);
}

/* ---------------------------------------------------------------- the run */

static int setup(void **state)
{
        /* short session timeouts: a SIGKILLed member leaves the group in seconds */
        static const char *const extra[] = {"SWB_KAFKA_SESSION_TIMEOUT_MS=6000",
                                            "SWB_KAFKA_HEARTBEAT_INTERVAL_MS=1000",
                                            "SWB_LOG_LEVEL=info", NULL};
        char errstr[256];
        (void)state;
        T.p = swb_test_pipeline_start(domains, extra);
        T.codec = swb_codec_new(NULL, errstr, sizeof(errstr));
        assert_non_null(T.codec);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        swb_test_pipeline_stop(T.p);
        swb_codec_destroy(T.codec);
        json_decref(T.by_rid);
        swb_free(T.reqs);
        swb_free(T.kind);
        swb_free(T.max_seq);
        swb_free(T.rooms);
        return 0;
}

static void send_request(int i, char user[][96])
{
        struct req *r = &T.reqs[i];
        enum kind k = T.kind[r->session];
        char text[256], errstr[512], session[96];
        const char *locale = "en";
        void *buf = NULL;
        size_t len = 0;
        json_t *req;

        snprintf(session, sizeof(session), "chaos-%s-s%d", T.unique, r->session);
        if (r->booking) {
                char d1[16], d2[16];
                int room = rnd(0, T.nrooms - 1), off = rnd(7, 45);
                day(off, d1);
                day(off + rnd(1, 3), d2);
                snprintf(text, sizeof(text),
                         "book room type %lld at hotel %lld from %s to %s for 2 guests",
                         T.rooms[room][1], T.rooms[room][0], d1, d2);
        } else {
                int t = rnd(0, 1);
                snprintf(text, sizeof(text), "%s", texts[k][t].text);
                locale = texts[k][t].locale;
        }
        swb_id_uuid4(r->rid);
        req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "request_id", r->rid, "session_id",
                        session, "user_id", user[r->session], "text", text, "locale", locale,
                        "created_at", (json_int_t)swb_now_ms());
        if (swb_codec_encode(T.codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len, errstr,
                             sizeof(errstr)))
                fail_msg("encode: %s", errstr);
        if (swb_client_send_raw(T.p->client, session, buf, len, errstr, sizeof(errstr)))
                fail_msg("send: %s", errstr);
        swb_free(buf);
        json_decref(req);
        json_object_set_new(T.by_rid, r->rid, json_integer(i));
}

static void test_chaos(void **state)
{
        char(*user)[96];
        int kills = 0, down = -1, lost, two = 0, dead = 0, bookings_asked = 0, booked = 0;
        int64_t t0, next_kill, restart_at = 0, deadline;
        long long dup_bookings, dup_results, bookings;
        swb_pg_t *pg;
        char like[96];
        (void)state;

        snprintf(T.unique, sizeof(T.unique), "%s", swb_test_unique());
        load_rooms();

        /* every group formed: one answered request per domain */
        for (int k = 0; k < K__CNT; k++) {
                char session[96];
                json_t *req, *reply;
                snprintf(session, sizeof(session), "chaos-%s-warm%d", T.unique, k);
                req = swb_test_request(session, texts[k][0].text, texts[k][0].locale);
                reply = swb_test_ask(T.p, req, 60000);
                json_decref(reply);
                json_decref(req);
        }

        T.sessions = (O.requests + O.per_session - 1) / O.per_session;
        T.reqs = swb_calloc((size_t)O.requests, sizeof(*T.reqs));
        T.kind = swb_calloc((size_t)T.sessions, sizeof(*T.kind));
        T.max_seq = swb_calloc((size_t)T.sessions, sizeof(*T.max_seq));
        T.by_rid = json_object();
        user = swb_calloc((size_t)T.sessions, sizeof(*user));
        for (int s = 0; s < T.sessions; s++) {
                /* 40% hotel sessions (the last request books), 20% each of the rest */
                int x = rnd(0, 9);
                T.kind[s] = x < 4 ? K_HOTEL : x < 6 ? K_FLIGHT : x < 8 ? K_TOUR : K_SERVICE;
                snprintf(user[s], sizeof(user[s]), "chaos-%s-u%d", T.unique, s);
        }
        /* request i: session i % S, its (i / S)-th: each session in order */
        for (int i = 0; i < O.requests; i++) {
                struct req *r = &T.reqs[i];
                r->session = i % T.sessions;
                r->seq = i / T.sessions;
                r->booking = T.kind[r->session] == K_HOTEL &&
                             (r->seq == O.per_session - 1 || i + T.sessions >= O.requests);
                bookings_asked += r->booking;
        }

        /* the stream, with kills */
        t0 = now_ms();
        next_kill = t0 + rnd(O.kill_min_ms / 2, O.kill_max_ms);
        for (int sent = 0; sent < O.requests || kills < O.kills_min || down >= 0;) {
                int64_t now = now_ms();
                int due = (int)((double)O.requests * (double)(now - t0) / O.send_ms) + 1;
                while (sent < O.requests && sent < due)
                        send_request(sent++, user);
                if (down >= 0 && now >= restart_at) {
                        restart(down);
                        down = -1;
                } else if (down < 0 && now >= next_kill &&
                           (sent < O.requests || kills < O.kills_min)) {
                        down = rnd(0, T.p->n - 1);
                        printf("chaos: t=%.1fs kill -9 %s (pid %d), %d sent\n",
                               (double)(now - t0) / 1000, T.p->names[down], (int)T.p->pids[down],
                               sent);
                        fflush(stdout);
                        kill_one(down);
                        kills++;
                        restart_at = now + rnd(200, 2000);
                        next_kill = restart_at + rnd(O.kill_min_ms, O.kill_max_ms);
                }
                usleep(5000);
        }
        printf("chaos: t=%.1fs all %d requests sent, %d kills; waiting for replies\n",
               (double)(now_ms() - t0) / 1000, O.requests, kills);
        fflush(stdout);

        /* until every request has a reply (or the deadline) */
        deadline = swb_test_deadline(O.wait_ms);
        for (;;) {
                lost = read_replies(15000);
                printf("chaos: t=%.1fs %d request(s) without a reply\n",
                       (double)(now_ms() - t0) / 1000, lost);
                fflush(stdout);
                if (!lost || now_ms() > deadline)
                        break;
                sleep(2);
        }
        /* once more after a pause: late duplicates count too */
        sleep(3);
        lost = read_replies(15000);
        for (int i = 0; i < O.requests; i++) {
                two += T.reqs[i].two;
                booked += T.reqs[i].booked;
        }

        swb_test_read_topic(T.p->brokers, swb_test_topic(T.p, "dlq"), 0, 1500, 5000, count_msg,
                            &dead);

        pg = pg_open();
        snprintf(like, sizeof(like), "chaos-%s-u%%", T.unique);
        bookings = pg_count(pg, "SELECT count(*) FROM bookings WHERE user_id LIKE $1", like);
        /* one session = one user = one booking request: more rows is a duplicate */
        dup_bookings = pg_count(pg,
                                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
                                "FROM bookings WHERE user_id LIKE $1 GROUP BY user_id) x",
                                like);
        dup_results = pg_count(pg,
                               "SELECT count(*) FROM (SELECT request_id FROM tool_results "
                               "WHERE user_id LIKE $1 AND tool = 'book_hotel_room' GROUP BY "
                               "request_id HAVING count(DISTINCT result->>'booking_id') > 1) x",
                               like);
        swb_pg_destroy(pg);

        printf("chaos %s: requests=%d sessions=%d lost=%d duplicate_bookings=%lld "
               "two_reply_ids=%d order_violations=%d dead_letters=%d kills=%d "
               "rebalances=%d (log lines: %d assigned, %d revoking) inbox_replays=%d "
               "bookings asked=%d confirmed=%d rows=%lld multi-result booking calls=%lld "
               "seed=%u\n",
               O.long_form ? "long" : "short", O.requests, T.sessions, lost, dup_bookings, two,
               T.order_violations, dead, kills, log_lines("\"assigned ") + log_lines("\"revoking "),
               log_lines("\"assigned "), log_lines("\"revoking "),
               log_lines("replying from the inbox"), bookings_asked, booked,
               bookings, dup_results, O.seed);
        fflush(stdout);
        swb_free(user);

        assert_int_equal(lost, 0);
        assert_int_equal(dup_bookings, 0);
        assert_int_equal(dup_results, 0);
        assert_int_equal(two, 0);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_chaos)};
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--long")) {
                        O.long_form = true;
                        O.requests = 5000;
                        O.kills_min = 10;
                        O.send_ms = 120000;
                        O.wait_ms = 300000;
                        O.kill_min_ms = 3000;
                        O.kill_max_ms = 8000;
                } else if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
                        O.requests = atoi(argv[++i]);
                } else if (!strcmp(argv[i], "--kills") && i + 1 < argc) {
                        O.kills_min = atoi(argv[++i]);
                } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
                        O.seed = (unsigned)strtoul(argv[++i], NULL, 10);
                } else {
                        fprintf(stderr,
                                "usage: %s [--long] [--requests N] [--kills K] [--seed S]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (O.requests < 1) {
                fprintf(stderr, "--requests must be positive\n");
                return 2;
        }
        if (!O.seed)
                O.seed = (unsigned)time(NULL) ^ (unsigned)getpid();
        srandom(O.seed);
        return cmocka_run_group_tests_name("chaos", tests, setup, teardown);
}
