/* Dependency outages (swb_worker_add_dependency): hold the jobs a down
 * dependency failed, pause, probe with back-off, resume in order. Part of the
 * worker (swb_worker.c); shares its internals through swb_worker_int.h. */
#include <string.h>

#include "swb_id.h"
#include "swb_mem.h"
#include "swb_worker_int.h"

swb_err_t swb_worker_add_dependency(swb_worker_t *w, const char *name,
                                    swb_worker_probe_cb *probe, void *opaque)
{
        struct swb__dep *d;
        if (!name || !*name || !probe || w->dep_cnt == SWB__MAX_DEPS)
                return SWB_ERR_INVALID_ARG;
        d = &w->deps[w->dep_cnt++];
        memset(d, 0, sizeof(*d));
        d->name = swb_strdup(name);
        d->probe = probe;
        d->opaque = opaque;
        swb_metric_set1(w->m_dep_up, d->name, 1);
        swb_metric_inc1(w->m_dep_outages, d->name, 0);
        return SWB_OK;
}

static int swb__dep_find(const swb_worker_t *w, const char *name)
{
        int i;
        for (i = 0; name && i < w->dep_cnt; i++)
                if (!strcmp(w->deps[i].name, name))
                        return i;
        return -1;
}

bool swb_worker_dependency_up(swb_worker_t *w, const char *name)
{
        int i = swb__dep_find(w, name);
        return i < 0 || !w->deps[i].down;
}

void swb_job_dependency_down(swb_job_t *job, const char *name)
{
        int i = swb__dep_find(job->w, name);
        if (i >= 0)
                job->dep = i + 1;
}

/* ------------------------------------------------------------ dependencies */

/* Back-off between probes of a down dependency: retry.backoff.ms doubling per
 * failed probe, at most health.probe.interval.ms, +-50% jitter. */
static int64_t swb__dep_backoff(swb_worker_t *w, int probes)
{
        int64_t d = w->cfg->retry_backoff_ms, max = w->cfg->health_probe_interval_ms;
        unsigned r;
        if (max < d)
                max = d;
        while (probes-- > 0 && d < max)
                d *= 2;
        if (d > max)
                d = max;
        r = (unsigned)swb_id_hash64(&d, sizeof(d), (uint64_t)swb_mono_ms()) % 1000;
        return d / 2 + d * (int64_t)r / 1000;
}

void swb__held_append(swb_worker_t *w, swb_job_t *job)
{
        job->next = NULL;
        if (w->held_tail)
                w->held_tail->next = job;
        else
                w->held_head = job;
        w->held_tail = job;
        w->held_cnt++;
}

/* Dependency `d` went down (`why`): pause consumption and start probing. */
static void swb__dep_mark_down(swb_worker_t *w, struct swb__dep *d,
                               const swb_corr_t *corr, const char *why)
{
        d->down = true;
        d->down_since_ms = swb_mono_ms();
        d->probes = 0;
        d->next_probe_ms = d->down_since_ms + swb__dep_backoff(w, 0);
        w->deps_down++;
        swb_metric_set1(w->m_dep_up, d->name, 0);
        swb_metric_inc1(w->m_dep_outages, d->name, 1);
        SWB_WARN(corr,
                 "%s is down (%s): pausing consumption and holding its messages until "
                 "it answers again",
                 d->name, why);
}

/* A job failed because dependency `d` is down: hold it (it keeps its key's
 * turn) and, on the first such failure, pause consumption and start probing. */
void swb__dep_hold(swb_worker_t *w, swb_job_t *job)
{
        struct swb__dep *d = &w->deps[job->dep - 1];
        job->dep = 0;
        job->dep_holds++;
        job->failed = SWB_OK;
        swb__held_append(w, job);
        if (!d->down)
                swb__dep_mark_down(w, d, &job->corr, job->errmsg);
}

/* An idle worker learns of an outage from no failing request: while nothing
 * is in flight and no message came for health.probe.interval.ms, probe each
 * dependency once per that interval, so that swb_dependency_up tells the truth
 * and the first request after the outage is held rather than failed. */
void swb__dep_idle_probe(swb_worker_t *w)
{
        int64_t now = swb_mono_ms(), every = w->cfg->health_probe_interval_ms;
        int i;
        if (now - w->last_consumed_ms < every)
                return;
        for (i = 0; i < w->dep_cnt; i++) {
                struct swb__dep *d = &w->deps[i];
                if (d->down || now < d->next_idle_probe_ms)
                        continue;
                d->next_idle_probe_ms = now + every;
                if (!d->probe(d->opaque))
                        swb__dep_mark_down(w, d, NULL, "an idle-time probe failed");
        }
}

/* Probe the down dependencies that are due; when the last one answers, the
 * held jobs are handled again, in the order they were held. */
void swb__dep_probe(swb_worker_t *w)
{
        int64_t now = swb_mono_ms();
        int i;
        for (i = 0; i < w->dep_cnt; i++) {
                struct swb__dep *d = &w->deps[i];
                if (!d->down || now < d->next_probe_ms)
                        continue;
                if (!d->probe(d->opaque)) {
                        d->probes++;
                        d->next_probe_ms =
                            swb_mono_ms() + swb__dep_backoff(w, d->probes);
                        continue;
                }
                d->down = false;
                w->deps_down--;
                swb_metric_set1(w->m_dep_up, d->name, 1);
                SWB_INFO(
                    NULL,
                    "%s is back after %lld ms (%d probe(s)): resuming consumption, "
                    "handling %zu held message(s) again",
                    d->name, (long long)(swb_mono_ms() - d->down_since_ms),
                    d->probes + 1, w->deps_down ? (size_t)0 : w->held_cnt);
        }
        if (w->deps_down)
                return;
        while (w->held_head) {
                swb_job_t *job = w->held_head;
                w->held_head = job->next;
                w->held_cnt--;
                swb__ready_append(w, job);
        }
        w->held_tail = NULL;
}

/* Shutting down while a dependency is down: held jobs are abandoned (never
 * stored: the group handles them again later), and so are the messages of
 * their keys that would get the turn next (they are held in turn). */
void swb__dep_abandon(swb_worker_t *w)
{
        while (w->held_head) {
                while (w->held_head) {
                        swb_job_t *job = w->held_head;
                        w->held_head = job->next;
                        w->held_cnt--;
                        job->orphaned = true;
                        swb__job_finish(w, job);
                }
                w->held_tail = NULL;
                swb__run_ready(w); /* with a dependency down: holds them */
        }
}
