/*
 * swb_redis - a thin hiredis (0.14) wrapper: one blocking connection that
 * comes back by itself.
 *
 * A client exists even while Redis is down: swb_redis_new() only parses the
 * URL and makes one connection attempt. Every command (re)connects when
 * needed, but at most one connection attempt is made per
 * SWB_REDIS_RECONNECT_MS; in between, commands fail at once with
 * SWB_ERR_TRANSPORT. So a down Redis costs callers a fast error, not a
 * timeout per call.
 *
 * Errors (the reply is never returned with an error):
 *   - connection refused / lost, connect failed  -> SWB_ERR_TRANSPORT (retriable)
 *   - connect or command timed out (timeout_ms)  -> SWB_ERR_TIMEOUT (retriable)
 *   - an error reply (-ERR, -WRONGTYPE, ...)      -> SWB_ERR_INVALID_ARG, the
 *     reply text in errstr; except -LOADING, -BUSY, -TRYAGAIN, -MASTERDOWN
 *     (the server cannot serve yet) -> SWB_ERR_UNAVAILABLE (retriable)
 *   - AUTH or SELECT rejected on connect          -> SWB_ERR_CONFIG
 * After a transport error or a timeout the connection is dropped (its state is
 * unknown) and the next command reconnects.
 *
 * Threading: a swb_redis_t is one connection and is not thread-safe; use one
 * per thread.
 */
#ifndef SWB_REDIS_H
#define SWB_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "swb_err.h"

typedef struct swb_redis_s swb_redis_t;

/** A parsed Redis URL (swb_redis_url_parse()). */
struct swb_redis_url {
        char *host;
        int port;
        int db;
        char *user;     /* NULL: none */
        char *password; /* NULL: no AUTH */
};

/**
 * Parse redis://[[user]:password@]host[:port][/db] (port 6379, db 0 by
 * default); "host:port" without the scheme is accepted too.
 * @returns SWB_OK, or SWB_ERR_CONFIG (errstr says why; `u` is then to be
 *          cleared all the same).
 */
swb_err_t swb_redis_url_parse(struct swb_redis_url *u, const char *url, char *errstr,
                              size_t errstr_size);
/** Free what swb_redis_url_parse() allocated. */
void swb_redis_url_clear(struct swb_redis_url *u);

/** The error of an error reply: SWB_ERR_UNAVAILABLE for those that mean "not
 *  now" (-LOADING, -BUSY, -TRYAGAIN, -MASTERDOWN), else SWB_ERR_INVALID_ARG. */
swb_err_t swb_redis_reply_err(const char *msg);

/** At most one connection attempt per this many milliseconds. */
#define SWB_REDIS_RECONNECT_MS 1000

/**
 * @param url redis://[[user]:password@]host[:port][/db] (port 6379, db 0 by
 *            default); "host:port" without the scheme is accepted too.
 * @param timeout_ms connect and per-command timeout; <= 0 means 1000.
 * @returns a new client, also when Redis is unreachable (see
 *          swb_redis_is_up()); NULL only for a malformed URL (errstr says why).
 */
swb_redis_t *swb_redis_new(const char *url, int timeout_ms, char *errstr,
                           size_t errstr_size);

/** Close the connection and free the client. Accepts NULL. */
void swb_redis_destroy(swb_redis_t *r);

/**
 * Run one command in hiredis' format ("SET %s %b", key, val, (size_t)len).
 * @param reply when non-NULL, receives the reply on SWB_OK (the caller owns
 *              it: freeReplyObject()); NULL on any error. When NULL, the reply
 *              is discarded.
 * @returns SWB_OK or an error as described at the top of this file.
 */
swb_err_t swb_redis_cmd(swb_redis_t *r, redisReply **reply, char *errstr,
                        size_t errstr_size, const char *fmt, ...);

/** swb_redis_cmd() with an argument vector (binary safe; argvlen may be NULL: strlen).
 */
swb_err_t swb_redis_cmd_argv(swb_redis_t *r, redisReply **reply, char *errstr,
                             size_t errstr_size, int argc, const char **argv,
                             const size_t *argvlen);

/**
 * Send `ncmds` commands in one round trip (pipelining) and read every reply.
 * Replies are checked and dropped: for writes whose result is not needed.
 * @returns SWB_OK, the first command error, or a connection error.
 */
swb_err_t swb_redis_pipeline(swb_redis_t *r, int ncmds, const int *argcs,
                             const char **const *argvs, char *errstr,
                             size_t errstr_size);

/** PING. @returns true on PONG (subject to the reconnect back-off). */
bool swb_redis_ping(swb_redis_t *r);

/**
 * @returns true when the client holds a connection whose last use succeeded
 *          at the transport level. No I/O.
 */
bool swb_redis_is_up(const swb_redis_t *r);

#endif
