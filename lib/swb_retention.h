/*
 * swb_retention - deletes deduplication records older than
 * dedup.retention.hours, so the tables that make redeliveries harmless do not
 * grow without end: the agents' inbox (swb_inbox) and write-tool results
 * (tool_results), and swb-analytics' processed event ids.
 *
 * A record only matters while its message can still be redelivered, i.e.
 * within the topics' retention; keep dedup.retention.hours above it.
 *
 * The owner calls swb_retention_run() from its poll loop; it does nothing
 * until the next run is due (hourly; a minute later when a run was cut short
 * or failed) and then deletes in batches for at most ~200 ms, so the poll
 * thread is never held long. Rows locked by someone else (another replica
 * pruning the same table) are skipped. Not thread-safe: the poll thread's.
 */
#ifndef SWB_RETENTION_H
#define SWB_RETENTION_H

#include <stdint.h>

#include "swb_config.h"
#include "swb_pg.h"

/** A table to prune: rows with `time_col` older than the retention; when
 *  `filter_col` is set, only those with filter_col = the run's filter. */
struct swb_retention_rule {
        const char *table, *time_col, *filter_col;
};

/** The deduplication records of an agent (its inbox rows, filtered by agent
 *  name; write-tool results) and of swb-analytics; each ends with {NULL}. */
extern const struct swb_retention_rule swb_retention_agent_rules[];
extern const struct swb_retention_rule swb_retention_analytics_rules[];

typedef struct swb_retention_s swb_retention_t;

/** `rules` (static, ending with {NULL}) are kept by reference. First run after ~1
 * minute. */
swb_retention_t *swb_retention_new(const swb_config_t *cfg,
                                   const struct swb_retention_rule *rules,
                                   const char *filter);
void swb_retention_destroy(swb_retention_t *r);

/** Prune now if due (pg may be NULL: then not). @returns rows deleted this call. */
long swb_retention_run(swb_retention_t *r, swb_pg_t *pg);

/**
 * Delete up to `batch` rows of `rule` older than `hours` (one statement).
 * @returns rows deleted, or -1 with errstr filled.
 */
long swb_retention_prune(swb_pg_t *pg, const struct swb_retention_rule *rule,
                         const char *filter, int hours, int batch, char *errstr,
                         size_t errstr_size);

#endif
