/*
 * swb_pg - a thin libpq wrapper: one connection, text parameters, errors
 * mapped onto swb_err_t.
 *
 * Threading: a swb_pg_t is one PostgreSQL connection and is not thread-safe.
 * Use one per thread (or hand it between threads with your own locking);
 * nothing in here is shared between handles.
 *
 * Error mapping of swb_pg_exec() and friends:
 *   - connection lost (PQstatus bad, SQLSTATE class 08, 57P01/57P02/57P03
 *     shutdown) -> SWB_ERR_TRANSPORT (retriable). The connection is reset
 *     once before returning; the statement is NOT replayed, because it may
 *     have run. If it was inside a transaction, that transaction is gone:
 *     every statement fails with SWB_ERR_TRANSPORT until swb_pg_rollback()
 *     or swb_pg_begin() (retry the whole transaction; use those helpers, not
 *     a raw "ROLLBACK" through swb_pg_exec()).
 *   - serialization failure 40001, deadlock 40P01, too many connections and
 *     other class 53 resource errors -> SWB_ERR_UNAVAILABLE (retriable).
 *   - query canceled / statement_timeout 57014 -> SWB_ERR_TIMEOUT (retriable).
 *   - any other statement error -> SWB_ERR_PG (permanent); errstr holds
 *     "SQLSTATE xxxxx: message" and swb_pg_sqlstate() the code (e.g. 23505).
 */
#ifndef SWB_PG_H
#define SWB_PG_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "swb_err.h"

typedef struct swb_pg_s swb_pg_t;

/**
 * Connect to `url` (a libpq connection URI or "key=value" string), with
 * connect_timeout 3 s unless the URL sets its own.
 * @returns a new handle, or NULL with errstr filled when the connection fails.
 */
swb_pg_t *swb_pg_new(const char *url, char *errstr, size_t errstr_size);

/** Close the connection and free the handle. Accepts NULL. */
void swb_pg_destroy(swb_pg_t *pg);

/**
 * Run `sql` with `nparams` text parameters (`params[i]` NULL = SQL NULL;
 * $1, $2, ... in sql). One statement per call.
 * @param res when non-NULL, receives the result on SWB_OK (the caller owns
 *            it: PQclear()); set to NULL on any error. When NULL, the result
 *            is discarded.
 * @returns SWB_OK, or an error mapped as described at the top of this file.
 */
swb_err_t swb_pg_exec(swb_pg_t *pg, const char *sql, int nparams,
                      const char *const *params, PGresult **res, char *errstr,
                      size_t errstr_size);

/**
 * swb_pg_exec() with libpq's full parameter form, for binary data (bytea):
 * `lengths` and `formats` as in PQexecParams (either may be NULL: all text),
 * `binary_result` asks for results in binary format.
 */
swb_err_t swb_pg_exec_params(swb_pg_t *pg, const char *sql, int nparams,
                             const char *const *params, const int *lengths,
                             const int *formats, bool binary_result, PGresult **res,
                             char *errstr, size_t errstr_size);

/** BEGIN. Also clears a transaction lost with the connection (see above). */
swb_err_t swb_pg_begin(swb_pg_t *pg, char *errstr, size_t errstr_size);
/**
 * COMMIT. SWB_ERR_TRANSPORT when the transaction was lost with the connection,
 * or when the connection dropped during COMMIT: then the outcome is unknown,
 * so write transactions that are safe to retry (e.g. keyed by request id).
 * SWB_ERR_PG with SQLSTATE 25P02 when the transaction had already failed (the
 * server rolled it back).
 */
swb_err_t swb_pg_commit(swb_pg_t *pg, char *errstr, size_t errstr_size);
/** ROLLBACK. Succeeds when the transaction was already lost with the connection. */
swb_err_t swb_pg_rollback(swb_pg_t *pg, char *errstr, size_t errstr_size);

/**
 * `SELECT 1`, reconnecting first when the connection is known to be bad.
 * @returns true when the server answered.
 */
bool swb_pg_ping(swb_pg_t *pg);

/**
 * The SQLSTATE of the last failed call ("23505", "40001", ...), or "" when the
 * last call succeeded or failed without one (e.g. connection refused).
 * Valid until the next call on `pg`.
 */
const char *swb_pg_sqlstate(const swb_pg_t *pg);

#endif
