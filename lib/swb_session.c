#include "swb_session.h"

#include <stdio.h>
#include <string.h>

#include "swb_aredis.h"
#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_redis.h"

struct swb_session_store_s {
        swb_redis_t *redis;
        swb_aredis_t *aredis; /* the same server, without blocking */
        int ttl_s, max_turns;
        bool down; /* for one log line per outage */
        swb_metric_t *m_req;
};

swb_session_store_t *swb_session_store_new(const swb_config_t *cfg, char *errstr,
                                           size_t errstr_size)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_session_store_t *st = swb_calloc(1, sizeof(*st));
        st->ttl_s = cfg->session_ttl_s;
        st->max_turns = cfg->session_max_turns;
        st->m_req =
            swb_metrics_counter(swb_metrics_default(), "swb_cache_requests_total",
                                "Cache and state-store requests, by result.", labels);
        if (cfg->redis_url && *cfg->redis_url &&
            (!(st->redis = swb_redis_new(cfg->redis_url, 200, errstr, errstr_size)) ||
             !(st->aredis =
                   swb_aredis_new(cfg->redis_url, 200, errstr, errstr_size)))) {
                swb_session_store_destroy(st);
                return NULL;
        }
        if (!st->redis)
                SWB_WARN(
                    NULL,
                    "redis.url is not set: no conversation state (stateless routing)");
        return st;
}

void swb_session_store_destroy(swb_session_store_t *st)
{
        if (!st)
                return;
        swb_aredis_destroy(st->aredis); /* runs the callbacks still due */
        swb_redis_destroy(st->redis);
        swb_free(st);
}

static void swb__result(swb_session_store_t *st, swb_err_t err, const char *what,
                        const char *errstr, const char *ok_result)
{
        if (err) {
                swb_metric_inc2(st->m_req, "session", "error", 1);
                if (!st->down)
                        SWB_WARN(
                            NULL,
                            "redis unreachable (%s: %s): no conversation state until "
                            "it is back",
                            what, errstr);
                st->down = true;
                return;
        }
        if (st->down)
                SWB_INFO(NULL, "redis reachable again: conversation state is back");
        st->down = false;
        if (ok_result)
                swb_metric_inc2(st->m_req, "session", ok_result, 1);
}

/* The stack in a GET reply: NULL when absent, not ours or damaged. */
static json_t *swb__stack_parse(const redisReply *r)
{
        json_t *stack;
        if (!r || r->type != REDIS_REPLY_STRING)
                return NULL;
        stack = json_loadb(r->str, r->len, 0, NULL);
        if (!json_is_array(stack)) {
                json_decref(stack); /* start over */
                return NULL;
        }
        return stack;
}

struct swb__stack_req {
        swb_session_store_t *st;
        swb_session_stack_cb *cb;
        void *opaque;
};

static void swb__stack_reply(void *opaque, swb_err_t err, const redisReply *reply,
                             const char *errstr)
{
        struct swb__stack_req *q = opaque;
        json_t *stack = err ? NULL : swb__stack_parse(reply);
        swb__result(q->st, err, "GET", errstr, stack ? "hit" : "miss");
        q->cb(q->opaque, stack ? stack : json_array(), err != SWB_OK);
        swb_free(q);
}

swb_err_t swb_session_stack_async(swb_session_store_t *st, const char *session_id,
                                  swb_session_stack_cb *cb, void *opaque)
{
        struct swb__stack_req *q;
        char errstr[256], *key;
        const char *argv[2];
        swb_err_t err;
        if (!st->aredis)
                return SWB_ERR_UNAVAILABLE;
        q = swb_calloc(1, sizeof(*q));
        q->st = st, q->cb = cb, q->opaque = opaque;
        key = swb_asprintf("swb:s:%s", session_id);
        argv[0] = "GET", argv[1] = key;
        err = swb_aredis_cmd_argv(st->aredis, 2, argv, NULL, swb__stack_reply, q,
                                  errstr, sizeof(errstr));
        swb_free(key);
        if (err) {
                swb__result(st, err, "GET", errstr, NULL);
                swb_free(q);
        }
        return err;
}

/* The commands that record a turn: SET of the stack (when given), RPUSH +
 * LTRIM + EXPIRE of the turns. */
struct swb__record {
        char ttl[16], keep[16], *key, *tkey, *sdoc, *tdoc;
        const char *set[5], *rpush[3], *ltrim[4], *exp[3];
        const char **argvs[4];
        int argcs[4], n;
};

static void swb__record_build(swb_session_store_t *st, struct swb__record *w,
                              const char *session_id, const json_t *stack,
                              const char *role, const char *text, const char *agent)
{
        json_t *turn;
        memset(w, 0, sizeof(*w));
        w->key = swb_asprintf("swb:s:%s", session_id);
        w->tkey = swb_asprintf("swb:s:%s:turns", session_id);
        snprintf(w->ttl, sizeof(w->ttl), "%d", st->ttl_s);
        snprintf(w->keep, sizeof(w->keep), "%d",
                 -(st->max_turns > 0 ? st->max_turns : 1));
        turn = json_pack("{s:s, s:s, s:s, s:I}", "role", role, "text", text ? text : "",
                         "agent", agent ? agent : "", "ts", (json_int_t)swb_now_ms());
        w->tdoc = json_dumps(turn, JSON_COMPACT);
        json_decref(turn);
        if (stack) {
                w->sdoc = json_dumps(stack, JSON_COMPACT);
                w->set[0] = "SET", w->set[1] = w->key, w->set[2] = w->sdoc;
                w->set[3] = "EX", w->set[4] = w->ttl;
                w->argvs[w->n] = w->set, w->argcs[w->n++] = 5;
        }
        w->rpush[0] = "RPUSH", w->rpush[1] = w->tkey, w->rpush[2] = w->tdoc;
        w->argvs[w->n] = w->rpush, w->argcs[w->n++] = 3;
        w->ltrim[0] = "LTRIM", w->ltrim[1] = w->tkey, w->ltrim[2] = w->keep;
        w->ltrim[3] = "-1";
        w->argvs[w->n] = w->ltrim, w->argcs[w->n++] = 4;
        w->exp[0] = "EXPIRE", w->exp[1] = w->tkey, w->exp[2] = w->ttl;
        w->argvs[w->n] = w->exp, w->argcs[w->n++] = 3;
}

static void swb__record_clear(struct swb__record *w)
{
        free(w->sdoc);
        free(w->tdoc);
        swb_free(w->key);
        swb_free(w->tkey);
}

swb_err_t swb_session_record(swb_session_store_t *st, const char *session_id,
                             const json_t *stack, const char *role, const char *text,
                             const char *agent)
{
        struct swb__record w;
        char errstr[256];
        swb_err_t err;

        if (!st->redis)
                return SWB_ERR_UNAVAILABLE;
        swb__record_build(st, &w, session_id, stack, role, text, agent);
        err = swb_redis_pipeline(st->redis, w.n, w.argcs, (const char **const *)w.argvs,
                                 errstr, sizeof(errstr));
        swb__result(st, err, "write", errstr, NULL);
        swb__record_clear(&w);
        return err;
}

/* One asynchronous record: its commands' replies, then the caller's callback. */
struct swb__record_req {
        swb_session_store_t *st;
        swb_session_done_cb *cb;
        void *opaque;
        int pending; /* commands in flight, + 1 while still queueing */
        swb_err_t err;
        char errstr[256];
};

static void swb__record_release(struct swb__record_req *q)
{
        if (--q->pending > 0)
                return;
        swb__result(q->st, q->err, "write", q->errstr, NULL);
        if (q->cb)
                q->cb(q->opaque, q->err);
        swb_free(q);
}

static void swb__record_reply(void *opaque, swb_err_t err, const redisReply *reply,
                              const char *errstr)
{
        struct swb__record_req *q = opaque;
        (void)reply;
        if (err && !q->err) {
                q->err = err;
                snprintf(q->errstr, sizeof(q->errstr), "%s", errstr);
        }
        swb__record_release(q);
}

swb_err_t swb_session_record_async(swb_session_store_t *st, const char *session_id,
                                   const json_t *stack, const char *role,
                                   const char *text, const char *agent,
                                   swb_session_done_cb *cb, void *opaque)
{
        struct swb__record_req *q;
        struct swb__record w;
        swb_err_t err = SWB_OK;
        int i;

        if (!st->aredis)
                return SWB_ERR_UNAVAILABLE;
        q = swb_calloc(1, sizeof(*q));
        q->st = st, q->cb = cb, q->opaque = opaque;
        q->pending = 1;
        swb__record_build(st, &w, session_id, stack, role, text, agent);
        for (i = 0; i < w.n && !err; i++)
                if (!(err = swb_aredis_cmd_argv(st->aredis, w.argcs[i], w.argvs[i],
                                                NULL, swb__record_reply, q, q->errstr,
                                                sizeof(q->errstr))))
                        q->pending++;
        swb__record_clear(&w);
        if (err && i == 1) { /* nothing was queued: the caller hears it now */
                swb__result(st, err, "write", q->errstr, NULL);
                swb_free(q);
                return err;
        }
        if (err)
                q->err = err;
        swb__record_release(q);
        return SWB_OK;
}

json_t *swb_session_turns(swb_session_store_t *st, const char *session_id)
{
        redisReply *r = NULL;
        char errstr[256];
        json_t *turns = json_array();
        size_t i;
        swb_err_t err;
        if (!st->redis)
                return turns;
        err = swb_redis_cmd(st->redis, &r, errstr, sizeof(errstr),
                            "LRANGE swb:s:%s:turns 0 -1", session_id);
        swb__result(st, err, "LRANGE", errstr, NULL);
        if (err)
                return turns;
        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
                json_t *t = json_loadb(r->element[i]->str, r->element[i]->len, 0, NULL);
                if (json_is_object(t))
                        json_array_append_new(turns, t);
                else
                        json_decref(t);
        }
        freeReplyObject(r);
        return turns;
}

void swb_session_poll(swb_session_store_t *st, int timeout_ms)
{
        swb_aredis_poll(st->aredis, timeout_ms);
}

size_t swb_session_inflight(const swb_session_store_t *st)
{
        return swb_aredis_inflight(st->aredis);
}

const char *swb_session_active(const json_t *stack)
{
        size_t n = json_array_size(stack);
        return n ? json_string_value(json_array_get(stack, n - 1)) : NULL;
}

void swb_session_pop(json_t *stack, const char *agent)
{
        size_t i = json_array_size(stack);
        while (i-- > 0)
                if (json_string_value(json_array_get(stack, i)) &&
                    !strcmp(json_string_value(json_array_get(stack, i)), agent))
                        json_array_remove(stack, i);
}

void swb_session_push(json_t *stack, const char *agent)
{
        swb_session_pop(stack, agent);
        json_array_append_new(stack, json_string(agent));
}
