#include "swb_buf.h"

#include <string.h>

#include "swb_mem.h"

void swb_buf_reserve(swb_buf_t *b, size_t extra)
{
        size_t cap = b->cap ? b->cap : 256;
        if (b->len + extra + 1 <= b->cap)
                return;
        while (cap < b->len + extra + 1)
                cap *= 2;
        b->p = swb_realloc(b->p, cap);
        b->cap = cap;
        b->p[b->len] = '\0';
}

void swb_buf_put(swb_buf_t *b, const void *s, size_t n)
{
        swb_buf_reserve(b, n);
        if (n)
                memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void swb_buf_puts(swb_buf_t *b, const char *s)
{
        swb_buf_put(b, s, strlen(s));
}

char *swb_buf_take(swb_buf_t *b)
{
        char *p = b->p;
        memset(b, 0, sizeof(*b));
        return p;
}

void swb_buf_free(swb_buf_t *b)
{
        swb_free(swb_buf_take(b));
}
