/*
 * swb_err - the error codes every module returns.
 *
 * 0 is success. Each code has a fixed retriable flag: retry logic reads
 * swb_err_is_retriable(), never the message text. Constructors additionally
 * fill a caller-supplied `char *errstr, size_t errstr_size` with details.
 */
#ifndef SWB_ERR_H
#define SWB_ERR_H

#include <stdbool.h>
#include <stddef.h>

typedef enum swb_err {
        SWB_OK = 0,
        SWB_ERR_INVALID_ARG,  /* bad input from a caller or a user: permanent */
        SWB_ERR_CONFIG,       /* bad configuration: permanent */
        SWB_ERR_DECODE,       /* undecodable payload (bad magic, truncated): permanent */
        SWB_ERR_SCHEMA,       /* decodes, but violates the contract: permanent */
        SWB_ERR_UNKNOWN_SCHEMA, /* fingerprint / id not known: permanent */
        SWB_ERR_TOO_LARGE,    /* oversized payload: permanent */
        SWB_ERR_NOT_FOUND,    /* no such thing: permanent */
        SWB_ERR_FORBIDDEN,    /* not allowed for this caller: permanent */
        SWB_ERR_CONFLICT,     /* lost a race (e.g. last room taken): permanent */
        SWB_ERR_TRANSPORT,    /* connection refused/lost: retriable */
        SWB_ERR_TIMEOUT,      /* deadline passed: retriable */
        SWB_ERR_UNAVAILABLE,  /* dependency down or overloaded (5xx, 429): retriable */
        SWB_ERR_KAFKA,        /* librdkafka reported a non-retriable error */
        SWB_ERR_KAFKA_RETRIABLE, /* librdkafka reported a retriable error */
        SWB_ERR_PG,           /* PostgreSQL rejected a statement: permanent */
        SWB_ERR_IO,           /* local I/O (file, socket setup): permanent */
        SWB_ERR_INTERNAL,     /* a bug: permanent */
        SWB_ERR__CNT
} swb_err_t;

/** @returns a static, human-readable name of `err` ("ok", "decode", ...). */
const char *swb_err2str(swb_err_t err);

/** @returns true when the same call may succeed if retried later. */
bool swb_err_is_retriable(swb_err_t err);

/** snprintf into errstr when it is non-NULL; always returns `err`. */
swb_err_t swb_seterr(char *errstr, size_t errstr_size, swb_err_t err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif
