#include "swb_avro_write.h"

#include <stdio.h>
#include <string.h>

/* As swb_avro_value: deeper nesting (a recursive schema) does not fit. */
#define SWB_MAX_DEPTH 64

void swb_avro_write_long(swb_buf_t *out, int64_t v)
{
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        unsigned char tmp[10];
        size_t n = 0;
        while (z > 0x7f) {
                tmp[n++] = (unsigned char)(z | 0x80);
                z >>= 7;
        }
        tmp[n++] = (unsigned char)z;
        swb_buf_put(out, tmp, n);
}

void swb_avro_write_str(swb_buf_t *out, const char *s, size_t len)
{
        swb_avro_write_long(out, (int64_t)len);
        swb_buf_put(out, s, len);
}

static void swb__put_le(swb_buf_t *out, uint64_t bits, size_t n)
{
        unsigned char tmp[8];
        for (size_t i = 0; i < n; i++)
                tmp[i] = (unsigned char)(bits >> (8 * i));
        swb_buf_put(out, tmp, n);
}

static bool swb__write(const swb_avro_node_t *n, const json_t *j, swb_buf_t *out,
                       int depth)
{
        if (depth > SWB_MAX_DEPTH)
                return false;
        if (n->type == SWB_AVRO_UNION) {
                for (size_t i = 0; i < n->n; i++) {
                        if (!swb_avro_json_fits(n->branches[i], j))
                                continue;
                        swb_avro_write_long(out, (int64_t)i);
                        return swb__write(n->branches[i], j, out, depth + 1);
                }
                return false;
        }
        if (!swb_avro_json_fits(n, j))
                return false;
        switch (n->type) {
        case SWB_AVRO_NULL:
                return true;
        case SWB_AVRO_BOOLEAN: {
                unsigned char b = json_is_true(j) ? 1 : 0;
                swb_buf_put(out, &b, 1);
                return true;
        }
        case SWB_AVRO_INT:
        case SWB_AVRO_LONG:
                swb_avro_write_long(out, json_integer_value(j));
                return true;
        case SWB_AVRO_FLOAT: {
                float f = (float)json_number_value(j);
                uint32_t bits;
                memcpy(&bits, &f, sizeof(bits));
                swb__put_le(out, bits, 4);
                return true;
        }
        case SWB_AVRO_DOUBLE: {
                double d = json_number_value(j);
                uint64_t bits;
                memcpy(&bits, &d, sizeof(bits));
                swb__put_le(out, bits, 8);
                return true;
        }
        case SWB_AVRO_STRING:
        case SWB_AVRO_BYTES:
                swb_avro_write_str(out, json_string_value(j), json_string_length(j));
                return true;
        case SWB_AVRO_FIXED:
                swb_buf_put(out, json_string_value(j), n->n);
                return true;
        case SWB_AVRO_ENUM:
                swb_avro_write_long(out, swb_avro_enum_index(n, json_string_value(j)));
                return true;
        case SWB_AVRO_ARRAY: {
                size_t i;
                json_t *item;
                if (json_array_size(j))
                        swb_avro_write_long(out, (int64_t)json_array_size(j));
                json_array_foreach(j, i, item) if (!swb__write(n->items, item, out,
                                                               depth + 1)) return false;
                swb_avro_write_long(out, 0);
                return true;
        }
        case SWB_AVRO_MAP: {
                const char *key;
                json_t *item;
                if (json_object_size(j))
                        swb_avro_write_long(out, (int64_t)json_object_size(j));
                json_object_foreach((json_t *)j, key, item)
                {
                        swb_avro_write_str(out, key, strlen(key));
                        if (!swb__write(n->items, item, out, depth + 1))
                                return false;
                }
                swb_avro_write_long(out, 0);
                return true;
        }
        case SWB_AVRO_RECORD:
                for (size_t i = 0; i < n->n; i++) {
                        const struct swb_avro_field *f = &n->fields[i];
                        const json_t *jf = json_object_get(j, f->name);
                        if (!jf && !(jf = f->dflt))
                                return false;
                        if (!swb__write(f->type, jf, out, depth + 1))
                                return false;
                }
                return true;
        case SWB_AVRO_UNION:
                break;
        }
        return false;
}

bool swb_avro_write_json(const swb_avro_node_t *node, const json_t *j, swb_buf_t *out)
{
        return swb__write(node, j, out, 0);
}

/* ------------------------------------------------------------------------ */
/* Fields without JSON */

static bool swb__val_fits(const swb_avro_node_t *n, const swb_avro_fieldval_t *v)
{
        switch (v->kind) {
        case SWB_AVRO_V_STR:
                if (n->type == SWB_AVRO_ENUM) {
                        for (size_t i = 0; i < n->n; i++)
                                if (strlen(n->symbols[i]) == v->len &&
                                    !memcmp(n->symbols[i], v->s, v->len))
                                        return true;
                        return false;
                }
                return n->type == SWB_AVRO_STRING || n->type == SWB_AVRO_BYTES ||
                       (n->type == SWB_AVRO_FIXED && v->len == n->n);
        case SWB_AVRO_V_LONG:
                return n->type == SWB_AVRO_LONG || n->type == SWB_AVRO_FLOAT ||
                       n->type == SWB_AVRO_DOUBLE ||
                       (n->type == SWB_AVRO_INT && v->l >= INT32_MIN &&
                        v->l <= INT32_MAX);
        case SWB_AVRO_V_DOUBLE:
                return n->type == SWB_AVRO_FLOAT || n->type == SWB_AVRO_DOUBLE;
        case SWB_AVRO_V_STRMAP:
                return n->type == SWB_AVRO_MAP && (n->items->type == SWB_AVRO_STRING ||
                                                   n->items->type == SWB_AVRO_BYTES);
        }
        return false;
}

static void swb__write_val(const swb_avro_node_t *n, const swb_avro_fieldval_t *v,
                           swb_buf_t *out)
{
        switch (n->type) {
        case SWB_AVRO_ENUM:
                for (size_t i = 0; i < n->n; i++)
                        if (strlen(n->symbols[i]) == v->len &&
                            !memcmp(n->symbols[i], v->s, v->len))
                                swb_avro_write_long(out, (int64_t)i);
                return;
        case SWB_AVRO_STRING:
        case SWB_AVRO_BYTES:
                swb_avro_write_str(out, v->s, v->len);
                return;
        case SWB_AVRO_FIXED:
                swb_buf_put(out, v->s, v->len);
                return;
        case SWB_AVRO_INT:
        case SWB_AVRO_LONG:
                swb_avro_write_long(out, v->l);
                return;
        case SWB_AVRO_FLOAT: {
                float f = v->kind == SWB_AVRO_V_LONG ? (float)v->l : (float)v->d;
                uint32_t bits;
                memcpy(&bits, &f, sizeof(bits));
                swb__put_le(out, bits, 4);
                return;
        }
        case SWB_AVRO_DOUBLE: {
                double d = v->kind == SWB_AVRO_V_LONG ? (double)v->l : v->d;
                uint64_t bits;
                memcpy(&bits, &d, sizeof(bits));
                swb__put_le(out, bits, 8);
                return;
        }
        case SWB_AVRO_MAP:
                if (v->n_kv)
                        swb_avro_write_long(out, (int64_t)v->n_kv);
                for (size_t i = 0; i < v->n_kv; i++) {
                        swb_avro_write_str(out, v->kv[2 * i], strlen(v->kv[2 * i]));
                        swb_avro_write_str(out, v->kv[2 * i + 1],
                                           strlen(v->kv[2 * i + 1]));
                }
                swb_avro_write_long(out, 0);
                return;
        default:
                return;
        }
}

bool swb_avro_write_fields(const swb_avro_node_t *node, const swb_avro_fieldval_t *vals,
                           size_t n, swb_buf_t *out, char *why, size_t why_size)
{
        if (node->type != SWB_AVRO_RECORD) {
                snprintf(why, why_size, "not a record");
                return false;
        }
        for (size_t i = 0; i < node->n; i++) {
                const struct swb_avro_field *f = &node->fields[i];
                const swb_avro_fieldval_t *v = NULL;
                const swb_avro_node_t *t = f->type;
                /* callers mostly give the fields in schema order: look at the
                 * i-th first, then around */
                for (size_t k = 0; k < n && !v; k++) {
                        const swb_avro_fieldval_t *c = &vals[(i + k) % n];
                        if (!strcmp(c->name, f->name))
                                v = c;
                }
                if (!v) {
                        if (f->dflt && swb_avro_write_json(t, f->dflt, out))
                                continue;
                        snprintf(why, why_size, "%s: missing required field", f->name);
                        return false;
                }
                if (t->type == SWB_AVRO_UNION) {
                        size_t b;
                        for (b = 0; b < t->n && !swb__val_fits(t->branches[b], v); b++)
                                ;
                        if (b == t->n) {
                                snprintf(why, why_size,
                                         "%s: matches no branch of the union", f->name);
                                return false;
                        }
                        swb_avro_write_long(out, (int64_t)b);
                        t = t->branches[b];
                } else if (!swb__val_fits(t, v)) {
                        snprintf(why, why_size, "%s: does not fit its type", f->name);
                        return false;
                }
                swb__write_val(t, v, out);
        }
        return true;
}
