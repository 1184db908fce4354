/*
 * swb_avro_schema - an Avro schema as switchboard's codec sees it.
 *
 * Parses schema JSON (jansson) into a small graph of nodes with every name
 * resolved to its full name (Avro 1.11 namespace rules; a short reference is
 * looked up in the enclosing namespace, then in the null one) and the field
 * defaults kept, and computes the schema's Parsing Canonical Form and
 * fingerprint (swb_avro_pcf). The codec walks these nodes to convert JSON,
 * fill defaults, resolve writer against reader and validate binary data
 * (swb_avro_binary).
 *
 * Unions may not contain unions or the same type twice (named types: the same
 * full name); names and enum symbols must match [A-Za-z_][A-Za-z0-9_]*.
 * "error" is read as "record". Attributes other than the ones above (doc,
 * aliases, order, logicalType, ...) are ignored: a logical type is its
 * underlying type.
 *
 * Nodes are read-only after swb_avro_schema_new() and owned by the schema;
 * references to a named type point at its one node, so a recursive schema is a
 * cyclic graph. A schema may be shared between threads once built.
 */
#ifndef SWB_AVRO_SCHEMA_H
#define SWB_AVRO_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swb_err.h"

typedef enum swb_avro_type {
        SWB_AVRO_NULL = 0,
        SWB_AVRO_BOOLEAN,
        SWB_AVRO_INT,
        SWB_AVRO_LONG,
        SWB_AVRO_FLOAT,
        SWB_AVRO_DOUBLE,
        SWB_AVRO_BYTES,
        SWB_AVRO_STRING,
        SWB_AVRO_RECORD,
        SWB_AVRO_ENUM,
        SWB_AVRO_ARRAY,
        SWB_AVRO_MAP,
        SWB_AVRO_UNION,
        SWB_AVRO_FIXED,
} swb_avro_type_t;

typedef struct swb_avro_node swb_avro_node_t;

struct swb_avro_field {
        const char *name;
        const swb_avro_node_t *type;
        const json_t *dflt; /* the "default" attribute, or NULL when none */
};

struct swb_avro_node {
        swb_avro_type_t type;
        const char *fullname; /* record, enum, fixed: "ns.Name" or "Name" */
        const char *name;     /* record, enum, fixed: the part after the last dot */
        size_t n;             /* fields, symbols, branches, or fixed size */
        const struct swb_avro_field *fields;    /* record */
        const char *const *symbols;             /* enum */
        int enum_default;                       /* enum: symbol index, or -1 */
        const swb_avro_node_t *const *branches; /* union */
        const swb_avro_node_t *items;           /* array items, map values */
};

typedef struct swb_avro_schema_s swb_avro_schema_t;

/**
 * Parse a schema. Integer literals with leading zeros are accepted (the
 * canonical form drops them). Defaults must fit their field's type (a union
 * default may match any branch).
 * @returns a new schema, or NULL with errstr filled.
 */
swb_avro_schema_t *swb_avro_schema_new(const char *json_text, size_t len, char *errstr,
                                       size_t errstr_size);
/** Accepts NULL. */
void swb_avro_schema_destroy(swb_avro_schema_t *schema);

/** @returns the root node (owned by the schema). */
const swb_avro_node_t *swb_avro_schema_root(const swb_avro_schema_t *schema);
/** @returns the Parsing Canonical Form, NUL-terminated (owned by the schema). */
const char *swb_avro_schema_canonical(const swb_avro_schema_t *schema);
/** @returns the CRC-64-AVRO fingerprint of the canonical form. */
uint64_t swb_avro_schema_fingerprint(const swb_avro_schema_t *schema);
/** @returns the schema as compact JSON, all attributes kept (owned by the schema). */
const char *swb_avro_schema_json(const swb_avro_schema_t *schema);

/** @returns the index of `sym` among the symbols of enum `n`, or -1. */
int swb_avro_enum_index(const swb_avro_node_t *n, const char *sym);

/**
 * Could JSON value `j` be a value of `n` (not a union), judging by its JSON
 * type (integer range, enum symbol, fixed size)? The codec's JSON mapping
 * (swb_codec.h); a union takes the first branch that fits.
 */
bool swb_avro_json_fits(const swb_avro_node_t *n, const json_t *j);

#endif
