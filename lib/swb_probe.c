/* swb_probe - background readiness probes; see swb_probe.h. */
#include "swb_probe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_redis.h"

#define SWB__PROBE_REDIS_TIMEOUT_MS 500

/* One dependency: its flag and reason, read by HTTP threads. */
struct swb__dep {
        const char *name;
        char *url;
        atomic_bool ok;
        bool probed;          /* probe thread only: for transition logs */
        pthread_mutex_t lock; /* guards why */
        char why[200];
};

struct swb_probe_s {
        struct swb__dep pg, redis;
        swb_pg_t *pg_conn;       /* probe thread only */
        swb_redis_t *redis_conn; /* probe thread only */
        int interval_ms;
        pthread_t thread;
        bool started;
        pthread_mutex_t lock; /* guards stop */
        pthread_cond_t cond;
        bool stop;
};

static bool swb__check(void *opaque, char *why, size_t why_size)
{
        struct swb__dep *d = opaque;
        if (atomic_load(&d->ok))
                return true;
        pthread_mutex_lock(&d->lock);
        snprintf(why, why_size, "%s", d->why);
        pthread_mutex_unlock(&d->lock);
        return false;
}

static void swb__set(struct swb__dep *d, bool ok, const char *why)
{
        bool was = atomic_load(&d->ok);
        if (!ok) {
                pthread_mutex_lock(&d->lock);
                snprintf(d->why, sizeof(d->why), "%s", why);
                pthread_mutex_unlock(&d->lock);
        }
        atomic_store(&d->ok, ok);
        if (ok && (!was || !d->probed))
                SWB_INFO(NULL, "readiness: %s reachable", d->name);
        else if (!ok && (was || !d->probed))
                SWB_WARN(NULL, "readiness: %s not ready: %s", d->name, why);
        d->probed = true;
}

static void swb__probe_pg(swb_probe_t *p)
{
        char errstr[256] = "";
        if (!p->pg_conn &&
            !(p->pg_conn = swb_pg_new(p->pg.url, errstr, sizeof(errstr)))) {
                swb__set(&p->pg, false, errstr);
                return;
        }
        if (swb_pg_ping(p->pg_conn)) {
                swb__set(&p->pg, true, NULL);
                return;
        }
        swb__set(&p->pg, false, "postgres: SELECT 1 failed");
        swb_pg_destroy(p->pg_conn); /* connect afresh next time */
        p->pg_conn = NULL;
}

static void swb__probe_redis(swb_probe_t *p)
{
        char errstr[256] = "";
        if (!p->redis_conn &&
            !(p->redis_conn = swb_redis_new(p->redis.url, SWB__PROBE_REDIS_TIMEOUT_MS,
                                            errstr, sizeof(errstr)))) {
                swb__set(&p->redis, false, errstr); /* a malformed URL: stays so */
                return;
        }
        if (swb_redis_ping(p->redis_conn))
                swb__set(&p->redis, true, NULL);
        else
                swb__set(&p->redis, false, "redis: PING failed (unreachable)");
}

static void *swb__run(void *arg)
{
        swb_probe_t *p = arg;
        struct timespec until;
        pthread_mutex_lock(&p->lock);
        while (!p->stop) {
                pthread_mutex_unlock(&p->lock);
                if (p->pg.url)
                        swb__probe_pg(p);
                if (p->redis.url)
                        swb__probe_redis(p);
                pthread_mutex_lock(&p->lock);
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += p->interval_ms / 1000;
                until.tv_nsec += (long)(p->interval_ms % 1000) * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                while (!p->stop &&
                       pthread_cond_timedwait(&p->cond, &p->lock, &until) == 0)
                        ; /* woken without stop: wait out the interval */
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static void swb__dep_init(struct swb__dep *d, const char *name, const char *url)
{
        d->name = name;
        d->url = url && *url ? swb_strdup(url) : NULL;
        atomic_init(&d->ok, false);
        pthread_mutex_init(&d->lock, NULL);
        snprintf(d->why, sizeof(d->why), "not probed yet");
}

swb_probe_t *swb_probe_start(swb_http_t *http, const char *pg_url,
                             const char *redis_url, int interval_ms)
{
        swb_probe_t *p;
        pthread_condattr_t ca;

        if ((!pg_url || !*pg_url) && (!redis_url || !*redis_url))
                return NULL;
        p = swb_calloc(1, sizeof(*p));
        p->interval_ms = interval_ms > 0 ? interval_ms : 2000;
        swb__dep_init(&p->pg, "postgres", pg_url);
        swb__dep_init(&p->redis, "redis", redis_url);
        pthread_mutex_init(&p->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p->cond, &ca);
        pthread_condattr_destroy(&ca);
        if (p->pg.url)
                swb_http_add_check(http, "postgres", swb__check, &p->pg);
        if (p->redis.url)
                swb_http_add_check(http, "redis", swb__check, &p->redis);
        if (pthread_create(&p->thread, NULL, swb__run, p)) {
                SWB_ERR(NULL, "readiness: cannot start the probe thread");
                snprintf(p->pg.why, sizeof(p->pg.why), "probe thread not running");
                snprintf(p->redis.why, sizeof(p->redis.why),
                         "probe thread not running");
        } else
                p->started = true;
        return p;
}

void swb_probe_destroy(swb_probe_t *p)
{
        if (!p)
                return;
        if (p->started) {
                pthread_mutex_lock(&p->lock);
                p->stop = true;
                pthread_cond_signal(&p->cond);
                pthread_mutex_unlock(&p->lock);
                pthread_join(p->thread, NULL);
        }
        swb_pg_destroy(p->pg_conn);
        swb_redis_destroy(p->redis_conn);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        pthread_mutex_destroy(&p->pg.lock);
        pthread_mutex_destroy(&p->redis.lock);
        swb_free(p->pg.url);
        swb_free(p->redis.url);
        swb_free(p);
}
