/*
 * swb_avro_binary - checks Avro binary data against a schema before avro-c
 * reads it.
 *
 * avro-c's reader trusts what it reads: a negative string length or an
 * out-of-range enum index is undefined behaviour, a huge length a huge
 * allocation. The codec therefore runs every payload through
 * swb_avro_binary_validate() first; avro-c only sees data that is exactly one
 * well-formed datum. Stateless and thread-safe.
 */
#ifndef SWB_AVRO_BINARY_H
#define SWB_AVRO_BINARY_H

#include <stddef.h>

#include "swb_avro_schema.h"
#include "swb_err.h"

/**
 * Check that buf[0..len) is exactly one datum of `node` in Avro binary
 * encoding: varints of at most 10 bytes (5 for int and enum) that fit their
 * type, lengths and block sizes within the buffer, enum and union indexes in
 * range, booleans 0 or 1, map keys without NUL bytes, at most len + 65536
 * array/map items in all, nesting at most 64 deep, and no trailing bytes.
 * @returns SWB_OK, or SWB_ERR_DECODE with errstr filled (what and at which
 *          byte).
 */
swb_err_t swb_avro_binary_validate(const swb_avro_node_t *node, const void *buf,
                                   size_t len, char *errstr, size_t errstr_size);

#endif
