#include "swb_aredis.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/async.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_redis.h"

#define SWB_AREDIS_FLUSH_MS  1 /* the longest a command waits to be written */
#define SWB_AREDIS_FLUSH_CNT 256

/* A command in flight, oldest first: replies come back in this order. */
struct swb__acmd {
        swb_aredis_t *a;
        swb_aredis_cb *cb; /* NULL: AUTH or SELECT of the connection */
        void *opaque;
        int64_t sent_ms;
        struct swb__acmd *next;
};

struct swb_aredis_s {
        struct swb_redis_url u;
        int timeout_ms;
        redisAsyncContext *ac;      /* NULL while disconnected */
        bool want_read, want_write; /* what hiredis asked the event loop for */
        int64_t unflushed_ms;       /* when the output buffer became non-empty */
        int unflushed;              /* commands queued since the last write */
        bool attempted;
        int64_t last_attempt_ms;
        struct swb__acmd *head, *tail;
        size_t inflight;
        swb_err_t drop_err; /* while dropping the connection ourselves: why */
        char last_err[256];
};

/* ---- the event hooks hiredis calls: we poll the socket ourselves ---------- */

static void swb__ev_add_read(void *p)
{
        ((swb_aredis_t *)p)->want_read = true;
}

static void swb__ev_del_read(void *p)
{
        ((swb_aredis_t *)p)->want_read = false;
}

static void swb__ev_add_write(void *p)
{
        swb_aredis_t *a = p;
        if (!a->want_write)
                a->unflushed_ms = swb_mono_ms();
        a->want_write = true;
}

static void swb__ev_del_write(void *p)
{
        swb_aredis_t *a = p;
        a->want_write = false;
        a->unflushed = 0;
}

static void swb__ev_cleanup(void *p)
{
        swb_aredis_t *a = p;
        a->want_read = a->want_write = false;
}

/* The context is going away (hiredis frees it after this): forget it, and
 * wait for the back-off before connecting again. */
static void swb__forget(swb_aredis_t *a, const redisAsyncContext *ac)
{
        if (a->ac != ac)
                return;
        if (ac->errstr && *ac->errstr)
                snprintf(a->last_err, sizeof(a->last_err), "%s", ac->errstr);
        a->ac = NULL;
        a->want_read = a->want_write = false;
        a->last_attempt_ms = swb_mono_ms();
}

static void swb__on_connect(const redisAsyncContext *ac, int status)
{
        if (status != REDIS_OK)
                swb__forget(ac->data, ac);
}

static void swb__on_disconnect(const redisAsyncContext *ac, int status)
{
        (void)status;
        swb__forget(ac->data, ac);
}

/* Every reply, and every command of a dropped connection (reply NULL). */
static void swb__on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
        struct swb__acmd *c = privdata;
        swb_aredis_t *a = c->a;
        redisReply *reply = r;
        char errstr[300] = "";
        swb_err_t err = SWB_OK;

        /* replies, and the failures of a dropped connection, come in the
         * order the commands were queued (one connection at a time: no new
         * connection is made while the old one's callbacks run) */
        a->head = c->next;
        if (!a->head)
                a->tail = NULL;
        a->inflight--;
        if (!reply) {
                /* the connection is gone: no new command may join it */
                err = a->drop_err ? a->drop_err : SWB_ERR_TRANSPORT;
                if (!a->drop_err)
                        swb__forget(a, ac);
                snprintf(errstr, sizeof(errstr), "redis %s:%d: %s", a->u.host,
                         a->u.port,
                         a->drop_err                 ? a->last_err
                         : ac->errstr && *ac->errstr ? ac->errstr
                                                     : "connection lost");
        } else if (reply->type == REDIS_REPLY_ERROR) {
                err = swb_redis_reply_err(reply->str);
                snprintf(errstr, sizeof(errstr), "redis: %s", reply->str);
        }
        if (c->cb)
                c->cb(c->opaque, err, err ? NULL : reply, errstr);
        else if (err)
                SWB_WARN(NULL, "redis %s:%d: connection setup: %s", a->u.host,
                         a->u.port, errstr);
        swb_free(c);
}

/* Drop the connection now: every command in flight fails with `err`. */
static void swb__drop(swb_aredis_t *a, swb_err_t err, const char *why)
{
        redisAsyncContext *ac = a->ac;
        if (!ac)
                return;
        snprintf(a->last_err, sizeof(a->last_err), "%s", why);
        a->drop_err = err;
        a->ac = NULL;
        a->last_attempt_ms = swb_mono_ms();
        redisAsyncFree(ac); /* runs the callbacks with no reply */
        a->drop_err = SWB_OK;
        a->want_read = a->want_write = false;
}

static swb_err_t swb__queue(swb_aredis_t *a, int argc, const char **argv,
                            const size_t *argvlen, swb_aredis_cb *cb, void *opaque)
{
        struct swb__acmd *c = swb_calloc(1, sizeof(*c));
        c->a = a;
        c->cb = cb;
        c->opaque = opaque;
        c->sent_ms = swb_mono_ms();
        if (redisAsyncCommandArgv(a->ac, swb__on_reply, c, argc, argv, argvlen) !=
            REDIS_OK) {
                swb_free(c);
                return SWB_ERR_TRANSPORT;
        }
        if (a->tail)
                a->tail->next = c;
        else
                a->head = c;
        a->tail = c;
        a->inflight++;
        a->unflushed++;
        return SWB_OK;
}

static swb_err_t swb__connect(swb_aredis_t *a, char *errstr, size_t errstr_size)
{
        int64_t now = swb_mono_ms();
        redisAsyncContext *ac;
        char dbs[16];

        if (a->ac)
                return SWB_OK;
        if (a->attempted && now - a->last_attempt_ms < SWB_REDIS_RECONNECT_MS)
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_TRANSPORT,
                    "redis %s:%d is down (%s); next connection attempt in "
                    "%lld ms",
                    a->u.host, a->u.port, a->last_err,
                    (long long)(SWB_REDIS_RECONNECT_MS - (now - a->last_attempt_ms)));
        a->attempted = true;
        a->last_attempt_ms = now;
        ac = redisAsyncConnect(a->u.host, a->u.port);
        if (!ac || ac->err) {
                snprintf(a->last_err, sizeof(a->last_err), "%s",
                         ac ? ac->errstr : "cannot allocate a context");
                if (ac)
                        redisAsyncFree(ac);
                return swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT,
                                  "redis %s:%d: %s", a->u.host, a->u.port, a->last_err);
        }
        ac->data = a;
        ac->ev.data = a;
        ac->ev.addRead = swb__ev_add_read;
        ac->ev.delRead = swb__ev_del_read;
        ac->ev.addWrite = swb__ev_add_write;
        ac->ev.delWrite = swb__ev_del_write;
        ac->ev.cleanup = swb__ev_cleanup;
        redisAsyncSetConnectCallback(ac, swb__on_connect);
        redisAsyncSetDisconnectCallback(ac, swb__on_disconnect);
        a->ac = ac;
        a->want_read = a->want_write = false;
        if (a->u.password) {
                const char *argv[] = {"AUTH", a->u.user ? a->u.user : a->u.password,
                                      a->u.password};
                swb__queue(a, a->u.user ? 3 : 2, argv, NULL, NULL, NULL);
        }
        if (a->u.db) {
                const char *argv[] = {"SELECT", dbs};
                snprintf(dbs, sizeof(dbs), "%d", a->u.db);
                swb__queue(a, 2, argv, NULL, NULL, NULL);
        }
        return SWB_OK;
}

swb_aredis_t *swb_aredis_new(const char *url, int timeout_ms, char *errstr,
                             size_t errstr_size)
{
        swb_aredis_t *a = swb_calloc(1, sizeof(*a));
        if (swb_redis_url_parse(&a->u, url, errstr, errstr_size)) {
                swb_redis_url_clear(&a->u);
                swb_free(a);
                return NULL;
        }
        a->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
        return a;
}

void swb_aredis_destroy(swb_aredis_t *a)
{
        if (!a)
                return;
        swb__drop(a, SWB_ERR_TRANSPORT, "client closed");
        swb_redis_url_clear(&a->u);
        swb_free(a);
}

swb_err_t swb_aredis_cmd_argv(swb_aredis_t *a, int argc, const char **argv,
                              const size_t *argvlen, swb_aredis_cb *cb, void *opaque,
                              char *errstr, size_t errstr_size)
{
        swb_err_t err;
        if ((err = swb__connect(a, errstr, errstr_size)))
                return err;
        if ((err = swb__queue(a, argc, argv, argvlen, cb, opaque)))
                return swb_seterr(
                    errstr, errstr_size, err, "redis %s:%d: %s", a->u.host, a->u.port,
                    a->ac->errstr && *a->ac->errstr ? a->ac->errstr : "cannot queue");
        return SWB_OK;
}

void swb_aredis_poll(swb_aredis_t *a, int timeout_ms)
{
        struct pollfd pfd;
        char why[64];
        bool flush;

        if (!a || !a->ac)
                return;
        /* Busy (timeout 0: the caller has more to do): let commands gather
         * and write them together, one write per SWB_AREDIS_FLUSH_MS or
         * SWB_AREDIS_FLUSH_CNT commands, instead of a write each. */
        flush =
            a->want_write && (timeout_ms > 0 || a->unflushed >= SWB_AREDIS_FLUSH_CNT ||
                              swb_mono_ms() - a->unflushed_ms >= SWB_AREDIS_FLUSH_MS);
        pfd.fd = a->ac->c.fd;
        pfd.events = (short)((a->want_read ? POLLIN : 0) | (flush ? POLLOUT : 0));
        pfd.revents = 0;
        if (pfd.events &&
            poll(&pfd, 1, a->inflight ? (timeout_ms > 0 ? timeout_ms : 0) : 0) > 0) {
                if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
                        redisAsyncHandleRead(a->ac);
                if (a->ac && a->want_write &&
                    (pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
                        redisAsyncHandleWrite(a->ac);
        }
        if (a->ac && a->head && swb_mono_ms() - a->head->sent_ms > a->timeout_ms) {
                snprintf(why, sizeof(why), "no reply within %d ms", a->timeout_ms);
                swb__drop(a, SWB_ERR_TIMEOUT, why);
        }
}

size_t swb_aredis_inflight(const swb_aredis_t *a)
{
        return a ? a->inflight : 0;
}
