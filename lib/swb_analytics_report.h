/*
 * swb_analytics_report - `swb-analytics report`: a readable summary of the
 * analytics aggregates (infra/sql/010_analytics.sql) for operators, and the
 * percentile estimate from their latency histograms.
 *
 * Reads only PostgreSQL; one connection per call. Thread-safe (no state).
 */
#ifndef SWB_ANALYTICS_REPORT_H
#define SWB_ANALYTICS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "swb_err.h"

/**
 * Print the summary of the last hour and the last day to `fp`: per agent,
 * requests, replies by status, failed, dead-lettered, p50/p95/p99 latency,
 * tokens and cost; then the top users by spend. Windows are whole UTC hours
 * (the hour buckets from the start of the hour 1 h, resp. 24 h, before now)
 * and, for users, whole UTC days.
 * @param now_ms the report's "now" (ms since the epoch; 0: the clock).
 * @returns SWB_OK, or a swb_pg error (SWB_ERR_TRANSPORT when PostgreSQL
 *          cannot be reached).
 */
swb_err_t swb_analytics_report_print(const char *pg_url, FILE *fp, int64_t now_ms,
                                     char *errstr, size_t errstr_size);

/**
 * The q-quantile (0 < q < 1) of a histogram of `n` consecutive buckets:
 * upper bounds `le` (ascending; the last may be INFINITY) and non-cumulative
 * counts `cnt`; bucket i holds (le[i-1], le[i]], the first (0, le[0]]. So
 * empty buckets between two others must be present (with count 0).
 * Linear interpolation within the bucket that holds the rank. A rank in the
 * +Inf bucket returns the largest finite bound. @returns NAN when the
 * histogram is empty.
 */
double swb_analytics_report_percentile(const double *le, const int64_t *cnt, size_t n,
                                       double q);

#endif
