/*
 * swb_mem - allocation wrappers.
 *
 * OOM policy (the one place it is written down): switchboard does not try to
 * recover from a failed allocation. swb_malloc() and friends print one line to
 * stderr naming the size and abort(), as redis' zmalloc does. Callers never
 * check their return value for NULL.
 */
#ifndef SWB_MEM_H
#define SWB_MEM_H

#include <stddef.h>

void *swb_malloc(size_t size);
void *swb_calloc(size_t nmemb, size_t size);
void *swb_realloc(void *ptr, size_t size);
/** @returns a new copy of `s`, or NULL when `s` is NULL. */
char *swb_strdup(const char *s);
char *swb_strndup(const char *s, size_t n);
/** printf into a new string. */
char *swb_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void swb_free(void *ptr);

#define SWB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
