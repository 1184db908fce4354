/*
 * Chaos traffic: the requests of each phase (fresh sessions, searches, one
 * booking per hotel session), and one reader that follows the replies and the
 * dead-letter topic from the beginning for the whole run, so a late
 * duplicate reply is seen whenever it comes.
 */
#include "chaos.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_mem.h"
#include "swb_pg.h"

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

/* ---------------------------------------------------------------- setup */

void chaos_traffic_init(int total_requests, int total_sessions)
{
        char errstr[256];
        pthread_mutex_init(&C.lock, NULL);
        C.codec = swb_codec_new(NULL, errstr, sizeof(errstr));
        assert_non_null(C.codec);
        C.cap = total_requests;
        C.cap_sessions = total_sessions;
        C.reqs = swb_calloc((size_t)C.cap, sizeof(*C.reqs));
        C.kind = swb_calloc((size_t)C.cap_sessions, sizeof(*C.kind));
        C.max_seq = swb_calloc((size_t)C.cap_sessions, sizeof(*C.max_seq));
        C.order_violations =
            swb_calloc(CHAOS_WARM_PHASE + 1, sizeof(*C.order_violations));
        C.by_rid = json_object();
}

void chaos_traffic_destroy(void)
{
        swb_codec_destroy(C.codec);
        json_decref(C.by_rid);
        swb_free(C.reqs);
        swb_free(C.kind);
        swb_free(C.max_seq);
        swb_free(C.order_violations);
        swb_free(C.rooms);
}

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
        if (swb_pg_exec(pg, sql, 1, params, &res, errstr, sizeof(errstr)))
                fail_msg("%s: %s", sql, errstr);
        v = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
        PQclear(res);
        return v;
}

void chaos_load_rooms(void)
{
        swb_pg_t *pg = pg_open();
        PGresult *res = NULL;
        char errstr[512];
        if (swb_pg_exec(
                pg,
                "SELECT hotel_id, room_type_id FROM room_types WHERE capacity >= 2 "
                "AND total_rooms >= 6 ORDER BY hotel_id, room_type_id",
                0, NULL, &res, errstr, sizeof(errstr)))
                fail_msg("room types: %s", errstr);
        C.nrooms = PQntuples(res);
        assert_true(C.nrooms > 0);
        C.rooms = swb_calloc((size_t)C.nrooms, sizeof(*C.rooms));
        for (int i = 0; i < C.nrooms; i++) {
                C.rooms[i][0] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
                C.rooms[i][1] = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        }
        PQclear(res);
        swb_pg_destroy(pg);
}

/* ---------------------------------------------------------------- requests */

/* Request i of the phase: session i % S, its (i / S)-th: each session in order. */
void chaos_plan_phase(struct chaos_phase *ph, int nreq)
{
        ph->first_req = C.nreqs;
        ph->nreq = nreq;
        ph->first_session = C.nsessions;
        ph->nsessions = (nreq + CHAOS_PER_SESSION - 1) / CHAOS_PER_SESSION;
        assert_true(C.nreqs + nreq <= C.cap);
        assert_true(C.nsessions + ph->nsessions <= C.cap_sessions);
        for (int s = 0; s < ph->nsessions; s++) {
                /* 40% hotel sessions (the last request books), 20% each of the rest */
                int x = chaos_rnd(0, 9), g = ph->first_session + s;
                C.kind[g] = x < 4   ? K_HOTEL
                            : x < 6 ? K_FLIGHT
                            : x < 8 ? K_TOUR
                                    : K_SERVICE;
                C.max_seq[g] = -1;
        }
        for (int i = 0; i < nreq; i++) {
                struct chaos_req *r = &C.reqs[ph->first_req + i];
                r->session = ph->first_session + i % ph->nsessions;
                r->seq = i / ph->nsessions;
                r->phase = ph->index;
                r->booking =
                    C.kind[r->session] == K_HOTEL &&
                    (r->seq == CHAOS_PER_SESSION - 1 || i + ph->nsessions >= nreq);
        }
        C.nreqs += nreq;
        C.nsessions += ph->nsessions;
}

static void day(int days, char out[16])
{
        time_t t = time(NULL) + (time_t)days * 86400;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, 16, "%Y-%m-%d", &tm);
}

static void request_text(const struct chaos_req *r, char *text, size_t size,
                         const char **locale)
{
        *locale = "en";
        if (r->booking) {
                char d1[16], d2[16];
                int room = chaos_rnd(0, C.nrooms - 1), off = chaos_rnd(7, 45);
                day(off, d1);
                day(off + chaos_rnd(1, 3), d2);
                snprintf(text, size,
                         "book room type %lld at hotel %lld from %s to %s for 2 guests",
                         C.rooms[room][1], C.rooms[room][0], d1, d2);
        } else {
                int t = chaos_rnd(0, 1);
                snprintf(text, size, "%s", texts[C.kind[r->session]][t].text);
                *locale = texts[C.kind[r->session]][t].locale;
        }
}

/* Send request i (an index into C.reqs). Session and user names carry the
 * phase: chaos-<unique>-p<phase>-s<session> / -u<session>. */
void chaos_send(struct chaos_phase *ph, int i)
{
        struct chaos_req *r = &C.reqs[i];
        char text[256], errstr[512], session[96], user[96];
        const char *locale;
        void *buf = NULL;
        size_t len = 0;
        json_t *req;

        snprintf(session, sizeof(session), "chaos-%s-p%d-s%d", C.unique, ph->index,
                 r->session);
        snprintf(user, sizeof(user), "chaos-%s-p%d-u%d", C.unique, ph->index,
                 r->session);
        request_text(r, text, sizeof(text), &locale);
        swb_id_uuid4(r->rid);
        req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "request_id", r->rid,
                        "session_id", session, "user_id", user, "text", text, "locale",
                        locale, "created_at", (json_int_t)swb_now_ms());
        if (swb_codec_encode(C.codec, SWB_MSG_AGENT_REQUEST, req, &buf, &len, errstr,
                             sizeof(errstr)))
                fail_msg("encode: %s", errstr);
        /* known to the reader before any reply can come */
        pthread_mutex_lock(&C.lock);
        json_object_set_new(C.by_rid, r->rid, json_integer(i));
        pthread_mutex_unlock(&C.lock);
        if (rd_kafka_producev(C.prod, RD_KAFKA_V_TOPIC(swb_test_topic(C.p, "requests")),
                              RD_KAFKA_V_KEY(session, strlen(session)),
                              RD_KAFKA_V_VALUE(buf, len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END))
                fail_msg("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_poll(C.prod, 0);
        swb_free(buf);
        json_decref(req);
}

/*
 * One request per kind (so per agent) on fresh sessions, through the same
 * producer and reader as the phases (a synchronous client would give up on a
 * half-open connection the fault before left behind). The caller waits for
 * its replies. Not counted in any figures.
 */
void chaos_warm_up(struct chaos_phase *ph)
{
        ph->index = CHAOS_WARM_PHASE;
        ph->first_req = C.nreqs;
        ph->nreq = K__CNT;
        ph->first_session = C.nsessions;
        ph->nsessions = K__CNT;
        assert_true(C.nreqs + K__CNT <= C.cap &&
                    C.nsessions + K__CNT <= C.cap_sessions);
        for (int k = 0; k < K__CNT; k++) {
                struct chaos_req *r = &C.reqs[ph->first_req + k];
                C.kind[ph->first_session + k] = (enum chaos_kind)k;
                C.max_seq[ph->first_session + k] = -1;
                r->session = ph->first_session + k;
                r->phase = CHAOS_WARM_PHASE;
        }
        C.nreqs += K__CNT;
        C.nsessions += K__CNT;
        for (int k = 0; k < K__CNT; k++)
                chaos_send(ph, ph->first_req + k);
}

/* ---------------------------------------------------------------- producer */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk, (void)opaque;
        if (m->err) {
                fprintf(stderr, "chaos: a request was not delivered: %s\n",
                        rd_kafka_err2str(m->err));
                __atomic_add_fetch(&C.send_failed, 1, __ATOMIC_RELAXED);
        }
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        (void)rk, (void)level, (void)fac, (void)buf;
}

/* As an upstream app should: idempotent, acks=all, retried for minutes. */
static void producer_new(void)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[256];
        rd_kafka_conf_set(conf, "bootstrap.servers", C.brokers, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "message.timeout.ms", "300000", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "socket.timeout.ms", CHAOS_SOCKET_TIMEOUT_MS, errstr,
                          sizeof(errstr));
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        C.prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!C.prod)
                fail_msg("producer: %s", errstr);
}

int chaos_flush(int timeout_ms)
{
        int64_t deadline = swb_test_deadline(timeout_ms);
        while (rd_kafka_outq_len(C.prod) > 0 && chaos_now_ms() < deadline)
                rd_kafka_poll(C.prod, 50);
        return rd_kafka_outq_len(C.prod) +
               __atomic_load_n(&C.send_failed, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- the reader */

static struct chaos_req *find(const char *rid)
{
        json_t *ix = rid ? json_object_get(C.by_rid, rid) : NULL;
        return ix ? &C.reqs[json_integer_value(ix)] : NULL;
}

static void on_reply(const void *val, size_t len)
{
        json_t *obj = NULL;
        struct chaos_req *r;
        const char *reply_id, *text;
        if (swb_codec_decode(C.codec, SWB_MSG_AGENT_REPLY, val, len, NULL, &obj, NULL,
                             0))
                return;
        reply_id = json_string_value(json_object_get(obj, "reply_id"));
        r = find(json_string_value(json_object_get(obj, "request_id")));
        if (r && reply_id) {
                if (r->replies++ == 0) {
                        snprintf(r->reply_id, sizeof(r->reply_id), "%s", reply_id);
                        /* first reply of each request, in partition order */
                        if (r->seq < C.max_seq[r->session])
                                C.order_violations[r->phase]++;
                        else
                                C.max_seq[r->session] = r->seq;
                } else if (strcmp(r->reply_id, reply_id)) {
                        r->two = true;
                }
                text = json_string_value(json_object_get(obj, "text"));
                if (r->booking && text && strstr(text, "Booked! Booking "))
                        r->booked = true;
        }
        json_decref(obj);
}

/* What the broker really holds: a request acknowledged to the producer but
 * never on the topic is the producer's or the broker's loss, not the
 * pipeline's. */
static void on_request(const void *val, size_t len)
{
        json_t *obj = NULL;
        struct chaos_req *r;
        if (swb_codec_decode(C.codec, SWB_MSG_AGENT_REQUEST, val, len, NULL, &obj, NULL,
                             0))
                return;
        if ((r = find(json_string_value(json_object_get(obj, "request_id")))))
                r->in_topic = true;
        json_decref(obj);
}

/* A dead letter holds the original bytes: an AgentRequest (supervisor) or a
 * RoutedRequest (agent). Unknown bytes still count, on the request's phase
 * when its key names one. */
static void on_dead_letter(const void *key, size_t key_len, const void *val, size_t len)
{
        static const int types[] = {SWB_MSG_ROUTED_REQUEST, SWB_MSG_AGENT_REQUEST};
        struct chaos_req *r = NULL;
        for (size_t t = 0; t < SWB_ARRAY_LEN(types) && !r; t++) {
                json_t *obj = NULL;
                if (swb_codec_decode(C.codec, types[t], val, len, NULL, &obj, NULL, 0))
                        continue;
                r = find(json_string_value(json_object_get(obj, "request_id")));
                json_decref(obj);
        }
        if (r) {
                r->dead = true;
                return;
        }
        fprintf(stderr, "chaos: a dead letter of no known request (key %.*s)\n",
                (int)key_len, key ? (const char *)key : "");
}

static void assign_all(rd_kafka_topic_partition_list_t *l, const char *topic)
{
        for (int i = 0; i < 4; i++) /* the pipeline's topics have 4 partitions */
                rd_kafka_topic_partition_list_add(l, topic, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
}

static void *reader_main(void *arg)
{
        char dlq[256], requests[256];
        (void)arg;
        snprintf(dlq, sizeof(dlq), "%s", swb_test_topic(C.p, "dlq"));
        snprintf(requests, sizeof(requests), "%s", swb_test_topic(C.p, "requests"));
        while (!C.reader_stop) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(C.reader_rk, 100);
                if (!m)
                        continue;
                if (!m->err) {
                        pthread_mutex_lock(&C.lock);
                        const char *t = rd_kafka_topic_name(m->rkt);
                        if (!strcmp(t, dlq))
                                on_dead_letter(m->key, m->key_len, m->payload, m->len);
                        else if (!strcmp(t, requests))
                                on_request(m->payload, m->len);
                        else
                                on_reply(m->payload, m->len);
                        pthread_mutex_unlock(&C.lock);
                }
                rd_kafka_message_destroy(m);
        }
        return NULL;
}

void chaos_reader_start(void)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(12);
        char errstr[256];
        rd_kafka_conf_set(conf, "bootstrap.servers", C.brokers, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "group.id", "swb-chaos-reader", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "socket.timeout.ms", CHAOS_SOCKET_TIMEOUT_MS, errstr,
                          sizeof(errstr));
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        producer_new();
        C.reader_rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!C.reader_rk)
                fail_msg("reader: %s", errstr);
        rd_kafka_poll_set_consumer(C.reader_rk);
        assign_all(l, swb_test_topic(C.p, "replies"));
        assign_all(l, swb_test_topic(C.p, "dlq"));
        assign_all(l, swb_test_topic(C.p, "requests"));
        rd_kafka_assign(C.reader_rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        C.reader_stop = 0;
        assert_int_equal(pthread_create(&C.reader, NULL, reader_main, NULL), 0);
}

void chaos_reader_stop(void)
{
        if (C.prod) {
                chaos_flush(10000);
                rd_kafka_destroy(C.prod);
                C.prod = NULL;
        }
        if (!C.reader_rk)
                return;
        C.reader_stop = 1;
        pthread_join(C.reader, NULL);
        rd_kafka_consumer_close(C.reader_rk);
        rd_kafka_destroy(C.reader_rk);
        C.reader_rk = NULL;
}

/* ---------------------------------------------------------------- figures */

int chaos_unanswered(const struct chaos_phase *ph, bool seen_only)
{
        int n = 0;
        pthread_mutex_lock(&C.lock);
        for (int i = ph->first_req; i < ph->first_req + ph->nreq; i++)
                n += !C.reqs[i].replies && !C.reqs[i].dead &&
                     (!seen_only || C.reqs[i].in_topic);
        pthread_mutex_unlock(&C.lock);
        return n;
}

void chaos_print_unanswered(const struct chaos_phase *ph, int max)
{
        pthread_mutex_lock(&C.lock);
        for (int i = ph->first_req; i < ph->first_req + ph->nreq && max > 0; i++) {
                const struct chaos_req *r = &C.reqs[i];
                if (r->replies || r->dead)
                        continue;
                printf("chaos: no reply: request_id %s (session s%d, seq %d, %s)\n",
                       r->rid, r->session, r->seq,
                       r->in_topic ? "on the requests topic"
                                   : "never on the requests topic");
                max--;
        }
        pthread_mutex_unlock(&C.lock);
        fflush(stdout);
}

/* Lines containing `what` in the workers' logs (they append across restarts). */
int chaos_log_lines(const char *what)
{
        DIR *d = opendir(C.p->rundir);
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
                snprintf(path, sizeof(path), "%s/%s", C.p->rundir, e->d_name);
                if (!(fp = fopen(path, "r")))
                        continue;
                while (fgets(line, sizeof(line), fp))
                        n += strstr(line, what) != NULL;
                fclose(fp);
        }
        closedir(d);
        return n;
}

static void db_figures(int phase_lo, int phase_hi, struct chaos_figures *f)
{
        swb_pg_t *pg = pg_open();
        f->rows = f->dup_bookings = f->dup_results = 0;
        for (int ph = phase_lo; ph <= phase_hi; ph++) {
                char like[96];
                snprintf(like, sizeof(like), "chaos-%s-p%d-u%%", C.unique, ph);
                f->rows += pg_count(
                    pg, "SELECT count(*) FROM bookings WHERE user_id LIKE $1", like);
                /* one session = one user = one booking request: more rows is a
                 * duplicate */
                f->dup_bookings += pg_count(
                    pg,
                    "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
                    "FROM bookings WHERE user_id LIKE $1 GROUP BY user_id) x",
                    like);
                f->dup_results += pg_count(
                    pg,
                    "SELECT count(*) FROM (SELECT request_id FROM tool_results "
                    "WHERE user_id LIKE $1 AND tool = 'book_hotel_room' GROUP BY "
                    "request_id HAVING count(DISTINCT result->>'booking_id') > 1) x",
                    like);
        }
        swb_pg_destroy(pg);
}

void chaos_figures(int first, int n, int phase_lo, int phase_hi,
                   struct chaos_figures *f)
{
        memset(f, 0, sizeof(*f));
        f->requests = n;
        pthread_mutex_lock(&C.lock);
        for (int i = first; i < first + n; i++) {
                const struct chaos_req *r = &C.reqs[i];
                /* lost by the pipeline: it was on the requests topic */
                f->lost += !r->replies && !r->dead && r->in_topic;
                f->undelivered += !r->replies && !r->dead && !r->in_topic;
                f->dead += r->dead;
                f->two += r->two;
                f->asked += r->booking;
                f->booked += r->booked;
        }
        for (int ph = phase_lo; ph <= phase_hi; ph++)
                f->order += C.order_violations[ph];
        pthread_mutex_unlock(&C.lock);
        db_figures(phase_lo, phase_hi, f);
}
