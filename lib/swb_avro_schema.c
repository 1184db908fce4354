#include "swb_avro_schema.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "swb_avro_pcf.h"
#include "swb_mem.h"

#define SWB_AVRO_MAX_DEPTH 64

struct swb_avro_schema_s {
        json_t *doc; /* the parsed text; defaults point into it */
        const swb_avro_node_t *root;
        void **allocs; /* everything the nodes own */
        size_t n_allocs, cap_allocs;
        char *canonical;
        char *json;
        uint64_t fingerprint;
};

/* The primitive types, shared by every schema. */
static const swb_avro_node_t swb__prims[] = {
    [SWB_AVRO_NULL] = {.type = SWB_AVRO_NULL, .enum_default = -1},
    [SWB_AVRO_BOOLEAN] = {.type = SWB_AVRO_BOOLEAN, .enum_default = -1},
    [SWB_AVRO_INT] = {.type = SWB_AVRO_INT, .enum_default = -1},
    [SWB_AVRO_LONG] = {.type = SWB_AVRO_LONG, .enum_default = -1},
    [SWB_AVRO_FLOAT] = {.type = SWB_AVRO_FLOAT, .enum_default = -1},
    [SWB_AVRO_DOUBLE] = {.type = SWB_AVRO_DOUBLE, .enum_default = -1},
    [SWB_AVRO_BYTES] = {.type = SWB_AVRO_BYTES, .enum_default = -1},
    [SWB_AVRO_STRING] = {.type = SWB_AVRO_STRING, .enum_default = -1},
};
static const char *const swb__prim_names[] = {
    [SWB_AVRO_NULL] = "null",   [SWB_AVRO_BOOLEAN] = "boolean",
    [SWB_AVRO_INT] = "int",     [SWB_AVRO_LONG] = "long",
    [SWB_AVRO_FLOAT] = "float", [SWB_AVRO_DOUBLE] = "double",
    [SWB_AVRO_BYTES] = "bytes", [SWB_AVRO_STRING] = "string",
};

/* ------------------------------------------------------------------------ */
/* Parsing */

struct swb__pctx {
        swb_avro_schema_t *s;
        char *errstr;
        size_t errstr_size;
        struct {
                const char *fullname;
                const swb_avro_node_t *node;
        } * names;
        size_t n_names, cap_names;
        int depth;
};

static void *swb__alloc(swb_avro_schema_t *s, size_t size)
{
        void *p = swb_calloc(1, size);
        if (s->n_allocs == s->cap_allocs) {
                s->cap_allocs = s->cap_allocs ? 2 * s->cap_allocs : 16;
                s->allocs = swb_realloc(s->allocs, s->cap_allocs * sizeof(*s->allocs));
        }
        s->allocs[s->n_allocs++] = p;
        return p;
}

static char *swb__strdup(swb_avro_schema_t *s, const char *str)
{
        size_t n = strlen(str);
        char *p = swb__alloc(s, n + 1);
        memcpy(p, str, n);
        return p;
}

static const swb_avro_node_t *swb__fail(struct swb__pctx *c, const char *fmt,
                                        const char *arg)
{
        if (c->errstr && c->errstr_size && !c->errstr[0])
                snprintf(c->errstr, c->errstr_size, fmt, arg);
        return NULL;
}

/** [A-Za-z_][A-Za-z0-9_]* */
static bool swb__valid_name(const char *s)
{
        if (!(isalpha((unsigned char)*s) || *s == '_'))
                return false;
        for (s++; *s; s++)
                if (!(isalnum((unsigned char)*s) || *s == '_'))
                        return false;
        return true;
}

/** Dot-separated names; "" is allowed when `empty_ok` (the null namespace). */
static bool swb__valid_dotted(const char *s, bool empty_ok)
{
        char buf[256];
        size_t n = strlen(s);

        if (n == 0)
                return empty_ok;
        if (n >= sizeof(buf))
                return false;
        memcpy(buf, s, n + 1);
        for (char *tok = buf, *dot; tok; tok = dot ? dot + 1 : NULL) {
                dot = strchr(tok, '.');
                if (dot)
                        *dot = '\0';
                if (!swb__valid_name(tok))
                        return false;
        }
        return true;
}

static int swb__prim_lookup(const char *name)
{
        for (size_t i = 0; i < SWB_ARRAY_LEN(swb__prim_names); i++)
                if (!strcmp(name, swb__prim_names[i]))
                        return (int)i;
        return -1;
}

static const swb_avro_node_t *swb__name_get(struct swb__pctx *c, const char *fullname)
{
        for (size_t i = 0; i < c->n_names; i++)
                if (!strcmp(c->names[i].fullname, fullname))
                        return c->names[i].node;
        return NULL;
}

/** A reference by name: relative to `ns` first, then the null namespace. */
static const swb_avro_node_t *swb__resolve(struct swb__pctx *c, const char *name,
                                           const char *ns)
{
        const swb_avro_node_t *n = NULL;
        int prim = swb__prim_lookup(name);

        if (prim >= 0)
                return &swb__prims[prim];
        if (!strchr(name, '.') && ns && *ns) {
                char *full = swb_asprintf("%s.%s", ns, name);
                n = swb__name_get(c, full);
                swb_free(full);
        }
        if (!n)
                n = swb__name_get(c, name);
        if (!n)
                return swb__fail(c, "unknown type '%s'", name);
        return n;
}

static const swb_avro_node_t *swb__parse(struct swb__pctx *c, const json_t *j,
                                         const char *ns);

/** Name a named type and register it; sets *child_ns to its namespace. */
static swb_avro_node_t *swb__named(struct swb__pctx *c, const json_t *j, const char *ns,
                                   swb_avro_type_t type, const char **child_ns)
{
        const char *name = json_string_value(json_object_get(j, "name"));
        const json_t *jns = json_object_get(j, "namespace");
        swb_avro_node_t *node;
        const char *dot;
        char *full;

        if (!name || !swb__valid_dotted(name, false))
                return (swb_avro_node_t *)swb__fail(c, "%s: missing or invalid name",
                                                    name ? name : "named type");
        if (jns && !json_is_string(jns) && !json_is_null(jns))
                return (swb_avro_node_t *)swb__fail(c, "%s: invalid namespace", name);
        if (strchr(name, '.')) {
                full = swb__strdup(c->s, name);
        } else {
                if (json_is_string(jns))
                        ns = json_string_value(jns);
                if (ns && !swb__valid_dotted(ns, true))
                        return (swb_avro_node_t *)swb__fail(c, "invalid namespace '%s'",
                                                            ns);
                if (ns && *ns) {
                        char *tmp = swb_asprintf("%s.%s", ns, name);
                        full = swb__strdup(c->s, tmp);
                        swb_free(tmp);
                } else {
                        full = swb__strdup(c->s, name);
                }
        }
        if (swb__prim_lookup(full) >= 0 || swb__name_get(c, full))
                return (swb_avro_node_t *)swb__fail(c, "type '%s' defined twice", full);

        node = swb__alloc(c->s, sizeof(*node));
        node->type = type;
        node->fullname = full;
        dot = strrchr(full, '.');
        node->name = dot ? dot + 1 : full;
        node->enum_default = -1;
        /* The namespace of nested definitions and references. */
        *child_ns = dot ? swb__strdup(c->s, full) : "";
        if (dot)
                ((char *)*child_ns)[dot - full] = '\0';

        if (c->n_names == c->cap_names) {
                c->cap_names = c->cap_names ? 2 * c->cap_names : 8;
                c->names = swb_realloc(c->names, c->cap_names * sizeof(*c->names));
        }
        c->names[c->n_names].fullname = full;
        c->names[c->n_names].node = node;
        c->n_names++;
        return node;
}

/** Does the JSON default `j` fit `n`? */
static bool swb__default_ok(const swb_avro_node_t *n, const json_t *j, int depth)
{
        if (depth > SWB_AVRO_MAX_DEPTH)
                return false;
        switch (n->type) {
        case SWB_AVRO_NULL:
        case SWB_AVRO_BOOLEAN:
        case SWB_AVRO_INT:
        case SWB_AVRO_LONG:
        case SWB_AVRO_FLOAT:
        case SWB_AVRO_DOUBLE:
        case SWB_AVRO_BYTES:
        case SWB_AVRO_STRING:
        case SWB_AVRO_ENUM:
                return swb_avro_json_fits(n, j);
        case SWB_AVRO_FIXED:
                return json_is_string(j); /* any length, as before */
        case SWB_AVRO_ARRAY: {
                size_t i;
                json_t *v;
                if (!json_is_array(j))
                        return false;
                json_array_foreach(j, i, v)
                {
                        if (!swb__default_ok(n->items, v, depth + 1))
                                return false;
                }
                return true;
        }
        case SWB_AVRO_MAP: {
                const char *k;
                json_t *v;
                if (!json_is_object(j))
                        return false;
                json_object_foreach((json_t *)j, k, v)
                {
                        if (!swb__default_ok(n->items, v, depth + 1))
                                return false;
                }
                return true;
        }
        case SWB_AVRO_RECORD:
                if (!json_is_object(j))
                        return false;
                for (size_t i = 0; i < n->n; i++) {
                        const json_t *v = json_object_get(j, n->fields[i].name);
                        if (v ? !swb__default_ok(n->fields[i].type, v, depth + 1)
                              : !n->fields[i].dflt)
                                return false;
                }
                return true;
        case SWB_AVRO_UNION:
                for (size_t i = 0; i < n->n; i++)
                        if (swb__default_ok(n->branches[i], j, depth + 1))
                                return true;
                return false;
        }
        return false;
}

static const swb_avro_node_t *swb__parse_record(struct swb__pctx *c, const json_t *j,
                                                const char *ns)
{
        const json_t *jfields = json_object_get(j, "fields");
        const char *cns;
        swb_avro_node_t *node = swb__named(c, j, ns, SWB_AVRO_RECORD, &cns);
        struct swb_avro_field *fields;
        size_t i;
        json_t *jf;

        if (!node)
                return NULL;
        if (!json_is_array(jfields))
                return swb__fail(c, "record %s: fields must be an array",
                                 node->fullname);
        fields = swb__alloc(c->s, (json_array_size(jfields) + 1) * sizeof(*fields));
        node->fields = fields;
        json_array_foreach(jfields, i, jf)
        {
                const char *fname = json_string_value(json_object_get(jf, "name"));
                const json_t *jtype = json_object_get(jf, "type");

                if (!fname || !swb__valid_name(fname))
                        return swb__fail(c, "record %s: missing or invalid field name",
                                         node->fullname);
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(fields[k].name, fname))
                                return swb__fail(c, "field '%s' defined twice", fname);
                if (!jtype)
                        return swb__fail(c, "field '%s' has no type", fname);
                fields[i].name = swb__strdup(c->s, fname);
                fields[i].type = swb__parse(c, jtype, cns);
                if (!fields[i].type)
                        return NULL;
                fields[i].dflt = json_object_get(jf, "default");
                node->n = i + 1;
                if (fields[i].dflt &&
                    !swb__default_ok(fields[i].type, fields[i].dflt, 0))
                        return swb__fail(
                            c, "field '%s': default does not match its type", fname);
        }
        return node;
}

static const swb_avro_node_t *swb__parse_enum(struct swb__pctx *c, const json_t *j,
                                              const char *ns)
{
        const json_t *jsyms = json_object_get(j, "symbols");
        const json_t *jdflt = json_object_get(j, "default");
        const char *cns;
        swb_avro_node_t *node = swb__named(c, j, ns, SWB_AVRO_ENUM, &cns);
        const char **syms;
        size_t i;
        json_t *js;

        if (!node)
                return NULL;
        if (!json_is_array(jsyms))
                return swb__fail(c, "enum %s: symbols must be an array",
                                 node->fullname);
        syms = swb__alloc(c->s, (json_array_size(jsyms) + 1) * sizeof(*syms));
        json_array_foreach(jsyms, i, js)
        {
                const char *sym = json_string_value(js);
                if (!sym || !swb__valid_name(sym))
                        return swb__fail(c, "enum %s: invalid symbol", node->fullname);
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(syms[k], sym))
                                return swb__fail(c, "enum symbol '%s' defined twice",
                                                 sym);
                syms[i] = swb__strdup(c->s, sym);
                if (json_is_string(jdflt) && !strcmp(sym, json_string_value(jdflt)))
                        node->enum_default = (int)i;
        }
        node->symbols = syms;
        node->n = json_array_size(jsyms);
        if (jdflt && node->enum_default < 0)
                return swb__fail(c, "enum %s: default is not a symbol", node->fullname);
        return node;
}

static const swb_avro_node_t *swb__parse_union(struct swb__pctx *c, const json_t *j,
                                               const char *ns)
{
        swb_avro_node_t *node = swb__alloc(c->s, sizeof(*node));
        const swb_avro_node_t **br;
        size_t i;
        json_t *jb;

        node->type = SWB_AVRO_UNION;
        node->enum_default = -1;
        br = swb__alloc(c->s, (json_array_size(j) + 1) * sizeof(*br));
        json_array_foreach(j, i, jb)
        {
                br[i] = swb__parse(c, jb, ns);
                if (!br[i])
                        return NULL;
                if (br[i]->type == SWB_AVRO_UNION)
                        return swb__fail(c, "%s", "a union may not contain a union");
                for (size_t k = 0; k < i; k++) {
                        bool named = br[i]->fullname != NULL;
                        if (br[k]->type == br[i]->type &&
                            (!named || !strcmp(br[k]->fullname, br[i]->fullname)))
                                return swb__fail(
                                    c, "%s",
                                    "a union may not contain the same type twice");
                }
        }
        node->branches = br;
        node->n = json_array_size(j);
        return node;
}

static const swb_avro_node_t *swb__parse(struct swb__pctx *c, const json_t *j,
                                         const char *ns)
{
        const swb_avro_node_t *ret;
        const json_t *jt;
        const char *t;

        if (c->depth > SWB_AVRO_MAX_DEPTH)
                return swb__fail(c, "%s", "schema nested too deeply");
        if (json_is_string(j))
                return swb__resolve(c, json_string_value(j), ns);
        c->depth++;
        if (json_is_array(j)) {
                ret = swb__parse_union(c, j, ns);
                c->depth--;
                return ret;
        }
        if (!json_is_object(j)) {
                c->depth--;
                return swb__fail(c, "%s",
                                 "a schema is a string, an object or an array");
        }
        jt = json_object_get(j, "type");
        t = json_string_value(jt);
        if (!t) {
                /* {"type": {...}} or {"type": [...]}: the inner schema. */
                ret = jt ? swb__parse(c, jt, ns)
                         : swb__fail(c, "%s", "schema without type");
        } else if (!strcmp(t, "record") || !strcmp(t, "error")) {
                ret = swb__parse_record(c, j, ns);
        } else if (!strcmp(t, "enum")) {
                ret = swb__parse_enum(c, j, ns);
        } else if (!strcmp(t, "fixed")) {
                const json_t *size = json_object_get(j, "size");
                const char *cns;
                swb_avro_node_t *node = swb__named(c, j, ns, SWB_AVRO_FIXED, &cns);
                if (node && (!json_is_integer(size) || json_integer_value(size) < 0))
                        node = (swb_avro_node_t *)swb__fail(c, "fixed %s: invalid size",
                                                            node->fullname);
                if (node)
                        node->n = (size_t)json_integer_value(size);
                ret = node;
        } else if (!strcmp(t, "array") || !strcmp(t, "map")) {
                bool array = t[0] == 'a';
                const json_t *ji = json_object_get(j, array ? "items" : "values");
                swb_avro_node_t *node = swb__alloc(c->s, sizeof(*node));
                node->type = array ? SWB_AVRO_ARRAY : SWB_AVRO_MAP;
                node->enum_default = -1;
                node->items = ji ? swb__parse(c, ji, ns)
                                 : swb__fail(c, "%s without items/values", t);
                ret = node->items ? node : NULL;
        } else {
                /* A primitive ({"type":"int", "logicalType":...}) or a reference. */
                ret = swb__resolve(c, t, ns);
        }
        c->depth--;
        return ret;
}

/**
 * A copy of the JSON text with leading zeros of number literals removed
 * ([INTEGERS] of the canonical form; jansson rejects them).
 */
static char *swb__strip_zeros(const char *in, size_t len)
{
        char *out = swb_malloc(len + 1);
        bool str = false, esc = false;
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                char ch = in[i];
                if (str) {
                        out[o++] = ch;
                        if (esc)
                                esc = false;
                        else if (ch == '\\')
                                esc = true;
                        else if (ch == '"')
                                str = false;
                        continue;
                }
                if (ch == '"') {
                        str = true;
                } else if ((ch == '-' || isdigit((unsigned char)ch)) &&
                           (o == 0 || !(isalnum((unsigned char)out[o - 1]) ||
                                        strchr(".+-", out[o - 1])))) {
                        if (ch == '-') {
                                out[o++] = ch;
                                if (++i == len)
                                        break;
                        }
                        while (i + 1 < len && in[i] == '0' &&
                               isdigit((unsigned char)in[i + 1]))
                                i++;
                        ch = in[i];
                }
                out[o++] = ch;
        }
        out[o] = '\0';
        return out;
}

swb_avro_schema_t *swb_avro_schema_new(const char *json_text, size_t len, char *errstr,
                                       size_t errstr_size)
{
        swb_avro_schema_t *s = swb_calloc(1, sizeof(*s));
        struct swb__pctx c = {.s = s, .errstr = errstr, .errstr_size = errstr_size};
        json_error_t jerr;
        size_t n;
        char *text;

        if (errstr && errstr_size)
                errstr[0] = '\0';
        text = swb__strip_zeros(json_text, len);
        s->doc = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        swb_free(text);
        if (!s->doc) {
                swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                           "schema is not JSON: %s", jerr.text);
                goto fail;
        }
        s->root = swb__parse(&c, s->doc, "");
        if (!s->root)
                goto fail;
        s->canonical = swb_avro_pcf_write(s->root, &n);
        s->fingerprint = swb_avro_pcf_rabin64(s->canonical, n);
        n = json_dumpb(s->doc, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        s->json = swb_malloc(n + 1);
        json_dumpb(s->doc, s->json, n, JSON_COMPACT | JSON_ENCODE_ANY);
        s->json[n] = '\0';
        swb_free(c.names);
        return s;
fail:
        swb_free(c.names);
        swb_avro_schema_destroy(s);
        return NULL;
}

void swb_avro_schema_destroy(swb_avro_schema_t *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_allocs; i++)
                swb_free(s->allocs[i]);
        swb_free(s->allocs);
        swb_free(s->canonical);
        swb_free(s->json);
        json_decref(s->doc);
        swb_free(s);
}

const swb_avro_node_t *swb_avro_schema_root(const swb_avro_schema_t *s)
{
        return s->root;
}

const char *swb_avro_schema_canonical(const swb_avro_schema_t *s)
{
        return s->canonical;
}

uint64_t swb_avro_schema_fingerprint(const swb_avro_schema_t *s)
{
        return s->fingerprint;
}

const char *swb_avro_schema_json(const swb_avro_schema_t *s)
{
        return s->json;
}

/* ------------------------------------------------------------------------ */
/* The JSON mapping's type test (encode, both paths) */

int swb_avro_enum_index(const swb_avro_node_t *n, const char *sym)
{
        for (size_t i = 0; i < n->n; i++)
                if (!strcmp(n->symbols[i], sym))
                        return (int)i;
        return -1;
}

bool swb_avro_json_fits(const swb_avro_node_t *n, const json_t *j)
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
                       swb_avro_enum_index(n, json_string_value(j)) >= 0;
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
