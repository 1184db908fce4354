/*
 * swb_aredis - a non-blocking Redis connection for a poll loop: hiredis'
 * (0.14) async API driven by swb_aredis_poll(), with the timeouts and the
 * reconnect back-off hiredis 0.14 lacks.
 *
 * Commands are pipelined on one connection: many can be in flight, their
 * replies come back in order. Each command's callback runs exactly once,
 * from swb_aredis_poll() or swb_aredis_destroy(), never from
 * swb_aredis_cmd_argv() itself:
 *   - a reply                                  -> SWB_OK, the reply (borrowed)
 *   - an error reply (-ERR ...)                -> SWB_ERR_INVALID_ARG (-LOADING,
 *                                                 -BUSY ...: SWB_ERR_UNAVAILABLE)
 *   - connection lost or refused               -> SWB_ERR_TRANSPORT
 *   - the oldest command older than timeout_ms -> SWB_ERR_TIMEOUT: the
 *     connection is dropped (its state is unknown) and with it every command
 *     in flight; the next command reconnects.
 * While down, at most one connection attempt is made per
 * SWB_REDIS_RECONNECT_MS; in between, swb_aredis_cmd_argv() fails at once.
 *
 * Threading: one poll thread.
 */
#ifndef SWB_AREDIS_H
#define SWB_AREDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "swb_err.h"

typedef struct swb_aredis_s swb_aredis_t;

/** One command's outcome. `reply` is NULL unless err is SWB_OK, and is freed
 *  after the callback returns. `errstr` says why on error. */
typedef void swb_aredis_cb(void *opaque, swb_err_t err, const redisReply *reply,
                           const char *errstr);

/**
 * @param url as swb_redis_new(); AUTH and SELECT are sent first on each connection.
 * @param timeout_ms the longest a command may wait for its reply; <= 0: 1000.
 * @returns a client (it connects on first use), or NULL for a malformed URL.
 */
swb_aredis_t *swb_aredis_new(const char *url, int timeout_ms, char *errstr,
                             size_t errstr_size);

/** Fail every command in flight (SWB_ERR_TRANSPORT), close, free. Accepts NULL. */
void swb_aredis_destroy(swb_aredis_t *a);

/**
 * Queue one command (binary-safe argument vector; argvlen may be NULL: strlen).
 * @returns SWB_OK: `cb` will run once; otherwise (down, in the reconnect
 *          back-off) the error, and `cb` will not run.
 */
swb_err_t swb_aredis_cmd_argv(swb_aredis_t *a, int argc, const char **argv,
                              const size_t *argvlen, swb_aredis_cb *cb, void *opaque,
                              char *errstr, size_t errstr_size);

/** Send and receive what is ready, waiting up to `timeout_ms` for I/O when
 *  commands are in flight (not at all otherwise); run callbacks; time out.
 *  With timeout_ms 0 (the caller is busy) queued commands are written in
 *  batches: once they are 1 ms old or 256 of them wait, whichever is first. */
void swb_aredis_poll(swb_aredis_t *a, int timeout_ms);

/** @returns the number of commands whose callback has not run yet. */
size_t swb_aredis_inflight(const swb_aredis_t *a);

#endif
