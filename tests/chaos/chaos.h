/*
 * The chaos suite's shared state (one run = one process, one global `C`).
 *
 *   chaos.c         options, the scenario table, one phase after the other,
 *                   the figures and what they must be
 *   chaos_traffic.c requests (searches, bookings) and the reader of replies
 *                   and dead letters
 *   chaos_faults.c  the faults: the in-process mock cluster (3 brokers),
 *                   process kills, broker outages, leader and coordinator
 *                   moves, request errors, PostgreSQL and Redis restarts
 *   chaos_model.c   the scripted fake model and its faults
 */
#ifndef SWB_CHAOS_H
#define SWB_CHAOS_H

#include "swb_test_pipeline.h"

#include <pthread.h>

#include "swb_codec.h"
#include "swb_fake_llm.h"
#include "swb_id.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define CHAOS_BROKERS 3
/* socket.timeout.ms of every client of the mock cluster (see chaos.c) */
#define CHAOS_SOCKET_TIMEOUT_MS "10000"

/* Sessions hold PER_SESSION requests of one kind (replies of one agent keep
 * their order; those of different agents may overtake each other). */
#define CHAOS_PER_SESSION 5

enum chaos_kind { K_HOTEL, K_FLIGHT, K_TOUR, K_SERVICE, K__CNT };

struct chaos_req {
        char rid[SWB_UUID_LEN];
        int session, seq, phase;
        bool booking;
        /* filled by the reader */
        int replies;
        bool two, booked, dead;
        bool in_topic; /* seen on the requests topic */
        char reply_id[SWB_UUID_LEN];
};

struct chaos_phase;

/* One scenario: a fault driven while its requests stream in. */
struct chaos_scenario {
        const char *name;
        const char *what; /* one line for the output */
        int requests[2];  /* short, long */
        int send_ms[2];   /* how long the stream of requests lasts */
        /* dead letters this scenario expects: why, or NULL for none */
        const char *dead_letters_why;
        bool in_short;         /* part of the short form */
        void (*prepare)(void); /* before the stream starts; may be NULL */
        void (*begin)(struct chaos_phase *ph);
        /* called every few ms while sending; @returns true while the fault is
         * still under way (the phase goes on after the last request) */
        bool (*tick)(struct chaos_phase *ph, int64_t now);
        void (*end)(struct chaos_phase *ph);
};

struct chaos_phase {
        const struct chaos_scenario *sc;
        int index; /* phase number, in session and user names */
        int first_req, nreq, first_session, nsessions;
        int64_t t0, send_ms;
        /* fault state */
        int events; /* kills, outages, moves, error batches, ... */
        int down;   /* process slot or broker being down, -1 none */
        int step;   /* scenario's own counter */
        int64_t next_at, up_at;
};

struct chaos {
        /* options */
        bool long_form;
        bool keep; /* --keep: the workers' logs to /tmp, as on failure */
        unsigned seed;
        const char *only; /* --only NAME[,NAME] */
        int kills_min;
        /* the cluster and the pipeline */
        rd_kafka_t *mrk;
        rd_kafka_mock_cluster_t *mc;
        char brokers[256];
        swb_test_pipeline_t *p;
        swb_codec_t *codec;
        swb_fake_llm_t *fake;
        int model_mode;     /* enum chaos_model_mode, atomic */
        int model_calls[8]; /* per mode, atomic */
        char unique[40];
        /* requests */
        pthread_mutex_t lock;
        struct chaos_req *reqs;
        int nreqs, cap;
        json_t *by_rid; /* request_id -> index, under lock */
        enum chaos_kind *kind;
        int *max_seq;          /* per session: seq of the newest first reply */
        int *order_violations; /* per phase */
        int nsessions, cap_sessions;
        long long (*rooms)[2]; /* (hotel, room type) pairs to book */
        int nrooms;
        /* the upstream app: an idempotent producer, asynchronous */
        rd_kafka_t *prod;
        int send_failed; /* atomic */
        /* the reader */
        pthread_t reader;
        volatile int reader_stop;
        rd_kafka_t *reader_rk;
};

extern struct chaos C;

int chaos_rnd(int lo, int hi); /* [lo, hi] */
int64_t chaos_now_ms(void);
void chaos_log(const struct chaos_phase *ph, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* chaos_traffic.c */
void chaos_traffic_init(int total_requests, int total_sessions);
void chaos_traffic_destroy(void);
void chaos_load_rooms(void);
void chaos_plan_phase(struct chaos_phase *ph, int nreq);
void chaos_send(struct chaos_phase *ph, int i);
/* phase index of the warm-up requests (in their names; in no figures) */
#define CHAOS_WARM_PHASE 15
void chaos_warm_up(struct chaos_phase *ph);
/* chaos.c: until every group answers (fails the test otherwise) */
void chaos_wait_warm(void);
void chaos_reader_start(void);
/* Wait (deadline) until every request sent was delivered. @returns those not. */
int chaos_flush(int timeout_ms);
void chaos_reader_stop(void);
/* requests of ph with neither a reply nor a dead letter; `seen_only`: only
 * those the reader saw on the requests topic */
int chaos_unanswered(const struct chaos_phase *ph, bool seen_only);
/* Print up to `max` of them, with their request ids. */
void chaos_print_unanswered(const struct chaos_phase *ph, int max);
struct chaos_figures {
        int requests, lost, two, order, dead, rebalances, asked, booked;
        int undelivered; /* acknowledged to the producer, never on the topic */
        long long dup_bookings, dup_results, rows;
};
/* Figures of the requests [first, first + n); bookings of phases phase_lo..phase_hi. */
void chaos_figures(int first, int n, int phase_lo, int phase_hi,
                   struct chaos_figures *f);
int chaos_log_lines(const char *what);

/* chaos_faults.c */
void chaos_cluster_new(void);
void chaos_cluster_destroy(void);
void chaos_restart(int slot);
void chaos_kill(int slot);
void chaos_stop_gracefully(int slot);
int chaos_service(const char *verb, const char *service);
extern const struct chaos_scenario chaos_sc_kill, chaos_sc_broker_down,
    chaos_sc_leaders, chaos_sc_errors, chaos_sc_pg, chaos_sc_redis;

/* chaos_model.c */
enum chaos_model_mode {
        M_OK,
        M_429,
        M_5XX,
        M_STALL,
        M_MALFORMED,
};
void chaos_model_new(void);
void chaos_model_destroy(void);
extern const struct chaos_scenario chaos_sc_model;
/* max.poll.interval.ms the agents get with the model (the stall is longer) */
#define CHAOS_MAX_POLL_MS 7000

#endif
