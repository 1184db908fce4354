/*
 * swb_avro_value - JSON (jansson) <-> avro-c generic values, walking a
 * parsed schema (swb_avro_schema), with Avro schema resolution on the way
 * out.
 *
 * JSON mapping (see swb_codec.h): record = object keyed by field name, enum =
 * symbol string, map = object, array = array, union = the plain value of its
 * branch (null = JSON null), int/long = integer, float/double = number,
 * string/bytes/fixed = string. Logical types are their underlying type.
 *
 * Resolution (Avro 1.11 "Schema Resolution") is done here rather than with
 * avro-c's resolved writer, which in 1.11 neither fills reader fields missing
 * from the writer with their defaults (it fails) nor matches enum symbols by
 * name (it copies the index): fields are matched by name, reader-only fields
 * take their default, writer-only fields are skipped, enum symbols are matched
 * by name (else the reader enum's default), int/long/float promote to
 * long/float/double, string and bytes interchange, and a union on either side
 * picks the branch of the same type (else the first that can read it).
 *
 * Errors name the field path, e.g. "metadata.k: expected string".
 * Stateless; thread-safe as long as each thread uses its own values.
 */
#ifndef SWB_AVRO_VALUE_H
#define SWB_AVRO_VALUE_H

#include <avro.h>
#include <jansson.h>
#include <stddef.h>

#include "swb_avro_schema.h"
#include "swb_err.h"

/**
 * Set `value`, a fresh or reset avro-c generic value of `node`'s schema, from
 * `j`. A record field missing from `j` takes its default; keys that are not
 * fields are ignored.
 * @returns SWB_OK; SWB_ERR_SCHEMA when `j` does not fit (missing field without
 *          default, wrong JSON type, int out of range, unknown enum symbol);
 *          SWB_ERR_INTERNAL when avro-c fails.
 */
swb_err_t swb_avro_value_from_json(const swb_avro_node_t *node, const json_t *j,
                                   avro_value_t *value, char *errstr,
                                   size_t errstr_size);

/**
 * The JSON of `value`, an avro-c value of the writer schema `writer`, read as
 * the reader schema `reader` (the same node when they are the same schema).
 * @param out set to a new reference on success, NULL on error.
 * @returns SWB_OK; SWB_ERR_SCHEMA when the data cannot be read as `reader`
 *          (e.g. an enum symbol the reader lacks); SWB_ERR_DECODE for a
 *          string that is not UTF-8 or a non-finite float.
 */
swb_err_t swb_avro_value_to_json(const swb_avro_node_t *writer,
                                 const swb_avro_node_t *reader, avro_value_t *value,
                                 json_t **out, char *errstr, size_t errstr_size);

/**
 * Can data written with `writer` be read as `reader`, as far as the schemas
 * tell? (Unions and enum symbols are only checked per value, when read.)
 * @returns SWB_OK, or SWB_ERR_SCHEMA naming the first field that cannot.
 */
swb_err_t swb_avro_value_can_read(const swb_avro_node_t *writer,
                                  const swb_avro_node_t *reader, char *errstr,
                                  size_t errstr_size);

#endif
