/* swb_cache - Redis read-through cache; see swb_cache.h. */
#include "swb_cache.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_id.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_redis.h"

#define CACHE_NS        "swb:c"
#define CACHE_EPOCH_KEY CACHE_NS ":epoch"
#define SCOPE_MAX       128

struct swb_cache_s {
        pthread_mutex_t lock;
        swb_redis_t *redis; /* guarded by lock */
        bool down;          /* guarded by lock: the last command failed (transport) */
        bool lost_writes; /* guarded by lock: an invalidation failed; bump the epoch */
        bool up_hint;     /* unlocked read by swb_cache_is_up(); written under lock */
        int ttl[SWB_CACHE__CNT];
        swb_metric_t *requests;
};

static const char *const type_names[SWB_CACHE__CNT] = {
    [SWB_CACHE_HOTELS] = "hotels",
    [SWB_CACHE_FLIGHTS] = "flights",
    [SWB_CACHE_TOURS] = "tours",
    [SWB_CACHE_AVAILABILITY] = "availability",
    [SWB_CACHE_USER_BOOKINGS] = "user_bookings",
};

static const int default_ttl[SWB_CACHE__CNT] = {
    [SWB_CACHE_HOTELS] = 3600,       [SWB_CACHE_FLIGHTS] = 1800,
    [SWB_CACHE_TOURS] = 3600,        [SWB_CACHE_AVAILABILITY] = 300,
    [SWB_CACHE_USER_BOOKINGS] = 600,
};

const char *swb_cache_type_name(swb_cache_type_t type)
{
        return (unsigned)type < SWB_CACHE__CNT ? type_names[type] : "unknown";
}

swb_cache_t *swb_cache_new(const struct swb_cache_conf *conf, char *errstr,
                           size_t errstr_size)
{
        static const char *const labels[] = {"cache", "result", NULL};
        swb_cache_t *c;
        const int conf_ttl[SWB_CACHE__CNT] = {
            [SWB_CACHE_HOTELS] = conf ? conf->ttl.hotels : 0,
            [SWB_CACHE_FLIGHTS] = conf ? conf->ttl.flights : 0,
            [SWB_CACHE_TOURS] = conf ? conf->ttl.tours : 0,
            [SWB_CACHE_AVAILABILITY] = conf ? conf->ttl.availability : 0,
            [SWB_CACHE_USER_BOOKINGS] = conf ? conf->ttl.user_bookings : 0,
        };

        if (!conf || !conf->redis_url || !*conf->redis_url) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "cache: no Redis URL");
                return NULL;
        }
        c = swb_calloc(1, sizeof(*c));
        pthread_mutex_init(&c->lock, NULL);
        c->redis = swb_redis_new(conf->redis_url,
                                 conf->timeout_ms > 0 ? conf->timeout_ms : 250, errstr,
                                 errstr_size);
        if (!c->redis)
                goto fail;
        for (int i = 0; i < SWB_CACHE__CNT; i++)
                c->ttl[i] = conf_ttl[i] > 0 ? conf_ttl[i] : default_ttl[i];
        c->requests =
            swb_metrics_counter(conf->metrics ? conf->metrics : swb_metrics_default(),
                                "swb_cache_requests_total",
                                "Cache lookups by data type and result (hit, miss, "
                                "error: Redis unavailable).",
                                labels);
        c->up_hint = swb_redis_is_up(c->redis);
        c->down = !c->up_hint;
        if (c->down)
                SWB_WARN(NULL,
                         "cache: Redis at %s unavailable; reading through to "
                         "PostgreSQL until it is back",
                         conf->redis_url);
        return c;
fail:
        swb_cache_destroy(c);
        return NULL;
}

void swb_cache_destroy(swb_cache_t *c)
{
        if (!c)
                return;
        swb_redis_destroy(c->redis);
        pthread_mutex_destroy(&c->lock);
        swb_free(c);
}

int swb_cache_ttl(const swb_cache_t *c, swb_cache_type_t type)
{
        if ((unsigned)type >= SWB_CACHE__CNT)
                return 0;
        return c ? c->ttl[type] : default_ttl[type];
}

bool swb_cache_is_up(const swb_cache_t *c)
{
        return c && __atomic_load_n(&c->up_hint, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- outage bookkeeping
 */

/* Called with the lock held after every command. */
static void note_result(swb_cache_t *c, swb_err_t err, const char *errstr)
{
        bool transport = swb_err_is_retriable(err);

        if (transport) {
                if (!c->down)
                        SWB_WARN(NULL,
                                 "cache: Redis unavailable (%s); reading through to "
                                 "PostgreSQL until it is back",
                                 errstr);
                c->down = true;
                __atomic_store_n(&c->up_hint, false, __ATOMIC_RELAXED);
                return;
        }
        if (c->down) {
                c->down = false;
                c->lost_writes = true;
                SWB_INFO(NULL, "cache: Redis is back");
        }
        __atomic_store_n(&c->up_hint, true, __ATOMIC_RELAXED);
}

/* With the lock held: after an outage, invalidations may have been lost;
 * move every key to a new epoch. */
static void settle_epoch(swb_cache_t *c)
{
        char errstr[256] = "";
        swb_err_t err;

        if (!c->lost_writes)
                return;
        err = swb_redis_cmd(c->redis, NULL, errstr, sizeof(errstr), "INCR %s",
                            CACHE_EPOCH_KEY);
        note_result(c, err, errstr);
        if (!err)
                c->lost_writes = false;
}

static const char *scope_or_all(const char *scope)
{
        return scope && *scope ? scope : "*";
}

static void count(swb_cache_t *c, swb_cache_type_t type, const char *result)
{
        swb_metric_inc2(c->requests, swb_cache_type_name(type), result, 1);
}

/* ---------------------------------------------------------------- get / put */

static long long reply_int(const redisReply *r)
{
        if (!r)
                return 0;
        if (r->type == REDIS_REPLY_INTEGER)
                return r->integer;
        if (r->type == REDIS_REPLY_STRING)
                return strtoll(r->str, NULL, 10);
        return 0;
}

swb_err_t swb_cache_get(swb_cache_t *c, swb_cache_type_t type, const char *scope,
                        const char *query, swb_cache_slot_t *slot, char **val)
{
        char errstr[256] = "", genkey[SCOPE_MAX + 64];
        redisReply *rep = NULL;
        uint64_t h1, h2;
        long long epoch, gen;
        swb_err_t err;

        *val = NULL;
        slot->type = type;
        slot->usable = false;
        slot->key[0] = '\0';
        if (!c || (unsigned)type >= SWB_CACHE__CNT || !query)
                return SWB_ERR_INVALID_ARG;
        scope = scope_or_all(scope);
        if (strlen(scope) > SCOPE_MAX) {
                count(c, type, "miss");
                return SWB_ERR_NOT_FOUND;
        }
        snprintf(genkey, sizeof(genkey), CACHE_NS ":g:%s:%s", type_names[type], scope);
        h1 = swb_id_hash64(query, strlen(query), 0x5357424341434845ULL);
        h2 = swb_id_hash64(query, strlen(query), 0x9e3779b97f4a7c15ULL);

        pthread_mutex_lock(&c->lock);
        settle_epoch(c);
        err = swb_redis_cmd(c->redis, &rep, errstr, sizeof(errstr), "MGET %s %s",
                            CACHE_EPOCH_KEY, genkey);
        note_result(c, err, errstr);
        if (err || !rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
                if (rep)
                        freeReplyObject(rep);
                pthread_mutex_unlock(&c->lock);
                count(c, type, "error");
                return err ? err : SWB_ERR_UNAVAILABLE;
        }
        epoch = reply_int(rep->element[0]);
        gen = reply_int(rep->element[1]);
        freeReplyObject(rep);
        rep = NULL;
        snprintf(slot->key, sizeof(slot->key),
                 CACHE_NS ":%s:%s:%lld.%lld:%016" PRIx64 "%016" PRIx64,
                 type_names[type], scope, epoch, gen, h1, h2);
        err =
            swb_redis_cmd(c->redis, &rep, errstr, sizeof(errstr), "GET %s", slot->key);
        note_result(c, err, errstr);
        pthread_mutex_unlock(&c->lock);
        if (err) {
                count(c, type, "error");
                return err;
        }
        slot->usable = true;
        if (rep && rep->type == REDIS_REPLY_STRING) {
                *val = swb_strndup(rep->str, rep->len);
                freeReplyObject(rep);
                count(c, type, "hit");
                return SWB_OK;
        }
        if (rep)
                freeReplyObject(rep);
        count(c, type, "miss");
        return SWB_ERR_NOT_FOUND;
}

void swb_cache_put(swb_cache_t *c, const swb_cache_slot_t *slot, const char *val)
{
        char errstr[256] = "";
        swb_err_t err;

        if (!c || !slot || !slot->usable || !val ||
            (unsigned)slot->type >= SWB_CACHE__CNT)
                return;
        pthread_mutex_lock(&c->lock);
        err = swb_redis_cmd(c->redis, NULL, errstr, sizeof(errstr), "SET %s %s EX %d",
                            slot->key, val, c->ttl[slot->type]);
        note_result(c, err, errstr);
        pthread_mutex_unlock(&c->lock);
        if (err && !swb_err_is_retriable(err))
                SWB_WARN(NULL, "cache: SET %s: %s", slot->key, errstr);
}

swb_err_t swb_cache_invalidate(swb_cache_t *c, swb_cache_type_t type, const char *scope)
{
        char errstr[256] = "", genkey[SCOPE_MAX + 64];
        swb_err_t err;

        if (!c || (unsigned)type >= SWB_CACHE__CNT)
                return SWB_ERR_INVALID_ARG;
        scope = scope_or_all(scope);
        if (strlen(scope) > SCOPE_MAX)
                return SWB_OK; /* never cached */
        snprintf(genkey, sizeof(genkey), CACHE_NS ":g:%s:%s", type_names[type], scope);
        pthread_mutex_lock(&c->lock);
        settle_epoch(c);
        err = swb_redis_cmd(c->redis, NULL, errstr, sizeof(errstr), "INCR %s", genkey);
        note_result(c, err, errstr);
        if (err)
                c->lost_writes = true;
        pthread_mutex_unlock(&c->lock);
        return err;
}

swb_err_t swb_cache_fetch(swb_cache_t *c, swb_cache_type_t type, const char *scope,
                          const char *query, swb_cache_load_fn *load, void *opaque,
                          json_t **val, bool *hit)
{
        swb_cache_slot_t slot = {.usable = false};
        char *text = NULL;
        bool store = true;
        swb_err_t err;

        *val = NULL;
        if (hit)
                *hit = false;
        if (c && swb_cache_get(c, type, scope, query, &slot, &text) == SWB_OK) {
                json_error_t jerr;
                *val = json_loads(text, JSON_DECODE_ANY, &jerr);
                swb_free(text);
                if (*val) {
                        if (hit)
                                *hit = true;
                        return SWB_OK;
                }
                SWB_WARN(NULL, "cache: undecodable value under %s: %s", slot.key,
                         jerr.text);
        }
        err = load(opaque, val, &store);
        if (err)
                return err;
        if (c && store && slot.usable && *val) {
                char *dump = json_dumps(*val, JSON_COMPACT | JSON_ENCODE_ANY);
                if (dump) {
                        swb_cache_put(c, &slot, dump);
                        free(dump);
                }
        }
        return SWB_OK;
}
