#include "swb_codec.h"

#include <avro.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "swb_avro_binary.h"
#include "swb_avro_pcf.h"
#include "swb_avro_schema.h"
#include "swb_mem.h"
#include "swb_registry.h"
#include "swb_schemas.h"

#define SWB_SO_HDR    10 /* 0xC3 0x01 + 8-byte LE fingerprint */
#define SWB_CF_HDR    5  /* 0x00 + 4-byte BE schema id */
#define SWB_MAX_DEPTH 64

/** One known version of a record schema (a writer schema). */
struct swb__writer {
        swb_avro_schema_t *schema;
        const swb_avro_node_t *root;
        uint64_t fp;
        swb_msg_type_t type;
        avro_schema_t avro;
        avro_value_iface_t *iface;
        avro_value_t value; /* reused: encode source, decode target */
        bool has_value;
};

struct swb__type {
        struct swb__writer *cur; /* the reader schema, and the writer of encode */
        int32_t reg_id;          /* registry id of `cur`, when `registered` */
        bool registered;
};

struct swb_codec_s {
        struct swb__type types[SWB_MSG__CNT];
        struct swb__writer **writers; /* every version, owned */
        size_t n_writers, cap_writers;
        struct swb__id {
                int32_t id;
                struct swb__writer *w;
        } * ids; /* registry id -> writer */
        size_t n_ids, cap_ids;
        swb_registry_t *reg;
        avro_reader_t reader;
        avro_writer_t writer;
};

static const char *const swb__type_names[SWB_MSG__CNT] = {
    [SWB_MSG_AGENT_REQUEST] = "AgentRequest",
    [SWB_MSG_ROUTED_REQUEST] = "RoutedRequest",
    [SWB_MSG_AGENT_REPLY] = "AgentReply",
    [SWB_MSG_STREAM_EVENT] = "StreamEvent",
    [SWB_MSG_AUDIT_EVENT] = "AuditEvent",
};

const char *swb_codec_type_name(swb_msg_type_t type)
{
        if ((int)type < 0 || type >= SWB_MSG__CNT)
                return "unknown";
        return swb__type_names[type];
}

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

static int swb__enum_index(const swb_avro_node_t *n, const char *sym)
{
        for (size_t i = 0; i < n->n; i++)
                if (!strcmp(n->symbols[i], sym))
                        return (int)i;
        return -1;
}

/** Could `j` be a value of `n`, judging by its JSON type (and symbol, size)? */
static bool swb__json_fits(const swb_avro_node_t *n, const json_t *j)
{
        switch (n->type) {
        case SWB_AVRO_NULL:
                return json_is_null(j);
        case SWB_AVRO_BOOLEAN:
                return json_is_boolean(j);
        case SWB_AVRO_INT:
                return json_is_integer(j) && json_integer_value(j) >= INT32_MIN &&
                       json_integer_value(j) <= INT32_MAX;
        case SWB_AVRO_LONG:
                return json_is_integer(j);
        case SWB_AVRO_FLOAT:
        case SWB_AVRO_DOUBLE:
                return json_is_number(j);
        case SWB_AVRO_BYTES:
        case SWB_AVRO_STRING:
                return json_is_string(j);
        case SWB_AVRO_FIXED:
                return json_is_string(j) && json_string_length(j) == n->n;
        case SWB_AVRO_ENUM:
                return json_is_string(j) &&
                       swb__enum_index(n, json_string_value(j)) >= 0;
        case SWB_AVRO_ARRAY:
                return json_is_array(j);
        case SWB_AVRO_MAP:
        case SWB_AVRO_RECORD:
                return json_is_object(j);
        case SWB_AVRO_UNION:
                return false;
        }
        return false;
}

static swb_err_t swb__to_avro(struct swb__ectx *e, const swb_avro_node_t *n,
                              const json_t *j, avro_value_t *v, int depth)
{
        avro_value_t child;
        swb_err_t err;
        int rc = 0;

        if (depth > SWB_MAX_DEPTH)
                return swb__err(e, SWB_ERR_SCHEMA, "nested too deeply");
        if (n->type != SWB_AVRO_UNION && !swb__json_fits(n, j)) {
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
                rc = avro_value_set_enum(v, swb__enum_index(n, json_string_value(j)));
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
                        if (!swb__json_fits(n->branches[i], j))
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
                ri = w == r ? idx : swb__enum_index(r, w->symbols[idx]);
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
/* Known schemas */

static void swb__writer_destroy(struct swb__writer *w)
{
        if (!w)
                return;
        if (w->has_value)
                avro_value_decref(&w->value);
        if (w->iface)
                avro_value_iface_decref(w->iface);
        if (w->avro)
                avro_schema_decref(w->avro);
        swb_avro_schema_destroy(w->schema);
        swb_free(w);
}

static int swb__type_by_fullname(swb_codec_t *codec, const char *fullname)
{
        for (int t = 0; t < SWB_MSG__CNT; t++)
                if (codec->types[t].cur &&
                    !strcmp(codec->types[t].cur->root->fullname, fullname))
                        return t;
        return -1;
}

/**
 * Parse `json` and add it to the known writer schemas, or find the one with
 * the same fingerprint.
 * @param type  the type it is a version of, or -1: the type of the same full
 *              name, whose reader must be able to read it.
 */
static swb_err_t swb__writer_add(swb_codec_t *codec, const char *json, size_t len,
                                 int type, struct swb__writer **out, char *errstr,
                                 size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        struct swb__writer *w = swb_calloc(1, sizeof(*w));
        const char *pcf;
        swb_err_t err;

        if (!(w->schema = swb_avro_schema_new(json, len, errstr, errstr_size))) {
                err = SWB_ERR_SCHEMA;
                goto fail;
        }
        w->root = swb_avro_schema_root(w->schema);
        w->fp = swb_avro_schema_fingerprint(w->schema);
        for (size_t i = 0; i < codec->n_writers; i++) {
                if (codec->writers[i]->fp == w->fp) {
                        *out = codec->writers[i];
                        swb__writer_destroy(w);
                        return SWB_OK;
                }
        }
        if (w->root->type != SWB_AVRO_RECORD) {
                err = swb__err(&e, SWB_ERR_SCHEMA, "schema is not a record");
                goto fail;
        }
        if (type < 0) {
                const swb_avro_node_t *r;
                if ((type = swb__type_by_fullname(codec, w->root->fullname)) < 0) {
                        err = swb__err(&e, SWB_ERR_UNKNOWN_SCHEMA, "unknown record %s",
                                       w->root->fullname);
                        goto fail;
                }
                r = codec->types[type].cur->root;
                if (!swb__can_read(&e, w->root, r, 0)) {
                        err = swb__in(&e, SWB_ERR_SCHEMA, w->root->fullname);
                        goto fail;
                }
        }
        w->type = (swb_msg_type_t)type;
        pcf = swb_avro_schema_canonical(w->schema);
        if (avro_schema_from_json_length(pcf, strlen(pcf), &w->avro) ||
            !(w->iface = avro_generic_class_from_schema(w->avro)) ||
            avro_generic_value_new(w->iface, &w->value)) {
                err = swb__err(&e, SWB_ERR_SCHEMA, "avro-c rejects %s: %s",
                               w->root->fullname, avro_strerror());
                goto fail;
        }
        w->has_value = true;
        if (codec->n_writers == codec->cap_writers) {
                codec->cap_writers = codec->cap_writers ? 2 * codec->cap_writers : 8;
                codec->writers = swb_realloc(
                    codec->writers, codec->cap_writers * sizeof(*codec->writers));
        }
        codec->writers[codec->n_writers++] = w;
        *out = w;
        return SWB_OK;
fail:
        swb__writer_destroy(w);
        return err;
}

static void swb__id_put(swb_codec_t *codec, int32_t id, struct swb__writer *w)
{
        for (size_t i = 0; i < codec->n_ids; i++) {
                if (codec->ids[i].id == id) {
                        codec->ids[i].w = w;
                        return;
                }
        }
        if (codec->n_ids == codec->cap_ids) {
                codec->cap_ids = codec->cap_ids ? 2 * codec->cap_ids : 8;
                codec->ids =
                    swb_realloc(codec->ids, codec->cap_ids * sizeof(*codec->ids));
        }
        codec->ids[codec->n_ids].id = id;
        codec->ids[codec->n_ids].w = w;
        codec->n_ids++;
}

swb_codec_t *swb_codec_new(const char *registry_url, char *errstr, size_t errstr_size)
{
        static const char empty[1] = "";
        swb_codec_t *codec = swb_calloc(1, sizeof(*codec));

        for (int t = 0; t < SWB_MSG__CNT; t++) {
                const struct swb_schema_src *src = NULL;
                struct swb__writer *w;
                for (size_t i = 0; i < swb_schema_srcs_cnt; i++)
                        if (!strcmp(swb_schema_srcs[i].name, swb__type_names[t]))
                                src = &swb_schema_srcs[i];
                if (!src) {
                        swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                   "schema %s.avsc is not embedded",
                                   swb__type_names[t]);
                        goto fail;
                }
                if (swb__writer_add(codec, src->json, strlen(src->json), t, &w, errstr,
                                    errstr_size))
                        goto fail;
                if (w->type != (swb_msg_type_t)t ||
                    strcmp(w->root->name, swb__type_names[t])) {
                        swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                   "%s.avsc must define record %s alone",
                                   swb__type_names[t], swb__type_names[t]);
                        goto fail;
                }
                codec->types[t].cur = w;
        }
        if (registry_url && *registry_url &&
            !(codec->reg = swb_registry_new(registry_url, errstr, errstr_size)))
                goto fail;
        codec->reader = avro_reader_memory(empty, 0);
        codec->writer = avro_writer_memory(empty, 0);
        if (!codec->reader || !codec->writer) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL, "avro-c: %s",
                           avro_strerror());
                goto fail;
        }
        return codec;
fail:
        swb_codec_destroy(codec);
        return NULL;
}

void swb_codec_destroy(swb_codec_t *codec)
{
        if (!codec)
                return;
        for (size_t i = 0; i < codec->n_writers; i++)
                swb__writer_destroy(codec->writers[i]);
        swb_free(codec->writers);
        swb_free(codec->ids);
        swb_registry_destroy(codec->reg);
        if (codec->reader)
                avro_reader_free(codec->reader);
        if (codec->writer)
                avro_writer_free(codec->writer);
        swb_free(codec);
}

swb_err_t swb_codec_add_writer_schema(swb_codec_t *codec, const char *schema_json,
                                      char *errstr, size_t errstr_size)
{
        struct swb__writer *w;

        if (!schema_json)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "no schema");
        return swb__writer_add(codec, schema_json, strlen(schema_json), -1, &w, errstr,
                               errstr_size);
}

swb_err_t swb_codec_use_schema(swb_codec_t *codec, const char *schema_json,
                               char *errstr, size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        swb_avro_schema_t *s;
        struct swb__writer *w;
        swb_err_t err;
        int t;

        if (!schema_json)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "no schema");
        if (!(s = swb_avro_schema_new(schema_json, strlen(schema_json), errstr,
                                      errstr_size)))
                return SWB_ERR_SCHEMA;
        t = swb_avro_schema_root(s)->fullname
                ? swb__type_by_fullname(codec, swb_avro_schema_root(s)->fullname)
                : -1;
        swb_avro_schema_destroy(s);
        if (t < 0)
                return swb__err(&e, SWB_ERR_UNKNOWN_SCHEMA,
                                "not a record the codec knows");
        if ((err = swb__writer_add(codec, schema_json, strlen(schema_json), t, &w,
                                   errstr, errstr_size)))
                return err;
        if (w != codec->types[t].cur) {
                codec->types[t].cur = w;
                codec->types[t].registered = false;
        }
        return SWB_OK;
}

/* ------------------------------------------------------------------------ */
/* Encode / decode */

static swb_err_t swb__registry_id(swb_codec_t *codec, swb_msg_type_t type, int32_t *id,
                                  char *errstr, size_t errstr_size)
{
        struct swb__type *t = &codec->types[type];
        char *subject;
        swb_err_t err;

        if (t->registered) {
                *id = t->reg_id;
                return SWB_OK;
        }
        subject = swb_asprintf("%s-value", t->cur->root->name);
        err = swb_registry_register(codec->reg, subject,
                                    swb_avro_schema_json(t->cur->schema), id, errstr,
                                    errstr_size);
        swb_free(subject);
        if (err)
                return err;
        t->reg_id = *id;
        t->registered = true;
        swb__id_put(codec, *id, t->cur);
        return SWB_OK;
}

swb_err_t swb_codec_encode(swb_codec_t *codec, swb_msg_type_t type, const json_t *obj,
                           void **out, size_t *out_len, char *errstr,
                           size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        struct swb__writer *w;
        size_t size = 0, hdr;
        int32_t id = 0;
        uint8_t *buf;
        swb_err_t err;

        if (out)
                *out = NULL;
        if (!codec || (int)type < 0 || type >= SWB_MSG__CNT || !out || !out_len)
                return swb__err(&e, SWB_ERR_INVALID_ARG, "invalid arguments");
        w = codec->types[type].cur;
        if (!json_is_object(obj))
                return swb__err(&e, SWB_ERR_SCHEMA, "%s: not a JSON object",
                                swb__type_names[type]);
        if (avro_value_reset(&w->value))
                return swb__avro_err(&e, "reset");
        if ((err = swb__to_avro(&e, w->root, obj, &w->value, 0)))
                return swb__in(&e, err, swb__type_names[type]);
        if (codec->reg &&
            (err = swb__registry_id(codec, type, &id, errstr, errstr_size)))
                return err;
        if (avro_value_sizeof(&w->value, &size))
                return swb__avro_err(&e, "sizeof");
        hdr = codec->reg ? SWB_CF_HDR : SWB_SO_HDR;
        buf = swb_malloc(hdr + size);
        if (codec->reg) {
                buf[0] = 0x00;
                for (int i = 0; i < 4; i++)
                        buf[1 + i] = (uint8_t)((uint32_t)id >> (24 - 8 * i));
        } else {
                buf[0] = 0xC3;
                buf[1] = 0x01;
                for (int i = 0; i < 8; i++)
                        buf[2 + i] = (uint8_t)(w->fp >> (8 * i));
        }
        avro_writer_memory_set_dest(codec->writer, (const char *)buf + hdr,
                                    (int64_t)size);
        if (avro_value_write(codec->writer, &w->value)) {
                swb_free(buf);
                return swb__avro_err(&e, "write");
        }
        *out = buf;
        *out_len = hdr + size;
        return SWB_OK;
}

static swb_err_t swb__writer_by_id(swb_codec_t *codec, int32_t id,
                                   struct swb__writer **out, char *errstr,
                                   size_t errstr_size)
{
        char *json = NULL;
        swb_err_t err;

        for (size_t i = 0; i < codec->n_ids; i++) {
                if (codec->ids[i].id == id) {
                        *out = codec->ids[i].w;
                        return SWB_OK;
                }
        }
        if (!codec->reg)
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_UNKNOWN_SCHEMA,
                    "schema registry id %" PRId32 " but no registry configured", id);
        if ((err = swb_registry_schema(codec->reg, id, &json, errstr, errstr_size)))
                return err;
        err = swb__writer_add(codec, json, strlen(json), -1, out, errstr, errstr_size);
        swb_free(json);
        if (!err)
                swb__id_put(codec, id, *out);
        return err;
}

swb_err_t swb_codec_decode(swb_codec_t *codec, int expect, const void *buf, size_t len,
                           swb_msg_type_t *type, json_t **obj, char *errstr,
                           size_t errstr_size)
{
        struct swb__ectx e = {errstr, errstr_size, false};
        const uint8_t *p = buf;
        struct swb__writer *w = NULL;
        const uint8_t *body;
        size_t body_len;
        swb_err_t err;

        if (obj)
                *obj = NULL;
        if (!codec || !obj || (!buf && len) || expect < -1 || expect >= SWB_MSG__CNT)
                return swb__err(&e, SWB_ERR_INVALID_ARG, "invalid arguments");
        if (len >= 2 && p[0] == 0xC3 && p[1] == 0x01) {
                uint64_t fp = 0;
                if (len < SWB_SO_HDR)
                        return swb__err(&e, SWB_ERR_DECODE, "truncated header");
                for (int i = 0; i < 8; i++)
                        fp |= (uint64_t)p[2 + i] << (8 * i);
                for (size_t i = 0; i < codec->n_writers && !w; i++)
                        if (codec->writers[i]->fp == fp)
                                w = codec->writers[i];
                if (!w)
                        return swb__err(&e, SWB_ERR_UNKNOWN_SCHEMA,
                                        "unknown schema fingerprint %016" PRIx64, fp);
                body = p + SWB_SO_HDR;
                body_len = len - SWB_SO_HDR;
        } else if (len >= 1 && p[0] == 0x00) {
                int32_t id;
                if (len < SWB_CF_HDR)
                        return swb__err(&e, SWB_ERR_DECODE, "truncated header");
                id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                               (uint32_t)p[3] << 8 | p[4]);
                if ((err = swb__writer_by_id(codec, id, &w, errstr, errstr_size)))
                        return err;
                body = p + SWB_CF_HDR;
                body_len = len - SWB_CF_HDR;
        } else {
                return swb__err(&e, SWB_ERR_DECODE,
                                "bad magic (%zu bytes, first 0x%02x)", len,
                                len ? p[0] : 0);
        }
        if (expect >= 0 && w->type != (swb_msg_type_t)expect)
                return swb__err(&e, SWB_ERR_SCHEMA, "expected %s, got %s",
                                swb__type_names[expect], swb__type_names[w->type]);
        if ((err = swb_avro_binary_validate(w->root, body, body_len, errstr,
                                            errstr_size)))
                return swb__in(&e, err, swb__type_names[w->type]);
        avro_reader_memory_set_source(codec->reader, (const char *)body,
                                      (int64_t)body_len);
        if (avro_value_read(codec->reader, &w->value))
                return swb__err(&e, SWB_ERR_DECODE, "avro-c read: %s", avro_strerror());
        if ((err = swb__to_json(&e, w->root, codec->types[w->type].cur->root, &w->value,
                                obj, 0)))
                return swb__in(&e, err, swb__type_names[w->type]);
        if (type)
                *type = w->type;
        return SWB_OK;
}

char *swb_codec_canonical_form(const char *schema_json, char *errstr,
                               size_t errstr_size)
{
        swb_avro_schema_t *s;
        char *pcf;

        if (!schema_json) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG, "no schema");
                return NULL;
        }
        if (!(s = swb_avro_schema_new(schema_json, strlen(schema_json), errstr,
                                      errstr_size)))
                return NULL;
        pcf = swb_strdup(swb_avro_schema_canonical(s));
        swb_avro_schema_destroy(s);
        return pcf;
}

uint64_t swb_codec_fingerprint64(const void *buf, size_t len)
{
        return swb_avro_pcf_rabin64(buf, len);
}
