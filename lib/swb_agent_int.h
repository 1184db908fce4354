/* Private to swb_agent.c and swb_agent_llm.c. */
#ifndef SWB_AGENT_INT_H
#define SWB_AGENT_INT_H

#include "swb_agent.h"
#include "swb_breaker.h"
#include "swb_budget.h"
#include "swb_cache.h"
#include "swb_id.h"
#include "swb_llm.h"
#include "swb_metrics.h"
#include "swb_pg.h"
#include "swb_session.h"
#include "swb_usage.h"

struct swb_agent_s {
        const swb_config_t *cfg;
        const struct swb_agent_plugin *plugin;
        swb_worker_t *worker;
        swb_session_store_t *sessions;
        swb_pg_t *pg;       /* connected lazily; dropped when it breaks */
        bool pg_dependency; /* the worker pauses while PostgreSQL is down */
        struct swb_retention_s *retention; /* prunes the inbox and tool results */
        int64_t next_sweep_ms;             /* swb_tools_booking_sweep's schedule */
        swb_cache_t *cache;                /* NULL without redis.url */
        swb_llm_t *llm;                    /* NULL without llm.url */
        swb_usage_t *usage;
        swb_budget_t *budget;   /* spend limits per user / tenant */
        swb_breaker_t *breaker; /* model protection: circuit and adaptive limit */
        struct swb_agent_run *wait_head, *wait_tail; /* runs waiting for a model slot */
        json_t *tools_spec; /* the tools as the model sees them */
        swb_metric_t *m_req, *m_dur, *m_tool, *m_tool_dur;
};

/** One request being answered (planner or model loop). */
struct swb_agent_run {
        swb_agent_t *a;
        swb_job_t *job;
        json_t *req, *turns;
        struct swb_agent_ctx ctx;
        char reply_id[SWB_UUID_LEN];
        int seq;          /* StreamEvent sequence */
        int round;        /* model rounds so far */
        json_t *messages; /* the model conversation */
        struct swb_agent_run *next_wait;
        struct swb_audit_usage usage;
};

struct swb_agent_run *swb__agent_run_from_ctx(const struct swb_agent_ctx *ctx);
/** Publish a StreamEvent of `kind` for the run (best effort: errors are logged). */
void swb__agent_stream(struct swb_agent_run *run, const char *kind, const char *text,
                       const char *tool);
/** Reply, record the turn, count the request, finish the run. @returns as
 * swb_job_reply. */
swb_err_t swb__agent_reply(struct swb_agent_run *run, const char *text,
                           const char *status);
/** Hand the request back to the supervisor (escalation). */
swb_err_t swb__agent_escalate(struct swb_agent_run *run);
void swb__agent_run_destroy(struct swb_agent_run *run);
/**
 * The run of `job` failed with `err` (the handler returns it or completes the
 * job with it next): when it is retriable and PostgreSQL does not answer now,
 * mark the job as failed by PostgreSQL's outage (swb_job_dependency_down).
 * Poll thread only.
 */
void swb__agent_failed(swb_agent_t *a, swb_job_t *job, swb_err_t err);

/** Start the model loop for the run (the job is deferred until it ends). */
swb_err_t swb__agent_llm_start(struct swb_agent_run *run, char *errstr,
                               size_t errstr_size);
/** Start waiting runs while the model has room (from the poll hook). */
void swb__agent_llm_pump(swb_agent_t *a);

#endif
