/*
 * swb_registry - a minimal client of a Confluent-compatible Schema Registry
 * (REST API v1, libcurl easy interface). No caching here: the codec caches.
 *
 * Every call is synchronous and bounded: 2 s to connect, 5 s in all.
 * Errors:
 *   SWB_ERR_TRANSPORT    the registry could not be reached or its answer was
 *                        not understood (retriable)
 *   SWB_ERR_UNAVAILABLE  HTTP 5xx or 429 (retriable)
 *   SWB_ERR_UNKNOWN_SCHEMA  GET of an id answered 404
 *   SWB_ERR_SCHEMA       any other 4xx (e.g. 409 incompatible, 422 invalid)
 *
 * Thread-safety: one registry may be used from one thread at a time.
 */
#ifndef SWB_REGISTRY_H
#define SWB_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "swb_err.h"

typedef struct swb_registry_s swb_registry_t;

/**
 * @param url base URL, e.g. "http://localhost:8081" (a trailing '/' is
 *        ignored). Nothing is contacted yet.
 * @returns a new client, or NULL with errstr filled.
 */
swb_registry_t *swb_registry_new(const char *url, char *errstr, size_t errstr_size);
/** Accepts NULL. */
void swb_registry_destroy(swb_registry_t *reg);

/**
 * Register `schema_json` under `subject` (POST /subjects/{subject}/versions);
 * registering a schema the subject already has returns its existing id.
 * @param id set to the registry's schema id on success.
 */
swb_err_t swb_registry_register(swb_registry_t *reg, const char *subject,
                                const char *schema_json, int32_t *id, char *errstr,
                                size_t errstr_size);

/**
 * Fetch the schema with `id` (GET /schemas/ids/{id}); only Avro schemas.
 * @param schema_json set to a new string (swb_free) on success.
 */
swb_err_t swb_registry_schema(swb_registry_t *reg, int32_t id, char **schema_json,
                              char *errstr, size_t errstr_size);

#endif
