/* swb_tools - what every tool shares; see swb_tools.h. */
#include "swb_tools.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "swb_id.h"
#include "swb_jsonschema.h"
#include "swb_log.h"
#include "swb_buf.h"
#include "swb_mem.h"
#include "swb_pg.h"

/* ---------------------------------------------------------------- results */

json_t *swb_tools_error(const char *code, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
}

bool swb_tools_is_error(const json_t *result, const char **code)
{
        json_t *e = json_is_object(result) ? json_object_get(result, "error") : NULL;

        if (!json_is_object(e))
                return false;
        if (code)
                *code = json_string_value(json_object_get(e, "code"));
        return true;
}

/* ---------------------------------------------------------------- schema check */

swb_err_t swb_tools_check_args(const char *schema, const json_t *args, char *errstr,
                               size_t errstr_size)
{
        return swb_jsonschema_check(schema, args, errstr, errstr_size);
}

swb_err_t swb_tools_check_table(const struct swb_tool *tools, size_t cnt, char *errstr,
                                size_t errstr_size)
{
        for (size_t i = 0; i < cnt; i++) {
                const struct swb_tool *t = &tools[i];
                json_error_t jerr;
                json_t *s, *props, *req, *r;
                size_t j;
                bool ok;

                if (!t->name || !*t->name || strlen(t->name) > 64 ||
                    strspn(t->name,
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_-") != strlen(t->name))
                        return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                          "tool %zu: bad name", i);
                for (j = 0; j < i; j++)
                        if (!strcmp(tools[j].name, t->name))
                                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                                  "%s: listed twice", t->name);
                if (!t->description || !*t->description || !t->fn)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                          "%s: no description or fn", t->name);
                if (!t->parameters || !(s = json_loads(t->parameters, 0, &jerr)))
                        return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                          "%s: parameters do not parse: %s", t->name,
                                          t->parameters ? jerr.text : "NULL");
                props = json_object_get(s, "properties");
                req = json_object_get(s, "required");
                ok = json_is_string(json_object_get(s, "type")) &&
                     !strcmp(json_string_value(json_object_get(s, "type")), "object") &&
                     json_is_object(props) &&
                     json_is_false(json_object_get(s, "additionalProperties")) &&
                     (!req || json_is_array(req));
                json_array_foreach(req, j, r) ok =
                    ok && json_is_string(r) &&
                    json_object_get(props, json_string_value(r));
                json_decref(s);
                if (!ok)
                        return swb_seterr(
                            errstr, errstr_size, SWB_ERR_SCHEMA,
                            "%s: parameters must be an object schema with "
                            "additionalProperties false and known required names",
                            t->name);
        }
        return SWB_OK;
}

const struct swb_tool *swb_tools_find(const struct swb_tool *tools, size_t cnt,
                                      const char *name)
{
        for (size_t i = 0; name && i < cnt; i++)
                if (!strcmp(tools[i].name, name))
                        return &tools[i];
        return NULL;
}

swb_err_t swb_tools_call(const struct swb_tool *tools, size_t cnt, const char *name,
                         const struct swb_tool_ctx *ctx, const json_t *args,
                         json_t **result)
{
        const struct swb_tool *t = swb_tools_find(tools, cnt, name);
        char errstr[300];
        json_t *empty = NULL;
        swb_err_t err;

        *result = NULL;
        if (!t || !t->fn) {
                *result = swb_tools_error(SWB_TOOL_E_UNKNOWN_TOOL, "no tool named %s",
                                          name ? name : "(null)");
                return SWB_OK;
        }
        if (!args)
                args = empty = json_object();
        if (swb_tools_check_args(t->parameters, args, errstr, sizeof(errstr))) {
                *result = swb_tools_error(SWB_TOOL_E_INVALID, "%s", errstr);
                err = SWB_OK;
        } else {
                err = t->fn(ctx, args, result);
        }
        json_decref(empty);
        return err;
}

json_t *swb_tools_openai_spec(const struct swb_tool *tools, size_t cnt)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < cnt; i++) {
                json_t *params = json_loads(tools[i].parameters, 0, NULL);
                json_array_append_new(arr, json_pack("{s:s,s:{s:s,s:s,s:o}}", "type",
                                                     "function", "function", "name",
                                                     tools[i].name, "description",
                                                     tools[i].description, "parameters",
                                                     params ? params : json_object()));
        }
        return arr;
}

/* ---------------------------------------------------------------- run */

/* Keep dated rows (flights, inventory, departures) 60 days ahead of today;
 * at most once a day per process. Failure is logged, never fatal. */
static void ensure_horizon(const struct swb_tool_ctx *ctx)
{
        static long long done_day = -1;
        long long today = (long long)(time(NULL) / 86400);
        char errstr[512];

        if (__atomic_load_n(&done_day, __ATOMIC_RELAXED) == today)
                return;
        if (swb_pg_exec(ctx->pg, "SELECT travel_extend_horizon(60)", 0, NULL, NULL,
                        errstr, sizeof(errstr))) {
                SWB_WARN(ctx->corr, "tools: extending the travel horizon failed: %s",
                         errstr);
                return;
        }
        __atomic_store_n(&done_day, today, __ATOMIC_RELAXED);
}

swb_err_t swb_tools_run(const char *tool, const char *schema,
                        const struct swb_tool_ctx *ctx, const json_t *args,
                        swb_tools_impl_fn *impl, json_t **result)
{
        char errstr[300];
        const char *code;
        swb_err_t err;

        *result = NULL;
        if (!ctx || !ctx->pg || !ctx->user_id || !*ctx->user_id) {
                *result = swb_tools_error(SWB_TOOL_E_INTERNAL,
                                          "%s: no user or database in the tool context",
                                          tool);
                return SWB_OK;
        }
        if (swb_tools_check_args(schema, args, errstr, sizeof(errstr))) {
                *result = swb_tools_error(SWB_TOOL_E_INVALID, "%s", errstr);
                return SWB_OK;
        }
        ensure_horizon(ctx);
        err = impl(ctx, args, result);
        if (err && !swb_err_is_retriable(err)) {
                /* A permanent failure is a bug or bad data: answer it, do not retry. */
                SWB_ERR(ctx->corr, "tool %s failed: %s", tool, swb_err2str(err));
                json_decref(*result);
                *result = swb_tools_error(SWB_TOOL_E_INTERNAL, "%s failed (%s)", tool,
                                          swb_err2str(err));
                return SWB_OK;
        }
        if (err) {
                json_decref(*result);
                *result = NULL;
                return err;
        }
        if (!*result)
                *result =
                    swb_tools_error(SWB_TOOL_E_INTERNAL, "%s produced no result", tool);
        else if (swb_tools_is_error(*result, &code) && code &&
                 (!strcmp(code, SWB_TOOL_E_FORBIDDEN)))
                /* Refusals are audited. */
                SWB_WARN(ctx->corr, "tool %s refused for user %s: %s", tool,
                         ctx->user_id, code);
        return SWB_OK;
}

const char *swb_tools_str(const json_t *args, const char *key, const char *dflt)
{
        const json_t *v = json_object_get(args, key);
        return json_is_string(v) ? json_string_value(v) : dflt;
}

long long swb_tools_int(const json_t *args, const char *key, long long dflt)
{
        const json_t *v = json_object_get(args, key);
        if (json_is_integer(v))
                return (long long)json_integer_value(v);
        if (swb_jsonschema_integral(v))
                return (long long)json_real_value(v);
        return dflt;
}

double swb_tools_num(const json_t *args, const char *key, double dflt)
{
        const json_t *v = json_object_get(args, key);
        return json_is_number(v) ? json_number_value(v) : dflt;
}

json_t *swb_tools_money(double v)
{
        double r = round(v * 100.0) / 100.0;

        if (!isfinite(r))
                return json_null();
        if (r == floor(r) && fabs(r) < 9.007199254740992e15)
                return json_integer((json_int_t)r);
        return json_real(r);
}

/* ---------------------------------------------------------------- PostgreSQL rows */

/* Parse a PostgreSQL text[] literal {a,"b c",NULL} into a JSON array. */
static json_t *pg_text_array(const char *s)
{
        json_t *arr = json_array();
        size_t cap = strlen(s) + 1, n;
        char *buf = swb_malloc(cap);

        if (*s != '{')
                goto out;
        s++;
        while (*s && *s != '}') {
                bool quoted = *s == '"';
                n = 0;
                if (quoted) {
                        for (s++; *s && *s != '"'; s++) {
                                if (*s == '\\' && s[1])
                                        s++;
                                buf[n++] = *s;
                        }
                        if (*s == '"')
                                s++;
                        buf[n] = '\0';
                        json_array_append_new(arr, json_string(buf));
                } else {
                        while (*s && *s != ',' && *s != '}')
                                buf[n++] = *s++;
                        buf[n] = '\0';
                        json_array_append_new(
                            arr, !strcmp(buf, "NULL") ? json_null() : json_string(buf));
                }
                if (*s == ',')
                        s++;
        }
out:
        swb_free(buf);
        return arr;
}

json_t *swb_tools_pg_value(const PGresult *res, int row, int col)
{
        const char *s;
        char *end;
        double d;

        if (PQgetisnull(res, row, col))
                return json_null();
        s = PQgetvalue(res, row, col);
        switch (PQftype(res, col)) {
        case 16: /* bool */
                return json_boolean(*s == 't');
        case 20: /* int8 */
        case 21: /* int2 */
        case 23: /* int4 */
                return json_integer(strtoll(s, NULL, 10));
        case 700:  /* float4 */
        case 701:  /* float8 */
        case 1700: /* numeric */
                errno = 0;
                d = strtod(s, &end);
                if (errno || *end || !isfinite(d))
                        return json_string(s);
                if (d == floor(d) && fabs(d) < 9.007199254740992e15)
                        return json_integer((json_int_t)d);
                return json_real(d);
        case 114: /* json */
        case 3802: /* jsonb */ {
                json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
                return j ? j : json_string(s);
        }
        case 1009: /* text[] */
        case 1014: /* bpchar[] */
        case 1015: /* varchar[] */
                return pg_text_array(s);
        default:
                return json_string(s);
        }
}

json_t *swb_tools_pg_row(const PGresult *res, int row)
{
        json_t *o = json_object();

        for (int c = 0; c < PQnfields(res); c++)
                json_object_set_new(o, PQfname(res, c),
                                    swb_tools_pg_value(res, row, c));
        return o;
}

json_t *swb_tools_pg_rows(const PGresult *res)
{
        json_t *arr = json_array();

        for (int r = 0; r < PQntuples(res); r++)
                json_array_append_new(arr, swb_tools_pg_row(res, r));
        return arr;
}

swb_err_t swb_tools_query(const struct swb_tool_ctx *ctx, const char *sql, int nparams,
                          const char *const *params, json_t **rows)
{
        char errstr[512];
        PGresult *res = NULL;
        swb_err_t err;

        *rows = NULL;
        err = swb_pg_exec(ctx->pg, sql, nparams, params, &res, errstr, sizeof(errstr));
        if (err) {
                SWB_WARN(ctx->corr, "tools: query failed: %s", errstr);
                return err;
        }
        *rows = swb_tools_pg_rows(res);
        PQclear(res);
        return SWB_OK;
}

swb_err_t swb_tools_query_row(const struct swb_tool_ctx *ctx, const char *sql,
                              const json_t *args, const char *key, const char *what,
                              json_t **result)
{
        char id[32];
        const char *p[] = {id};
        json_t *rows;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, key, 0));
        if ((err = swb_tools_query(ctx, sql, 1, p, &rows)))
                return err;
        if (json_array_size(rows) == 0)
                *result =
                    swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no %s with id %s", what, id);
        else
                *result = json_incref(json_array_get(rows, 0));
        json_decref(rows);
        return SWB_OK;
}

/* ---------------------------------------------------------------- cache */

struct cached_load {
        const struct swb_tool_ctx *ctx;
        const json_t *args;
        swb_tools_impl_fn *load;
};

static swb_err_t cached_load(void *opaque, json_t **val, bool *store)
{
        struct cached_load *l = opaque;
        swb_err_t err = l->load(l->ctx, l->args, val);

        *store = !err && *val && !swb_tools_is_error(*val, NULL);
        return err;
}

swb_err_t swb_tools_cached(const struct swb_tool_ctx *ctx, swb_cache_type_t type,
                           const char *scope, const char *tool, const json_t *args,
                           swb_tools_impl_fn *load, json_t **result)
{
        struct cached_load l = {ctx, args, load};
        char *canon, *query;
        swb_err_t err;

        if (!ctx->cache)
                return load(ctx, args, result);
        canon = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        query = swb_asprintf("%s\n%s", tool, canon ? canon : "{}");
        free(canon);
        err = swb_cache_fetch(ctx->cache, type, scope, query, cached_load, &l, result,
                              NULL);
        swb_free(query);
        return err;
}

/* ---------------------------------------------------------------- idempotency */

void swb_tools_idem_key(const struct swb_tool_ctx *ctx, const char *tool,
                        char out[SWB_TOOLS_IDEM_KEY_LEN])
{
        char id[SWB_UUID_LEN];

        swb_id_derive(id, "swb-tool-call", ctx->request_id ? ctx->request_id : "",
                      ctx->call_id ? ctx->call_id : "", tool,
                      ctx->user_id ? ctx->user_id : "", NULL);
        snprintf(out, SWB_TOOLS_IDEM_KEY_LEN, "idem-%s", id);
}

static swb_err_t tx_exec(const struct swb_tool_ctx *ctx, const char *sql, int n,
                         const char *const *p, PGresult **res)
{
        char errstr[512];
        swb_err_t err = swb_pg_exec(ctx->pg, sql, n, p, res, errstr, sizeof(errstr));
        if (err)
                SWB_WARN(ctx->corr, "tools: %s", errstr);
        return err;
}

swb_err_t swb_tools_idempotent(const struct swb_tool_ctx *ctx, const char *tool,
                               const json_t *args, swb_tools_tx_fn *body, void *opaque,
                               json_t **result, bool *replayed)
{
        char key[SWB_TOOLS_IDEM_KEY_LEN], errstr[512];
        PGresult *res = NULL;
        char *dump = NULL;
        swb_err_t err;

        *result = NULL;
        if (replayed)
                *replayed = false;
        if (!ctx->request_id || !*ctx->request_id) {
                *result =
                    swb_tools_error(SWB_TOOL_E_INTERNAL,
                                    "%s needs a request id to run exactly once", tool);
                return SWB_OK;
        }
        swb_tools_idem_key(ctx, tool, key);

        if ((err = swb_pg_begin(ctx->pg, errstr, sizeof(errstr)))) {
                SWB_WARN(ctx->corr, "tools: BEGIN: %s", errstr);
                return err;
        }
        {
                const char *p[] = {key};
                if ((err = tx_exec(
                         ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                         1, p, NULL)) ||
                    (err = tx_exec(
                         ctx, "SELECT result FROM tool_results WHERE idem_key = $1", 1,
                         p, &res)))
                        goto fail;
                if (PQntuples(res) == 1) {
                        *result = swb_tools_pg_value(res, 0, 0);
                        PQclear(res);
                        res = NULL;
                        if (replayed)
                                *replayed = true;
                        swb_pg_rollback(ctx->pg, errstr, sizeof(errstr));
                        return SWB_OK;
                }
                PQclear(res);
                res = NULL;
        }
        {
                const char *p[] = {ctx->user_id,
                                   ctx->locale && *ctx->locale ? ctx->locale : "en"};
                if ((err = tx_exec(ctx,
                                   "INSERT INTO users (user_id, display_name, locale) "
                                   "VALUES ($1, $1, left($2, 2)) ON CONFLICT (user_id) "
                                   "DO NOTHING",
                                   2, p, NULL)) ||
                    (err = tx_exec(ctx, "SAVEPOINT tool_body", 0, NULL, NULL)))
                        goto fail;
        }
        if ((err = body(ctx, args, opaque, key, result)))
                goto fail;
        if (!*result) {
                err = SWB_ERR_INTERNAL;
                goto fail;
        }
        if (swb_tools_is_error(*result, NULL) &&
            (err = tx_exec(ctx, "ROLLBACK TO SAVEPOINT tool_body", 0, NULL, NULL)))
                goto fail;
        dump = json_dumps(*result, JSON_COMPACT);
        {
                const char *p[] = {key,          tool, ctx->user_id, ctx->request_id,
                                   ctx->call_id, dump};
                if ((err = tx_exec(
                         ctx,
                         "INSERT INTO tool_results (idem_key, tool, user_id, "
                         "request_id, call_id, result) VALUES ($1, $2, $3, $4, $5, $6)",
                         6, p, NULL)))
                        goto fail;
        }
        free(dump);
        dump = NULL;
        if ((err = swb_pg_commit(ctx->pg, errstr, sizeof(errstr)))) {
                SWB_WARN(ctx->corr, "tools: COMMIT of %s: %s", tool, errstr);
                json_decref(*result);
                *result = NULL;
                return err;
        }
        return SWB_OK;
fail:
        free(dump);
        if (res)
                PQclear(res);
        json_decref(*result);
        *result = NULL;
        swb_pg_rollback(ctx->pg, errstr, sizeof(errstr));
        return err;
}

/* ---------------------------------------------------------------- providers */

static pthread_mutex_t prov_lock = PTHREAD_MUTEX_INITIALIZER;
static bool prov_set;
static struct swb_tools_providers prov;

static void prov_free(void)
{
        swb_free((char *)prov.search_url);
        swb_free((char *)prov.search_api_key);
        swb_free((char *)prov.rates_url);
        swb_free((char *)prov.rates_api_key);
        memset(&prov, 0, sizeof(prov));
}

void swb_tools_set_providers(const struct swb_tools_providers *p)
{
        pthread_mutex_lock(&prov_lock);
        prov_free();
        prov_set = p != NULL;
        if (p) {
                prov.search_url = swb_strdup(p->search_url);
                prov.search_api_key = swb_strdup(p->search_api_key);
                prov.rates_url = swb_strdup(p->rates_url);
                prov.rates_api_key = swb_strdup(p->rates_api_key);
                prov.rates_max_age_s = p->rates_max_age_s;
                prov.timeout_ms = p->timeout_ms;
        }
        pthread_mutex_unlock(&prov_lock);
}

void swb_tools_providers_get(const struct swb_tool_ctx *ctx,
                             struct swb_tools_providers *out)
{
        pthread_mutex_lock(&prov_lock);
        if (prov_set) {
                *out = prov;
        } else {
                memset(out, 0, sizeof(*out));
                out->search_url = getenv("SWB_SEARCH_URL");
                out->search_api_key = getenv("SWB_SEARCH_API_KEY");
                out->rates_url = getenv("SWB_RATES_URL");
                out->rates_api_key = getenv("SWB_RATES_API_KEY");
        }
        pthread_mutex_unlock(&prov_lock);
        if (out->rates_max_age_s <= 0)
                out->rates_max_age_s = 3600;
        if (out->timeout_ms <= 0)
                out->timeout_ms = 5000;
}

/* ---------------------------------------------------------------- HTTP */

#define HTTP_MAX_BODY (2 * 1024 * 1024)

struct http_buf {
        swb_buf_t body;
        bool overflow;
};

static size_t http_write(char *ptr, size_t size, size_t nmemb, void *opaque)
{
        struct http_buf *b = opaque;
        size_t n = size * nmemb;

        if (b->body.len + n > HTTP_MAX_BODY) {
                b->overflow = true;
                return 0;
        }
        swb_buf_put(&b->body, ptr, n);
        return n;
}

static void curl_init_once(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

swb_err_t swb_tools_http_json(const char *url, const char *bearer, const json_t *body,
                              int timeout_ms, json_t **out, char *errstr,
                              size_t errstr_size)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        struct http_buf b = {0};
        struct curl_slist *hdrs = NULL;
        char *payload = NULL, *auth = NULL;
        long status = 0;
        CURLcode rc;
        CURL *h;
        swb_err_t err = SWB_OK;
        json_error_t jerr;

        *out = NULL;
        if (!url || !*url)
                return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "no URL");
        pthread_once(&once, curl_init_once);
        if (!(h = curl_easy_init()))
                return swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                                  "curl_easy_init failed");
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
        if (bearer && *bearer) {
                auth = swb_asprintf("Authorization: Bearer %s", bearer);
                hdrs = curl_slist_append(hdrs, auth);
        }
        if (body) {
                payload = json_dumps(body, JSON_COMPACT);
                hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
        }
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                         (long)(timeout_ms > 0 ? timeout_ms : 5000));
        curl_easy_setopt(
            h, CURLOPT_CONNECTTIMEOUT_MS,
            (long)(timeout_ms > 0 && timeout_ms < 3000 ? timeout_ms : 3000));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "switchboard/" SWB_VERSION);
        rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OPERATION_TIMEDOUT)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_TIMEOUT, "%s: timed out",
                                 url);
        else if (b.overflow)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_TOO_LARGE,
                                 "%s: response over %d bytes", url, HTTP_MAX_BODY);
        else if (rc != CURLE_OK)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT, "%s: %s", url,
                                 curl_easy_strerror(rc));
        else if (status == 429 || status >= 500)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_UNAVAILABLE,
                                 "%s: HTTP %ld", url, status);
        else if (status < 200 || status > 299)
                err = swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                                 "%s: HTTP %ld", url, status);
        else if (!b.body.p || !(*out = json_loads(b.body.p, 0, &jerr)))
                err = swb_seterr(errstr, errstr_size, SWB_ERR_DECODE, "%s: not JSON",
                                 url);
        curl_easy_cleanup(h);
        curl_slist_free_all(hdrs);
        free(payload);
        swb_free(auth);
        swb_buf_free(&b.body);
        return err;
}
