/*
 * swb_cache - a Redis read-through cache for the tools' reads.
 *
 * Values are JSON texts stored with a TTL that depends on the data type
 * (hotels, flights, tours, availability, user bookings). Keys are namespaced
 *   swb:c:<type>:<scope>:<epoch>.<generation>:<128-bit hash of the query>
 * where <scope> narrows invalidation (a hotel id for its availability, a user
 * id for that user's bookings, "*" for a whole type) and <generation> is the
 * value of the counter swb:c:g:<type>:<scope>. Invalidation INCRements that
 * counter: every key built with the old value is never read again and expires
 * with its TTL. A reader remembers the generation it looked up with
 * (swb_cache_slot_t) and stores under that one, so a value loaded before a
 * write committed can never be stored under the generation that follows it.
 * Writers invalidate after COMMIT.
 *
 * Redis down: every call fails fast (swb_redis back-off) and the caller reads
 * PostgreSQL; the outage is logged once, each lookup counted as
 * result="error". Invalidations are lost while Redis is down, so the first
 * successful command after an outage bumps the global epoch (swb:c:epoch),
 * dropping everything cached before.
 *
 * Metrics: swb_cache_requests_total{cache="<type>",result="hit|miss|error"}.
 *
 * Threading: a swb_cache_t holds one Redis connection behind a mutex; every
 * function is thread-safe. For throughput use one per worker thread.
 */
#ifndef SWB_CACHE_H
#define SWB_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swb_err.h"
#include "swb_metrics.h"

typedef struct swb_cache_s swb_cache_t;

typedef enum swb_cache_type {
        SWB_CACHE_HOTELS = 0, /* hotel lists and details (static data) */
        SWB_CACHE_FLIGHTS, /* flight searches and details (seats change on bookings) */
        SWB_CACHE_TOURS,   /* tour lists and details (static data) */
        SWB_CACHE_AVAILABILITY,  /* rooms and tour places per date */
        SWB_CACHE_USER_BOOKINGS, /* a user's booking history and booking details */
        SWB_CACHE__CNT
} swb_cache_type_t;

/** @returns "hotels", "flights", "tours", "availability", "user_bookings". */
const char *swb_cache_type_name(swb_cache_type_t type);

/** TTLs in seconds; 0 = the default shown. */
struct swb_cache_ttls {
        int hotels;        /* 3600 */
        int flights;       /* 1800 */
        int tours;         /* 3600 */
        int availability;  /* 300 */
        int user_bookings; /* 600 */
};

struct swb_cache_conf {
        const char *redis_url; /* redis://host:port/db (see swb_redis_new) */
        int timeout_ms;        /* connect and command timeout; <= 0: 250 */
        struct swb_cache_ttls ttl;
        swb_metrics_t *metrics; /* NULL: swb_metrics_default() */
};

/**
 * @returns a new cache, also while Redis is down (it is used when it comes
 *          back); NULL with errstr filled when redis_url is empty or malformed.
 */
swb_cache_t *swb_cache_new(const struct swb_cache_conf *conf, char *errstr,
                           size_t errstr_size);
/** Accepts NULL. */
void swb_cache_destroy(swb_cache_t *c);

/** The TTL in effect for `type`, in seconds. */
int swb_cache_ttl(const swb_cache_t *c, swb_cache_type_t type);

/** Where a lookup stands; filled by swb_cache_get(), read by swb_cache_put(). */
typedef struct swb_cache_slot {
        swb_cache_type_t type;
        bool usable; /* false: Redis was down or the scope too long; put does nothing */
        char key[256];
} swb_cache_slot_t;

/**
 * Look up the value of `query` (any text; hashed) under `type` and `scope`
 * (NULL or "" = "*"; at most 128 bytes, else the lookup bypasses the cache).
 * @param val on a hit, a new string (swb_free()).
 * @returns SWB_OK on a hit, SWB_ERR_NOT_FOUND on a miss, or the Redis error
 *          (retriable) when Redis is down. Counts the request in the metric.
 */
swb_err_t swb_cache_get(swb_cache_t *c, swb_cache_type_t type, const char *scope,
                        const char *query, swb_cache_slot_t *slot, char **val);

/** Store `val` under the key of a lookup that missed, with the type's TTL. Errors are
 *  logged (once per outage) and dropped. */
void swb_cache_put(swb_cache_t *c, const swb_cache_slot_t *slot, const char *val);

/**
 * Invalidate everything cached under `type` and `scope` (NULL = "*"). Call
 * after the write has committed.
 * @returns SWB_OK, or the Redis error (then the epoch is bumped when Redis
 *          comes back).
 */
swb_err_t swb_cache_invalidate(swb_cache_t *c, swb_cache_type_t type,
                               const char *scope);

/**
 * The load function of swb_cache_fetch(): produce the value.
 * @param val   set to a new reference on SWB_OK
 * @param store set to false to answer `val` without caching it (an error result)
 */
typedef swb_err_t(swb_cache_load_fn)(void *opaque, json_t **val, bool *store);

/**
 * Read-through: look up, on a miss (or with Redis down, or c == NULL) call
 * `load`, store what it produced, answer it.
 * @param val  set to a new reference on SWB_OK
 * @param hit  may be NULL; set to true when the value came from Redis
 * @returns SWB_OK or the error of `load` (Redis errors are never returned).
 */
swb_err_t swb_cache_fetch(swb_cache_t *c, swb_cache_type_t type, const char *scope,
                          const char *query, swb_cache_load_fn *load, void *opaque,
                          json_t **val, bool *hit);

/** @returns true unless the last Redis command failed at the transport level. No I/O.
 */
bool swb_cache_is_up(const swb_cache_t *c);

#endif
