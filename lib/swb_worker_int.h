/*
 * Private to swb_worker.c and swb_job.c: the worker and job structures.
 */
#ifndef SWB_WORKER_INT_H
#define SWB_WORKER_INT_H

#include <signal.h>

#include "swb_id.h"
#include "swb_kafka.h"
#include "swb_keyq.h"
#include "swb_offsets.h"
#include "swb_worker.h"

struct swb_job_s {
        swb_worker_t *w;
        rd_kafka_message_t *msg;
        int refcnt;       /* the handler (while it runs or is deferred) + each output */
        swb_err_t failed; /* first error of this handling, or SWB_OK */
        int handlings;
        int64_t first_seen_ms;
        bool orphaned;          /* its partition was revoked: never store its offset */
        bool dead_lettering;    /* the outputs in flight are the dead letter */
        bool permanent;         /* the handler failed permanently: no retry */
        bool dlq_pending;       /* dead-letter (again) instead of handling again */
        bool deferred;          /* the handler said it completes later */
        bool keyed;             /* holds its key's turn in the worker's key queues */
        int64_t retry_at_ms;    /* monotonic time before which it is not retried */
        int64_t retry_after_ms; /* what the failed dependency asked for (Retry-After) */
        int dep; /* 1 + index of the dependency whose outage failed this handling; 0 */
        int dep_holds; /* handlings that ended so: they are not attempts */
        size_t live_idx;
        json_t *request;
        char *request_id, *session_id;
        char trace_id[SWB_TRACE_ID_LEN];
        char traceparent[SWB_TRACEPARENT_LEN];
        swb_corr_t corr;
        char errclass[32];
        char errmsg[512];
        swb_job_t *next; /* retry or ready list */
};

#define SWB__MAX_DEPS 4

/* A dependency the handler needs (swb_worker_add_dependency). */
struct swb__dep {
        char *name;
        swb_worker_probe_cb *probe;
        void *opaque;
        bool down;
        int64_t down_since_ms; /* monotonic */
        int64_t next_probe_ms; /* monotonic */
        int probes;            /* failed probes since it went down: the back-off step */
        int64_t next_idle_probe_ms; /* monotonic: when up and the worker idle */
};

struct swb_worker_s {
        const swb_config_t *cfg;
        struct swb_worker_spec spec;
        swb_codec_t *codec;
        swb_producer_t *producer;
        swb_consumer_t *consumer;
        swb_offsets_t *offsets;
        swb_keyq_t *keys;
        swb_metrics_t *metrics;
        swb_http_t *http;
        char *port_file;
        volatile sig_atomic_t stop;
        swb_job_t *retry_head;              /* failed jobs waiting for their back-off */
        swb_job_t *ready_head, *ready_tail; /* jobs whose key turn came: handle next */
        swb_job_t **live;                   /* every job not finished */
        size_t live_cnt, live_cap, deferred_cnt;
        swb_job_t *held_head, *held_tail; /* jobs waiting for a dependency, in order */
        size_t held_cnt;
        struct swb__dep deps[SWB__MAX_DEPS];
        int dep_cnt, deps_down;
        bool paused;              /* the assigned partitions are paused */
        bool busy;                /* past worker.max.inflight (until below half) */
        int64_t full_since_ms;    /* at worker.max.inflight since (mono), else 0 */
        int64_t last_consumed_ms; /* monotonic: the last message taken */
        long paused_rebalances;
        swb_metric_t *m_consumed, *m_produced, *m_dlq, *m_inflight;
        swb_metric_t *m_dep_up, *m_dep_outages;
};

/** A delivery report or the handler's hold ended: finish, retry or dead-letter. */
void swb__job_release(swb_job_t *job);

/* swb_worker.c: the job leaves the worker (its key's next message gets the
 * turn); a job whose turn came goes on the ready list; run the ready list. */
void swb__job_finish(swb_worker_t *w, swb_job_t *job);
void swb__ready_append(swb_worker_t *w, swb_job_t *job);
void swb__run_ready(swb_worker_t *w);

/* swb_worker_dep.c: dependency outages. */
void swb__held_append(swb_worker_t *w, swb_job_t *job);
void swb__dep_hold(swb_worker_t *w, swb_job_t *job);
void swb__dep_probe(swb_worker_t *w);
void swb__dep_idle_probe(swb_worker_t *w);
void swb__dep_abandon(swb_worker_t *w);

#endif
