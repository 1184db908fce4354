#include "swb_offsets.h"

#include <string.h>

#include "swb_mem.h"

struct swb__slot {
        int64_t offset;
        int done;
};

struct swb__part {
        char *topic;
        int32_t partition;
        struct swb__slot *ring; /* circular buffer of in-flight offsets, oldest at head */
        size_t cap, head, len;
};

struct swb_offsets_s {
        struct swb__part *parts;
        size_t cnt;
        size_t inflight;
};

swb_offsets_t *swb_offsets_new(void)
{
        return swb_calloc(1, sizeof(swb_offsets_t));
}

void swb_offsets_destroy(swb_offsets_t *o)
{
        size_t i;
        if (!o)
                return;
        for (i = 0; i < o->cnt; i++) {
                swb_free(o->parts[i].topic);
                swb_free(o->parts[i].ring);
        }
        swb_free(o->parts);
        swb_free(o);
}

static struct swb__part *swb__part(swb_offsets_t *o, const char *topic, int32_t partition,
                                   int create)
{
        size_t i;
        for (i = 0; i < o->cnt; i++)
                if (o->parts[i].partition == partition && !strcmp(o->parts[i].topic, topic))
                        return &o->parts[i];
        if (!create)
                return NULL;
        o->parts = swb_realloc(o->parts, (o->cnt + 1) * sizeof(*o->parts));
        memset(&o->parts[o->cnt], 0, sizeof(o->parts[0]));
        o->parts[o->cnt].topic = swb_strdup(topic);
        o->parts[o->cnt].partition = partition;
        return &o->parts[o->cnt++];
}

void swb_offsets_begin(swb_offsets_t *o, const char *topic, int32_t partition, int64_t offset)
{
        struct swb__part *p = swb__part(o, topic, partition, 1);
        if (p->len == p->cap) {
                size_t ncap = p->cap ? p->cap * 2 : 16, i;
                struct swb__slot *n = swb_malloc(ncap * sizeof(*n));
                for (i = 0; i < p->len; i++)
                        n[i] = p->ring[(p->head + i) % p->cap];
                swb_free(p->ring);
                p->ring = n;
                p->cap = ncap;
                p->head = 0;
        }
        p->ring[(p->head + p->len) % p->cap] = (struct swb__slot){offset, 0};
        p->len++;
        o->inflight++;
}

int64_t swb_offsets_done(swb_offsets_t *o, const char *topic, int32_t partition,
                         int64_t offset)
{
        struct swb__part *p = swb__part(o, topic, partition, 0);
        size_t i;
        int64_t ret = -1;
        size_t lo = 0, hi;
        if (!p)
                return -1;
        /* offsets begin in increasing order: binary search the ring */
        hi = p->len;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (p->ring[(p->head + mid) % p->cap].offset < offset)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        i = lo;
        if (i < p->len) {
                struct swb__slot *s = &p->ring[(p->head + i) % p->cap];
                if (s->offset == offset && !s->done) {
                        s->done = 1;
                        o->inflight--;
                }
        }
        while (p->len && p->ring[p->head].done) {
                ret = p->ring[p->head].offset;
                p->head = (p->head + 1) % p->cap;
                p->len--;
        }
        return ret;
}

void swb_offsets_forget(swb_offsets_t *o, const char *topic, int32_t partition)
{
        struct swb__part *p = swb__part(o, topic, partition, 0);
        size_t i;
        if (!p)
                return;
        for (i = 0; i < p->len; i++)
                if (!p->ring[(p->head + i) % p->cap].done)
                        o->inflight--;
        p->len = 0;
        p->head = 0;
}

size_t swb_offsets_inflight(const swb_offsets_t *o)
{
        return o->inflight;
}
