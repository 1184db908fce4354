/*
 * swb_buf - a growable byte buffer, always NUL-terminated (p[len] == 0 once
 * anything was reserved), for building strings and files. The struct is
 * exposed so callers embed it: zero-initialise, append, take or free.
 * Allocation through swb_mem (aborts on OOM).
 */
#ifndef SWB_BUF_H
#define SWB_BUF_H

#include <stddef.h>

typedef struct swb_buf {
        char *p;
        size_t len, cap;
} swb_buf_t;

/** Make room for `extra` more bytes (and the NUL). */
void swb_buf_reserve(swb_buf_t *b, size_t extra);
/** Append `n` bytes of `s` (may be binary). */
void swb_buf_put(swb_buf_t *b, const void *s, size_t n);
void swb_buf_puts(swb_buf_t *b, const char *s);
/** Move the contents out (swb_free them); NULL when nothing was ever reserved. */
char *swb_buf_take(swb_buf_t *b);
void swb_buf_free(swb_buf_t *b);

#endif
