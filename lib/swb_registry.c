#include "swb_registry.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "swb_buf.h"
#include "swb_mem.h"

#define SWB_REGISTRY_CONNECT_MS 2000
#define SWB_REGISTRY_TIMEOUT_MS 5000
#define SWB_REGISTRY_MAX_BODY   (4 * 1024 * 1024)
#define SWB_REGISTRY_CTYPE      "application/vnd.schemaregistry.v1+json"

struct swb_registry_s {
        char *url; /* without trailing '/' */
        CURL *curl;
        struct curl_slist *headers;
};

struct swb__body {
        swb_buf_t buf;
        bool too_large;
};

static pthread_once_t swb__curl_once = PTHREAD_ONCE_INIT;
static CURLcode swb__curl_init_rc;

static void swb__curl_init(void)
{
        swb__curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t swb__on_data(char *data, size_t size, size_t nmemb, void *opaque)
{
        struct swb__body *b = opaque;
        size_t n = size * nmemb;

        if (b->buf.len + n > SWB_REGISTRY_MAX_BODY) {
                b->too_large = true;
                return 0; /* aborts the transfer */
        }
        swb_buf_put(&b->buf, data, n);
        return n;
}

swb_registry_t *swb_registry_new(const char *url, char *errstr, size_t errstr_size)
{
        swb_registry_t *reg = swb_calloc(1, sizeof(*reg));
        size_t n;

        if (!url || !*url) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG, "empty registry URL");
                goto fail;
        }
        pthread_once(&swb__curl_once, swb__curl_init);
        if (swb__curl_init_rc != CURLE_OK) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "curl_global_init: %s",
                           curl_easy_strerror(swb__curl_init_rc));
                goto fail;
        }
        n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
                n--;
        reg->url = swb_strndup(url, n);
        reg->curl = curl_easy_init();
        if (!reg->curl) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "curl_easy_init failed");
                goto fail;
        }
        reg->headers = curl_slist_append(NULL, "Content-Type: " SWB_REGISTRY_CTYPE);
        reg->headers = curl_slist_append(reg->headers, "Accept: " SWB_REGISTRY_CTYPE
                                                       ", application/json");
        if (!reg->headers) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INTERNAL,
                           "curl_slist_append failed");
                goto fail;
        }
        return reg;
fail:
        swb_registry_destroy(reg);
        return NULL;
}

void swb_registry_destroy(swb_registry_t *reg)
{
        if (!reg)
                return;
        if (reg->curl)
                curl_easy_cleanup(reg->curl);
        curl_slist_free_all(reg->headers);
        swb_free(reg->url);
        swb_free(reg);
}

/**
 * One request. `body` NULL = GET, else POST.
 * @param resp set to the parsed JSON answer of a 2xx (new reference).
 */
static swb_err_t swb__request(swb_registry_t *reg, const char *path, const char *body,
                              json_t **resp, char *errstr, size_t errstr_size)
{
        struct swb__body b = {0};
        char *url = swb_asprintf("%s%s", reg->url, path);
        char curl_err[CURL_ERROR_SIZE] = "";
        long status = 0;
        swb_err_t err = SWB_OK;
        json_t *j = NULL;
        CURLcode rc;

        curl_easy_reset(reg->curl);
        curl_easy_setopt(reg->curl, CURLOPT_URL, url);
        curl_easy_setopt(reg->curl, CURLOPT_HTTPHEADER, reg->headers);
        curl_easy_setopt(reg->curl, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)SWB_REGISTRY_CONNECT_MS);
        curl_easy_setopt(reg->curl, CURLOPT_TIMEOUT_MS, (long)SWB_REGISTRY_TIMEOUT_MS);
        curl_easy_setopt(reg->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(reg->curl, CURLOPT_ERRORBUFFER, curl_err);
        curl_easy_setopt(reg->curl, CURLOPT_WRITEFUNCTION, swb__on_data);
        curl_easy_setopt(reg->curl, CURLOPT_WRITEDATA, &b);
        if (body) {
                curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)strlen(body));
        }
        rc = curl_easy_perform(reg->curl);
        if (rc != CURLE_OK) {
                err = swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT,
                                 "schema registry %s: %s", url,
                                 b.too_large   ? "answer too large"
                                 : curl_err[0] ? curl_err
                                               : curl_easy_strerror(rc));
                goto done;
        }
        curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, &status);
        j = b.buf.p ? json_loadb(b.buf.p, b.buf.len, 0, NULL) : NULL;
        if (status < 200 || status > 299) {
                const char *msg = json_string_value(json_object_get(j, "message"));
                swb_err_t code = status >= 500 || status == 429 ? SWB_ERR_UNAVAILABLE
                                 : status == 404 && !body       ? SWB_ERR_UNKNOWN_SCHEMA
                                 : status >= 400                ? SWB_ERR_SCHEMA
                                                                : SWB_ERR_TRANSPORT;
                err = swb_seterr(errstr, errstr_size, code,
                                 "schema registry %s: HTTP %ld%s%s", url, status,
                                 msg ? ": " : "", msg ? msg : "");
                goto done;
        }
        if (!json_is_object(j)) {
                err =
                    swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT,
                               "schema registry %s: HTTP %ld with a body that is not a "
                               "JSON object",
                               url, status);
                goto done;
        }
        *resp = j;
        j = NULL;
done:
        json_decref(j);
        swb_buf_free(&b.buf);
        swb_free(url);
        return err;
}

swb_err_t swb_registry_register(swb_registry_t *reg, const char *subject,
                                const char *schema_json, int32_t *id, char *errstr,
                                size_t errstr_size)
{
        json_t *req = json_pack("{s:s}", "schema", schema_json);
        size_t n = req ? json_dumpb(req, NULL, 0, JSON_COMPACT) : 0;
        char *body = n ? swb_malloc(n + 1) : NULL;
        char *esc = curl_easy_escape(reg->curl, subject, 0);
        char *path = NULL;
        json_t *resp = NULL;
        json_int_t got;
        swb_err_t err;

        if (body) {
                json_dumpb(req, body, n, JSON_COMPACT);
                body[n] = '\0';
        }
        if (!body || !esc) {
                err =
                    swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG,
                               "cannot build the registration of subject %s", subject);
                goto done;
        }
        path = swb_asprintf("/subjects/%s/versions", esc);
        if ((err = swb__request(reg, path, body, &resp, errstr, errstr_size)))
                goto done;
        got = json_integer_value(json_object_get(resp, "id"));
        if (!json_is_integer(json_object_get(resp, "id")) || got < 0 ||
            got > INT32_MAX) {
                err = swb_seterr(errstr, errstr_size, SWB_ERR_TRANSPORT,
                                 "schema registry: no valid id in the answer for %s",
                                 subject);
                goto done;
        }
        *id = (int32_t)got;
done:
        json_decref(resp);
        json_decref(req);
        swb_free(body);
        curl_free(esc);
        swb_free(path);
        return err;
}

swb_err_t swb_registry_schema(swb_registry_t *reg, int32_t id, char **schema_json,
                              char *errstr, size_t errstr_size)
{
        char path[64];
        json_t *resp = NULL;
        const char *type, *schema;
        swb_err_t err;

        snprintf(path, sizeof(path), "/schemas/ids/%" PRId32, id);
        if ((err = swb__request(reg, path, NULL, &resp, errstr, errstr_size)))
                return err;
        type = json_string_value(json_object_get(resp, "schemaType"));
        schema = json_string_value(json_object_get(resp, "schema"));
        if (type && strcmp(type, "AVRO")) {
                err = swb_seterr(errstr, errstr_size, SWB_ERR_SCHEMA,
                                 "schema id %" PRId32 " is a %s schema, not Avro", id,
                                 type);
        } else if (!schema) {
                err = swb_seterr(
                    errstr, errstr_size, SWB_ERR_TRANSPORT,
                    "schema registry: no schema in the answer for id %" PRId32, id);
        } else {
                *schema_json = swb_strdup(schema);
        }
        json_decref(resp);
        return err;
}
