/*
 * swb_avro_pcf - the Parsing Canonical Form of an Avro schema and its
 * CRC-64-AVRO (Rabin) fingerprint, as the Avro 1.11 specification defines
 * them ("Schema Fingerprints"); avro-c has neither.
 *
 * The canonical form is written from a parsed schema (swb_avro_schema), which
 * has already applied [PRIMITIVES] and [FULLNAMES] and kept only the
 * attributes [STRIP] keeps; this module applies [ORDER] (name, type, fields,
 * symbols, items, values, size), [STRINGS], [INTEGERS] and [WHITESPACE], and
 * writes each named type in full at its first occurrence, by full name after.
 * Stateless and thread-safe.
 */
#ifndef SWB_AVRO_PCF_H
#define SWB_AVRO_PCF_H

#include <stddef.h>
#include <stdint.h>

#include "swb_avro_schema.h"

/**
 * @returns the canonical form of the schema rooted at `root`, a new string
 *          (swb_free); its length in *len when len is non-NULL.
 */
char *swb_avro_pcf_write(const swb_avro_node_t *root, size_t *len);

/** CRC-64-AVRO fingerprint of `len` bytes (EMPTY = 0xc15d213aa4d7a795). */
uint64_t swb_avro_pcf_rabin64(const void *buf, size_t len);

#endif
