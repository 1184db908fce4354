/*
 * swb_id - identifiers: random UUIDv4, ids derived deterministically from
 * their inputs (so a replayed request yields the same reply_id / event_id),
 * and W3C traceparent handling.
 */
#ifndef SWB_ID_H
#define SWB_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWB_UUID_LEN 37 /* 36 chars + NUL */

/** A random version-4 UUID (getrandom). */
void swb_id_uuid4(char out[SWB_UUID_LEN]);

/**
 * A UUID-formatted id (version 8, RFC 9562 "custom") derived from the
 * NULL-terminated list of strings: equal inputs give equal ids.
 */
void swb_id_derive(char out[SWB_UUID_LEN], const char *first, ...)
        __attribute__((sentinel));

/** @returns true when `s` is a canonical 8-4-4-4-12 hex UUID. */
bool swb_id_is_uuid(const char *s);

/** 64-bit hash of a byte string (FNV-1a followed by a splitmix finaliser). */
uint64_t swb_id_hash64(const void *buf, size_t len, uint64_t seed);

#define SWB_TRACEPARENT_LEN 56 /* "00-" 32 "-" 16 "-" 2 + NUL */
#define SWB_TRACE_ID_LEN    33

/**
 * Continue the trace of `parent` (a W3C traceparent header value, may be
 * NULL or invalid) with a new span id, or start a new trace.
 * Writes the new header value and its trace id (32 hex chars).
 * @returns true when the parent was valid and continued.
 */
bool swb_id_traceparent(const char *parent, size_t parent_len,
                        char out[SWB_TRACEPARENT_LEN], char trace_id[SWB_TRACE_ID_LEN]);

/** Current wall-clock time in milliseconds since the epoch. */
int64_t swb_now_ms(void);
/** Monotonic milliseconds. */
int64_t swb_mono_ms(void);

#endif
