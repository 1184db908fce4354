#include "swb_codec.h"

#include <avro.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "swb_avro_binary.h"
#include "swb_avro_pcf.h"
#include "swb_avro_schema.h"
#include "swb_avro_value.h"
#include "swb_avro_write.h"
#include "swb_mem.h"
#include "swb_registry.h"
#include "swb_schemas.h"

#define SWB_SO_HDR 10 /* 0xC3 0x01 + 8-byte LE fingerprint */
#define SWB_CF_HDR 5  /* 0x00 + 4-byte BE schema id */

/** One known version of a record schema (a writer schema). */
struct swb__writer {
        swb_avro_schema_t *schema;
        const swb_avro_node_t *root;
        uint64_t fp;
        swb_msg_type_t type;
        avro_schema_t avro;
        avro_value_iface_t *iface;
        avro_value_t value; /* reused: decode target; encode errors */
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
        swb_buf_t scratch; /* swb_codec_encode_scratch */
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

/** Prepend "what: " to errstr; @returns err. */
static swb_err_t swb__prefix(char *errstr, size_t errstr_size, swb_err_t err,
                             const char *what)
{
        if (errstr && errstr_size) {
                char *old = swb_strdup(errstr);
                snprintf(errstr, errstr_size, "%s: %s", what, old);
                swb_free(old);
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
                err = swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                 "schema is not a record");
                goto fail;
        }
        if (type < 0) {
                const swb_avro_node_t *r;
                if ((type = swb__type_by_fullname(codec, w->root->fullname)) < 0) {
                        err = swb_seterr(errstr, errstr_size, SWB_ERR_UNKNOWN_SCHEMA,
                                         "unknown record %s", w->root->fullname);
                        goto fail;
                }
                r = codec->types[type].cur->root;
                if ((err = swb_avro_value_can_read(w->root, r, errstr, errstr_size))) {
                        swb__prefix(errstr, errstr_size, err, w->root->fullname);
                        goto fail;
                }
        }
        w->type = (swb_msg_type_t)type;
        pcf = swb_avro_schema_canonical(w->schema);
        if (avro_schema_from_json_length(pcf, strlen(pcf), &w->avro) ||
            !(w->iface = avro_generic_class_from_schema(w->avro)) ||
            avro_generic_value_new(w->iface, &w->value)) {
                err = swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                 "avro-c rejects %s: %s", w->root->fullname,
                                 avro_strerror());
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
        if (!codec->reader) {
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
        swb_buf_free(&codec->scratch);
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
                return swb_seterr(errstr, errstr_size, SWB_ERR_UNKNOWN_SCHEMA,
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

/* Fill the header reserved at out->p[start] once the body is written; on a
 * registry error, drop what was appended. */
static swb_err_t swb__frame(swb_codec_t *codec, swb_msg_type_t type, swb_buf_t *out,
                            size_t start, char *errstr, size_t errstr_size)
{
        int32_t id = 0;
        uint8_t *h;
        swb_err_t err;
        if (codec->reg &&
            (err = swb__registry_id(codec, type, &id, errstr, errstr_size))) {
                out->len = start;
                out->p[start] = '\0';
                return err;
        }
        h = (uint8_t *)out->p + start;
        if (codec->reg) {
                h[0] = 0x00;
                for (int i = 0; i < 4; i++)
                        h[1 + i] = (uint8_t)((uint32_t)id >> (24 - 8 * i));
        } else {
                h[0] = 0xC3;
                h[1] = 0x01;
                for (int i = 0; i < 8; i++)
                        h[2 + i] = (uint8_t)(codec->types[type].cur->fp >> (8 * i));
        }
        return SWB_OK;
}

/* Reserve the header; @returns where the message starts. */
static size_t swb__begin(swb_codec_t *codec, swb_buf_t *out)
{
        size_t start = out->len, hdr = codec->reg ? SWB_CF_HDR : SWB_SO_HDR;
        swb_buf_reserve(out, hdr);
        out->len += hdr;
        return start;
}

swb_err_t swb_codec_encode_buf(swb_codec_t *codec, swb_msg_type_t type,
                               const json_t *obj, swb_buf_t *out, char *errstr,
                               size_t errstr_size)
{
        struct swb__writer *w;
        size_t start;
        swb_err_t err;

        if (!codec || (int)type < 0 || type >= SWB_MSG__CNT || !out)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "invalid arguments");
        w = codec->types[type].cur;
        if (!json_is_object(obj))
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "%s: not a JSON object", swb__type_names[type]);
        start = swb__begin(codec, out);
        if (!swb_avro_write_json(w->root, obj, out)) {
                /* the reference path says what does not fit, with the field path */
                out->len = start;
                out->p[start] = '\0';
                if (avro_value_reset(&w->value))
                        return swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                                          "avro-c %s: %s", "reset", avro_strerror());
                err = swb_avro_value_from_json(w->root, obj, &w->value, errstr,
                                               errstr_size);
                if (!err)
                        err = swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                                         "the encoders disagree");
                return swb__prefix(errstr, errstr_size, err, swb__type_names[type]);
        }
        return swb__frame(codec, type, out, start, errstr, errstr_size);
}

swb_err_t swb_codec_encode_fields(swb_codec_t *codec, swb_msg_type_t type,
                                  const swb_avro_fieldval_t *vals, size_t n,
                                  const void **out, size_t *out_len, char *errstr,
                                  size_t errstr_size)
{
        char why[256];
        swb_err_t err;
        if (!codec || (int)type < 0 || type >= SWB_MSG__CNT || !out || !out_len)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "invalid arguments");
        codec->scratch.len = 0;
        swb__begin(codec, &codec->scratch);
        if (!swb_avro_write_fields(codec->types[type].cur->root, vals, n,
                                   &codec->scratch, why, sizeof(why)))
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA, "%s: %s",
                                  swb__type_names[type], why);
        if ((err = swb__frame(codec, type, &codec->scratch, 0, errstr, errstr_size)))
                return err;
        *out = codec->scratch.p;
        *out_len = codec->scratch.len;
        return SWB_OK;
}

swb_err_t swb_codec_encode(swb_codec_t *codec, swb_msg_type_t type, const json_t *obj,
                           void **out, size_t *out_len, char *errstr,
                           size_t errstr_size)
{
        swb_buf_t b = {0};
        swb_err_t err;

        if (out)
                *out = NULL;
        if (!out || !out_len)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "invalid arguments");
        if ((err = swb_codec_encode_buf(codec, type, obj, &b, errstr, errstr_size))) {
                swb_buf_free(&b);
                return err;
        }
        *out_len = b.len;
        *out = swb_buf_take(&b);
        return SWB_OK;
}

swb_err_t swb_codec_encode_scratch(swb_codec_t *codec, swb_msg_type_t type,
                                   const json_t *obj, const void **out, size_t *out_len,
                                   char *errstr, size_t errstr_size)
{
        swb_err_t err;
        if (!codec || !out || !out_len)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "invalid arguments");
        codec->scratch.len = 0;
        if ((err = swb_codec_encode_buf(codec, type, obj, &codec->scratch, errstr,
                                        errstr_size)))
                return err;
        *out = codec->scratch.p;
        *out_len = codec->scratch.len;
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
        const uint8_t *p = buf;
        struct swb__writer *w = NULL;
        const uint8_t *body;
        size_t body_len;
        swb_err_t err;

        if (obj)
                *obj = NULL;
        if (!codec || !obj || (!buf && len) || expect < -1 || expect >= SWB_MSG__CNT)
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "invalid arguments");
        if (len >= 2 && p[0] == 0xC3 && p[1] == 0x01) {
                uint64_t fp = 0;
                if (len < SWB_SO_HDR)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                          "truncated header");
                for (int i = 0; i < 8; i++)
                        fp |= (uint64_t)p[2 + i] << (8 * i);
                for (size_t i = 0; i < codec->n_writers && !w; i++)
                        if (codec->writers[i]->fp == fp)
                                w = codec->writers[i];
                if (!w)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_UNKNOWN_SCHEMA,
                                          "unknown schema fingerprint %016" PRIx64, fp);
                body = p + SWB_SO_HDR;
                body_len = len - SWB_SO_HDR;
        } else if (len >= 1 && p[0] == 0x00) {
                int32_t id;
                if (len < SWB_CF_HDR)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                          "truncated header");
                id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                               (uint32_t)p[3] << 8 | p[4]);
                if ((err = swb__writer_by_id(codec, id, &w, errstr, errstr_size)))
                        return err;
                body = p + SWB_CF_HDR;
                body_len = len - SWB_CF_HDR;
        } else {
                return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                  "bad magic (%zu bytes, first 0x%02x)", len,
                                  len ? p[0] : 0);
        }
        if (expect >= 0 && w->type != (swb_msg_type_t)expect)
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "expected %s, got %s", swb__type_names[expect],
                                  swb__type_names[w->type]);
        if ((err = swb_avro_binary_validate(w->root, body, body_len, errstr,
                                            errstr_size)))
                return swb__prefix(errstr, errstr_size, err, swb__type_names[w->type]);
        avro_reader_memory_set_source(codec->reader, (const char *)body,
                                      (int64_t)body_len);
        if (avro_value_read(codec->reader, &w->value))
                return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                  "avro-c read: %s", avro_strerror());
        if ((err = swb_avro_value_to_json(w->root, codec->types[w->type].cur->root,
                                          &w->value, obj, errstr, errstr_size)))
                return swb__prefix(errstr, errstr_size, err, swb__type_names[w->type]);
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
