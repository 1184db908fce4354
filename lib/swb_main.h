/*
 * swb_main - what every main does first: build the configuration from file,
 * environment and flags, set up logging, and answer --help / --print-config;
 * and what the mains of the consumer workers (workers/<name>/main.c) share:
 * running one swb_worker to its end.
 */
#ifndef SWB_MAIN_H
#define SWB_MAIN_H

#include "swb_config.h"
#include "swb_worker.h"

/**
 * Build the configuration for program `prog` (its default name). Exits the
 * process with status 2 and a clear message on a configuration error, and
 * with 0 after --help or --print-config. On return *argcp/argv hold the
 * arguments the table did not consume.
 * @param usage  extra usage text for --help (program-specific flags), or NULL.
 */
swb_config_t *swb_main_config(const char *prog, int *argcp, char **argv,
                              const char *usage);

/** Write our pid to run.dir/<name>.pid when run.dir is set (removed by
 * swb_main_cleanup). */
void swb_main_write_pid(const swb_config_t *cfg);
void swb_main_cleanup(const swb_config_t *cfg);

/** What a worker's main gives swb_main_run_worker(): its component and hooks. */
struct swb_main_worker {
        const char *prog;            /* "swb-agent": prefixes the error on stderr */
        const char *component;       /* spec.component */
        const char *group_id;        /* spec.group_id */
        const char *topic;           /* the one topic it consumes */
        const char *probe_pg_url;    /* readiness: PostgreSQL to probe, or NULL */
        const char *probe_redis_url; /* readiness: Redis to probe, or NULL */
        swb_worker_handle_cb *handle;
        swb_worker_poll_cb *poll; /* may be NULL */
        void *opaque;             /* the component: handle, poll and the hooks get it */
        /** Bind the component to its worker, once the worker exists. */
        void (*bind)(void *opaque, swb_worker_t *w);
        /**
         * NULL, or destroy the component before the worker is: a component
         * whose pending calls complete through the worker. Called on every
         * path, also when the worker could not be made.
         */
        void (*release)(void *opaque);
};

/**
 * Run a consumer worker to its end: swb_worker_new() (its error on stderr as
 * "<prog>: <error>"), mw->bind(), the readiness probe (swb_probe_start()),
 * SIGTERM/SIGINT handlers, the pid file (swb_main_write_pid()) and
 * swb_worker_run(). Then, in this order: mw->release(), the worker, the probe
 * (after the worker's HTTP server: its checks read the probe). A component
 * without `release` is the caller's to destroy afterwards; the pid file is
 * swb_main_cleanup()'s.
 * @returns swb_worker_run()'s exit status, or 1 when the worker could not be made.
 */
int swb_main_run_worker(const swb_config_t *cfg, const struct swb_main_worker *mw);

#endif
