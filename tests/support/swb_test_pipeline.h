/*
 * A running pipeline for black-box tests: the real swb-supervisor and
 * swb-agent processes on topics and groups of their own (prefix bb<unique>)
 * against the test stack's broker, plus a client to talk to them.
 */
#ifndef SWB_TEST_PIPELINE_H
#define SWB_TEST_PIPELINE_H

#include "swb_test.h"

#include <jansson.h>

#include "swb_client.h"
#include "swb_config.h"

#define SWB_TEST_MAX_PROCS 8

typedef struct swb_test_pipeline {
        char *brokers;
        char prefix[64];
        char rundir[256];
        char *env[40]; /* "K=V", NULL-terminated: what the workers got */
        pid_t pids[SWB_TEST_MAX_PROCS];
        char names[SWB_TEST_MAX_PROCS][32];
        int n;
        swb_config_t *cfg; /* the same settings, for in-test clients */
        swb_client_t *client;
} swb_test_pipeline_t;

/**
 * Start a supervisor (unless `domains` starts with NULL... see below) and one
 * agent per domain. `domains` is NULL-terminated; `extra_env` ("K=V",
 * NULL-terminated, may be NULL) is added to every worker's environment and to
 * p->cfg (later entries win). Fails the test on error.
 */
swb_test_pipeline_t *swb_test_pipeline_start(const char *const *domains,
                                             const char *const *extra_env);
/**
 * As swb_test_pipeline_start(), on the Kafka cluster at `brokers` (NULL: the
 * test stack's broker), e.g. a mock cluster the test runs in-process.
 */
swb_test_pipeline_t *swb_test_pipeline_start_on(const char *brokers,
                                                const char *const *domains,
                                                const char *const *extra_env);
/** SIGKILL whatever still runs, free everything. */
void swb_test_pipeline_stop(swb_test_pipeline_t *p);

/** "<prefix>.<suffix>" in a static buffer (valid until the next call). */
const char *swb_test_topic(const swb_test_pipeline_t *p, const char *suffix);

/** A request for `session`; request_id is set when sent. @returns a new reference. */
json_t *swb_test_request(const char *session, const char *text, const char *locale);

/** Send and wait for the reply (timeout scaled); fails the test on timeout. */
json_t *swb_test_ask(swb_test_pipeline_t *p, json_t *req, int timeout_ms);

/** GET http://127.0.0.1:<port of run-dir/name.port><path>. @returns the body (free())
 * or NULL. */
char *swb_test_http_get(const swb_test_pipeline_t *p, const char *name,
                        const char *path, long *status);

#endif
