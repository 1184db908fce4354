/*
 * swb_log - JSON-lines logging with correlation ids.
 *
 * Every line written is one JSON object:
 *   {"ts":"2026-11-24T00:00:00.123Z","level":"info","component":"supervisor",
 *    "msg":"...","request_id":"...","session_id":"...","trace_id":"..."}
 * Correlation fields appear when known (pass a swb_corr_t, or NULL).
 * The macros test the level before formatting anything. Thread-safe: each line
 * is written with one write(2) call.
 */
#ifndef SWB_LOG_H
#define SWB_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum swb_log_level {
        SWB_LOG_DEBUG = 0,
        SWB_LOG_INFO,
        SWB_LOG_WARN,
        SWB_LOG_ERROR,
        SWB_LOG_OFF
} swb_log_level_t;

/** Correlation ids of the message being worked on; any field may be NULL. */
typedef struct swb_corr {
        const char *request_id;
        const char *session_id;
        const char *trace_id;
} swb_corr_t;

extern swb_log_level_t swb_log_level;

/** Set the component name written on every line (process-wide, call once at start). */
void swb_log_init(const char *component, swb_log_level_t level);
/** Send log lines to `fd` instead of stderr (tests). */
void swb_log_set_fd(int fd);
/** @returns the level named `name` ("debug", "info", "warn", "error", "off"), or -1. */
int swb_log_level_parse(const char *name);

void swb_log_write(swb_log_level_t level, const swb_corr_t *corr, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define SWB_LOG(lvl, corr, ...)                                                          \
        do {                                                                             \
                if ((lvl) >= swb_log_level)                                              \
                        swb_log_write((lvl), (corr), __VA_ARGS__);                       \
        } while (0)

#define SWB_DBG(corr, ...)  SWB_LOG(SWB_LOG_DEBUG, corr, __VA_ARGS__)
#define SWB_INFO(corr, ...) SWB_LOG(SWB_LOG_INFO, corr, __VA_ARGS__)
#define SWB_WARN(corr, ...) SWB_LOG(SWB_LOG_WARN, corr, __VA_ARGS__)
#define SWB_ERR(corr, ...)  SWB_LOG(SWB_LOG_ERROR, corr, __VA_ARGS__)

/**
 * Append `s` as a JSON string body (no quotes) to buf at *pos, escaping as
 * needed; never writes past size and always NUL-terminates. Shared with
 * other modules that emit hand-built JSON.
 */
void swb_json_escape(char *buf, size_t size, size_t *pos, const char *s);

#endif
