#include "swb_keyq.h"

#include <string.h>

#include "swb_id.h"
#include "swb_mem.h"

struct swb__wait {
        void *item;
        struct swb__wait *next;
};

struct swb__key {
        char *key;
        size_t len;
        uint64_t hash;
        struct swb__wait *head, *tail; /* waiting items, oldest first */
        struct swb__key *next;         /* hash chain */
};

struct swb_keyq_s {
        struct swb__key **buckets;
        size_t nbuckets, nkeys, waiting;
};

swb_keyq_t *swb_keyq_new(void)
{
        swb_keyq_t *q = swb_calloc(1, sizeof(*q));
        q->nbuckets = 256;
        q->buckets = swb_calloc(q->nbuckets, sizeof(*q->buckets));
        return q;
}

static void swb__key_free(struct swb__key *k)
{
        struct swb__wait *w = k->head, *n;
        for (; w; w = n) {
                n = w->next;
                swb_free(w);
        }
        swb_free(k->key);
        swb_free(k);
}

void swb_keyq_destroy(swb_keyq_t *q)
{
        size_t i;
        if (!q)
                return;
        for (i = 0; i < q->nbuckets; i++) {
                struct swb__key *k = q->buckets[i], *n;
                for (; k; k = n) {
                        n = k->next;
                        swb__key_free(k);
                }
        }
        swb_free(q->buckets);
        swb_free(q);
}

static struct swb__key **swb__find(swb_keyq_t *q, const void *key, size_t len, uint64_t h)
{
        struct swb__key **kp = &q->buckets[h & (q->nbuckets - 1)];
        for (; *kp; kp = &(*kp)->next)
                if ((*kp)->hash == h && (*kp)->len == len && !memcmp((*kp)->key, key, len))
                        return kp;
        return kp;
}

static void swb__grow(swb_keyq_t *q)
{
        size_t n = q->nbuckets * 2, i;
        struct swb__key **b = swb_calloc(n, sizeof(*b));
        for (i = 0; i < q->nbuckets; i++) {
                struct swb__key *k = q->buckets[i], *next;
                for (; k; k = next) {
                        next = k->next;
                        k->next = b[k->hash & (n - 1)];
                        b[k->hash & (n - 1)] = k;
                }
        }
        swb_free(q->buckets);
        q->buckets = b;
        q->nbuckets = n;
}

bool swb_keyq_push(swb_keyq_t *q, const void *key, size_t len, void *item)
{
        uint64_t h = swb_id_hash64(key, len, 0);
        struct swb__key **kp = swb__find(q, key, len, h), *k;
        struct swb__wait *w;
        if (!*kp) {
                k = swb_calloc(1, sizeof(*k));
                k->key = swb_malloc(len ? len : 1);
                memcpy(k->key, key, len);
                k->len = len;
                k->hash = h;
                *kp = k;
                if (++q->nkeys > q->nbuckets)
                        swb__grow(q);
                return true; /* idle key: the item runs now */
        }
        k = *kp;
        w = swb_malloc(sizeof(*w));
        w->item = item;
        w->next = NULL;
        if (k->tail)
                k->tail->next = w;
        else
                k->head = w;
        k->tail = w;
        q->waiting++;
        return false;
}

void *swb_keyq_done(swb_keyq_t *q, const void *key, size_t len)
{
        uint64_t h = swb_id_hash64(key, len, 0);
        struct swb__key **kp = swb__find(q, key, len, h), *k = *kp;
        struct swb__wait *w;
        void *item;
        if (!k)
                return NULL;
        if (!k->head) {
                *kp = k->next;
                q->nkeys--;
                swb__key_free(k);
                return NULL;
        }
        w = k->head;
        k->head = w->next;
        if (!k->head)
                k->tail = NULL;
        item = w->item;
        swb_free(w);
        q->waiting--;
        return item;
}

void swb_keyq_remove_if(swb_keyq_t *q, bool (*pred)(void *item, void *arg),
                        void (*dropped)(void *item, void *arg), void *arg)
{
        size_t i;
        for (i = 0; i < q->nbuckets; i++) {
                struct swb__key *k;
                for (k = q->buckets[i]; k; k = k->next) {
                        struct swb__wait **wp = &k->head, *prev = NULL;
                        while (*wp) {
                                struct swb__wait *w = *wp;
                                if (pred(w->item, arg)) {
                                        *wp = w->next;
                                        q->waiting--;
                                        if (dropped)
                                                dropped(w->item, arg);
                                        swb_free(w);
                                } else {
                                        prev = w;
                                        wp = &w->next;
                                }
                        }
                        k->tail = prev;
                }
        }
}

size_t swb_keyq_waiting(const swb_keyq_t *q)
{
        return q->waiting;
}

size_t swb_keyq_busy_keys(const swb_keyq_t *q)
{
        return q->nkeys;
}
