/*
 * swb_sse - an incremental parser of Server-Sent Events (text/event-stream).
 *
 * Follows the event-stream interpretation of the WHATWG HTML standard
 * (section "Server-sent events"): lines end with CRLF, LF or CR (a CRLF split
 * across two feeds is still one line end); a UTF-8 BOM at the start of the
 * stream is skipped; lines starting with ':' are comments; "field:value" with
 * one optional space after the colon; a line without a colon is a field with
 * an empty value; "data" lines are joined with '\n'; an empty line dispatches
 * the event (nothing is dispatched when no data line came); "event" sets the
 * type of the next event; "id" sets the last event id (ignored when it holds a
 * NUL); "retry" (ASCII digits only) sets the reconnection time; unknown fields
 * are ignored.
 *
 * Bytes may be fed in arbitrary pieces (down to one byte); the events seen do
 * not depend on where the pieces were cut. Any byte sequence is accepted
 * (fuzzed by fuzz/fuzz_sse.c); memory is bounded by `max_event_size`.
 *
 * A parser is used by one thread at a time; it does no I/O.
 */
#ifndef SWB_SSE_H
#define SWB_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swb_err.h"

typedef struct swb_sse_s swb_sse_t;

/** One event, as the callback sees it. Valid only during the callback. */
typedef struct swb_sse_event {
        const char *type; /* the "event" field; "message" when none was sent */
        const char
            *data; /* data lines joined with '\n', NUL-terminated (may hold NULs) */
        size_t data_len;
        const char *id; /* the last event id so far; "" when none */
} swb_sse_event_t;

/**
 * Called for each dispatched event, on the thread that feeds the parser,
 * from inside swb_sse_feed() / swb_sse_finish().
 * @returns SWB_OK to go on; any other code stops the parser: the feed call
 *          returns that code, and so does every later feed (sticky).
 */
typedef swb_err_t(swb_sse_event_fn)(void *opaque, const swb_sse_event_t *ev);

/** Default limit of one line and of one event's data (1 MiB). */
#define SWB_SSE_DEFAULT_MAX_EVENT (1024 * 1024)

/**
 * @param max_event_size the longest line and the largest data of one event,
 *                       in bytes; 0 = SWB_SSE_DEFAULT_MAX_EVENT
 * @param on_event       called for each event; not NULL
 * @returns a new parser (never NULL: allocation aborts on OOM).
 */
swb_sse_t *swb_sse_new(size_t max_event_size, swb_sse_event_fn *on_event, void *opaque);

/** Accepts NULL. */
void swb_sse_destroy(swb_sse_t *sse);

/**
 * Parse the next `len` bytes of the stream, calling on_event for every event
 * they complete.
 * @returns SWB_OK; SWB_ERR_TOO_LARGE when a line or an event passes
 *          max_event_size; or the code on_event stopped with. Errors are
 *          sticky: once one is returned, later feeds return it too and parse
 *          nothing.
 */
swb_err_t swb_sse_feed(swb_sse_t *sse, const char *buf, size_t len);

/**
 * The stream ended. Unlike the standard (which drops an unterminated event),
 * a last line without a line end is taken as complete and a pending event is
 * dispatched: servers that close right after "data: [DONE]" are common.
 * Callers that know the stream was cut (a transport error) should not call
 * this. The parser may be fed again afterwards as a new stream.
 * @returns as swb_sse_feed().
 */
swb_err_t swb_sse_finish(swb_sse_t *sse);

/** @returns the reconnection time from the last valid "retry" field, or -1. */
int64_t swb_sse_retry_ms(const swb_sse_t *sse);

/** @returns how many events were dispatched so far. */
uint64_t swb_sse_events(const swb_sse_t *sse);

#endif
