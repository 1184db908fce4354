/*
 * component.retention: lib/swb_retention against the stack's PostgreSQL.
 * Deduplication records older than the retention go, in batches; newer ones,
 * and another agent's inbox rows, stay; a run is not due right after start.
 */
#include "swb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_config.h"
#include "swb_id.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_retention.h"

static swb_pg_t *pg;
static char tag[40]; /* this run's rows */

static int group_setup(void **state)
{
        char errstr[512], *url = swb_test_stack_env("SWB_PG_URL");
        (void)state;
        if (!url || !(pg = swb_pg_new(url, errstr, sizeof(errstr)))) {
                fprintf(stderr, "no PostgreSQL from the stack env: %s\n",
                        url ? errstr : "");
                free(url);
                return -1;
        }
        free(url);
        snprintf(tag, sizeof(tag), "rt%lld", (long long)swb_now_ms());
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        swb_pg_destroy(pg);
        return 0;
}

static void exec_ok(const char *sql, int n, const char *const *params)
{
        char errstr[512];
        if (swb_pg_exec(pg, sql, n, params, NULL, errstr, sizeof(errstr)))
                fail_msg("%s: %s", sql, errstr);
}

static long count(const char *sql, const char *arg)
{
        char errstr[512];
        PGresult *res = NULL;
        long n;
        if (swb_pg_exec(pg, sql, 1, &arg, &res, errstr, sizeof(errstr)))
                fail_msg("%s: %s", sql, errstr);
        n = atol(PQgetvalue(res, 0, 0));
        PQclear(res);
        return n;
}

/* An inbox row of `agent` and a tool result, `hours` old. */
static void add_rows(const char *agent, int i, int hours)
{
        char rid[64], h[16];
        const char *p[3] = {agent, rid, h};
        snprintf(rid, sizeof(rid), "%s-%s-%d-%d", tag, agent, i, hours);
        snprintf(h, sizeof(h), "%d", hours);
        exec_ok(
            "INSERT INTO swb_inbox (agent, request_id, reply_id, reply, created_at) "
            "VALUES ($1, $2, 'r', 'x', now() - make_interval(hours => $3::int))",
            3, p);
        p[0] = rid;
        p[1] = h;
        exec_ok(
            "INSERT INTO tool_results (idem_key, tool, user_id, result, created_at) "
            "VALUES ($1, 'book_hotel_room', 'u', '{}', now() - make_interval(hours => "
            "$2::int))",
            2, p);
}

static void test_prune(void **state)
{
        static const struct swb_retention_rule inbox = {"swb_inbox", "created_at",
                                                        "agent"};
        static const struct swb_retention_rule tools = {"tool_results", "created_at",
                                                        NULL};
        char mine[64], other[64], like[64], errstr[512];
        long n, total = 0;
        (void)state;
        snprintf(mine, sizeof(mine), "%s-hotel", tag);
        snprintf(other, sizeof(other), "%s-tour", tag);
        snprintf(like, sizeof(like), "%s-%%", tag);
        for (int i = 0; i < 5; i++) {
                add_rows(mine, i, 200); /* older than 168 h */
                add_rows(mine, i, 1);
                add_rows(other, i, 200);
        }
        /* batches of 2: 2, 2, 1, then nothing */
        while ((n = swb_retention_prune(pg, &inbox, mine, 168, 2, errstr,
                                        sizeof(errstr))) > 0) {
                assert_true(n <= 2);
                total += n;
        }
        assert_int_equal(n, 0);
        assert_int_equal(total, 5);
        assert_int_equal(count("SELECT count(*) FROM swb_inbox WHERE agent = $1", mine),
                         5);
        assert_int_equal(
            count("SELECT count(*) FROM swb_inbox WHERE agent = $1", other), 5);
        /* tool results: every old one of this run goes, the new ones stay */
        while ((n = swb_retention_prune(pg, &tools, NULL, 168, 1000, errstr,
                                        sizeof(errstr))) > 0)
                ;
        assert_int_equal(n, 0);
        assert_int_equal(
            count("SELECT count(*) FROM tool_results WHERE idem_key LIKE $1", like), 5);
        assert_int_equal(
            count("SELECT count(*) FROM tool_results WHERE idem_key LIKE $1 AND "
                  "created_at < now() - interval '2 hours'",
                  like),
            0);
}

static void test_run_is_scheduled(void **state)
{
        swb_config_t *cfg = swb_config_new();
        swb_retention_t *r = swb_retention_new(cfg, swb_retention_agent_rules, tag);
        (void)state;
        /* the first run comes a minute after start, not at once */
        assert_int_equal(swb_retention_run(r, pg), 0);
        assert_int_equal(swb_retention_run(r, NULL), 0);
        swb_retention_destroy(r);
        swb_config_destroy(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prune),
            cmocka_unit_test(test_run_is_scheduled),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
