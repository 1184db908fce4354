#include "swb_pg.h"

#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"

struct swb_pg_s {
        PGconn *conn;
        bool tx_lost;     /* the connection dropped inside a transaction */
        char sqlstate[6]; /* of the last failed call, "" otherwise */
};

/* libpq prints notices (e.g. "there is no transaction in progress") to
 * stderr by default; keep stderr JSON lines only. */
static void swb__pg_notice(void *arg, const char *msg)
{
        size_t n = strcspn(msg, "\n");
        SWB_DBG(NULL, "postgres notice: %.*s", (int)n, msg);
}

/* PQerrorMessage() and friends span lines ("...\n\tThis probably means...\n");
 * copy as one line: each run of whitespace becomes one space, none trailing. */
static void swb__pg_msg(char *buf, size_t size, const char *msg)
{
        size_t n = 0;
        bool space = false;
        if (!size)
                return;
        for (msg = msg ? msg : ""; *msg && n + 1 < size; msg++) {
                if (*msg == '\n' || *msg == '\t' || *msg == '\r' || *msg == ' ') {
                        space = n > 0;
                        continue;
                }
                if (space && n + 2 < size)
                        buf[n++] = ' ';
                space = false;
                buf[n++] = *msg;
        }
        buf[n] = '\0';
}

swb_pg_t *swb_pg_new(const char *url, char *errstr, size_t errstr_size)
{
        /* Processed in order, later values win: the URL may override the
         * defaults before it (expand_dbname = 1). */
        static const char *const keys[] = {"connect_timeout",
                                           "fallback_application_name", "dbname", NULL};
        const char *vals[] = {"3", "switchboard", url, NULL};
        swb_pg_t *pg = swb_calloc(1, sizeof(*pg));
        char msg[512];

        if (!url || !*url) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "postgres: empty URL");
                goto fail;
        }
        pg->conn = PQconnectdbParams(keys, vals, 1);
        if (!pg->conn) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "postgres: cannot allocate a connection");
                goto fail;
        }
        if (PQstatus(pg->conn) != CONNECTION_OK) {
                swb__pg_msg(msg, sizeof(msg), PQerrorMessage(pg->conn));
                swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT, "postgres: %s", msg);
                goto fail;
        }
        PQsetNoticeProcessor(pg->conn, swb__pg_notice, NULL);
        return pg;

fail:
        swb_pg_destroy(pg);
        return NULL;
}

void swb_pg_destroy(swb_pg_t *pg)
{
        if (!pg)
                return;
        if (pg->conn)
                PQfinish(pg->conn);
        swb_free(pg);
}

const char *swb_pg_sqlstate(const swb_pg_t *pg)
{
        return pg ? pg->sqlstate : "";
}

/* SQLSTATEs that mean the session is gone. */
static bool swb__pg_state_lost(const char *st)
{
        return !strncmp(st, "08", 2) || !strcmp(st, "57P01") || !strcmp(st, "57P02") ||
               !strcmp(st, "57P03");
}

static swb_err_t swb__pg_state_err(const char *st)
{
        if (!strcmp(st, "40001") || !strcmp(st, "40P01") || !strncmp(st, "53", 2))
                return SWB_ERR_UNAVAILABLE;
        if (!strcmp(st, "57014"))
                return SWB_ERR_TIMEOUT;
        return SWB_ERR_PG;
}

/* PQreset(); @returns true when the connection is back. */
static bool swb__pg_reset(swb_pg_t *pg, char *msg, size_t msg_size)
{
        PQreset(pg->conn);
        if (PQstatus(pg->conn) == CONNECTION_OK) {
                PQsetNoticeProcessor(pg->conn, swb__pg_notice, NULL);
                SWB_INFO(NULL, "postgres: reconnected");
                return true;
        }
        swb__pg_msg(msg, msg_size, PQerrorMessage(pg->conn));
        return false;
}

/* One statement; the tx_lost check is the caller's. */
static swb_err_t swb__pg_run(swb_pg_t *pg, const char *sql, int nparams,
                             const char *const *params, const int *lengths,
                             const int *formats, bool binary_result, PGresult **res,
                             char *errstr, size_t errstr_size)
{
        PGTransactionStatusType txs;
        ExecStatusType st;
        PGresult *r;
        const char *state;
        char msg[512], rmsg[256];

        if (PQstatus(pg->conn) != CONNECTION_OK &&
            !swb__pg_reset(pg, rmsg, sizeof(rmsg)))
                return swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT,
                                  "postgres: not connected: %s", rmsg);

        txs = PQtransactionStatus(pg->conn);
        r = PQexecParams(pg->conn, sql, nparams, NULL, params, lengths, formats,
                         binary_result ? 1 : 0);
        st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                if (res)
                        *res = r;
                else
                        PQclear(r);
                return SWB_OK;
        }

        state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (state)
                snprintf(pg->sqlstate, sizeof(pg->sqlstate), "%s", state);
        swb__pg_msg(msg, sizeof(msg),
                    r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r)
                                                  : PQerrorMessage(pg->conn));

        if (PQstatus(pg->conn) != CONNECTION_OK ||
            (state && swb__pg_state_lost(state))) {
                bool back;
                PQclear(r);
                if (txs != PQTRANS_IDLE)
                        pg->tx_lost = true;
                back = swb__pg_reset(pg, rmsg, sizeof(rmsg));
                SWB_WARN(NULL, "postgres: connection lost (%s), %s", msg,
                         back ? "reconnected" : "reconnect failed");
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_TRANSPORT,
                    "postgres: connection lost: %s%s%s", msg,
                    back ? "; reconnected" : "; reconnect failed: ", back ? "" : rmsg);
        }

        if (st == PGRES_EMPTY_QUERY) {
                PQclear(r);
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "postgres: empty query");
        }
        if (st != PGRES_FATAL_ERROR && st != PGRES_NONFATAL_ERROR &&
            st != PGRES_BAD_RESPONSE) {
                /* COPY and friends: not supported; the session is mid-protocol,
                 * so start a fresh one rather than drain it. */
                PQclear(r);
                swb__pg_reset(pg, rmsg, sizeof(rmsg));
                return swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                  "postgres: unsupported result %s", PQresStatus(st));
        }
        PQclear(r); /* `state` pointed into it: use the copy from here on */
        if (!pg->sqlstate[0])
                return swb_seterr(errstr, errstr_size, SWB_ERR_PG, "postgres: %s", msg);
        return swb_seterr(errstr, errstr_size, swb__pg_state_err(pg->sqlstate),
                          "SQLSTATE %s: %s", pg->sqlstate, msg);
}

swb_err_t swb_pg_exec_params(swb_pg_t *pg, const char *sql, int nparams,
                             const char *const *params, const int *lengths,
                             const int *formats, bool binary_result, PGresult **res,
                             char *errstr, size_t errstr_size)
{
        if (res)
                *res = NULL;
        pg->sqlstate[0] = '\0';
        if (pg->tx_lost)
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_TRANSPORT,
                    "postgres: the transaction was lost with the connection; "
                    "roll back and retry it");
        return swb__pg_run(pg, sql, nparams, params, lengths, formats, binary_result,
                           res, errstr, errstr_size);
}

swb_err_t swb_pg_exec(swb_pg_t *pg, const char *sql, int nparams,
                      const char *const *params, PGresult **res, char *errstr,
                      size_t errstr_size)
{
        return swb_pg_exec_params(pg, sql, nparams, params, NULL, NULL, false, res,
                                  errstr, errstr_size);
}

swb_err_t swb_pg_begin(swb_pg_t *pg, char *errstr, size_t errstr_size)
{
        pg->tx_lost = false;
        return swb_pg_exec(pg, "BEGIN", 0, NULL, NULL, errstr, errstr_size);
}

swb_err_t swb_pg_commit(swb_pg_t *pg, char *errstr, size_t errstr_size)
{
        PGresult *r = NULL;
        swb_err_t err;

        if (pg->tx_lost) {
                pg->tx_lost = false;
                pg->sqlstate[0] = '\0';
                return swb_seterr(
                    errstr, errstr_size, SWB_ERR_TRANSPORT,
                    "postgres: the transaction was lost with the connection");
        }
        err = swb_pg_exec(pg, "COMMIT", 0, NULL, &r, errstr, errstr_size);
        if (err) {
                /* Lost during COMMIT: the outcome is unknown; the transaction
                 * is over either way. */
                pg->tx_lost = false;
                return err;
        }
        /* COMMIT of a failed transaction "succeeds" with tag ROLLBACK. */
        if (!strcmp(PQcmdStatus(r), "ROLLBACK")) {
                PQclear(r);
                snprintf(pg->sqlstate, sizeof(pg->sqlstate), "25P02");
                return swb_seterr(errstr, errstr_size, SWB_ERR_PG,
                                  "SQLSTATE 25P02: the transaction had failed; COMMIT "
                                  "rolled it back");
        }
        PQclear(r);
        return SWB_OK;
}

swb_err_t swb_pg_rollback(swb_pg_t *pg, char *errstr, size_t errstr_size)
{
        if (pg->tx_lost) {
                pg->tx_lost = false;
                pg->sqlstate[0] = '\0';
                return SWB_OK;
        }
        return swb_pg_exec(pg, "ROLLBACK", 0, NULL, NULL, errstr, errstr_size);
}

bool swb_pg_ping(swb_pg_t *pg)
{
        int attempt;
        if (!pg)
                return false;
        pg->sqlstate[0] = '\0';
        /* SELECT 1 is safe to repeat: once more after a reconnect. */
        for (attempt = 0; attempt < 2; attempt++) {
                swb_err_t err = swb__pg_run(pg, "SELECT 1", 0, NULL, NULL, NULL, false,
                                            NULL, NULL, 0);
                if (!err)
                        return true;
                if (err != SWB_ERR_TRANSPORT || PQstatus(pg->conn) != CONNECTION_OK)
                        return false;
        }
        return false;
}
