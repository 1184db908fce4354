#include "swb_jsonschema.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_mem.h"

struct chk {
        char *errstr;
        size_t errstr_size;
};

static swb_err_t chk_fail(struct chk *k, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static swb_err_t chk_fail(struct chk *k, const char *path, const char *fmt, ...)
{
        char msg[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return swb_seterr(k->errstr, k->errstr_size, SWB_ERR_INVALID_ARG, "%s: %s",
                          path, msg);
}

bool swb_jsonschema_integral(const json_t *v)
{
        double d;

        if (json_is_integer(v))
                return true;
        if (!json_is_real(v))
                return false;
        d = json_real_value(v);
        return isfinite(d) && d == floor(d) && fabs(d) < 9.007199254740992e15;
}

static bool type_is(const char *type, const json_t *v)
{
        if (!strcmp(type, "object"))
                return json_is_object(v);
        if (!strcmp(type, "array"))
                return json_is_array(v);
        if (!strcmp(type, "string"))
                return json_is_string(v);
        if (!strcmp(type, "integer"))
                return swb_jsonschema_integral(v);
        if (!strcmp(type, "number"))
                return json_is_number(v);
        if (!strcmp(type, "boolean"))
                return json_is_boolean(v);
        if (!strcmp(type, "null"))
                return json_is_null(v);
        return false;
}

static size_t utf8_len(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char)*s & 0xC0) != 0x80)
                        n++;
        return n;
}

static bool valid_date(const char *s)
{
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int y, m, d, dim;

        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        for (int i = 0; i < 10; i++)
                if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
                        return false;
        y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
        if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
                return false;
        dim = mdays[m - 1];
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                dim = 29;
        return d <= dim;
}

static swb_err_t check_node(struct chk *k, const json_t *schema, const json_t *v,
                            const char *path);

static swb_err_t check_object(struct chk *k, const json_t *schema, const json_t *v,
                              const char *path)
{
        const json_t *props = json_object_get(schema, "properties");
        const json_t *req = json_object_get(schema, "required");
        const json_t *addl = json_object_get(schema, "additionalProperties");
        const char *key;
        json_t *val, *r;
        char sub[256];
        size_t i;
        swb_err_t err;

        json_array_foreach(req, i, r)
        {
                if (json_is_string(r) && !json_object_get(v, json_string_value(r))) {
                        snprintf(sub, sizeof(sub), "%s.%s", path, json_string_value(r));
                        return chk_fail(k, sub, "required");
                }
        }
        json_object_foreach((json_t *)v, key, val)
        {
                const json_t *ps =
                    json_is_object(props) ? json_object_get(props, key) : NULL;
                snprintf(sub, sizeof(sub), "%s.%s", path, key);
                if (!ps) {
                        if (json_is_false(addl))
                                return chk_fail(k, sub, "unknown property");
                        if (json_is_object(addl) &&
                            (err = check_node(k, addl, val, sub)))
                                return err;
                        continue;
                }
                if ((err = check_node(k, ps, val, sub)))
                        return err;
        }
        return SWB_OK;
}

static swb_err_t check_node(struct chk *k, const json_t *schema, const json_t *v,
                            const char *path)
{
        const json_t *t, *e, *lim;
        char sub[256];
        size_t i;
        json_t *item;
        swb_err_t err;

        if (!json_is_object(schema))
                return SWB_OK;
        /* type */
        t = json_object_get(schema, "type");
        if (json_is_string(t)) {
                if (!type_is(json_string_value(t), v))
                        return chk_fail(k, path, "must be of type %s",
                                        json_string_value(t));
        } else if (json_is_array(t)) {
                bool ok = false;
                json_array_foreach(t, i, item) ok =
                    ok || (json_is_string(item) && type_is(json_string_value(item), v));
                if (!ok)
                        return chk_fail(k, path, "has the wrong type");
        }
        /* enum */
        e = json_object_get(schema, "enum");
        if (json_is_array(e)) {
                bool ok = false;
                json_array_foreach(e, i, item) ok = ok || json_equal(item, (json_t *)v);
                if (!ok) {
                        char *allowed = json_dumps(e, JSON_COMPACT);
                        chk_fail(k, path, "must be one of %s",
                                 allowed ? allowed : "the enum");
                        free(allowed);
                        return SWB_ERR_INVALID_ARG;
                }
        }
        if (json_is_number(v)) {
                double d = json_number_value(v);
                if (!isfinite(d))
                        return chk_fail(k, path, "must be a finite number");
                if ((lim = json_object_get(schema, "minimum")) && json_is_number(lim) &&
                    d < json_number_value(lim))
                        return chk_fail(k, path, "must be >= %g",
                                        json_number_value(lim));
                if ((lim = json_object_get(schema, "maximum")) && json_is_number(lim) &&
                    d > json_number_value(lim))
                        return chk_fail(k, path, "must be <= %g",
                                        json_number_value(lim));
                if ((lim = json_object_get(schema, "exclusiveMinimum")) &&
                    json_is_number(lim) && d <= json_number_value(lim))
                        return chk_fail(k, path, "must be > %g",
                                        json_number_value(lim));
                if ((lim = json_object_get(schema, "exclusiveMaximum")) &&
                    json_is_number(lim) && d >= json_number_value(lim))
                        return chk_fail(k, path, "must be < %g",
                                        json_number_value(lim));
        }
        if (json_is_string(v)) {
                const char *s = json_string_value(v);
                size_t n = utf8_len(s);
                const char *fmt = json_string_value(json_object_get(schema, "format"));
                const char *pat = json_string_value(json_object_get(schema, "pattern"));
                if (strlen(s) != json_string_length(v))
                        return chk_fail(k, path, "must not contain NUL");
                if ((lim = json_object_get(schema, "minLength")) &&
                    json_is_integer(lim) && (json_int_t)n < json_integer_value(lim))
                        return chk_fail(k, path, "must be at least %lld characters",
                                        (long long)json_integer_value(lim));
                if ((lim = json_object_get(schema, "maxLength")) &&
                    json_is_integer(lim) && (json_int_t)n > json_integer_value(lim))
                        return chk_fail(k, path, "must be at most %lld characters",
                                        (long long)json_integer_value(lim));
                if (fmt && !strcmp(fmt, "date") && !valid_date(s))
                        return chk_fail(k, path, "must be a date YYYY-MM-DD");
                if (pat) {
                        regex_t re;
                        int rc;
                        if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB))
                                return swb_seterr(k->errstr, k->errstr_size,
                                                  SWB_ERR_SCHEMA,
                                                  "%s: bad pattern in schema", path);
                        rc = regexec(&re, s, 0, NULL, 0);
                        regfree(&re);
                        if (rc)
                                return chk_fail(k, path, "must match %s", pat);
                }
        }
        if (json_is_object(v) && (err = check_object(k, schema, v, path)))
                return err;
        if (json_is_array(v)) {
                const json_t *items = json_object_get(schema, "items");
                if ((lim = json_object_get(schema, "minItems")) &&
                    json_is_integer(lim) &&
                    (json_int_t)json_array_size(v) < json_integer_value(lim))
                        return chk_fail(k, path, "needs at least %lld items",
                                        (long long)json_integer_value(lim));
                if ((lim = json_object_get(schema, "maxItems")) &&
                    json_is_integer(lim) &&
                    (json_int_t)json_array_size(v) > json_integer_value(lim))
                        return chk_fail(k, path, "takes at most %lld items",
                                        (long long)json_integer_value(lim));
                json_array_foreach(v, i, item)
                {
                        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
                        if (json_is_object(items) &&
                            (err = check_node(k, items, item, sub)))
                                return err;
                }
        }
        return SWB_OK;
}

swb_err_t swb_jsonschema_check(const char *schema, const json_t *args, char *errstr,
                               size_t errstr_size)
{
        struct chk k = {errstr, errstr_size};
        json_error_t jerr;
        json_t *s;
        swb_err_t err;

        if (!schema || !(s = json_loads(schema, 0, &jerr)))
                return swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                  "schema does not parse: %s",
                                  schema ? jerr.text : "NULL");
        err = check_node(&k, s, args, "arguments");
        json_decref(s);
        return err;
}
