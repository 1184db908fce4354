/*
 * swb_test - helpers shared by the component and black-box tests.
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h>, <stdint.h> and <cmocka.h>
 * (this header includes them in that order).
 */
#ifndef SWB_TEST_H
#define SWB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>
#include <sys/types.h>

/** Deadline multiplier, from SWB_TEST_TIMEOUT_MULTIPLIER (default 1; sanitizer builds
 * set 3). */
double swb_test_tmout_multip(void);
/** Monotonic milliseconds. */
int64_t swb_test_now_ms(void);
/** A deadline `ms` (scaled by the multiplier) from now. */
int64_t swb_test_deadline(int64_t ms);

/** Waits until cond(arg) returns true or the scaled deadline passes; polls every 20 ms.
 */
bool swb_test_wait_for(bool (*cond)(void *arg), void *arg, int64_t timeout_ms);

/**
 * The value of KEY in the test stack's env file ($SWB_TEST_STATE/env), or NULL.
 * @returns a new string (free()).
 */
char *swb_test_stack_env(const char *key);

/**
 * Spawn build/bin/<prog> with argv (NULL-terminated, argv[0] excluded) and
 * extra environment entries envp ("K=V", NULL-terminated, may be NULL), stdout
 * and stderr appended to `log_path` (may be NULL: inherit).
 * @returns the child's pid, or -1.
 */
pid_t swb_test_spawn(const char *prog, const char *const *argv, const char *const *envp,
                     const char *log_path);
/** Send `sig` and wait up to timeout_ms for exit. @returns exit status (waitpid form),
 * or -1 on timeout (then SIGKILLed). */
int swb_test_stop(pid_t pid, int sig, int64_t timeout_ms);

/** A loopback port nothing listens on (bound, read, closed): for "service down"
 *  tests. Defined in swb_test_tools.c. */
int swb_test_dead_port(void);

/** cmocka group setup / teardown of the component tests of Redis clients:
 *  swb_test_redis_url is the stack's SWB_REDIS_URL in between. */
extern char *swb_test_redis_url;
int swb_test_redis_setup(void **state);
int swb_test_redis_teardown(void **state);

/** A fresh unique suffix for topic / group names, so tests do not collide. */
const char *swb_test_unique(void);

/* ---- Kafka helpers (swb_test_kafka.c) ---- */

/** Create topics (CreateTopics admin request; already-existing is fine). @returns 0 on
 * success. */
int swb_test_create_topics(const char *brokers, const char *const *names, size_t cnt,
                           int partitions);

/**
 * Read every message of `topic` from the beginning: until at least `want`
 * messages were seen and then `idle_ms` passed with nothing new, or max_ms
 * (scaled) in all. Calls cb for each; returns the count.
 */
size_t swb_test_read_topic(const char *brokers, const char *topic, size_t want,
                           int idle_ms, int max_ms,
                           void (*cb)(void *arg, const void *key, size_t key_len,
                                      const void *val, size_t len,
                                      const void *hdrs /* rd_kafka_headers_t* */),
                           void *arg);

/**
 * Sum over the partitions of `topic` of (high watermark - committed offset of
 * `group`); a partition with no commit counts its whole high watermark.
 * @returns the lag, or -1 on error.
 */
int64_t swb_test_group_lag(const char *brokers, const char *group, const char *topic);

#endif
