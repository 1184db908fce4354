#include "swb_session.h"

#include <stdio.h>
#include <string.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"
#include "swb_redis.h"

struct swb_session_store_s {
        swb_redis_t *redis;
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
        st->m_req = swb_metrics_counter(swb_metrics_default(), "swb_cache_requests_total",
                                        "Cache and state-store requests, by result.", labels);
        if (cfg->redis_url && *cfg->redis_url &&
            !(st->redis = swb_redis_new(cfg->redis_url, 200, errstr, errstr_size))) {
                swb_session_store_destroy(st);
                return NULL;
        }
        if (!st->redis)
                SWB_WARN(NULL, "redis.url is not set: no conversation state (stateless routing)");
        return st;
}

void swb_session_store_destroy(swb_session_store_t *st)
{
        if (!st)
                return;
        swb_redis_destroy(st->redis);
        swb_free(st);
}

static void swb__result(swb_session_store_t *st, swb_err_t err, const char *what,
                        const char *errstr, const char *ok_result)
{
        if (err) {
                swb_metric_inc2(st->m_req, "session", "error", 1);
                if (!st->down)
                        SWB_WARN(NULL, "redis unreachable (%s: %s): no conversation state until "
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

json_t *swb_session_stack(swb_session_store_t *st, const char *session_id, bool *degraded)
{
        redisReply *r = NULL;
        char errstr[256];
        json_t *stack = NULL;
        swb_err_t err;
        *degraded = !st->redis;
        if (!st->redis)
                return json_array();
        err = swb_redis_cmd(st->redis, &r, errstr, sizeof(errstr), "GET swb:s:%s", session_id);
        if (!err && r->type == REDIS_REPLY_STRING) {
                stack = json_loadb(r->str, r->len, 0, NULL);
                if (!json_is_array(stack)) {
                        json_decref(stack); /* not ours or damaged: start over */
                        stack = NULL;
                }
        }
        swb__result(st, err, "GET", errstr, stack ? "hit" : "miss");
        if (r)
                freeReplyObject(r);
        *degraded = err != SWB_OK;
        return stack ? stack : json_array();
}

swb_err_t swb_session_record(swb_session_store_t *st, const char *session_id,
                             const json_t *stack, const char *role, const char *text,
                             const char *agent)
{
        char errstr[256], ttl[16], keep[16], *key, *tkey, *sdoc = NULL, *tdoc;
        const char *set[5], *rpush[3], *ltrim[4], *exp[3];
        const char **argvs[4];
        int argcs[4], n = 0;
        json_t *turn;
        swb_err_t err;

        if (!st->redis)
                return SWB_ERR_UNAVAILABLE;
        key = swb_asprintf("swb:s:%s", session_id);
        tkey = swb_asprintf("swb:s:%s:turns", session_id);
        snprintf(ttl, sizeof(ttl), "%d", st->ttl_s);
        snprintf(keep, sizeof(keep), "%d", -(st->max_turns > 0 ? st->max_turns : 1));
        turn = json_pack("{s:s, s:s, s:s, s:I}", "role", role, "text", text ? text : "", "agent",
                         agent ? agent : "", "ts", (json_int_t)swb_now_ms());
        tdoc = json_dumps(turn, JSON_COMPACT);
        json_decref(turn);
        if (stack) {
                sdoc = json_dumps(stack, JSON_COMPACT);
                set[0] = "SET", set[1] = key, set[2] = sdoc, set[3] = "EX", set[4] = ttl;
                argvs[n] = set, argcs[n++] = 5;
        }
        rpush[0] = "RPUSH", rpush[1] = tkey, rpush[2] = tdoc;
        argvs[n] = rpush, argcs[n++] = 3;
        ltrim[0] = "LTRIM", ltrim[1] = tkey, ltrim[2] = keep, ltrim[3] = "-1";
        argvs[n] = ltrim, argcs[n++] = 4;
        exp[0] = "EXPIRE", exp[1] = tkey, exp[2] = ttl;
        argvs[n] = exp, argcs[n++] = 3;
        err = swb_redis_pipeline(st->redis, n, argcs, argvs, errstr, sizeof(errstr));
        swb__result(st, err, "write", errstr, NULL);
        free(sdoc);
        free(tdoc);
        swb_free(key);
        swb_free(tkey);
        return err;
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
        err = swb_redis_cmd(st->redis, &r, errstr, sizeof(errstr), "LRANGE swb:s:%s:turns 0 -1",
                            session_id);
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
