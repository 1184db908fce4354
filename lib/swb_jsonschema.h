/*
 * swb_jsonschema - checks a tool's JSON arguments against the subset of JSON
 * schema the tool tables use (swb_tools_check_args() is the tools' entry point).
 */
#ifndef SWB_JSONSCHEMA_H
#define SWB_JSONSCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swb_err.h"

/**
 * Check `args` against `schema` (a JSON schema text). The supported subset:
 * type (object, string, integer, number, boolean, array, null, or an array of
 * those), properties, required, additionalProperties (false or absent), enum,
 * minimum, maximum, minLength, maxLength (in characters), pattern (POSIX
 * extended regex), format "date" (YYYY-MM-DD, a real calendar day), items,
 * minItems, maxItems. Other keywords (description, default) are ignored.
 * @returns SWB_OK, SWB_ERR_INVALID_ARG with errstr naming the first offending
 *          path ("check_in: not a date"), or SWB_ERR_SCHEMA when `schema`
 *          itself does not parse.
 * Thread-safe.
 */
swb_err_t swb_jsonschema_check(const char *schema, const json_t *args, char *errstr,
                               size_t errstr_size);

/** @returns true when `v` is a JSON integer, or a real with an integral value
 *  that a double holds exactly (|v| < 2^53): what schema "integer" accepts. */
bool swb_jsonschema_integral(const json_t *v);

#endif
