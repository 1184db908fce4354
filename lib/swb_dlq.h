/*
 * swb_dlq - operating on the dead-letter topic: list what is there with the
 * reasons from its swb.error.* headers, and replay chosen messages (by DLQ
 * offset) to their original topic, unchanged, with a header
 * swb.replayed_from = "<dlq topic>/<partition>/<offset>".
 */
#ifndef SWB_DLQ_H
#define SWB_DLQ_H

#include <jansson.h>
#include <stdio.h>

#include "swb_config.h"
#include "swb_err.h"

/**
 * Read the whole DLQ (topic.dlq).
 * @param out set to a new array of {"partition","offset","key","error","message",
 *            "retriable","original_topic","original_partition","original_offset",
 *            "attempts","first_seen","size"}.
 */
swb_err_t swb_dlq_list(const swb_config_t *cfg, json_t **out, char *errstr,
                       size_t errstr_size);

/**
 * Replay the DLQ messages at (partition, offset) pairs to their original
 * topics. @returns SWB_ERR_NOT_FOUND when one of them is not in the DLQ
 * (nothing is replayed then).
 */
swb_err_t swb_dlq_replay(const swb_config_t *cfg, const int32_t *partitions,
                         const int64_t *offsets, size_t cnt, char *errstr,
                         size_t errstr_size);

/** Print a list from swb_dlq_list as a table. */
void swb_dlq_print(const json_t *list, FILE *fp);

#endif
