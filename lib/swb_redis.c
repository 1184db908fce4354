#include "swb_redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "swb_log.h"
#include "swb_mem.h"

struct swb_redis_s {
        redisContext *c; /* NULL while disconnected */
        struct swb_redis_url u;
        struct timeval tv;
        bool attempted;         /* a connection attempt was made */
        long long last_attempt; /* monotonic ms of the last attempt */
        bool up;
        char last_err[256]; /* why the last attempt / command failed */
};

static long long swb__redis_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

swb_err_t swb_redis_url_parse(struct swb_redis_url *r, const char *url, char *errstr,
                              size_t errstr_size)
{
        const char *p = url, *at, *slash, *colon, *hostend;
        char *end;
        long v;

        memset(r, 0, sizeof(*r));
        if (!url || !*url)
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "redis: empty URL");
        if (!strncmp(p, "redis://", 8))
                p += 8;
        else if (strstr(p, "://"))
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "redis: unsupported URL scheme in \"%s\"", url);
        slash = strchr(p, '/');
        hostend = slash ? slash : p + strlen(p);
        at = memchr(p, '@', (size_t)(hostend - p));
        if (at) {
                const char *c = memchr(p, ':', (size_t)(at - p));
                if (c) {
                        if (c > p)
                                r->user = swb_strndup(p, (size_t)(c - p));
                        r->password = swb_strndup(c + 1, (size_t)(at - c - 1));
                } else {
                        r->password = swb_strndup(p, (size_t)(at - p));
                }
                p = at + 1;
        }
        colon = memchr(p, ':', (size_t)(hostend - p));
        if ((colon ? colon : hostend) == p)
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                  "redis: no host in URL \"%s\"", url);
        r->host = swb_strndup(p, (size_t)((colon ? colon : hostend) - p));
        r->port = 6379;
        if (colon) {
                errno = 0;
                v = strtol(colon + 1, &end, 10);
                if (errno || end != hostend || v < 1 || v > 65535)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "redis: bad port in URL \"%s\"", url);
                r->port = (int)v;
        }
        if (slash && slash[1]) {
                errno = 0;
                v = strtol(slash + 1, &end, 10);
                if (errno || *end || v < 0 || v > 100000)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "redis: bad database number in URL \"%s\"",
                                          url);
                r->db = (int)v;
        }
        return SWB_OK;
}

void swb_redis_url_clear(struct swb_redis_url *u)
{
        swb_free(u->host);
        swb_free(u->user);
        swb_free(u->password);
        memset(u, 0, sizeof(*u));
}

/* Drop the connection: its state is unknown after any transport error. */
static void swb__redis_drop(swb_redis_t *r)
{
        if (r->c)
                redisFree(r->c);
        r->c = NULL;
        r->up = false;
}

/* The swb_err_t of a context error; `saved_errno` is errno right after the call. */
static swb_err_t swb__redis_ctx_err(const redisContext *c, int saved_errno)
{
        if (c->err == REDIS_ERR_IO &&
            (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
             saved_errno == ETIMEDOUT || saved_errno == EINPROGRESS))
                return SWB_ERR_TIMEOUT;
        return SWB_ERR_TRANSPORT;
}

swb_err_t swb_redis_reply_err(const char *msg)
{
        static const char *const retriable[] = {"LOADING", "BUSY", "TRYAGAIN",
                                                "MASTERDOWN"};
        size_t i, n;
        for (i = 0; i < SWB_ARRAY_LEN(retriable); i++) {
                n = strlen(retriable[i]);
                if (!strncmp(msg, retriable[i], n) && (msg[n] == ' ' || !msg[n]))
                        return SWB_ERR_UNAVAILABLE;
        }
        return SWB_ERR_INVALID_ARG;
}

/* A command during connection setup (AUTH, SELECT). */
static swb_err_t swb__redis_setup_cmd(swb_redis_t *r, int argc, const char **argv,
                                      char *errstr, size_t errstr_size)
{
        redisReply *rep = redisCommandArgv(r->c, argc, argv, NULL);
        int saved_errno = errno;
        swb_err_t err = SWB_OK;
        if (!rep) {
                err = swb__redis_ctx_err(r->c, saved_errno);
                snprintf(r->last_err, sizeof(r->last_err), "%s: %s", argv[0],
                         r->c->errstr);
        } else if (rep->type == REDIS_REPLY_ERROR) {
                err = swb_redis_reply_err(rep->str);
                if (err != SWB_ERR_UNAVAILABLE)
                        err = SWB_ERR_CONFIG;
                snprintf(r->last_err, sizeof(r->last_err), "%s: %s", argv[0], rep->str);
        }
        if (rep)
                freeReplyObject(rep);
        if (err)
                swb_seterr(errstr, errstr_size, err, "redis %s:%d: %s", r->u.host,
                           r->u.port, r->last_err);
        return err;
}

/* Make sure r->c is usable, honouring the reconnect back-off. */
static swb_err_t swb__redis_connect(swb_redis_t *r, char *errstr, size_t errstr_size)
{
        long long now = swb__redis_now_ms();
        int saved_errno;
        swb_err_t err;
        char dbs[16];

        if (r->c)
                return SWB_OK;
        if (r->attempted && now - r->last_attempt < SWB_REDIS_RECONNECT_MS)
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_TRANSPORT,
                    "redis %s:%d is down (%s); next connection attempt in %lld ms",
                    r->u.host, r->u.port, r->last_err,
                    SWB_REDIS_RECONNECT_MS - (now - r->last_attempt));
        r->attempted = true;
        r->last_attempt = now;

        r->c = redisConnectWithTimeout(r->u.host, r->u.port, r->tv);
        saved_errno = errno;
        if (!r->c) {
                snprintf(r->last_err, sizeof(r->last_err), "cannot allocate a context");
                return swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT,
                                  "redis %s:%d: %s", r->u.host, r->u.port, r->last_err);
        }
        if (r->c->err) {
                err = swb__redis_ctx_err(r->c, saved_errno);
                snprintf(r->last_err, sizeof(r->last_err), "%s", r->c->errstr);
                goto fail;
        }
        redisSetTimeout(r->c, r->tv);
        redisEnableKeepAlive(r->c);

        if (r->u.password) {
                const char *argv[] = {"AUTH", r->u.user ? r->u.user : r->u.password,
                                      r->u.password};
                if ((err = swb__redis_setup_cmd(r, r->u.user ? 3 : 2, argv, errstr,
                                                errstr_size)))
                        goto fail_logged;
        }
        if (r->u.db) {
                const char *argv[] = {"SELECT", dbs};
                snprintf(dbs, sizeof(dbs), "%d", r->u.db);
                if ((err = swb__redis_setup_cmd(r, 2, argv, errstr, errstr_size)))
                        goto fail_logged;
        }
        r->up = true;
        SWB_INFO(NULL, "redis: connected to %s:%d", r->u.host, r->u.port);
        return SWB_OK;

fail:
        swb_seterr(errstr, errstr_size, err, "redis %s:%d: %s", r->u.host, r->u.port,
                   r->last_err);
fail_logged:
        swb__redis_drop(r);
        return err;
}

/* Map the outcome of one command; takes ownership of `rep`. */
static swb_err_t swb__redis_finish(swb_redis_t *r, redisReply *rep, int saved_errno,
                                   redisReply **reply, char *errstr, size_t errstr_size)
{
        swb_err_t err;
        if (!rep) {
                bool was_up = r->up;
                err = swb__redis_ctx_err(r->c, saved_errno);
                snprintf(r->last_err, sizeof(r->last_err), "%s",
                         r->c->errstr[0] ? r->c->errstr : "connection error");
                swb__redis_drop(r);
                if (was_up)
                        SWB_WARN(NULL, "redis: %s:%d: %s; dropping the connection",
                                 r->u.host, r->u.port, r->last_err);
                return swb_seterr(errstr, errstr_size, err, "redis %s:%d: %s",
                                  r->u.host, r->u.port, r->last_err);
        }
        if (rep->type == REDIS_REPLY_ERROR) {
                err = swb_redis_reply_err(rep->str);
                swb_seterr(errstr, errstr_size, err, "redis: %s", rep->str);
                freeReplyObject(rep);
                return err;
        }
        if (reply)
                *reply = rep;
        else
                freeReplyObject(rep);
        return SWB_OK;
}

swb_redis_t *swb_redis_new(const char *url, int timeout_ms, char *errstr,
                           size_t errstr_size)
{
        swb_redis_t *r = swb_calloc(1, sizeof(*r));

        if (swb_redis_url_parse(&r->u, url, errstr, errstr_size))
                goto fail;
        if (timeout_ms <= 0)
                timeout_ms = 1000;
        r->tv.tv_sec = timeout_ms / 1000;
        r->tv.tv_usec = (timeout_ms % 1000) * 1000;

        /* One attempt now, so swb_redis_is_up() means something; a failure is
         * not an error for the constructor. */
        if (swb__redis_connect(r, NULL, 0))
                SWB_WARN(NULL, "redis: %s:%d unreachable (%s); will retry on use",
                         r->u.host, r->u.port, r->last_err);
        return r;

fail:
        swb_redis_destroy(r);
        return NULL;
}

void swb_redis_destroy(swb_redis_t *r)
{
        if (!r)
                return;
        swb__redis_drop(r);
        swb_redis_url_clear(&r->u);
        swb_free(r);
}

swb_err_t swb_redis_cmd(swb_redis_t *r, redisReply **reply, char *errstr,
                        size_t errstr_size, const char *fmt, ...)
{
        redisReply *rep;
        swb_err_t err;
        va_list ap;
        int saved_errno;

        if (reply)
                *reply = NULL;
        if ((err = swb__redis_connect(r, errstr, errstr_size)))
                return err;
        va_start(ap, fmt);
        rep = redisvCommand(r->c, fmt, ap);
        saved_errno = errno;
        va_end(ap);
        return swb__redis_finish(r, rep, saved_errno, reply, errstr, errstr_size);
}

swb_err_t swb_redis_cmd_argv(swb_redis_t *r, redisReply **reply, char *errstr,
                             size_t errstr_size, int argc, const char **argv,
                             const size_t *argvlen)
{
        redisReply *rep;
        swb_err_t err;
        int saved_errno;

        if (reply)
                *reply = NULL;
        if ((err = swb__redis_connect(r, errstr, errstr_size)))
                return err;
        rep = redisCommandArgv(r->c, argc, argv, argvlen);
        saved_errno = errno;
        return swb__redis_finish(r, rep, saved_errno, reply, errstr, errstr_size);
}

bool swb_redis_ping(swb_redis_t *r)
{
        redisReply *rep = NULL;
        bool ok;
        if (!r || swb_redis_cmd(r, &rep, NULL, 0, "PING"))
                return false;
        ok = rep->type == REDIS_REPLY_STATUS && !strcasecmp(rep->str, "PONG");
        freeReplyObject(rep);
        return ok;
}

bool swb_redis_is_up(const swb_redis_t *r)
{
        return r && r->up && r->c;
}

swb_err_t swb_redis_pipeline(swb_redis_t *r, int ncmds, const int *argcs,
                             const char **const *argvs, char *errstr,
                             size_t errstr_size)
{
        swb_err_t err, first = SWB_OK;
        int i;

        if ((err = swb__redis_connect(r, errstr, errstr_size)))
                return err;
        for (i = 0; i < ncmds; i++)
                if (redisAppendCommandArgv(r->c, argcs[i], argvs[i], NULL) != REDIS_OK)
                        return swb__redis_finish(r, NULL, errno, NULL, errstr,
                                                 errstr_size);
        for (i = 0; i < ncmds; i++) {
                void *rep = NULL;
                int saved_errno;
                int rc = redisGetReply(r->c, &rep);
                saved_errno = errno;
                if (rc != REDIS_OK)
                        return swb__redis_finish(r, NULL, saved_errno, NULL, errstr,
                                                 errstr_size);
                err = swb__redis_finish(r, rep, saved_errno, NULL,
                                        first ? NULL : errstr, first ? 0 : errstr_size);
                if (err && !first)
                        first = err;
        }
        return first;
}
