/*
 * Chaos faults: the mock cluster the pipeline runs on (in-process, so its
 * fault API is ours), process kills and restarts, and the scenarios that
 * break the broker, PostgreSQL or Redis.
 */
#include "chaos.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"

/* Kafka API keys (the protocol's numbers) */
#define API_PRODUCE       0
#define API_OFFSET_COMMIT 8

/* ---------------------------------------------------------------- cluster */

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        (void)rk, (void)level, (void)fac, (void)buf;
}

void chaos_cluster_new(void)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[256];
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        C.mrk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!C.mrk)
                fail_msg("mock cluster handle: %s", errstr);
        /* topics are auto-created on first use: 4 partitions, replication 3,
         * leaders spread over the brokers */
        C.mc = rd_kafka_mock_cluster_new(C.mrk, CHAOS_BROKERS);
        if (!C.mc)
                fail_msg("cannot create the mock cluster");
        snprintf(C.brokers, sizeof(C.brokers), "%s",
                 rd_kafka_mock_cluster_bootstraps(C.mc));
}

void chaos_cluster_destroy(void)
{
        if (C.mc)
                rd_kafka_mock_cluster_destroy(C.mc);
        if (C.mrk)
                rd_kafka_destroy(C.mrk);
        C.mc = NULL;
        C.mrk = NULL;
}

/* ---------------------------------------------------------------- processes */

/* Start process slot i again, as swb_test_pipeline_start did. */
void chaos_restart(int i)
{
        const char *envp[42], *argv_sup[] = {NULL};
        const char *argv_agent[] = {"--domain", C.p->names[i], NULL};
        bool sup = !strcmp(C.p->names[i], "supervisor");
        char log[300], *nm = swb_asprintf("SWB_NAME=%s", C.p->names[i]);
        int k = 0;
        for (int j = 0; C.p->env[j]; j++)
                envp[k++] = C.p->env[j];
        envp[k++] = nm;
        envp[k] = NULL;
        snprintf(log, sizeof(log), "%s/%s.log", C.p->rundir, C.p->names[i]);
        C.p->pids[i] = swb_test_spawn(sup ? "swb-supervisor" : "swb-agent",
                                      sup ? argv_sup : argv_agent, envp, log);
        swb_free(nm);
        assert_true(C.p->pids[i] > 0);
}

void chaos_kill(int i)
{
        swb_test_stop(C.p->pids[i], SIGKILL, 5000);
        C.p->pids[i] = -1;
}

void chaos_stop_gracefully(int i)
{
        int st = swb_test_stop(C.p->pids[i], SIGTERM, 30000);
        if (st == -1)
                fprintf(stderr, "chaos: %s did not stop on SIGTERM in 30 s\n",
                        C.p->names[i]);
        C.p->pids[i] = -1;
}

/* infra/swb-stack VERB SERVICE on the run's own stack. @returns its exit status. */
int chaos_service(const char *verb, const char *service)
{
        const char *state = getenv("SWB_TEST_STATE");
        char *cmd;
        int rc;
        assert_non_null(state);
        cmd = swb_asprintf("'%s/infra/swb-stack' %s %s --state '%s' >/dev/null",
                           SWB_SOURCE_DIR, verb, service, state);
        rc = system(cmd);
        swb_free(cmd);
        return rc;
}

/* ---------------------------------------------------------------- kill */

static void kill_begin(struct chaos_phase *ph)
{
        ph->down = -1;
        ph->next_at = ph->t0 + chaos_rnd(1000, 2500);
}

/* One process down at a time: killed, restarted 0.2-2 s later, the next kill
 * 2-5 s (long: 3-8 s) after that; until the stream ends and kills_min. */
static bool kill_tick(struct chaos_phase *ph, int64_t now)
{
        bool sending = now - ph->t0 < ph->send_ms;
        if (ph->down >= 0) {
                if (now >= ph->up_at) {
                        chaos_restart(ph->down);
                        ph->down = -1;
                }
                return true;
        }
        if (!sending && ph->events >= C.kills_min)
                return false;
        if (now < ph->next_at)
                return true;
        ph->down = chaos_rnd(0, C.p->n - 1);
        chaos_log(ph, "kill -9 %s (pid %d)", C.p->names[ph->down],
                  (int)C.p->pids[ph->down]);
        chaos_kill(ph->down);
        ph->events++;
        ph->up_at = now + chaos_rnd(200, 2000);
        ph->next_at =
            ph->up_at + (C.long_form ? chaos_rnd(3000, 8000) : chaos_rnd(2000, 4000));
        return true;
}

static void kill_end(struct chaos_phase *ph)
{
        if (ph->down >= 0)
                chaos_restart(ph->down);
        ph->down = -1;
}

const struct chaos_scenario chaos_sc_kill = {
    .name = "kill",
    .what = "SIGKILL supervisor and agents at random, restart them",
    .requests = {250, 5000},
    .send_ms = {8000, 120000},
    .in_short = true,
    .begin = kill_begin,
    .tick = kill_tick,
    .end = kill_end,
};

/* ---------------------------------------------------------------- broker down */

/* Outages: a quarter into the stream one broker goes down (short: 3 s, long:
 * 10 s); in the long form the whole cluster then goes down for 10 s too. */
static void outage(struct chaos_phase *ph, int broker, bool down)
{
        for (int b = 1; b <= CHAOS_BROKERS; b++)
                if (broker < 0 || b == broker) {
                        rd_kafka_resp_err_t err =
                            down ? rd_kafka_mock_broker_set_down(C.mc, b)
                                 : rd_kafka_mock_broker_set_up(C.mc, b);
                        assert_int_equal(err, 0);
                }
        if (down)
                ph->events++;
        if (broker < 0)
                chaos_log(ph, "all brokers %s", down ? "down" : "up");
        else
                chaos_log(ph, "broker %d %s", broker, down ? "down" : "up");
}

static void broker_begin(struct chaos_phase *ph)
{
        ph->down = 0; /* 0: none down; 1..3 one broker; -1 all */
        ph->step = 0;
        ph->next_at = ph->t0 + ph->send_ms / 4;
}

static bool broker_tick(struct chaos_phase *ph, int64_t now)
{
        int outages = C.long_form ? 2 : 1;
        if (ph->down) {
                if (now >= ph->up_at) {
                        outage(ph, ph->down, false);
                        ph->down = 0;
                        ph->next_at = now + ph->send_ms / 4;
                }
                return true;
        }
        if (ph->step >= outages)
                return false;
        if (now < ph->next_at)
                return true;
        ph->down = ph->step == 0 ? chaos_rnd(1, CHAOS_BROKERS) : -1;
        outage(ph, ph->down, true);
        ph->up_at = now + (C.long_form ? 10000 : 3000);
        ph->step++;
        return true;
}

static void broker_end(struct chaos_phase *ph)
{
        if (ph->down)
                outage(ph, ph->down, false);
        ph->down = 0;
}

const struct chaos_scenario chaos_sc_broker_down = {
    .name = "broker-down",
    .what = "mock broker down (short: one broker 3 s; long: one 10 s, then all 10 s)",
    .requests = {150, 1000},
    .send_ms = {6000, 40000},
    .in_short = true,
    .begin = broker_begin,
    .tick = broker_tick,
    .end = broker_end,
};

/* ---------------------------------------------------------------- leaders */

static const char *const topic_suffixes[] = {
    "requests", "route.hotel", "route.flight", "route.tour", "route.customer_service",
    "replies",  "audit",       "dlq"};

static void move_coordinator(struct chaos_phase *ph)
{
        static const char *const groups[] = {"supervisor", "agent-hotel",
                                             "agent-flight", "agent-tour",
                                             "agent-customer_service"};
        char group[160];
        const char *g = groups[chaos_rnd(0, (int)SWB_ARRAY_LEN(groups) - 1)];
        int b = chaos_rnd(1, CHAOS_BROKERS);
        snprintf(group, sizeof(group), "%s-%s", C.p->prefix, g);
        assert_int_equal(rd_kafka_mock_coordinator_set(C.mc, "group", group, b), 0);
        chaos_log(ph, "coordinator of %s -> broker %d", g, b);
}

static void leaders_begin(struct chaos_phase *ph)
{
        ph->next_at = ph->t0 + 500;
        ph->step = 0;
}

/* Every 0.5 s a partition leader moves; every 6th time a group coordinator. */
static bool leaders_tick(struct chaos_phase *ph, int64_t now)
{
        const char *t;
        int part, b;
        if (now - ph->t0 >= ph->send_ms)
                return false;
        if (now < ph->next_at)
                return true;
        ph->next_at = now + 500;
        if (++ph->step % 6 == 0) {
                move_coordinator(ph);
        } else {
                t = topic_suffixes[chaos_rnd(0,
                                             (int)SWB_ARRAY_LEN(topic_suffixes) - 1)];
                part = chaos_rnd(0, 3);
                b = chaos_rnd(1, CHAOS_BROKERS);
                assert_int_equal(rd_kafka_mock_partition_set_leader(
                                     C.mc, swb_test_topic(C.p, t), part, b),
                                 0);
        }
        ph->events++;
        return true;
}

static void leaders_end(struct chaos_phase *ph)
{
        chaos_log(ph, "%d leader/coordinator moves", ph->events);
}

const struct chaos_scenario chaos_sc_leaders = {
    .name = "leaders",
    .what = "partition leaders move every 0.5 s, group coordinators every 3 s",
    .requests = {200, 1000},
    .send_ms = {6000, 30000},
    .in_short = false,
    .begin = leaders_begin,
    .tick = leaders_tick,
    .end = leaders_end,
};

/* ---------------------------------------------------------------- errors */

static void push_errors(int16_t api)
{
        static const rd_kafka_resp_err_t pool[] = {
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR__TRANSPORT,
        };
        rd_kafka_resp_err_t errs[3];
        int n = chaos_rnd(1, 3);
        for (int i = 0; i < n; i++)
                errs[i] = pool[chaos_rnd(0, 2)];
        rd_kafka_mock_push_request_errors_array(C.mc, api, (size_t)n, errs);
}

static void errors_begin(struct chaos_phase *ph)
{
        ph->next_at = ph->t0 + 300;
}

/* Every 0.3 s 1-3 errors (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, a
 * dropped connection) for the next Produce and the next OffsetCommit
 * requests, whoever sends them. */
static bool errors_tick(struct chaos_phase *ph, int64_t now)
{
        if (now - ph->t0 >= ph->send_ms)
                return false;
        if (now < ph->next_at)
                return true;
        ph->next_at = now + 300;
        push_errors(API_PRODUCE);
        push_errors(API_OFFSET_COMMIT);
        ph->events++;
        return true;
}

static void errors_end(struct chaos_phase *ph)
{
        rd_kafka_mock_clear_request_errors(C.mc, API_PRODUCE);
        rd_kafka_mock_clear_request_errors(C.mc, API_OFFSET_COMMIT);
        chaos_log(ph, "%d error batches pushed", ph->events);
}

const struct chaos_scenario chaos_sc_errors = {
    .name = "errors",
    .what = "Produce and OffsetCommit fail (NOT_LEADER, REQUEST_TIMED_OUT, transport)",
    .requests = {150, 1000},
    .send_ms = {4000, 30000},
    .in_short = true,
    .begin = errors_begin,
    .tick = errors_tick,
    .end = errors_end,
};

/* ---------------------------------------------------------------- services */

/* A third into the stream SERVICE stops; DOWN_MS later it starts again on
 * the same port (infra/swb-stack stop-service / start-service). */
static bool service_tick(struct chaos_phase *ph, int64_t now, const char *service,
                         int down_ms)
{
        if (ph->step == 0 && now >= ph->t0 + ph->send_ms / 3) {
                chaos_log(ph, "%s stopping", service);
                assert_int_equal(chaos_service("stop-service", service), 0);
                ph->step = 1;
                ph->up_at = chaos_now_ms() + down_ms;
                ph->events++;
        } else if (ph->step == 1 && now >= ph->up_at) {
                assert_int_equal(chaos_service("start-service", service), 0);
                chaos_log(ph, "%s started again", service);
                ph->step = 2;
        }
        return ph->step < 2;
}

static void service_begin(struct chaos_phase *ph)
{
        ph->step = 0;
}

static bool pg_tick(struct chaos_phase *ph, int64_t now)
{
        return service_tick(ph, now, "pg", 3000);
}

static void pg_end(struct chaos_phase *ph)
{
        if (ph->step == 1)
                assert_int_equal(chaos_service("start-service", "pg"), 0);
}

static bool redis_tick(struct chaos_phase *ph, int64_t now)
{
        return service_tick(ph, now, "redis", C.long_form ? 8000 : 3000);
}

static void redis_end(struct chaos_phase *ph)
{
        if (ph->step == 1)
                assert_int_equal(chaos_service("start-service", "redis"), 0);
}

/*
 * Agents hold their requests and pause while PostgreSQL is down (see
 * swb_worker_add_dependency), so a PostgreSQL restart costs no dead letter:
 * one fails the scenario.
 */
#define CHAOS_PG_DEAD_LETTERS NULL

const struct chaos_scenario chaos_sc_pg = {
    .name = "pg-restart",
    .what = "PostgreSQL stops (fast shutdown) and starts again 3 s later",
    .requests = {150, 500},
    .send_ms = {6000, 15000},
    .dead_letters_why = CHAOS_PG_DEAD_LETTERS,
    .begin = service_begin,
    .tick = pg_tick,
    .end = pg_end,
};

const struct chaos_scenario chaos_sc_redis = {
    .name = "redis-restart",
    .what = "Redis stops and starts again (empty) 3 s / 8 s later",
    .requests = {150, 500},
    .send_ms = {6000, 15000},
    .begin = service_begin,
    .tick = redis_tick,
    .end = redis_end,
};
