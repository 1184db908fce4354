/*
 * swb_offsets - per-partition tracking of in-flight messages, so that the
 * offset stored for commit is always the highest *contiguous* completed one:
 * a message finishing early never lets the commit skip one still in flight.
 *
 * Not thread-safe: owned by the worker's poll thread.
 */
#ifndef SWB_OFFSETS_H
#define SWB_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct swb_offsets_s swb_offsets_t;

swb_offsets_t *swb_offsets_new(void);
void swb_offsets_destroy(swb_offsets_t *o);

/** Record that `offset` of (topic, partition) is in flight. Offsets must increase per partition. */
void swb_offsets_begin(swb_offsets_t *o, const char *topic, int32_t partition, int64_t offset);

/**
 * Mark `offset` done.
 * @returns the highest offset such that it and every earlier tracked offset
 * are done (store that one), or -1 when nothing new became committable.
 */
int64_t swb_offsets_done(swb_offsets_t *o, const char *topic, int32_t partition,
                         int64_t offset);

/** Drop the tracking of a revoked partition. */
void swb_offsets_forget(swb_offsets_t *o, const char *topic, int32_t partition);

/** Messages in flight over all partitions. */
size_t swb_offsets_inflight(const swb_offsets_t *o);

#endif
