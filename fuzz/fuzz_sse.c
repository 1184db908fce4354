/*
 * libFuzzer target: swb_sse on arbitrary bytes, fed in arbitrary pieces.
 *
 * The first byte picks the piece size (1..256) and the parser's limit (a
 * small one, so SWB_ERR_TOO_LARGE is reached, or the default). The rest is
 * parsed twice, whole and in pieces; the events seen, and the error, must be
 * the same: where the bytes were cut must not matter.
 *
 * Build (clang): clang -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
 *   -Ilib fuzz/fuzz_sse.c lib/swb_sse.c lib/swb_mem.c lib/swb_err.c -o fuzz_sse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
        uint64_t hash; /* FNV-1a over every event's type, id and data */
        uint64_t n;
} trace_t;

static void mix(trace_t *t, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                t->hash ^= (unsigned char)p[i];
                t->hash *= 1099511628211ULL;
        }
        t->hash ^= 0xff;
        t->hash *= 1099511628211ULL;
}

static swb_err_t on_event(void *opaque, const swb_sse_event_t *ev)
{
        trace_t *t = opaque;
        if (!ev->type || !ev->id || !ev->data || ev->data[ev->data_len] != '\0')
                abort();
        mix(t, ev->type, strlen(ev->type));
        mix(t, ev->id, strlen(ev->id));
        mix(t, ev->data, ev->data_len);
        t->n++;
        return SWB_OK;
}

static swb_err_t parse(const char *p, size_t n, size_t piece, size_t max, trace_t *t)
{
        swb_sse_t *sse = swb_sse_new(max, on_event, t);
        swb_err_t err = SWB_OK;

        t->hash = 14695981039346656037ULL;
        t->n = 0;
        for (size_t at = 0; at < n && !err; at += piece)
                err = swb_sse_feed(sse, p + at, n - at < piece ? n - at : piece);
        if (!err)
                err = swb_sse_finish(sse);
        swb_sse_destroy(sse);
        return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        trace_t whole, pieces;
        size_t piece, max;
        swb_err_t e1, e2;

        if (size < 1)
                return 0;
        piece = (size_t)(data[0] & 0x7f) + 1;
        max = data[0] & 0x80 ? 64 : 0;
        e1 = parse((const char *)data + 1, size - 1, size, max, &whole);
        e2 = parse((const char *)data + 1, size - 1, piece, max, &pieces);
        if (e1 != e2 || whole.n != pieces.n || whole.hash != pieces.hash)
                abort();
        return 0;
}
