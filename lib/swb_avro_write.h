/*
 * swb_avro_write - JSON (jansson) straight to Avro binary, walking a parsed
 * schema (swb_avro_schema).
 *
 * The encode path of the codec: it writes the same bytes as setting an avro-c
 * generic value with swb_avro_value_from_json() and avro_value_write(), with
 * the same JSON mapping (see swb_codec.h), without building the avro-c value
 * tree or sizing it first (a unit test compares the two byte for byte). Arrays
 * and maps are written as one block and the end marker, as avro-c does.
 *
 * It only reports *that* `j` does not fit: the codec asks
 * swb_avro_value_from_json() for the error message with the field path, so
 * both paths agree on what is an error and say it the same way.
 * Stateless and thread-safe.
 */
#ifndef SWB_AVRO_WRITE_H
#define SWB_AVRO_WRITE_H

#include <jansson.h>
#include <stdbool.h>

#include "swb_avro_schema.h"
#include "swb_buf.h"

/**
 * Append the Avro binary encoding of `j` as `node` to `out`.
 * @returns true on success; false when `j` does not fit `node` (what
 *          swb_avro_value_from_json() calls SWB_ERR_SCHEMA), with `out`
 *          holding a partial datum past its original length.
 */
bool swb_avro_write_json(const swb_avro_node_t *node, const json_t *j, swb_buf_t *out);

/** A record field's value for swb_avro_write_fields(), without JSON. */
typedef struct swb_avro_fieldval {
        const char *name;
        enum {
                SWB_AVRO_V_STR,    /* string, bytes, enum symbol; s, len */
                SWB_AVRO_V_LONG,   /* int, long (or float, double); l */
                SWB_AVRO_V_DOUBLE, /* float, double; d */
                SWB_AVRO_V_STRMAP, /* map of strings; kv[2 * i], kv[2 * i + 1], n_kv
                                      pairs */
        } kind;
        const char *s;
        size_t len;
        int64_t l;
        double d;
        const char *const *kv;
        size_t n_kv;
} swb_avro_fieldval_t;

/**
 * Append the record `node` with the fields in `vals` (any order; names that
 * are not fields are ignored; a field not given takes its default), choosing
 * the first union branch that can hold a value -- the JSON path's rules for
 * the same values, with no JSON built.
 * @returns true, or false with why[0..why_size) saying which field did not fit.
 */
bool swb_avro_write_fields(const swb_avro_node_t *node, const swb_avro_fieldval_t *vals,
                           size_t n, swb_buf_t *out, char *why, size_t why_size);

/** Append a zig-zag varint (Avro int and long). */
void swb_avro_write_long(swb_buf_t *out, int64_t v);

/** Append an Avro string (or bytes): length, then the bytes. */
void swb_avro_write_str(swb_buf_t *out, const char *s, size_t len);

#endif
