/*
 * swb_agent - domain agents as plugins.
 *
 * Each agent is one static `struct swb_agent_plugin` in lib/agents/<name>.c,
 * registered by one line in lib/swb_agents.c. The agent worker
 * (swb_agent_handle) decodes RoutedRequests for its domain, asks the plugin
 * for an answer and replies. Tools and the LLM loop come with the agents issue;
 * `plan` is the deterministic no-LLM path.
 */
#ifndef SWB_AGENT_H
#define SWB_AGENT_H

#include <jansson.h>
#include <stddef.h>

#include "swb_config.h"
#include "swb_err.h"
#include "swb_log.h"
#include "swb_worker.h"

/** What a plugin sees of the request it answers. */
struct swb_agent_ctx {
        const swb_config_t *cfg;
        const json_t *request;    /* the RoutedRequest (borrowed) */
        const char *text;         /* request text */
        const char *locale;       /* "en", "id", ... */
        const swb_corr_t *corr;
};

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

struct swb_agent_plugin {
        const char *name;        /* the domain, e.g. "hotel" */
        const char *description;
        const struct swb_tool *tools;
        size_t n_tools;
        /**
         * The no-LLM path: answer `ctx->text`.
         * @param reply set to a new string (swb_free) on SWB_OK.
         */
        swb_err_t (*plan)(const struct swb_agent_ctx *ctx, char **reply, char *errstr,
                          size_t errstr_size);
};

/** The registered plugins (lib/swb_agents.c), NULL-terminated. */
extern const struct swb_agent_plugin *const swb_agent_plugins[];

/** @returns the plugin named `name`, or NULL. */
const struct swb_agent_plugin *swb_agent_find(const char *name);

typedef struct swb_agent_s swb_agent_t;

/** The state of one agent worker. @returns NULL for an unknown domain. */
swb_agent_t *swb_agent_new(const swb_config_t *cfg, const char *domain, char *errstr,
                           size_t errstr_size);
void swb_agent_destroy(swb_agent_t *a);
/** swb_worker handler: opaque is the swb_agent_t; codec comes from the worker. */
swb_err_t swb_agent_handle(void *opaque, swb_job_t *job, const rd_kafka_message_t *msg,
                           char *errstr, size_t errstr_size);
/** Bind the agent to its worker (for the codec). */
void swb_agent_set_worker(swb_agent_t *a, swb_worker_t *w);

#endif
