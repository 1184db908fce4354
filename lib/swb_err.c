#include "swb_err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
        const char *name;
        bool retriable;
} swb__errs[SWB_ERR__CNT] = {
        [SWB_OK] = {"ok", false},
        [SWB_ERR_INVALID_ARG] = {"invalid_argument", false},
        [SWB_ERR_CONFIG] = {"config", false},
        [SWB_ERR_DECODE] = {"decode", false},
        [SWB_ERR_SCHEMA] = {"schema", false},
        [SWB_ERR_UNKNOWN_SCHEMA] = {"unknown_schema", false},
        [SWB_ERR_TOO_LARGE] = {"too_large", false},
        [SWB_ERR_NOT_FOUND] = {"not_found", false},
        [SWB_ERR_FORBIDDEN] = {"forbidden", false},
        [SWB_ERR_CONFLICT] = {"conflict", false},
        [SWB_ERR_TRANSPORT] = {"transport", true},
        [SWB_ERR_TIMEOUT] = {"timeout", true},
        [SWB_ERR_UNAVAILABLE] = {"unavailable", true},
        [SWB_ERR_KAFKA] = {"kafka", false},
        [SWB_ERR_KAFKA_RETRIABLE] = {"kafka_retriable", true},
        [SWB_ERR_PG] = {"postgres", false},
        [SWB_ERR_IO] = {"io", false},
        [SWB_ERR_INTERNAL] = {"internal", false},
};

const char *swb_err2str(swb_err_t err)
{
        if ((int)err < 0 || err >= SWB_ERR__CNT)
                return "unknown";
        return swb__errs[err].name;
}

bool swb_err_is_retriable(swb_err_t err)
{
        if ((int)err < 0 || err >= SWB_ERR__CNT)
                return false;
        return swb__errs[err].retriable;
}

swb_err_t swb_seterr(char *errstr, size_t errstr_size, swb_err_t err, const char *fmt, ...)
{
        va_list ap;
        if (errstr && errstr_size) {
                va_start(ap, fmt);
                vsnprintf(errstr, errstr_size, fmt, ap);
                va_end(ap);
        }
        return err;
}
