/*
 * swb_keyq - per-key FIFO queues: at most one item per key runs at a time,
 * the others wait in arrival order. This is how a worker keeps one session's
 * requests in order while different sessions run in parallel.
 *
 * Keys are byte strings (copied). Not thread-safe: owned by the poll thread.
 */
#ifndef SWB_KEYQ_H
#define SWB_KEYQ_H

#include <stdbool.h>
#include <stddef.h>

typedef struct swb_keyq_s swb_keyq_t;

swb_keyq_t *swb_keyq_new(void);
/** Destroys the queues; waiting items are not touched (the caller owns them). */
void swb_keyq_destroy(swb_keyq_t *q);

/**
 * Add `item` for `key`.
 * @returns true when the key was idle: the item is now its running item and the
 * caller starts it; false when it was queued behind the running one.
 */
bool swb_keyq_push(swb_keyq_t *q, const void *key, size_t key_len, void *item);

/**
 * The running item of `key` finished.
 * @returns the next item of that key (now running; the caller starts it), or
 * NULL when the key became idle.
 */
void *swb_keyq_done(swb_keyq_t *q, const void *key, size_t key_len);

/**
 * Remove every *waiting* item for which pred() is true, calling dropped() on
 * each (e.g. their partition was revoked). Running items are left alone.
 */
void swb_keyq_remove_if(swb_keyq_t *q, bool (*pred)(void *item, void *arg),
                        void (*dropped)(void *item, void *arg), void *arg);

/** Items waiting (not running) over all keys. */
size_t swb_keyq_waiting(const swb_keyq_t *q);
/** Keys with a running item. */
size_t swb_keyq_busy_keys(const swb_keyq_t *q);

#endif
