/*
 * Helpers of the tool component tests (tests/component/test_tools_*.c): a
 * test user with its own PostgreSQL connection and optionally a cache, tool
 * calls as that user, assertions on tool results, one-value SQL reads.
 */
#ifndef SWB_TEST_TOOLS_H
#define SWB_TEST_TOOLS_H

#include "swb_test.h"

#include <jansson.h>

#include "swb_agent.h"
#include "swb_cache.h"
#include "swb_pg.h"

/** The test stack's PostgreSQL and Redis URLs (set by swb_test_tools_setup). */
extern char *swb_test_pg_url, *swb_test_redis_url;

/** How a test file's calls reach the tools. */
typedef swb_err_t(swb_test_tool_dispatch_fn)(const char *tool,
                                             const struct swb_tool_ctx *ctx,
                                             const json_t *args, json_t **res);

/**
 * cmocka group setup of a tool test file: reads the stack's URLs and remembers
 * `domain` (for user ids) and how to call the tools: `dispatch`, or when NULL
 * swb_tools_call on `tools`. @returns 0, or -1 when the stack env is missing.
 */
int swb_test_tools_setup(const char *domain, const struct swb_tool *tools, size_t n,
                         swb_test_tool_dispatch_fn *dispatch);
int swb_test_tools_teardown(void **state);

/** A user of its own (unique id), its PostgreSQL connection, maybe a cache. */
struct swb_test_user {
        char id[96];
        char request[96];
        char call[32];
        swb_pg_t *pg;
        swb_cache_t *cache;
        struct swb_tool_ctx ctx;
};

swb_pg_t *swb_test_pg_connect(void);
swb_cache_t *swb_test_cache_at(const char *url);
/** `cache_url` NULL: the user's tools read PostgreSQL only. */
void swb_test_user_init(struct swb_test_user *u, const char *tag,
                        const char *cache_url);
void swb_test_user_fini(struct swb_test_user *u);

/** Call a tool as `u` with a fresh call id (or `call_id` to replay one); fails the
 *  test on a transport error. @returns the result (a new reference). */
json_t *swb_test_call_as(struct swb_test_user *u, const char *tool, const char *call_id,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define swb_test_call(u, tool, ...) swb_test_call_as(u, tool, NULL, __VA_ARGS__)

void swb_test_assert_error_code(json_t *res, const char *code);
void swb_test_assert_ok(json_t *res);

/** One value from the database, as text (a new string), or NULL. */
char *swb_test_sql1(swb_pg_t *pg, const char *sql, const char *p1);
long long swb_test_sql_int(swb_pg_t *pg, const char *sql, const char *p1);
/** The date `days` after the database's today, YYYY-MM-DD. */
void swb_test_day(swb_pg_t *pg, int days, char out[16]);

long long swb_test_jint(const json_t *o, const char *key);
const char *swb_test_jstr(const json_t *o, const char *key);

/** swb_cache_requests_total{cache=type,result=result} of this process. */
double swb_test_cache_count(const char *type, const char *result);
#endif
