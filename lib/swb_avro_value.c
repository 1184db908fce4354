#include "swb_avro_value.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "swb_mem.h"

/* Deeper nesting (only possible with a recursive schema) is rejected. */
#define SWB_MAX_DEPTH 64

/* ------------------------------------------------------------------------ */
/* Errors with a field path: "metadata.k: expected a string" */

struct swb__ectx {
        char *errstr;
        size_t size;
        bool pathed;
};

static swb_err_t swb__err(struct swb__ectx *e, swb_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static swb_err_t swb__err(struct swb__ectx *e, swb_err_t err, const char *fmt, ...)
{
        va_list ap;
        if (e->errstr && e->size) {
                va_start(ap, fmt);
                vsnprintf(e->errstr, e->size, fmt, ap);
                va_end(ap);
        }
        e->pathed = false;
        return err;
}

static swb_err_t swb__in(struct swb__ectx *e, swb_err_t err, const char *name)
{
        if (e->errstr && e->size) {
                char *old = swb_strdup(e->errstr);
                snprintf(e->errstr, e->size, e->pathed ? "%s.%s" : "%s: %s", name, old);
                swb_free(old);
        }
        e->pathed = true;
        return err;
}

static swb_err_t swb__avro_err(struct swb__ectx *e, const char *what)
{
        return swb__err(e, SWB_ERR_INTERNAL, "avro-c %s: %s", what, avro_strerror());
}

static const char *swb__type_str(const swb_avro_node_t *n)
{
        static const char *const names[] = {
            [SWB_AVRO_NULL] = "null",     [SWB_AVRO_BOOLEAN] = "boolean",
            [SWB_AVRO_INT] = "int",       [SWB_AVRO_LONG] = "long",
            [SWB_AVRO_FLOAT] = "float",   [SWB_AVRO_DOUBLE] = "double",
            [SWB_AVRO_BYTES] = "bytes",   [SWB_AVRO_STRING] = "string",
            [SWB_AVRO_RECORD] = "record", [SWB_AVRO_ENUM] = "enum",
            [SWB_AVRO_ARRAY] = "array",   [SWB_AVRO_MAP] = "map",
            [SWB_AVRO_UNION] = "union",   [SWB_AVRO_FIXED] = "fixed",
        };
        return n->fullname ? n->fullname : names[n->type];
}

/* ------------------------------------------------------------------------ */
/* JSON -> avro_value (encode) */

static swb_err_t swb__to_avro(struct swb__ectx *e, const swb_avro_node_t *n,
                              const json_t *j, avro_value_t *v, int depth)
{
        avro_value_t child;
        swb_err_t err;
        int rc = 0;

        if (depth > SWB_MAX_DEPTH)
                return swb__err(e, SWB_ERR_SCHEMA, "nested too deeply");
        if (n->type != SWB_AVRO_UNION && !swb_avro_json_fits(n, j)) {
                if (n->type == SWB_AVRO_ENUM && json_is_string(j))
                        return swb__err(e, SWB_ERR_SCHEMA, "'%s' is not a symbol of %s",
                                        json_string_value(j), n->fullname);
                return swb__err(e, SWB_ERR_SCHEMA, "expected %s%s", swb__type_str(n),
                                n->type == SWB_AVRO_INT && json_is_integer(j)
                                    ? " (out of range)"
                                    : "");
        }
        switch (n->type) {
        case SWB_AVRO_NULL:
                rc = avro_value_set_null(v);
                break;
        case SWB_AVRO_BOOLEAN:
                rc = avro_value_set_boolean(v, json_is_true(j));
                break;
        case SWB_AVRO_INT:
                rc = avro_value_set_int(v, (int32_t)json_integer_value(j));
                break;
        case SWB_AVRO_LONG:
                rc = avro_value_set_long(v, json_integer_value(j));
                break;
        case SWB_AVRO_FLOAT:
                rc = avro_value_set_float(v, (float)json_number_value(j));
                break;
        case SWB_AVRO_DOUBLE:
                rc = avro_value_set_double(v, json_number_value(j));
                break;
        case SWB_AVRO_STRING:
                rc = avro_value_set_string_len(v, json_string_value(j),
                                               json_string_length(j) + 1);
                break;
        case SWB_AVRO_BYTES:
                rc = avro_value_set_bytes(v, (void *)json_string_value(j),
                                          json_string_length(j));
                break;
        case SWB_AVRO_FIXED:
                rc = avro_value_set_fixed(v, (void *)json_string_value(j),
                                          json_string_length(j));
                break;
        case SWB_AVRO_ENUM:
                rc = avro_value_set_enum(v,
                                         swb_avro_enum_index(n, json_string_value(j)));
                break;
        case SWB_AVRO_ARRAY: {
                size_t i;
                json_t *item;
                json_array_foreach(j, i, item)
                {
                        char idx[24];
                        if (avro_value_append(v, &child, NULL))
                                return swb__avro_err(e, "append");
                        if ((err =
                                 swb__to_avro(e, n->items, item, &child, depth + 1))) {
                                snprintf(idx, sizeof(idx), "%zu", i);
                                return swb__in(e, err, idx);
                        }
                }
                break;
        }
        case SWB_AVRO_MAP: {
                const char *key;
                json_t *item;
                json_object_foreach((json_t *)j, key, item)
                {
                        if (avro_value_add(v, key, &child, NULL, NULL))
                                return swb__avro_err(e, "map add");
                        if ((err = swb__to_avro(e, n->items, item, &child, depth + 1)))
                                return swb__in(e, err, key);
                }
                break;
        }
        case SWB_AVRO_RECORD:
                for (size_t i = 0; i < n->n; i++) {
                        const struct swb_avro_field *f = &n->fields[i];
                        const json_t *jf = json_object_get(j, f->name);
                        if (!jf && !(jf = f->dflt))
                                return swb__in(e,
                                               swb__err(e, SWB_ERR_SCHEMA,
                                                        "missing required field"),
                                               f->name);
                        if (avro_value_get_by_index(v, i, &child, NULL))
                                return swb__avro_err(e, "record field");
                        if ((err = swb__to_avro(e, f->type, jf, &child, depth + 1)))
                                return swb__in(e, err, f->name);
                }
                break;
        case SWB_AVRO_UNION:
                for (size_t i = 0; i < n->n; i++) {
                        if (!swb_avro_json_fits(n->branches[i], j))
                                continue;
                        if (avro_value_set_branch(v, (int)i, &child))
                                return swb__avro_err(e, "union branch");
                        return swb__to_avro(e, n->branches[i], j, &child, depth + 1);
                }
                return swb__err(e, SWB_ERR_SCHEMA, "matches no branch of the union");
        }
        if (rc)
                return swb__avro_err(e, "set");
        return SWB_OK;
}

/* ------------------------------------------------------------------------ */
/* Schema resolution: a writer's value read as the reader's type */

/** Avro's promotions: may data written as `w` be read as `r`? (primitives) */
static bool swb__promotes(swb_avro_type_t w, swb_avro_type_t r)
{
        switch (r) {
        case SWB_AVRO_LONG:
                return w == SWB_AVRO_LONG || w == SWB_AVRO_INT;
        case SWB_AVRO_FLOAT:
                return w == SWB_AVRO_FLOAT || w == SWB_AVRO_INT || w == SWB_AVRO_LONG;
        case SWB_AVRO_DOUBLE:
                return w == SWB_AVRO_DOUBLE || w == SWB_AVRO_FLOAT ||
                       w == SWB_AVRO_INT || w == SWB_AVRO_LONG;
        case SWB_AVRO_STRING:
        case SWB_AVRO_BYTES:
                return w == SWB_AVRO_STRING || w == SWB_AVRO_BYTES;
        default:
                return w == r;
        }
}

static const struct swb_avro_field *swb__field(const swb_avro_node_t *rec,
                                               const char *name, size_t *idx)
{
        for (size_t i = 0; i < rec->n; i++) {
                if (!strcmp(rec->fields[i].name, name)) {
                        *idx = i;
                        return &rec->fields[i];
                }
        }
        return NULL;
}

/**
 * Can data of `w` (not a union) be read as `r` (not a union), as far as the
 * schemas tell? Unions are checked only at read time (a branch the writer
 * never uses does not matter).
 */
static bool swb__can_read(struct swb__ectx *e, const swb_avro_node_t *w,
                          const swb_avro_node_t *r, int depth)
{
        if (w == r || depth > SWB_MAX_DEPTH || w->type == SWB_AVRO_UNION ||
            r->type == SWB_AVRO_UNION)
                return true;
        if (r->type <= SWB_AVRO_STRING) {
                if (swb__promotes(w->type, r->type))
                        return true;
        } else if (w->type == r->type &&
                   (!r->name || !strcmp(w->name, r->name))) { /* unqualified names */
                switch (r->type) {
                case SWB_AVRO_FIXED:
                        if (w->n == r->n)
                                return true;
                        break;
                case SWB_AVRO_ENUM:
                        return true; /* symbols are matched by name at read time */
                case SWB_AVRO_ARRAY:
                case SWB_AVRO_MAP:
                        return swb__can_read(e, w->items, r->items, depth + 1);
                case SWB_AVRO_RECORD:
                        for (size_t i = 0; i < r->n; i++) {
                                const struct swb_avro_field *rf = &r->fields[i];
                                size_t wi;
                                const struct swb_avro_field *wf =
                                    swb__field(w, rf->name, &wi);
                                if (wf ? !swb__can_read(e, wf->type, rf->type,
                                                        depth + 1)
                                       : !rf->dflt) {
                                        if (!wf)
                                                swb__err(
                                                    e, SWB_ERR_SCHEMA,
                                                    "not in the writer schema and no "
                                                    "default");
                                        swb__in(e, SWB_ERR_SCHEMA, rf->name);
                                        return false;
                                }
                        }
                        return true;
                default:
                        break;
                }
        }
        swb__err(e, SWB_ERR_SCHEMA, "%s cannot be read as %s", swb__type_str(w),
                 swb__type_str(r));
        return false;
}

/** The reader union's branch for a (non-union) writer type, or NULL. */
static const swb_avro_node_t *swb__reader_branch(const swb_avro_node_t *w,
                                                 const swb_avro_node_t *r)
{
        for (size_t i = 0; i < r->n; i++) {
                const swb_avro_node_t *b = r->branches[i];
                if (b == w ||
                    (b->type == w->type && (!b->name || !strcmp(b->name, w->name))))
                        return b;
        }
        for (size_t i = 0; i < r->n; i++) {
                struct swb__ectx quiet = {0};
                if (swb__can_read(&quiet, w, r->branches[i], 0))
                        return r->branches[i];
        }
        return NULL;
}

static swb_err_t swb__string(struct swb__ectx *e, const char *s, size_t len,
                             json_t **out)
{
        if (!(*out = json_stringn(s, len)))
                return swb__err(e, SWB_ERR_DECODE, "string is not valid UTF-8");
        return SWB_OK;
}

static swb_err_t swb__real(struct swb__ectx *e, double d, json_t **out)
{
        if (!isfinite(d) || !(*out = json_real(d)))
                return swb__err(e, SWB_ERR_DECODE, "non-finite number");
        return SWB_OK;
}

/** *out = the JSON of `v` (a `w` value) read as `r`. */
static swb_err_t swb__to_json(struct swb__ectx *e, const swb_avro_node_t *w,
                              const swb_avro_node_t *r, avro_value_t *v, json_t **out,
                              int depth)
{
        avro_value_t child;
        swb_err_t err = SWB_OK;
        int rc = 0;

        *out = NULL;
        if (depth > SWB_MAX_DEPTH)
                return swb__err(e, SWB_ERR_DECODE, "nested too deeply");
        if (w->type == SWB_AVRO_UNION) {
                int disc;
                if (avro_value_get_discriminant(v, &disc) ||
                    avro_value_get_current_branch(v, &child) || disc < 0 ||
                    (size_t)disc >= w->n)
                        return swb__avro_err(e, "union");
                return swb__to_json(e, w->branches[disc],
                                    w == r ? r->branches[disc] : r, &child, out,
                                    depth + 1);
        }
        if (r->type == SWB_AVRO_UNION && !(r = swb__reader_branch(w, r)))
                return swb__err(e, SWB_ERR_SCHEMA,
                                "%s is in no branch of the reader's union",
                                swb__type_str(w));
        if (w != r) {
                struct swb__ectx quiet = {0};
                if (!swb__can_read(&quiet, w, r, SWB_MAX_DEPTH)) /* this level only */
                        return swb__err(e, SWB_ERR_SCHEMA, "%s cannot be read as %s",
                                        swb__type_str(w), swb__type_str(r));
        }
        switch (w->type) {
        case SWB_AVRO_NULL:
                *out = json_null();
                break;
        case SWB_AVRO_BOOLEAN: {
                int b = 0;
                rc = avro_value_get_boolean(v, &b);
                *out = json_boolean(b);
                break;
        }
        case SWB_AVRO_INT:
        case SWB_AVRO_LONG: {
                int64_t l = 0;
                int32_t i = 0;
                if (w->type == SWB_AVRO_INT) {
                        rc = avro_value_get_int(v, &i);
                        l = i;
                } else {
                        rc = avro_value_get_long(v, &l);
                }
                if (r->type == SWB_AVRO_FLOAT || r->type == SWB_AVRO_DOUBLE)
                        err = swb__real(e, (double)l, out);
                else
                        *out = json_integer(l);
                break;
        }
        case SWB_AVRO_FLOAT:
        case SWB_AVRO_DOUBLE: {
                float f = 0;
                double d = 0;
                if (w->type == SWB_AVRO_FLOAT) {
                        rc = avro_value_get_float(v, &f);
                        d = f;
                } else {
                        rc = avro_value_get_double(v, &d);
                }
                if (!rc)
                        err = swb__real(e, d, out);
                break;
        }
        case SWB_AVRO_STRING: {
                const char *s = NULL;
                size_t size = 0;
                if (!(rc = avro_value_get_string(v, &s, &size)))
                        err = swb__string(e, s, size ? size - 1 : 0, out);
                break;
        }
        case SWB_AVRO_BYTES:
        case SWB_AVRO_FIXED: {
                const void *buf = NULL;
                size_t size = 0;
                rc = w->type == SWB_AVRO_BYTES ? avro_value_get_bytes(v, &buf, &size)
                                               : avro_value_get_fixed(v, &buf, &size);
                if (!rc)
                        err = swb__string(e, buf, size, out);
                break;
        }
        case SWB_AVRO_ENUM: {
                int idx = -1, ri;
                if ((rc = avro_value_get_enum(v, &idx)) || idx < 0 ||
                    (size_t)idx >= w->n)
                        return swb__avro_err(e, "enum");
                ri = w == r ? idx : swb_avro_enum_index(r, w->symbols[idx]);
                if (ri < 0 && (ri = r->enum_default) < 0)
                        return swb__err(e, SWB_ERR_SCHEMA, "'%s' is not a symbol of %s",
                                        w->symbols[idx], r->fullname);
                *out = json_string(r->symbols[ri]);
                break;
        }
        case SWB_AVRO_ARRAY:
        case SWB_AVRO_MAP: {
                size_t n = 0;
                bool map = w->type == SWB_AVRO_MAP;
                if ((rc = avro_value_get_size(v, &n)))
                        break;
                *out = map ? json_object() : json_array();
                for (size_t i = 0; i < n && !err; i++) {
                        const char *key = NULL;
                        json_t *item;
                        if (avro_value_get_by_index(v, i, &child, &key)) {
                                err = swb__avro_err(e, "get item");
                                break;
                        }
                        err = swb__to_json(e, w->items, r->items, &child, &item,
                                           depth + 1);
                        if (!err && (map ? json_object_set_new(*out, key, item)
                                         : json_array_append_new(*out, item)))
                                err = swb__err(e, SWB_ERR_DECODE,
                                               "map key is not valid UTF-8");
                        if (err && map && key)
                                err = swb__in(e, err, key);
                }
                break;
        }
        case SWB_AVRO_RECORD:
                *out = json_object();
                for (size_t i = 0; i < r->n && !err; i++) {
                        const struct swb_avro_field *rf = &r->fields[i];
                        size_t wi = i;
                        const struct swb_avro_field *wf =
                            w == r ? rf : swb__field(w, rf->name, &wi);
                        json_t *item = NULL;
                        if (!wf) {
                                if (!rf->dflt) /* swb__can_read() said no */
                                        err = swb__err(e, SWB_ERR_SCHEMA,
                                                       "no value, no default");
                                else
                                        item = json_deep_copy(rf->dflt);
                        } else if (avro_value_get_by_index(v, wi, &child, NULL)) {
                                err = swb__avro_err(e, "get field");
                        } else {
                                err = swb__to_json(e, wf->type, rf->type, &child, &item,
                                                   depth + 1);
                        }
                        if (!err)
                                json_object_set_new(*out, rf->name, item);
                        else
                                err = swb__in(e, err, rf->name);
                }
                break;
        case SWB_AVRO_UNION:
                break; /* handled above */
        }
        if (rc)
                err = swb__avro_err(e, "get");
        if (err) {
                json_decref(*out);
                *out = NULL;
        }
        return err;
}

/* ------------------------------------------------------------------------ */
/* The API */

swb_err_t swb_avro_value_from_json(const swb_avro_node_t *node, const json_t *j,
                                   avro_value_t *value, char *errstr,
                                   size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        return swb__to_avro(&e, node, j, value, 0);
}

swb_err_t swb_avro_value_to_json(const swb_avro_node_t *writer,
                                 const swb_avro_node_t *reader, avro_value_t *value,
                                 json_t **out, char *errstr, size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        return swb__to_json(&e, writer, reader, value, out, 0);
}

swb_err_t swb_avro_value_can_read(const swb_avro_node_t *writer,
                                  const swb_avro_node_t *reader, char *errstr,
                                  size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        return swb__can_read(&e, writer, reader, 0) ? SWB_OK : SWB_ERR_SCHEMA;
}
