#include "swb_id.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void swb__random(void *buf, size_t len)
{
        size_t got = 0;
        while (got < len) {
                ssize_t r = getrandom((char *)buf + got, len - got, 0);
                if (r > 0)
                        got += (size_t)r;
        }
}

static void swb__hexlify(char *out, const unsigned char *b, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hex[b[i] >> 4];
                out[2 * i + 1] = hex[b[i] & 15];
        }
}

static void swb__fmt_uuid(char out[SWB_UUID_LEN], const unsigned char b[16])
{
        /* 8-4-4-4-12 */
        swb__hexlify(out, b, 4);
        out[8] = '-';
        swb__hexlify(out + 9, b + 4, 2);
        out[13] = '-';
        swb__hexlify(out + 14, b + 6, 2);
        out[18] = '-';
        swb__hexlify(out + 19, b + 8, 2);
        out[23] = '-';
        swb__hexlify(out + 24, b + 10, 6);
        out[36] = '\0';
}

void swb_id_uuid4(char out[SWB_UUID_LEN])
{
        unsigned char b[16];
        swb__random(b, sizeof(b));
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        swb__fmt_uuid(out, b);
}

uint64_t swb_id_hash64(const void *buf, size_t len, uint64_t seed)
{
        const unsigned char *p = buf;
        uint64_t h = 0xcbf29ce484222325ULL ^ seed;
        size_t i;
        for (i = 0; i < len; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebULL;
        h ^= h >> 31;
        return h;
}

void swb_id_derive(char out[SWB_UUID_LEN], const char *first, ...)
{
        uint64_t h1 = 0x5157, h2 = 0xa11ce;
        unsigned char b[16];
        const char *s;
        va_list ap;
        int i;

        va_start(ap, first);
        for (s = first; s; s = va_arg(ap, const char *)) {
                size_t n =
                    strlen(s) + 1; /* include the NUL: ("ab","c") != ("a","bc") */
                h1 = swb_id_hash64(s, n, h1);
                h2 = swb_id_hash64(s, n, h2 ^ 0x9e3779b97f4a7c15ULL);
        }
        va_end(ap);
        for (i = 0; i < 8; i++) {
                b[i] = (unsigned char)(h1 >> (56 - 8 * i));
                b[8 + i] = (unsigned char)(h2 >> (56 - 8 * i));
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x80);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        swb__fmt_uuid(out, b);
}

bool swb_id_is_uuid(const char *s)
{
        int i;
        if (!s || strlen(s) != 36)
                return false;
        for (i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!isxdigit((unsigned char)s[i]))
                        return false;
        }
        return true;
}

static bool swb__hex(const char *s, size_t n, bool nonzero)
{
        size_t i;
        bool any = false;
        for (i = 0; i < n; i++) {
                if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
                        return false;
                any |= s[i] != '0';
        }
        return !nonzero || any;
}

bool swb_id_traceparent(const char *parent, size_t parent_len,
                        char out[SWB_TRACEPARENT_LEN], char trace_id[SWB_TRACE_ID_LEN])
{
        unsigned char r[24];
        bool valid = parent && parent_len >= 55 && !strncmp(parent, "00-", 3) &&
                     parent[35] == '-' && parent[52] == '-' &&
                     swb__hex(parent + 3, 32, true) &&
                     swb__hex(parent + 36, 16, true) && swb__hex(parent + 53, 2, false);

        swb__random(r, sizeof(r));
        if (valid)
                memcpy(trace_id, parent + 3, 32);
        else
                swb__hexlify(trace_id, r, 16);
        trace_id[32] = '\0';
        r[16] |= 1; /* span id must not be all zeros */
        /* 00-<trace id>-<span id>-<flags> */
        memcpy(out, "00-", 3);
        memcpy(out + 3, trace_id, 32);
        out[35] = '-';
        swb__hexlify(out + 36, r + 16, 8);
        out[52] = '-';
        memcpy(out + 53, valid ? parent + 53 : "01", 2);
        out[55] = '\0';
        return valid;
}

int64_t swb_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t swb_mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
