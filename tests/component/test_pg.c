/*
 * component.pg: lib/swb_pg against the stack's PostgreSQL (SWB_PG_URL).
 */
#include "swb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_pg.h"

static char *pg_url;

static int group_setup(void **state)
{
        pg_url = swb_test_stack_env("SWB_PG_URL");
        if (!pg_url) {
                fprintf(stderr,
                        "SWB_PG_URL not in the stack env ($SWB_TEST_STATE/env)\n");
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        free(pg_url);
        return 0;
}

static swb_pg_t *connect_or_fail(void)
{
        char errstr[512] = "";
        swb_pg_t *pg = swb_pg_new(pg_url, errstr, sizeof(errstr));
        if (!pg)
                fail_msg("swb_pg_new(%s): %s", pg_url, errstr);
        return pg;
}

static void test_new_bad_url(void **state)
{
        char errstr[512] = "";
        /* Nothing listens on port 1. */
        swb_pg_t *pg = swb_pg_new("postgresql://swb@127.0.0.1:1/switchboard", errstr,
                                  sizeof(errstr));
        assert_null(pg);
        assert_true(strlen(errstr) > 0);
        swb_pg_destroy(NULL);
}

static void test_exec_params(void **state)
{
        swb_pg_t *pg = connect_or_fail();
        const char *params[] = {"20", "22", NULL};
        PGresult *res = NULL;
        char errstr[512];

        assert_int_equal(swb_pg_exec(pg, "SELECT $1::int + $2::int, $3::text IS NULL",
                                     3, params, &res, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_non_null(res);
        assert_int_equal(PQntuples(res), 1);
        assert_string_equal(PQgetvalue(res, 0, 0), "42");
        assert_string_equal(PQgetvalue(res, 0, 1), "t");
        PQclear(res);

        /* The core schema is there (001_core.sql applied by swb-stack). */
        assert_int_equal(swb_pg_exec(pg,
                                     "SELECT count(*) FROM schema_migrations "
                                     "WHERE version = '001_core'",
                                     0, NULL, &res, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "1");
        PQclear(res);

        /* res may be NULL: result discarded. */
        assert_int_equal(
            swb_pg_exec(pg, "SELECT 1", 0, NULL, NULL, errstr, sizeof(errstr)), SWB_OK);
        assert_true(swb_pg_ping(pg));
        swb_pg_destroy(pg);
}

static void test_statement_error(void **state)
{
        swb_pg_t *pg = connect_or_fail();
        PGresult *res = (PGresult *)0x1;
        char errstr[512] = "";
        swb_err_t err;

        err = swb_pg_exec(pg, "SELECT * FROM no_such_table_xyz", 0, NULL, &res, errstr,
                          sizeof(errstr));
        assert_int_equal(err, SWB_ERR_PG);
        assert_false(swb_err_is_retriable(err));
        assert_null(res);
        assert_string_equal(swb_pg_sqlstate(pg), "42P01");
        assert_non_null(strstr(errstr, "42P01"));

        /* Unique violation keeps its SQLSTATE for the caller. */
        {
                char uid[96];
                const char *p[] = {uid};
                snprintf(uid, sizeof(uid), "pg-test-%s", swb_test_unique());
                assert_int_equal(swb_pg_exec(pg,
                                             "INSERT INTO users (user_id) VALUES ($1)",
                                             1, p, NULL, errstr, sizeof(errstr)),
                                 SWB_OK);
                assert_int_equal(swb_pg_exec(pg,
                                             "INSERT INTO users (user_id) VALUES ($1)",
                                             1, p, NULL, errstr, sizeof(errstr)),
                                 SWB_ERR_PG);
                assert_string_equal(swb_pg_sqlstate(pg), "23505");
                assert_int_equal(swb_pg_exec(pg, "DELETE FROM users WHERE user_id = $1",
                                             1, p, NULL, errstr, sizeof(errstr)),
                                 SWB_OK);
                assert_string_equal(swb_pg_sqlstate(pg), "");
        }

        /* A serialization failure is retriable. */
        err = swb_pg_exec(
            pg, "DO $$BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END$$", 0,
            NULL, NULL, errstr, sizeof(errstr));
        assert_int_equal(err, SWB_ERR_UNAVAILABLE);
        assert_true(swb_err_is_retriable(err));
        assert_string_equal(swb_pg_sqlstate(pg), "40001");

        /* The connection is still usable. */
        assert_true(swb_pg_ping(pg));
        swb_pg_destroy(pg);
}

static void test_transaction(void **state)
{
        swb_pg_t *pg = connect_or_fail();
        char errstr[512], uid[96];
        const char *p[] = {uid};
        PGresult *res;

        snprintf(uid, sizeof(uid), "pg-tx-%s", swb_test_unique());

        /* Rolled back: not there. */
        assert_int_equal(swb_pg_begin(pg, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_pg_exec(pg, "INSERT INTO users (user_id) VALUES ($1)", 1,
                                     p, NULL, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_int_equal(swb_pg_rollback(pg, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_pg_exec(pg,
                                     "SELECT count(*) FROM users WHERE user_id = $1", 1,
                                     p, &res, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "0");
        PQclear(res);

        /* Committed: there, with the defaults. */
        assert_int_equal(swb_pg_begin(pg, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_pg_exec(pg, "INSERT INTO users (user_id) VALUES ($1)", 1,
                                     p, NULL, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_int_equal(swb_pg_commit(pg, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_pg_exec(pg, "SELECT locale FROM users WHERE user_id = $1",
                                     1, p, &res, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_int_equal(PQntuples(res), 1);
        assert_string_equal(PQgetvalue(res, 0, 0), "en");
        PQclear(res);

        /* A failed transaction does not commit. */
        assert_int_equal(swb_pg_begin(pg, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_pg_exec(pg, "DELETE FROM users WHERE user_id = $1", 1, p,
                                     NULL, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_int_equal(
            swb_pg_exec(pg, "SELECT 1/0", 0, NULL, NULL, errstr, sizeof(errstr)),
            SWB_ERR_PG);
        assert_int_equal(swb_pg_commit(pg, errstr, sizeof(errstr)), SWB_ERR_PG);
        assert_string_equal(swb_pg_sqlstate(pg), "25P02");
        assert_int_equal(swb_pg_exec(pg,
                                     "SELECT count(*) FROM users WHERE user_id = $1", 1,
                                     p, &res, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "1");
        PQclear(res);

        assert_int_equal(swb_pg_exec(pg, "DELETE FROM users WHERE user_id = $1", 1, p,
                                     NULL, errstr, sizeof(errstr)),
                         SWB_OK);
        swb_pg_destroy(pg);
}

/* Kill `victim`'s backend from a second connection; waits until it has exited. */
static void terminate_backend_of(swb_pg_t *victim, swb_pg_t *killer)
{
        PGresult *res;
        char errstr[512], pid[32];
        const char *p[] = {pid};

        assert_int_equal(swb_pg_exec(victim, "SELECT pg_backend_pid()", 0, NULL, &res,
                                     errstr, sizeof(errstr)),
                         SWB_OK);
        snprintf(pid, sizeof(pid), "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        assert_int_equal(swb_pg_exec(killer,
                                     "SELECT pg_terminate_backend($1::int, 10000)", 1,
                                     p, &res, errstr, sizeof(errstr)),
                         SWB_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "t");
        PQclear(res);
}

static void test_reconnect_after_terminate(void **state)
{
        swb_pg_t *pg = connect_or_fail(), *killer = connect_or_fail();
        PGresult *res = NULL;
        char errstr[512] = "";
        swb_err_t err;

        terminate_backend_of(pg, killer);

        /* First call: a retriable error (the statement is not replayed) or,
         * had the loss been seen before sending, a transparent recovery. */
        err = swb_pg_exec(pg, "SELECT 7", 0, NULL, &res, errstr, sizeof(errstr));
        if (err) {
                assert_int_equal(err, SWB_ERR_TRANSPORT);
                assert_true(swb_err_is_retriable(err));
                assert_null(res);
        } else {
                PQclear(res);
        }
        /* The next call succeeds on the new connection. */
        assert_int_equal(
            swb_pg_exec(pg, "SELECT 7", 0, NULL, &res, errstr, sizeof(errstr)), SWB_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "7");
        PQclear(res);

        /* Inside a transaction: the loss fails the transaction until rollback. */
        assert_int_equal(swb_pg_begin(pg, errstr, sizeof(errstr)), SWB_OK);
        terminate_backend_of(pg, killer);
        err = swb_pg_exec(pg, "SELECT 1", 0, NULL, NULL, errstr, sizeof(errstr));
        assert_int_equal(err, SWB_ERR_TRANSPORT);
        assert_int_equal(
            swb_pg_exec(pg, "SELECT 1", 0, NULL, NULL, errstr, sizeof(errstr)),
            SWB_ERR_TRANSPORT);
        assert_int_equal(swb_pg_rollback(pg, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(
            swb_pg_exec(pg, "SELECT 1", 0, NULL, NULL, errstr, sizeof(errstr)), SWB_OK);

        /* ping recovers by itself. */
        terminate_backend_of(pg, killer);
        assert_true(swb_pg_ping(pg));

        swb_pg_destroy(killer);
        swb_pg_destroy(pg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_new_bad_url),
            cmocka_unit_test(test_exec_params),
            cmocka_unit_test(test_statement_error),
            cmocka_unit_test(test_transaction),
            cmocka_unit_test(test_reconnect_after_terminate),
        };
        return cmocka_run_group_tests_name("component.pg", tests, group_setup,
                                           group_teardown);
}
