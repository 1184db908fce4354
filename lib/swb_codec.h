/*
 * swb_codec - Avro encoding of switchboard's contracts (schemas/ (*.avsc files)).
 *
 * Messages are handled in C as jansson objects (json_t): an Avro record is a
 * JSON object keyed by field name; enum = string symbol; map = object;
 * array = array; a union with null = JSON null or the plain value (no Avro-JSON
 * {"type": v} wrapping); long/int = integer; double/float = real; bytes =
 * string. One generic converter serves every schema. Encode ignores keys
 * that are not fields of the record; a value for a union goes to the first
 * branch its JSON type fits (null, boolean, integer, number, string -- an
 * enum or fixed branch only when the symbol or length fits --, array,
 * object).
 *
 * Wire formats (both are always accepted by decode):
 *  - Avro single-object encoding (default): 0xC3 0x01, the 8-byte little-endian
 *    CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form, body.
 *  - Confluent Schema Registry framing when the codec was built with a
 *    registry URL: 0x00, 4-byte big-endian schema id, body. Schemas are
 *    registered / looked up over the registry's REST API (libcurl), ids cached.
 *
 * Decoding resolves the writer schema (found by fingerprint or registry id)
 * against the reader schema of the same name, so a record written by a newer
 * or older version of a schema (fields added with defaults) is read with the
 * current one; missing fields take their defaults.
 *
 * Thread-safety: a codec may be used from one thread at a time.
 */
#ifndef SWB_CODEC_H
#define SWB_CODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "swb_avro_write.h"
#include "swb_buf.h"
#include "swb_err.h"

typedef struct swb_codec_s swb_codec_t;

/** The record types of schemas/ (names are the .avsc file names). */
typedef enum swb_msg_type {
        SWB_MSG_AGENT_REQUEST = 0, /* AgentRequest */
        SWB_MSG_ROUTED_REQUEST,    /* RoutedRequest */
        SWB_MSG_AGENT_REPLY,       /* AgentReply */
        SWB_MSG_STREAM_EVENT,      /* StreamEvent */
        SWB_MSG_AUDIT_EVENT,       /* AuditEvent */
        SWB_MSG__CNT
} swb_msg_type_t;

/** @returns the record name of `type`, e.g. "AgentRequest". */
const char *swb_codec_type_name(swb_msg_type_t type);

/**
 * Create a codec holding every embedded schema.
 * @param registry_url NULL or "" for single-object encoding; else the base URL
 *        of a Confluent-compatible Schema Registry (encode uses its framing).
 * @returns a new codec, or NULL with errstr filled.
 */
swb_codec_t *swb_codec_new(const char *registry_url, char *errstr, size_t errstr_size);
void swb_codec_destroy(swb_codec_t *codec);

/**
 * Add another version of a known record (same full name) so data written with
 * it can be decoded (schema evolution; tests). Single-object fingerprints only.
 */
swb_err_t swb_codec_add_writer_schema(swb_codec_t *codec, const char *schema_json,
                                      char *errstr, size_t errstr_size);

/**
 * Make `schema_json` (a version of a known record, same full name) the
 * schema of its type in this codec, as if the codec had been built with it:
 * encode writes it, decode reads every writer version into it. The schema it
 * replaces stays known as a writer schema; with a registry, the new schema is
 * registered at the next encode. For consumers pinned to an older contract,
 * and for evolution tests.
 * Errors: SWB_ERR_SCHEMA (invalid schema), SWB_ERR_UNKNOWN_SCHEMA (no type of
 * that name).
 */
swb_err_t swb_codec_use_schema(swb_codec_t *codec, const char *schema_json,
                               char *errstr, size_t errstr_size);

/**
 * Encode `obj` as `type`. Missing fields take the schema default; a missing
 * field without default, or a value of the wrong JSON type, is SWB_ERR_SCHEMA.
 * @param out  set to a new buffer (free with swb_free) on success.
 * With a registry: SWB_ERR_TRANSPORT / SWB_ERR_UNAVAILABLE (retriable) when
 * the registry cannot be reached.
 */
swb_err_t swb_codec_encode(swb_codec_t *codec, swb_msg_type_t type, const json_t *obj,
                           void **out, size_t *out_len, char *errstr,
                           size_t errstr_size);

/**
 * swb_codec_encode() into a buffer the caller keeps: the message is appended
 * to `out` (set out->len = 0 first to reuse it). On error `out` is as it was.
 */
swb_err_t swb_codec_encode_buf(swb_codec_t *codec, swb_msg_type_t type,
                               const json_t *obj, swb_buf_t *out, char *errstr,
                               size_t errstr_size);

/**
 * swb_codec_encode() into the codec's own scratch buffer, for a caller that
 * copies the bytes at once (e.g. a produce with RD_KAFKA_MSG_F_COPY): no
 * allocation per message. `*out` stays valid until the codec's next encode.
 */
swb_err_t swb_codec_encode_scratch(swb_codec_t *codec, swb_msg_type_t type,
                                   const json_t *obj, const void **out, size_t *out_len,
                                   char *errstr, size_t errstr_size);

/**
 * swb_codec_encode_scratch() of a record given as field values instead of a
 * JSON object (see swb_avro_write_fields): for hot paths that would otherwise
 * build JSON only to encode it. Same wire format, same defaults.
 * Errors: SWB_ERR_SCHEMA naming the field that does not fit.
 */
swb_err_t swb_codec_encode_fields(swb_codec_t *codec, swb_msg_type_t type,
                                  const swb_avro_fieldval_t *vals, size_t n,
                                  const void **out, size_t *out_len, char *errstr,
                                  size_t errstr_size);

/**
 * Decode a payload in either wire format.
 * @param expect  the type the caller expects, or -1 for any known type.
 * @param type    set to the decoded type (may be NULL).
 * @param obj     set to a new reference on success.
 * Errors: SWB_ERR_DECODE (bad magic, truncated, trailing bytes),
 * SWB_ERR_UNKNOWN_SCHEMA (fingerprint/id not known), SWB_ERR_SCHEMA (type
 * differs from `expect`), SWB_ERR_TRANSPORT/UNAVAILABLE (registry lookup).
 */
swb_err_t swb_codec_decode(swb_codec_t *codec, int expect, const void *buf, size_t len,
                           swb_msg_type_t *type, json_t **obj, char *errstr,
                           size_t errstr_size);

/**
 * The Parsing Canonical Form of a schema (Avro specification).
 * @returns a new string (swb_free), or NULL with errstr filled on bad JSON.
 */
char *swb_codec_canonical_form(const char *schema_json, char *errstr,
                               size_t errstr_size);

/** CRC-64-AVRO (Rabin) fingerprint of `len` bytes, as in the Avro specification. */
uint64_t swb_codec_fingerprint64(const void *buf, size_t len);

#endif
