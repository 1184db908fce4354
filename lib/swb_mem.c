#include "swb_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void swb__oom(size_t size)
{
        fprintf(stderr, "swb: out of memory allocating %zu bytes\n", size);
        abort();
}

void *swb_malloc(size_t size)
{
        void *p = malloc(size ? size : 1);
        if (!p)
                swb__oom(size);
        return p;
}

void *swb_calloc(size_t nmemb, size_t size)
{
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
        if (!p)
                swb__oom(nmemb * size);
        return p;
}

void *swb_realloc(void *ptr, size_t size)
{
        void *p = realloc(ptr, size ? size : 1);
        if (!p)
                swb__oom(size);
        return p;
}

char *swb_strdup(const char *s)
{
        if (!s)
                return NULL;
        return swb_strndup(s, strlen(s));
}

char *swb_strndup(const char *s, size_t n)
{
        char *p;
        if (!s)
                return NULL;
        p = swb_malloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *swb_asprintf(const char *fmt, ...)
{
        va_list ap;
        int n;
        char *p;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                swb__oom(0);
        p = swb_malloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return p;
}

void swb_free(void *ptr)
{
        free(ptr);
}
