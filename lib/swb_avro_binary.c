#include "swb_avro_binary.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Deeper nesting (only possible with a recursive schema) is rejected. */
#define SWB_AVRO_MAX_DEPTH 64

/* ------------------------------------------------------------------------ */
/* Binary validation */

struct swb__vctx {
        const uint8_t *start, *p, *end;
        uint64_t budget; /* items that may still be read (zero-width items) */
        char *errstr;
        size_t errstr_size;
};

static swb_err_t swb__verr(struct swb__vctx *c, const char *what)
{
        return swb_seterr(c->errstr, c->errstr_size, SWB_ERR_DECODE, "%s at byte %td",
                          what, c->p - c->start);
}

/** A zig-zag varint of at most `max` bytes. */
static swb_err_t swb__varint(struct swb__vctx *c, int max, int64_t *out)
{
        uint64_t raw = 0;

        for (int i = 0; i < max; i++) {
                uint8_t b;
                if (c->p == c->end)
                        return swb__verr(c, "truncated");
                b = *c->p++;
                raw |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        if (i == 9 && b > 1)
                                return swb__verr(c, "varint overflows 64 bits");
                        if (max == 5 && raw >> 32)
                                return swb__verr(c, "int out of range");
                        *out = (int64_t)((raw >> 1) ^ -(raw & 1));
                        return SWB_OK;
                }
        }
        return swb__verr(c, "varint too long");
}

static swb_err_t swb__skip_len(struct swb__vctx *c, bool no_nul)
{
        int64_t n;
        swb_err_t err = swb__varint(c, 10, &n);

        if (err)
                return err;
        if (n < 0)
                return swb__verr(c, "negative length");
        if ((uint64_t)n > (uint64_t)(c->end - c->p))
                return swb__verr(c, "length past the end (truncated)");
        if (no_nul && memchr(c->p, '\0', (size_t)n))
                return swb__verr(c, "NUL in map key");
        c->p += n;
        return SWB_OK;
}

static swb_err_t swb__validate(struct swb__vctx *c, const swb_avro_node_t *n, int depth)
{
        swb_err_t err = SWB_OK;
        int64_t v;

        if (depth > SWB_AVRO_MAX_DEPTH)
                return swb__verr(c, "nested too deeply");
        switch (n->type) {
        case SWB_AVRO_NULL:
                return SWB_OK;
        case SWB_AVRO_BOOLEAN:
                if (c->p == c->end)
                        return swb__verr(c, "truncated");
                if (*c->p > 1)
                        return swb__verr(c, "invalid boolean");
                c->p++;
                return SWB_OK;
        case SWB_AVRO_INT:
                return swb__varint(c, 5, &v);
        case SWB_AVRO_LONG:
                return swb__varint(c, 10, &v);
        case SWB_AVRO_FLOAT:
        case SWB_AVRO_DOUBLE:
        case SWB_AVRO_FIXED: {
                size_t w = n->type == SWB_AVRO_FLOAT    ? 4
                           : n->type == SWB_AVRO_DOUBLE ? 8
                                                        : n->n;
                if ((size_t)(c->end - c->p) < w)
                        return swb__verr(c, "truncated");
                c->p += w;
                return SWB_OK;
        }
        case SWB_AVRO_BYTES:
        case SWB_AVRO_STRING:
                return swb__skip_len(c, false);
        case SWB_AVRO_ENUM:
        case SWB_AVRO_UNION:
                if ((err = swb__varint(c, n->type == SWB_AVRO_ENUM ? 5 : 10, &v)))
                        return err;
                if (v < 0 || (uint64_t)v >= n->n)
                        return swb__verr(c, n->type == SWB_AVRO_ENUM
                                                ? "enum index out of range"
                                                : "union index out of range");
                return n->type == SWB_AVRO_ENUM
                           ? SWB_OK
                           : swb__validate(c, n->branches[v], depth + 1);
        case SWB_AVRO_RECORD:
                for (size_t i = 0; i < n->n && !err; i++)
                        err = swb__validate(c, n->fields[i].type, depth + 1);
                return err;
        case SWB_AVRO_ARRAY:
        case SWB_AVRO_MAP:
                for (;;) {
                        int64_t count, size = -1;
                        const uint8_t *start;
                        if ((err = swb__varint(c, 10, &count)))
                                return err;
                        if (count == 0)
                                return SWB_OK;
                        if (count < 0) {
                                if (count == INT64_MIN)
                                        return swb__verr(c, "invalid block count");
                                count = -count;
                                if ((err = swb__varint(c, 10, &size)))
                                        return err;
                                if (size < 0 ||
                                    (uint64_t)size > (uint64_t)(c->end - c->p))
                                        return swb__verr(c, "invalid block size");
                        }
                        if ((uint64_t)count > c->budget)
                                return swb__verr(c, "too many items");
                        c->budget -= (uint64_t)count;
                        start = c->p;
                        for (int64_t i = 0; i < count; i++) {
                                if (n->type == SWB_AVRO_MAP &&
                                    (err = swb__skip_len(c, true)))
                                        return err;
                                if ((err = swb__validate(c, n->items, depth + 1)))
                                        return err;
                        }
                        if (size >= 0 && c->p - start != size)
                                return swb__verr(c,
                                                 "block size does not match its items");
                }
        }
        return swb__verr(c, "unknown type");
}

swb_err_t swb_avro_binary_validate(const swb_avro_node_t *node, const void *buf,
                                   size_t len, char *errstr, size_t errstr_size)
{
        struct swb__vctx c = {.start = buf,
                              .p = buf,
                              .end = (const uint8_t *)buf + len,
                              .budget = (uint64_t)len + 65536,
                              .errstr = errstr,
                              .errstr_size = errstr_size};
        swb_err_t err = swb__validate(&c, node, 0);

        if (!err && c.p != c.end)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                 "%td trailing bytes after the datum", c.end - c.p);
        return err;
}
