/*
 * Unit tests of swb_registry against a scripted HTTP server (libmicrohttpd on
 * an ephemeral loopback port): the requests it sends and how answers map to
 * error codes. (The codec's tests run a stateful fake registry.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_registry.h"

struct script {
        struct MHD_Daemon *daemon;
        char url[80];
        unsigned status; /* the answer */
        const char *body;
        char method[8]; /* the last request */
        char path[256];
        char ctype[128];
        char *req_body;
};

struct conn {
        char *body;
        size_t len;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
        struct script *s = cls;
        struct conn *cn = *con_cls;
        struct MHD_Response *r;
        const char *ct;
        enum MHD_Result ret;

        if (!cn) {
                *con_cls = swb_calloc(1, sizeof(*cn));
                return MHD_YES;
        }
        if (*upload_data_size) {
                cn->body = swb_realloc(cn->body, cn->len + *upload_data_size + 1);
                memcpy(cn->body + cn->len, upload_data, *upload_data_size);
                cn->len += *upload_data_size;
                cn->body[cn->len] = '\0';
                *upload_data_size = 0;
                return MHD_YES;
        }
        ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(s->method, sizeof(s->method), "%s", method);
        snprintf(s->path, sizeof(s->path), "%s", url);
        snprintf(s->ctype, sizeof(s->ctype), "%s", ct ? ct : "");
        swb_free(s->req_body);
        s->req_body = swb_strdup(cn->body);
        r = MHD_create_response_from_buffer(strlen(s->body), (void *)s->body,
                                            MHD_RESPMEM_MUST_COPY);
        ret = MHD_queue_response(c, s->status, r);
        MHD_destroy_response(r);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct conn *cn = *con_cls;
        if (cn) {
                swb_free(cn->body);
                swb_free(cn);
                *con_cls = NULL;
        }
}

static int setup(void **state)
{
        struct script *s = swb_calloc(1, sizeof(*s));
        struct sockaddr_in sa = {.sin_family = AF_INET};

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
            on_request, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, NULL, MHD_OPTION_END);
        if (!s->daemon)
                return -1;
        /* A trailing slash, which the client must not double. */
        snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/",
                 MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT)->port);
        *state = s;
        return 0;
}

static int teardown(void **state)
{
        struct script *s = *state;
        MHD_stop_daemon(s->daemon);
        swb_free(s->req_body);
        swb_free(s);
        return 0;
}

static void test_register(void **state)
{
        struct script *s = *state;
        char err[256];
        swb_registry_t *reg = swb_registry_new(s->url, err, sizeof(err));
        int32_t id = -1;
        json_t *body;

        assert_non_null(reg);
        s->status = 200;
        s->body = "{\"id\":17}";
        assert_int_equal(swb_registry_register(reg, "AgentRequest-value",
                                               "{\"type\":\"string\"}", &id, err,
                                               sizeof(err)),
                         SWB_OK);
        assert_int_equal(id, 17);
        assert_string_equal(s->method, "POST");
        assert_string_equal(s->path, "/subjects/AgentRequest-value/versions");
        assert_string_equal(s->ctype, "application/vnd.schemaregistry.v1+json");
        body = json_loads(s->req_body, 0, NULL);
        assert_non_null(body);
        assert_string_equal(json_string_value(json_object_get(body, "schema")),
                            "{\"type\":\"string\"}");
        json_decref(body);

        /* Subjects are URL-escaped. */
        assert_int_equal(
            swb_registry_register(reg, "a b/c", "\"int\"", &id, err, sizeof(err)),
            SWB_OK);
        assert_string_equal(s->path, "/subjects/a b/c/versions"); /* MHD unescapes */

        s->body = "{\"id\":-1}";
        assert_int_equal(
            swb_registry_register(reg, "x", "\"int\"", &id, err, sizeof(err)),
            SWB_ERR_TRANSPORT);
        swb_registry_destroy(reg);
}

static void test_schema_by_id(void **state)
{
        struct script *s = *state;
        char err[256];
        swb_registry_t *reg = swb_registry_new(s->url, err, sizeof(err));
        char *json = NULL;

        s->status = 200;
        s->body = "{\"schema\":\"\\\"long\\\"\"}";
        assert_int_equal(swb_registry_schema(reg, 5, &json, err, sizeof(err)), SWB_OK);
        assert_string_equal(s->method, "GET");
        assert_string_equal(s->path, "/schemas/ids/5");
        assert_string_equal(json, "\"long\"");
        swb_free(json);
        json = NULL;

        s->body = "{\"schema\":\"\\\"long\\\"\",\"schemaType\":\"AVRO\"}";
        assert_int_equal(swb_registry_schema(reg, 5, &json, err, sizeof(err)), SWB_OK);
        swb_free(json);
        json = NULL;

        s->body =
            "{\"schema\":\"syntax = \\\"proto3\\\";\",\"schemaType\":\"PROTOBUF\"}";
        assert_int_equal(swb_registry_schema(reg, 6, &json, err, sizeof(err)),
                         SWB_ERR_SCHEMA);
        s->body = "{}";
        assert_int_equal(swb_registry_schema(reg, 6, &json, err, sizeof(err)),
                         SWB_ERR_TRANSPORT);
        s->status = 404;
        s->body = "{\"error_code\":40403,\"message\":\"Schema not found\"}";
        assert_int_equal(swb_registry_schema(reg, 7, &json, err, sizeof(err)),
                         SWB_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(err, "Schema not found"));
        assert_null(json);
        swb_registry_destroy(reg);
}

static void test_status_codes(void **state)
{
        struct script *s = *state;
        char err[256];
        swb_registry_t *reg = swb_registry_new(s->url, err, sizeof(err));
        int32_t id;
        static const struct {
                unsigned status;
                swb_err_t want;
        } cases[] = {
            {500, SWB_ERR_UNAVAILABLE}, {502, SWB_ERR_UNAVAILABLE},
            {503, SWB_ERR_UNAVAILABLE}, {429, SWB_ERR_UNAVAILABLE},
            {400, SWB_ERR_SCHEMA},      {401, SWB_ERR_SCHEMA},
            {404, SWB_ERR_SCHEMA},      {409, SWB_ERR_SCHEMA},
            {422, SWB_ERR_SCHEMA},      {302, SWB_ERR_TRANSPORT},
        };

        s->body = "{\"error_code\":1,\"message\":\"nope\"}";
        for (size_t i = 0; i < SWB_ARRAY_LEN(cases); i++) {
                swb_err_t err_code;
                s->status = cases[i].status;
                err_code =
                    swb_registry_register(reg, "s", "\"int\"", &id, err, sizeof(err));
                if (err_code != cases[i].want)
                        fail_msg("HTTP %u: %s (%s)", cases[i].status,
                                 swb_err2str(err_code), err);
        }
        swb_registry_destroy(reg);
        swb_registry_destroy(NULL);
        assert_null(swb_registry_new("", err, sizeof(err)));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_register, setup, teardown),
            cmocka_unit_test_setup_teardown(test_schema_by_id, setup, teardown),
            cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
