#include "swb_avro_pcf.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "swb_buf.h"
#include "swb_mem.h"

/* ------------------------------------------------------------------------ */
/* CRC-64-AVRO */

#define SWB_AVRO_EMPTY 0xc15d213aa4d7a795ULL

static uint64_t swb__fp_table[256];
static pthread_once_t swb__fp_once = PTHREAD_ONCE_INIT;

static void swb__fp_init(void)
{
        for (int i = 0; i < 256; i++) {
                uint64_t fp = (uint64_t)i;
                for (int j = 0; j < 8; j++)
                        fp = (fp >> 1) ^ (SWB_AVRO_EMPTY & -(fp & 1));
                swb__fp_table[i] = fp;
        }
}

uint64_t swb_avro_pcf_rabin64(const void *buf, size_t len)
{
        const uint8_t *p = buf;
        uint64_t fp = SWB_AVRO_EMPTY;

        pthread_once(&swb__fp_once, swb__fp_init);
        for (size_t i = 0; i < len; i++)
                fp = (fp >> 8) ^ swb__fp_table[(fp ^ p[i]) & 0xff];
        return fp;
}

/* ------------------------------------------------------------------------ */
/* Parsing Canonical Form */

/** A JSON string literal; names and symbols never need escapes, but be safe. */
static void swb__put_str(swb_buf_t *b, const char *s)
{
        swb_buf_put(b, "\"", 1);
        for (; *s; s++) {
                char esc[8];
                if (*s == '"' || *s == '\\') {
                        esc[0] = '\\';
                        esc[1] = *s;
                        swb_buf_put(b, esc, 2);
                } else if ((unsigned char)*s < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)*s);
                        swb_buf_put(b, esc, 6);
                } else {
                        swb_buf_put(b, s, 1);
                }
        }
        swb_buf_put(b, "\"", 1);
}

struct swb__seen {
        const swb_avro_node_t **v;
        size_t n, cap;
};

static void swb__pcf(swb_buf_t *b, struct swb__seen *seen,
                     const swb_avro_node_t *n)
{
        static const char *const prim_names[] = {
            [SWB_AVRO_NULL] = "null",   [SWB_AVRO_BOOLEAN] = "boolean",
            [SWB_AVRO_INT] = "int",     [SWB_AVRO_LONG] = "long",
            [SWB_AVRO_FLOAT] = "float", [SWB_AVRO_DOUBLE] = "double",
            [SWB_AVRO_BYTES] = "bytes", [SWB_AVRO_STRING] = "string",
        };
        static const char *const named_types[] = {[SWB_AVRO_RECORD] = "record",
                                                  [SWB_AVRO_ENUM] = "enum",
                                                  [SWB_AVRO_FIXED] = "fixed"};
        if (n->type <= SWB_AVRO_STRING) {
                swb__put_str(b, prim_names[n->type]);
                return;
        }
        if (n->fullname) {
                for (size_t i = 0; i < seen->n; i++) {
                        if (seen->v[i] == n) {
                                swb__put_str(b, n->fullname);
                                return;
                        }
                }
                if (seen->n == seen->cap) {
                        seen->cap = seen->cap ? 2 * seen->cap : 8;
                        seen->v = swb_realloc(seen->v, seen->cap * sizeof(*seen->v));
                }
                seen->v[seen->n++] = n;
                swb_buf_puts(b, "{\"name\":");
                swb__put_str(b, n->fullname);
                swb_buf_puts(b, ",\"type\":");
                swb__put_str(b, named_types[n->type]);
        }
        switch (n->type) {
        case SWB_AVRO_RECORD:
                swb_buf_puts(b, ",\"fields\":[");
                for (size_t i = 0; i < n->n; i++) {
                        swb_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
                        swb__put_str(b, n->fields[i].name);
                        swb_buf_puts(b, ",\"type\":");
                        swb__pcf(b, seen, n->fields[i].type);
                        swb_buf_puts(b, "}");
                }
                swb_buf_puts(b, "]}");
                break;
        case SWB_AVRO_ENUM:
                swb_buf_puts(b, ",\"symbols\":[");
                for (size_t i = 0; i < n->n; i++) {
                        if (i)
                                swb_buf_puts(b, ",");
                        swb__put_str(b, n->symbols[i]);
                }
                swb_buf_puts(b, "]}");
                break;
        case SWB_AVRO_FIXED: {
                char num[32];
                snprintf(num, sizeof(num), ",\"size\":%zu}", n->n);
                swb_buf_puts(b, num);
                break;
        }
        case SWB_AVRO_ARRAY:
        case SWB_AVRO_MAP:
                swb_buf_puts(b, n->type == SWB_AVRO_ARRAY
                                 ? "{\"type\":\"array\",\"items\":"
                                 : "{\"type\":\"map\",\"values\":");
                swb__pcf(b, seen, n->items);
                swb_buf_puts(b, "}");
                break;
        case SWB_AVRO_UNION:
                swb_buf_puts(b, "[");
                for (size_t i = 0; i < n->n; i++) {
                        if (i)
                                swb_buf_puts(b, ",");
                        swb__pcf(b, seen, n->branches[i]);
                }
                swb_buf_puts(b, "]");
                break;
        default:
                break;
        }
}

char *swb_avro_pcf_write(const swb_avro_node_t *root, size_t *len)
{
        swb_buf_t b = {0};
        struct swb__seen seen = {0};

        swb__pcf(&b, &seen, root);
        swb_free(seen.v);
        if (len)
                *len = b.len;
        return b.p;
}
