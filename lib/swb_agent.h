/*
 * swb_agent - domain agents as plugins.
 *
 * Each agent is one static `struct swb_agent_plugin` in lib/agents/<name>.c,
 * registered by one line in lib/swb_agents.c; its tools are static tables in
 * lib/tools/. The agent worker (swb_agent_handle) decodes RoutedRequests for
 * its domain and answers each one either with the model (llm.url set: the
 * OpenAI tool loop of swb_agent_llm.c, streamed to topic.stream) or with the
 * plugin's deterministic planner (`plan`); both call the same tools through
 * swb_agent_call_tool().
 */
#ifndef SWB_AGENT_H
#define SWB_AGENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "swb_config.h"
#include "swb_err.h"
#include "swb_log.h"
#include "swb_worker.h"

/**
 * What a tool call runs with. The acting user is always ctx->user_id (the
 * request's user), never an argument the model can set.
 */
struct swb_tool_ctx {
        const swb_config_t *cfg;
        struct swb_pg_s *pg;       /* PostgreSQL connection of this worker thread */
        struct swb_cache_s *cache; /* Redis read cache; may be down */
        const char *user_id;
        const char *tenant_id;
        const char *request_id;
        const char *call_id;       /* stable per request: idempotency keys derive from it */
        const char *locale;
        const swb_corr_t *corr;
};

/**
 * Run a tool.
 * @param args   the arguments, already checked against `parameters` (borrowed).
 * @param result set to a new reference on SWB_OK: compact JSON with ids the
 *               model can reuse; a refusal or a user-facing error is a normal
 *               result of the form {"error": {"code": "...", "message": "..."}}.
 * @returns SWB_OK, or a retriable error (PostgreSQL down, ...) to retry the
 *          whole message later. Never crashes on bad arguments.
 */
typedef swb_err_t(swb_tool_fn)(const struct swb_tool_ctx *ctx, const json_t *args,
                               json_t **result);

/** A tool the agent (and the model) can call. */
struct swb_tool {
        const char *name;
        const char *description;
        const char *parameters; /* JSON schema of the arguments (an object schema) */
        swb_tool_fn *fn;
};

typedef struct swb_agent_s swb_agent_t;

/** What a plugin sees of the request it answers. */
struct swb_agent_ctx {
        const swb_config_t *cfg;
        const json_t *request;    /* the RoutedRequest (borrowed) */
        const char *text;         /* request text */
        const char *locale;       /* "en", "id", ... */
        const swb_corr_t *corr;
        const json_t *turns;      /* the session's recent turns, oldest first (may be empty) */
        swb_agent_t *agent;       /* for swb_agent_call_tool() */
        swb_job_t *job;
};

/** A plugin's answer. */
struct swb_agent_answer {
        char *text;    /* swb_malloc()ed reply text */
        bool escalate; /* not this agent's request: hand it back to the supervisor */
};

struct swb_agent_plugin {
        const char *name;        /* the domain, e.g. "hotel" */
        const char *description;
        const char *system_prompt; /* for the model: role, rules, style */
        const struct swb_tool *tools;
        size_t n_tools;
        /**
         * The no-LLM path: answer ctx->text with the same tools
         * (swb_agent_call_tool), or ask a helpful question back.
         * @returns SWB_OK with out->text set (or out->escalate), or a retriable
         * error (PostgreSQL down) to have the message handled again later.
         */
        swb_err_t (*plan)(const struct swb_agent_ctx *ctx, struct swb_agent_answer *out,
                          char *errstr, size_t errstr_size);
};

/** The registered plugins (lib/swb_agents.c), NULL-terminated. */
extern const struct swb_agent_plugin *const swb_agent_plugins[];

/** @returns the plugin named `name`, or NULL. */
const struct swb_agent_plugin *swb_agent_find(const char *name);

/**
 * Run one of the agent's tools for this request: the arguments are checked
 * against the tool's schema, the acting user is the request's user, the
 * call is audited (tool_called), metered and streamed (tool_start, tool_end).
 * @param call_id  distinguishes the calls of one request (the idempotency
 *                 key of a write derives from request_id + call_id + tool).
 * @param result   set to a new reference on SWB_OK: the tool's JSON, which
 *                 may be an error object ({"error": {"code", "message"}}) for
 *                 an unknown tool, bad arguments or a refusal.
 * @returns SWB_OK, or a retriable error (e.g. PostgreSQL unreachable).
 */
swb_err_t swb_agent_call_tool(const struct swb_agent_ctx *ctx, const char *tool,
                              const json_t *args, const char *call_id, json_t **result);

/** The state of one agent worker. @returns NULL for an unknown domain. */
swb_agent_t *swb_agent_new(const swb_config_t *cfg, const char *domain, char *errstr,
                           size_t errstr_size);
/** Destroy before the worker: pending model calls complete through it. */
void swb_agent_destroy(swb_agent_t *a);
/** swb_worker handler: opaque is the swb_agent_t; codec comes from the worker. */
swb_err_t swb_agent_handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *msg,
                           char *errstr, size_t errstr_size);
/** swb_worker poll hook: drives the model calls. */
void swb_agent_poll(void *opaque, int timeout_ms);
/** Bind the agent to its worker (for the codec). */
void swb_agent_set_worker(swb_agent_t *a, swb_worker_t *w);

#endif
