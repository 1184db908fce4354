/*
 * Unit tests of swb_codec: round trips of every contract in both wire
 * formats (Confluent framing against a fake Schema Registry served by
 * libmicrohttpd on an ephemeral loopback port), defaults, schema evolution in
 * both directions, and the error codes of malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_codec.h"
#include "swb_mem.h"
#include "swb_schemas.h"

/* ------------------------------------------------------------------------ */
/* A fake Confluent Schema Registry */

#define FAKE_MAX 32

struct fake_registry {
        struct MHD_Daemon *daemon;
        int port;
        char url[64];
        pthread_mutex_t lock;
        char *subjects[FAKE_MAX]; /* id = 100 + index */
        char *schemas[FAKE_MAX];
        int n;
        int posts;             /* registrations received */
        int gets[FAKE_MAX];    /* GET /schemas/ids/<id> per index */
        int gets_unknown;      /* GETs of ids it does not have */
        int bad_content_type;  /* POSTs without the registry's content type */
        unsigned fail_status;  /* when set: answer everything with this */
        const char *fail_body; /* and this body */
};

struct fake_conn {
        char *body;
        size_t len;
};

static enum MHD_Result fake_reply(struct MHD_Connection *conn, unsigned status,
                                  const char *body)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(
            strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        enum MHD_Result ret;

        MHD_add_response_header(r, "Content-Type",
                                "application/vnd.schemaregistry.v1+json");
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result fake_handle(struct fake_registry *fr,
                                   struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *body)
{
        char subject[128], out[4096];
        int id;

        if (fr->fail_status)
                return fake_reply(conn, fr->fail_status,
                                  fr->fail_body
                                      ? fr->fail_body
                                      : "{\"error_code\":50001,\"message\":\"down\"}");
        if (!strcmp(method, "POST") &&
            sscanf(url, "/subjects/%127[^/]/versions", subject) == 1) {
                const char *ct =
                    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
                json_t *req = json_loads(body ? body : "", 0, NULL);
                const char *schema = json_string_value(json_object_get(req, "schema"));
                json_t *resp;
                char *txt;
                int i;

                if (!ct || strcmp(ct, "application/vnd.schemaregistry.v1+json"))
                        fr->bad_content_type++;
                if (!schema) {
                        json_decref(req);
                        return fake_reply(
                            conn, 422,
                            "{\"error_code\":42201,\"message\":\"bad schema\"}");
                }
                fr->posts++;
                for (i = 0; i < fr->n; i++)
                        if (!strcmp(fr->subjects[i], subject) &&
                            !strcmp(fr->schemas[i], schema))
                                break;
                if (i == fr->n && fr->n < FAKE_MAX) {
                        fr->subjects[i] = swb_strdup(subject);
                        fr->schemas[i] = swb_strdup(schema);
                        fr->n++;
                }
                json_decref(req);
                resp = json_pack("{s:i}", "id", 100 + i);
                txt = json_dumps(resp, JSON_COMPACT);
                snprintf(out, sizeof(out), "%s", txt);
                free(txt);
                json_decref(resp);
                return fake_reply(conn, 200, out);
        }
        if (!strcmp(method, "GET") && sscanf(url, "/schemas/ids/%d", &id) == 1) {
                json_t *resp;
                char *txt;
                enum MHD_Result ret;

                if (id < 100 || id - 100 >= fr->n) {
                        fr->gets_unknown++;
                        return fake_reply(
                            conn, 404,
                            "{\"error_code\":40403,\"message\":\"Schema not found\"}");
                }
                fr->gets[id - 100]++;
                resp = json_pack("{s:s}", "schema", fr->schemas[id - 100]);
                txt = json_dumps(resp, JSON_COMPACT);
                ret = fake_reply(conn, 200, txt);
                free(txt);
                json_decref(resp);
                return ret;
        }
        return fake_reply(conn, 404,
                          "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
}

static enum MHD_Result fake_access(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
        struct fake_registry *fr = cls;
        struct fake_conn *fc = *con_cls;
        enum MHD_Result ret;

        if (!fc) {
                *con_cls = swb_calloc(1, sizeof(*fc));
                return MHD_YES;
        }
        if (*upload_data_size) {
                fc->body = swb_realloc(fc->body, fc->len + *upload_data_size + 1);
                memcpy(fc->body + fc->len, upload_data, *upload_data_size);
                fc->len += *upload_data_size;
                fc->body[fc->len] = '\0';
                *upload_data_size = 0;
                return MHD_YES;
        }
        pthread_mutex_lock(&fr->lock);
        ret = fake_handle(fr, conn, url, method, fc->body);
        pthread_mutex_unlock(&fr->lock);
        return ret;
}

static void fake_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
        struct fake_conn *fc = *con_cls;

        if (fc) {
                swb_free(fc->body);
                swb_free(fc);
                *con_cls = NULL;
        }
}

static struct fake_registry *fake_start(void)
{
        struct fake_registry *fr = swb_calloc(1, sizeof(*fr));
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        pthread_mutex_init(&fr->lock, NULL);
        fr->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
            fake_access, fr, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
            fake_completed, NULL, MHD_OPTION_END);
        assert_non_null(fr->daemon);
        fr->port = MHD_get_daemon_info(fr->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
        assert_true(fr->port > 0);
        snprintf(fr->url, sizeof(fr->url), "http://127.0.0.1:%d/", fr->port);
        return fr;
}

static void fake_stop(struct fake_registry *fr)
{
        MHD_stop_daemon(fr->daemon);
        for (int i = 0; i < fr->n; i++) {
                swb_free(fr->subjects[i]);
                swb_free(fr->schemas[i]);
        }
        pthread_mutex_destroy(&fr->lock);
        swb_free(fr);
}

/* ------------------------------------------------------------------------ */
/* Helpers */

static char errstr[512];

static swb_codec_t *codec_new(const char *url)
{
        swb_codec_t *c = swb_codec_new(url, errstr, sizeof(errstr));
        if (!c)
                fail_msg("swb_codec_new: %s", errstr);
        return c;
}

static json_t *load(const char *text)
{
        json_error_t jerr;
        json_t *j = json_loads(text, JSON_ALLOW_NUL, &jerr);
        if (!j)
                fail_msg("bad test JSON: %s: %s", jerr.text, text);
        return j;
}

/** One object per type with every field set away from its default. */
static json_t *sample(swb_msg_type_t type)
{
        static const char *const samples[SWB_MSG__CNT] = {
            [SWB_MSG_AGENT_REQUEST] =
                "{\"request_id\":\"7d3f0a2e-4c1b-4e8e-9a51-0c2f6b1e9d11\",\"session_"
                "id\":\"s-1\","
                "\"user_id\":\"u-1\",\"text\":\"Book me a hotel in Zürich 🏨\","
                "\"tenant_id\":\"acme\",\"channel\":\"mobile\",\"locale\":\"de-CH\","
                "\"created_at\":1700000000123,\"reply_topic\":\"agent.replies.gw-2\","
                "\"metadata\":{\"client\":\"ios/4.2\",\"trace_id\":\"abc\"}}",
            [SWB_MSG_ROUTED_REQUEST] =
                "{\"request_id\":\"r-2\",\"session_id\":\"s-2\",\"user_id\":\"u-2\","
                "\"text\":\"flight to NYC\",\"tenant_id\":\"t\",\"channel\":\"web\","
                "\"locale\":\"en-GB\",\"created_at\":1,\"reply_topic\":null,"
                "\"metadata\":{},\"domain\":\"flight\",\"intent\":\"search\","
                "\"confidence\":0.87,\"method\":\"classifier\",\"routed_at\":-5}",
            [SWB_MSG_AGENT_REPLY] =
                "{\"request_id\":\"r-3\",\"reply_id\":\"p-3\",\"session_id\":\"s-3\","
                "\"user_id\":\"u-3\",\"tenant_id\":\"t3\",\"agent\":\"supervisor\","
                "\"text\":\"Done.\\nRef: X\\u0000Y\",\"status\":\"rejected\","
                "\"created_at\":9223372036854775807,\"request_created_at\":42,"
                "\"metadata\":{\"booking\":\"B-1\"}}",
            [SWB_MSG_STREAM_EVENT] =
                "{\"request_id\":\"r-4\",\"session_id\":\"s-4\",\"reply_id\":\"p-4\","
                "\"seq\":-2147483648,\"kind\":\"tool_end\",\"agent\":\"hotel\","
                "\"text\":\"tok\",\"tool\":\"hotel_search\",\"created_at\":17}",
            [SWB_MSG_AUDIT_EVENT] =
                "{\"event_id\":\"e-5\",\"request_id\":\"r-5\",\"session_id\":\"s-5\","
                "\"user_id\":\"u-5\",\"tenant_id\":\"t5\",\"stage\":\"dead_lettered\","
                "\"agent\":\"router\",\"details\":{\"reason\":\"poison\",\"\":\"empty "
                "key\"},"
                "\"tokens_in\":1234,\"tokens_out\":-1,\"cost_usd\":0.000125,"
                "\"duration_ms\":4000000000,\"created_at\":-9223372036854775808}",
        };
        return load(samples[type]);
}

static void assert_json_equal(const json_t *a, const json_t *b)
{
        if (!json_equal(a, b)) {
                char *sa = json_dumps(a, JSON_SORT_KEYS | JSON_ENCODE_ANY);
                char *sb = json_dumps(b, JSON_SORT_KEYS | JSON_ENCODE_ANY);
                print_error("expected %s\n     got %s\n", sa, sb);
                free(sa);
                free(sb);
                fail();
        }
}

static uint64_t type_fingerprint(swb_msg_type_t type)
{
        for (size_t i = 0; i < swb_schema_srcs_cnt; i++) {
                if (!strcmp(swb_schema_srcs[i].name, swb_codec_type_name(type))) {
                        char *pcf = swb_codec_canonical_form(swb_schema_srcs[i].json,
                                                             errstr, sizeof(errstr));
                        uint64_t fp;
                        assert_non_null(pcf);
                        fp = swb_codec_fingerprint64(pcf, strlen(pcf));
                        swb_free(pcf);
                        return fp;
                }
        }
        fail_msg("no schema %s", swb_codec_type_name(type));
        return 0;
}

static void encode_ok(swb_codec_t *c, swb_msg_type_t type, const json_t *obj,
                      void **buf, size_t *len)
{
        swb_err_t err =
            swb_codec_encode(c, type, obj, buf, len, errstr, sizeof(errstr));
        if (err)
                fail_msg("encode %s: %s: %s", swb_codec_type_name(type),
                         swb_err2str(err), errstr);
}

static json_t *decode_ok(swb_codec_t *c, int expect, const void *buf, size_t len,
                         swb_msg_type_t want_type)
{
        swb_msg_type_t type = SWB_MSG__CNT;
        json_t *obj = NULL;
        swb_err_t err =
            swb_codec_decode(c, expect, buf, len, &type, &obj, errstr, sizeof(errstr));
        if (err)
                fail_msg("decode: %s: %s", swb_err2str(err), errstr);
        assert_int_equal(type, want_type);
        return obj;
}

static swb_err_t decode_err(swb_codec_t *c, int expect, const void *buf, size_t len)
{
        json_t *obj = (json_t *)1;
        swb_err_t err =
            swb_codec_decode(c, expect, buf, len, NULL, &obj, errstr, sizeof(errstr));
        if (!err) {
                json_decref(obj);
                return SWB_OK;
        }
        assert_null(obj);
        assert_true(errstr[0] != '\0');
        return err;
}

static swb_err_t encode_err(swb_codec_t *c, swb_msg_type_t type, const char *text)
{
        json_t *obj = load(text);
        void *buf = NULL;
        size_t len = 0;
        swb_err_t err =
            swb_codec_encode(c, type, obj, &buf, &len, errstr, sizeof(errstr));
        json_decref(obj);
        swb_free(buf);
        return err;
}

/* ------------------------------------------------------------------------ */
/* Tests */

static void test_type_names(void **state)
{
        assert_string_equal(swb_codec_type_name(SWB_MSG_AGENT_REQUEST), "AgentRequest");
        assert_string_equal(swb_codec_type_name(SWB_MSG_ROUTED_REQUEST),
                            "RoutedRequest");
        assert_string_equal(swb_codec_type_name(SWB_MSG_AGENT_REPLY), "AgentReply");
        assert_string_equal(swb_codec_type_name(SWB_MSG_STREAM_EVENT), "StreamEvent");
        assert_string_equal(swb_codec_type_name(SWB_MSG_AUDIT_EVENT), "AuditEvent");
        assert_string_equal(swb_codec_type_name(SWB_MSG__CNT), "unknown");
        swb_codec_destroy(NULL);
}

static void test_roundtrip_single_object(void **state)
{
        swb_codec_t *c = codec_new(NULL);

        for (int t = 0; t < SWB_MSG__CNT; t++) {
                json_t *in = sample(t), *out;
                uint64_t fp = type_fingerprint(t);
                uint8_t *buf;
                size_t len;

                encode_ok(c, t, in, (void **)&buf, &len);
                assert_true(len > 10);
                assert_int_equal(buf[0], 0xC3);
                assert_int_equal(buf[1], 0x01);
                for (int i = 0; i < 8; i++)
                        assert_int_equal(buf[2 + i], (uint8_t)(fp >> (8 * i)));
                out = decode_ok(c, t, buf, len, t);
                assert_json_equal(in, out);
                json_decref(out);
                out = decode_ok(c, -1, buf, len, t); /* any type */
                assert_json_equal(in, out);
                json_decref(out);
                swb_free(buf);
                json_decref(in);
        }
        swb_codec_destroy(c);
}

/* The body Avro's Python implementation writes for this AgentRequest. */
static const uint8_t python_body[] = {
    0x04, 0x72, 0x31, 0x04, 0x73, 0x31, 0x04, 0x75, 0x31, 0x04, 0x68, 0x69, 0x02,
    0x74, 0x02, 0x04, 0x64, 0x65, 0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62, 0x02, 0x0e,
    0x72, 0x65, 0x70, 0x6c, 0x69, 0x65, 0x73, 0x02, 0x02, 0x6b, 0x02, 0x76, 0x00};

static void test_interop_bytes(void **state)
{
        swb_codec_t *c = codec_new("");
        json_t *in =
            load("{\"request_id\":\"r1\",\"session_id\":\"s1\",\"user_id\":\"u1\","
                 "\"text\":\"hi\",\"tenant_id\":\"t\",\"channel\":\"web\","
                 "\"locale\":\"de\",\"created_at\":1700000000000,"
                 "\"reply_topic\":\"replies\",\"metadata\":{\"k\":\"v\"}}");
        uint8_t *buf;
        size_t len;
        json_t *out;

        encode_ok(c, SWB_MSG_AGENT_REQUEST, in, (void **)&buf, &len);
        assert_int_equal(len, 10 + sizeof(python_body));
        assert_memory_equal(buf + 10, python_body, sizeof(python_body));
        out = decode_ok(c, SWB_MSG_AGENT_REQUEST, buf, len, SWB_MSG_AGENT_REQUEST);
        assert_json_equal(in, out);
        json_decref(out);
        json_decref(in);
        swb_free(buf);
        swb_codec_destroy(c);
}

static void test_defaults_filled(void **state)
{
        swb_codec_t *c = codec_new(NULL);
        json_t *min =
            load("{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                 "\"text\":\"t\",\"not_a_field\":[1,2]}");
        json_t *want =
            load("{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                 "\"text\":\"t\",\"tenant_id\":\"default\",\"channel\":\"api\","
                 "\"locale\":\"en\",\"created_at\":0,\"reply_topic\":null,"
                 "\"metadata\":{}}");
        json_t *out;
        void *buf;
        size_t len;

        encode_ok(c, SWB_MSG_AGENT_REQUEST, min, &buf, &len);
        out = decode_ok(c, SWB_MSG_AGENT_REQUEST, buf, len, SWB_MSG_AGENT_REQUEST);
        assert_json_equal(want, out);
        json_decref(out);
        swb_free(buf);

        /* A double takes an integer; the integer comes back as a real. */
        json_decref(min);
        min = load("{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                   "\"text\":\"t\",\"domain\":\"hotel\",\"confidence\":1}");
        encode_ok(c, SWB_MSG_ROUTED_REQUEST, min, &buf, &len);
        out = decode_ok(c, -1, buf, len, SWB_MSG_ROUTED_REQUEST);
        assert_true(json_is_real(json_object_get(out, "confidence")));
        assert_true(json_real_value(json_object_get(out, "confidence")) == 1.0);
        assert_string_equal(json_string_value(json_object_get(out, "method")), "rule");
        assert_string_equal(json_string_value(json_object_get(out, "intent")), "");
        json_decref(out);
        swb_free(buf);

        json_decref(min);
        json_decref(want);
        swb_codec_destroy(c);
}

static void test_roundtrip_confluent(void **state)
{
        struct fake_registry *fr = fake_start();
        swb_codec_t *c = codec_new(fr->url), *c2, *plain;
        uint8_t *bufs[SWB_MSG__CNT];
        size_t lens[SWB_MSG__CNT];

        for (int round = 0; round < 3; round++) {
                for (int t = 0; t < SWB_MSG__CNT; t++) {
                        json_t *in = sample(t), *out;
                        encode_ok(c, t, in, (void **)&bufs[t], &lens[t]);
                        assert_int_equal(bufs[t][0], 0x00);
                        out = decode_ok(c, t, bufs[t], lens[t], t);
                        assert_json_equal(in, out);
                        json_decref(out);
                        json_decref(in);
                        if (round < 2)
                                swb_free(bufs[t]);
                }
        }
        /* One registration per type, under "<RecordName>-value", with the
         * registry's content type; ids cached; no lookups by the encoder. */
        assert_int_equal(fr->posts, SWB_MSG__CNT);
        assert_int_equal(fr->n, SWB_MSG__CNT);
        assert_int_equal(fr->bad_content_type, 0);
        for (int t = 0; t < SWB_MSG__CNT; t++) {
                char subject[64];
                uint32_t id = (uint32_t)bufs[t][1] << 24 | (uint32_t)bufs[t][2] << 16 |
                              (uint32_t)bufs[t][3] << 8 | bufs[t][4];
                snprintf(subject, sizeof(subject), "%s-value", swb_codec_type_name(t));
                assert_in_range(id, 100, 100 + SWB_MSG__CNT - 1);
                assert_string_equal(fr->subjects[id - 100], subject);
                assert_int_equal(fr->gets[id - 100], 0);
        }

        /* A fresh codec looks each id up once. */
        c2 = codec_new(fr->url);
        for (int round = 0; round < 2; round++) {
                for (int t = 0; t < SWB_MSG__CNT; t++) {
                        json_t *in = sample(t),
                               *out = decode_ok(c2, -1, bufs[t], lens[t], t);
                        assert_json_equal(in, out);
                        json_decref(out);
                        json_decref(in);
                }
        }
        for (int i = 0; i < SWB_MSG__CNT; i++)
                assert_int_equal(fr->gets[i], 1);
        assert_int_equal(fr->posts, SWB_MSG__CNT);

        /* Unknown id: 404 -> unknown schema, not cached as known. */
        {
                uint8_t msg[] = {0x00, 0x00, 0x00, 0x03, 0xe7, 0x00};
                assert_int_equal(decode_err(c2, -1, msg, sizeof(msg)),
                                 SWB_ERR_UNKNOWN_SCHEMA);
                assert_int_equal(decode_err(c2, -1, msg, sizeof(msg)),
                                 SWB_ERR_UNKNOWN_SCHEMA);
                assert_int_equal(fr->gets_unknown, 2);
        }

        /* Without a registry: Confluent framing is an unknown schema, but a
         * registry codec still reads single-object messages. */
        plain = codec_new(NULL);
        assert_int_equal(decode_err(plain, -1, bufs[0], lens[0]),
                         SWB_ERR_UNKNOWN_SCHEMA);
        {
                json_t *in = sample(SWB_MSG_AUDIT_EVENT), *out;
                void *so;
                size_t so_len;
                encode_ok(plain, SWB_MSG_AUDIT_EVENT, in, &so, &so_len);
                out =
                    decode_ok(c2, SWB_MSG_AUDIT_EVENT, so, so_len, SWB_MSG_AUDIT_EVENT);
                assert_json_equal(in, out);
                json_decref(out);
                json_decref(in);
                swb_free(so);
        }

        for (int t = 0; t < SWB_MSG__CNT; t++)
                swb_free(bufs[t]);
        swb_codec_destroy(plain);
        swb_codec_destroy(c2);
        swb_codec_destroy(c);
        fake_stop(fr);
}

static void test_registry_errors(void **state)
{
        struct fake_registry *fr = fake_start();
        swb_codec_t *c = codec_new(fr->url);
        json_t *in = sample(SWB_MSG_STREAM_EVENT);
        void *buf = NULL;
        size_t len = 0;
        swb_err_t err;
        struct {
                unsigned status;
                const char *body;
                swb_err_t want;
        } cases[] = {
            {503, NULL, SWB_ERR_UNAVAILABLE},
            {500, "not json", SWB_ERR_UNAVAILABLE},
            {429, "{}", SWB_ERR_UNAVAILABLE},
            {409, "{\"error_code\":409,\"message\":\"incompatible\"}", SWB_ERR_SCHEMA},
            {422, "{\"error_code\":42201,\"message\":\"invalid\"}", SWB_ERR_SCHEMA},
            {200, "<html>proxy</html>", SWB_ERR_TRANSPORT},
            {200, "{\"no_id\":1}", SWB_ERR_TRANSPORT},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                fr->fail_status = cases[i].status;
                fr->fail_body = cases[i].body;
                err = swb_codec_encode(c, SWB_MSG_STREAM_EVENT, in, &buf, &len, errstr,
                                       sizeof(errstr));
                if (err != cases[i].want)
                        fail_msg("HTTP %u: got %s (%s)", cases[i].status,
                                 swb_err2str(err), errstr);
                assert_null(buf);
        }
        assert_true(swb_err_is_retriable(SWB_ERR_UNAVAILABLE));

        /* Failures are not cached: once the registry is back, encode works. */
        fr->fail_status = 0;
        encode_ok(c, SWB_MSG_STREAM_EVENT, in, &buf, &len);
        assert_int_equal(fr->posts, 1);
        swb_free(buf);
        buf = NULL;

        /* Lookups of an id fail the same way. */
        {
                uint8_t msg[] = {0x00, 0x00, 0x00, 0x00, 0x2a, 0x00};
                fr->fail_status = 503;
                fr->fail_body = NULL;
                swb_codec_t *c2 = codec_new(fr->url);
                assert_int_equal(decode_err(c2, -1, msg, sizeof(msg)),
                                 SWB_ERR_UNAVAILABLE);
                swb_codec_destroy(c2);
        }

        swb_codec_destroy(c);
        fake_stop(fr);

        /* Nobody listening: a transport error (retriable). */
        {
                char url[64];
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in sa = {.sin_family = AF_INET};
                socklen_t sl = sizeof(sa);
                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
                assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
                close(fd); /* bound, never listened: connections are refused */
                snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
                c = codec_new(url);
                err = swb_codec_encode(c, SWB_MSG_STREAM_EVENT, in, &buf, &len, errstr,
                                       sizeof(errstr));
                assert_int_equal(err, SWB_ERR_TRANSPORT);
                assert_true(swb_err_is_retriable(err));
                swb_codec_destroy(c);
        }
        json_decref(in);
}

/* AgentRequest as a later version might look: one more defaulted field. */
static const char *agent_request_v2 =
    "{\"type\":\"record\",\"name\":\"AgentRequest\",\"namespace\":\"dev.switchboard\","
    "\"fields\":["
    "{\"name\":\"request_id\",\"type\":\"string\"},"
    "{\"name\":\"session_id\",\"type\":\"string\"},"
    "{\"name\":\"user_id\",\"type\":\"string\"},"
    "{\"name\":\"text\",\"type\":\"string\"},"
    "{\"name\":\"priority\",\"type\":\"int\",\"default\":0},"
    "{\"name\":\"tenant_id\",\"type\":\"string\",\"default\":\"default\"},"
    "{\"name\":\"channel\",\"type\":{\"type\":\"enum\",\"name\":\"Channel\","
    "\"symbols\":[\"api\",\"web\",\"mobile\",\"chat\",\"other\"]},\"default\":\"api\"},"
    "{\"name\":\"locale\",\"type\":\"string\",\"default\":\"en\"},"
    "{\"name\":\"created_at\",\"type\":{\"type\":\"long\",\"logicalType\":"
    "\"timestamp-millis\"},\"default\":0},"
    "{\"name\":\"reply_topic\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"metadata\",\"type\":{\"type\":\"map\",\"values\":\"string\"},"
    "\"default\":{}}]}";

/* AgentRequest as an earlier version: no metadata, channel symbols in another
 * order. */
static const char *agent_request_v0 =
    "{\"type\":\"record\",\"name\":\"AgentRequest\",\"namespace\":\"dev.switchboard\","
    "\"fields\":["
    "{\"name\":\"request_id\",\"type\":\"string\"},"
    "{\"name\":\"session_id\",\"type\":\"string\"},"
    "{\"name\":\"user_id\",\"type\":\"string\"},"
    "{\"name\":\"text\",\"type\":\"string\"},"
    "{\"name\":\"tenant_id\",\"type\":\"string\",\"default\":\"default\"},"
    "{\"name\":\"channel\",\"type\":{\"type\":\"enum\",\"name\":\"Channel\","
    "\"symbols\":[\"web\",\"api\",\"mobile\",\"chat\",\"other\"]},\"default\":\"api\"},"
    "{\"name\":\"locale\",\"type\":\"string\",\"default\":\"en\"},"
    "{\"name\":\"created_at\",\"type\":\"long\",\"default\":0},"
    "{\"name\":\"reply_topic\",\"type\":[\"null\",\"string\"],\"default\":null}]}";

static void test_evolution_newer_writer(void **state)
{
        swb_codec_t *v2 = codec_new(NULL), *cur = codec_new(NULL);
        json_t *in = sample(SWB_MSG_AGENT_REQUEST), *out;
        void *buf;
        size_t len;

        assert_int_equal(
            swb_codec_use_schema(v2, agent_request_v2, errstr, sizeof(errstr)), SWB_OK);
        json_object_set_new(in, "priority", json_integer(7));
        encode_ok(v2, SWB_MSG_AGENT_REQUEST, in, &buf, &len);

        /* Not known yet: unknown fingerprint. */
        assert_int_equal(decode_err(cur, SWB_MSG_AGENT_REQUEST, buf, len),
                         SWB_ERR_UNKNOWN_SCHEMA);
        assert_int_equal(
            swb_codec_add_writer_schema(cur, agent_request_v2, errstr, sizeof(errstr)),
            SWB_OK);
        /* Adding it twice is harmless. */
        assert_int_equal(
            swb_codec_add_writer_schema(cur, agent_request_v2, errstr, sizeof(errstr)),
            SWB_OK);
        out = decode_ok(cur, SWB_MSG_AGENT_REQUEST, buf, len, SWB_MSG_AGENT_REQUEST);
        json_object_del(in, "priority"); /* the current reader has no such field */
        assert_json_equal(in, out);
        json_decref(out);
        swb_free(buf);

        /* And the v2 codec reads current data, priority from its default. */
        json_object_del(in, "priority");
        encode_ok(cur, SWB_MSG_AGENT_REQUEST, in, &buf, &len);
        out = decode_ok(v2, SWB_MSG_AGENT_REQUEST, buf, len, SWB_MSG_AGENT_REQUEST);
        assert_int_equal(json_integer_value(json_object_get(out, "priority")), 0);
        json_object_del(out, "priority");
        assert_json_equal(in, out);
        json_decref(out);
        swb_free(buf);

        json_decref(in);
        swb_codec_destroy(v2);
        swb_codec_destroy(cur);
}

static void test_evolution_older_reader(void **state)
{
        swb_codec_t *v0 = codec_new(NULL), *cur = codec_new(NULL);
        json_t *in = sample(SWB_MSG_AGENT_REQUEST), *out, *want;
        void *buf;
        size_t len;

        assert_int_equal(
            swb_codec_use_schema(v0, agent_request_v0, errstr, sizeof(errstr)), SWB_OK);

        /* Current writer, old reader: metadata dropped, the enum matched by
         * symbol name (not index: "web" is 1 here, 0 there). */
        json_object_set_new(in, "channel", json_string("web"));
        encode_ok(cur, SWB_MSG_AGENT_REQUEST, in, &buf, &len);
        out = decode_ok(v0, SWB_MSG_AGENT_REQUEST, buf, len, SWB_MSG_AGENT_REQUEST);
        want = json_deep_copy(in);
        json_object_del(want, "metadata");
        assert_json_equal(want, out);
        json_decref(want);
        json_decref(out);
        swb_free(buf);

        /* Old writer, current reader: metadata from its default, enum by name. */
        encode_ok(v0, SWB_MSG_AGENT_REQUEST, in, &buf, &len);
        assert_int_equal(decode_err(cur, -1, buf, len), SWB_ERR_UNKNOWN_SCHEMA);
        assert_int_equal(
            swb_codec_add_writer_schema(cur, agent_request_v0, errstr, sizeof(errstr)),
            SWB_OK);
        out = decode_ok(cur, -1, buf, len, SWB_MSG_AGENT_REQUEST);
        want = json_deep_copy(in);
        json_object_set_new(want, "metadata", json_object());
        assert_json_equal(want, out);
        json_decref(out);
        json_decref(want);

        /* The old codec reads its own data without metadata. */
        out = decode_ok(v0, -1, buf, len, SWB_MSG_AGENT_REQUEST);
        assert_null(json_object_get(out, "metadata"));
        assert_string_equal(json_string_value(json_object_get(out, "channel")), "web");
        json_decref(out);
        swb_free(buf);

        json_decref(in);
        swb_codec_destroy(v0);
        swb_codec_destroy(cur);
}

static void test_evolution_rules(void **state)
{
        swb_codec_t *c = codec_new(NULL);
        void *buf;
        size_t len;
        json_t *in;

        /* A field the reader needs, without default, missing in the writer. */
        assert_int_equal(
            swb_codec_add_writer_schema(
                c,
                "{\"type\":\"record\",\"name\":\"dev.switchboard.AgentRequest\","
                "\"fields\":[{\"name\":\"request_id\",\"type\":\"string\"}]}",
                errstr, sizeof(errstr)),
            SWB_ERR_SCHEMA);
        /* A field of an incompatible type. */
        assert_int_equal(
            swb_codec_add_writer_schema(
                c,
                "{\"type\":\"record\",\"name\":\"dev.switchboard.StreamEvent\","
                "\"fields\":[{\"name\":\"request_id\",\"type\":\"long\"},"
                "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":"
                "\"StreamKind\",\"symbols\":[\"start\"]}}]}",
                errstr, sizeof(errstr)),
            SWB_ERR_SCHEMA);
        assert_non_null(strstr(errstr, "request_id"));
        /* A record nobody reads, and no schema at all. */
        assert_int_equal(swb_codec_add_writer_schema(
                             c,
                             "{\"type\":\"record\",\"name\":\"x.Other\",\"fields\":[]}",
                             errstr, sizeof(errstr)),
                         SWB_ERR_UNKNOWN_SCHEMA);
        assert_int_equal(swb_codec_add_writer_schema(c, "{", errstr, sizeof(errstr)),
                         SWB_ERR_SCHEMA);
        assert_int_equal(
            swb_codec_add_writer_schema(c, "\"int\"", errstr, sizeof(errstr)),
            SWB_ERR_SCHEMA);
        assert_int_equal(swb_codec_use_schema(c, "\"int\"", errstr, sizeof(errstr)),
                         SWB_ERR_UNKNOWN_SCHEMA);

        /* A writer enum symbol the reader does not have fails at read time. */
        assert_int_equal(
            swb_codec_add_writer_schema(
                c,
                "{\"type\":\"record\",\"name\":\"dev.switchboard.StreamEvent\","
                "\"fields\":[{\"name\":\"request_id\",\"type\":\"string\"},"
                "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":"
                "\"StreamKind\",\"symbols\":[\"start\",\"ping\"]}}]}",
                errstr, sizeof(errstr)),
            SWB_OK);
        {
                swb_codec_t *w = codec_new(NULL);
                assert_int_equal(
                    swb_codec_use_schema(
                        w,
                        "{\"type\":\"record\",\"name\":\"dev.switchboard.StreamEvent\","
                        "\"fields\":[{\"name\":\"request_id\",\"type\":\"string\"},"
                        "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":"
                        "\"StreamKind\",\"symbols\":[\"start\",\"ping\"]}}]}",
                        errstr, sizeof(errstr)),
                    SWB_OK);
                in = load("{\"request_id\":\"r\",\"kind\":\"ping\"}");
                encode_ok(w, SWB_MSG_STREAM_EVENT, in, &buf, &len);
                assert_int_equal(decode_err(c, -1, buf, len), SWB_ERR_SCHEMA);
                swb_free(buf);
                json_decref(in);
                in = load("{\"request_id\":\"r\",\"kind\":\"start\"}");
                encode_ok(w, SWB_MSG_STREAM_EVENT, in, &buf, &len);
                json_decref(in);
                in = decode_ok(c, -1, buf, len, SWB_MSG_STREAM_EVENT);
                assert_string_equal(json_string_value(json_object_get(in, "kind")),
                                    "start");
                assert_int_equal(json_integer_value(json_object_get(in, "seq")), 0);
                json_decref(in);
                swb_free(buf);
                swb_codec_destroy(w);
        }

        /* Promotions: int -> long and double, string stays string. */
        {
                const char *v =
                    "{\"type\":\"record\",\"name\":\"dev.switchboard.AuditEvent\","
                    "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},"
                    "{\"name\":\"request_id\",\"type\":\"string\"},"
                    "{\"name\":\"stage\",\"type\":{\"type\":\"enum\",\"name\":"
                    "\"AuditStage\",\"symbols\":[\"replied\"]}},"
                    "{\"name\":\"tokens_in\",\"type\":\"int\"},"
                    "{\"name\":\"cost_usd\",\"type\":\"float\"},"
                    "{\"name\":\"duration_ms\",\"type\":[\"null\",\"int\"]}]}";
                swb_codec_t *w = codec_new(NULL);
                json_t *want = load(
                    "{\"event_id\":\"e\",\"request_id\":\"r\",\"session_id\":\"\","
                    "\"user_id\":\"\",\"tenant_id\":\"default\",\"stage\":\"replied\","
                    "\"agent\":\"\",\"details\":{},\"tokens_in\":12,\"tokens_out\":0,"
                    "\"cost_usd\":0.5,\"duration_ms\":77,\"created_at\":0}");
                assert_int_equal(swb_codec_use_schema(w, v, errstr, sizeof(errstr)),
                                 SWB_OK);
                assert_int_equal(
                    swb_codec_add_writer_schema(c, v, errstr, sizeof(errstr)), SWB_OK);
                in = load(
                    "{\"event_id\":\"e\",\"request_id\":\"r\",\"stage\":\"replied\","
                    "\"tokens_in\":12,\"cost_usd\":0.5,\"duration_ms\":77}");
                encode_ok(w, SWB_MSG_AUDIT_EVENT, in, &buf, &len);
                json_decref(in);
                in = decode_ok(c, SWB_MSG_AUDIT_EVENT, buf, len, SWB_MSG_AUDIT_EVENT);
                assert_json_equal(want, in);
                json_decref(in);
                swb_free(buf);
                /* A null in the writer's union has no branch in the reader's long. */
                in = load(
                    "{\"event_id\":\"e\",\"request_id\":\"r\",\"stage\":\"replied\","
                    "\"tokens_in\":12,\"cost_usd\":0.5,\"duration_ms\":null}");
                encode_ok(w, SWB_MSG_AUDIT_EVENT, in, &buf, &len);
                assert_int_equal(decode_err(c, -1, buf, len), SWB_ERR_SCHEMA);
                json_decref(in);
                swb_free(buf);
                json_decref(want);
                swb_codec_destroy(w);
        }
        swb_codec_destroy(c);
}

static void test_encode_errors(void **state)
{
        swb_codec_t *c = codec_new(NULL);
        json_t *obj = sample(SWB_MSG_AGENT_REQUEST);
        void *buf = NULL;
        size_t len;

        /* Missing required field. */
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\"}"),
            SWB_ERR_SCHEMA);
        assert_non_null(strstr(errstr, "text"));
        assert_int_equal(
            encode_err(c, SWB_MSG_ROUTED_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\"}"),
            SWB_ERR_SCHEMA); /* domain has no default */
        /* Wrong JSON types. */
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":5}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"created_at\":\"yesterday\"}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"created_at\":1.5}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"channel\":\"fax\"}"),
            SWB_ERR_SCHEMA);
        assert_non_null(strstr(errstr, "channel"));
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"metadata\":{\"a\":1}}"),
            SWB_ERR_SCHEMA);
        assert_non_null(strstr(errstr, "metadata.a"));
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"reply_topic\":7}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(
            encode_err(c, SWB_MSG_AGENT_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"locale\":null}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(
            encode_err(c, SWB_MSG_STREAM_EVENT,
                       "{\"request_id\":\"r\",\"kind\":\"start\",\"seq\":2147483648}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(
            encode_err(c, SWB_MSG_ROUTED_REQUEST,
                       "{\"request_id\":\"r\",\"session_id\":\"s\",\"user_id\":\"u\","
                       "\"text\":\"t\",\"domain\":\"hotel\",\"confidence\":\"high\"}"),
            SWB_ERR_SCHEMA);
        assert_int_equal(encode_err(c, SWB_MSG_AGENT_REQUEST, "[]"), SWB_ERR_SCHEMA);
        /* Bad arguments. */
        assert_int_equal(
            swb_codec_encode(c, SWB_MSG__CNT, obj, &buf, &len, errstr, sizeof(errstr)),
            SWB_ERR_INVALID_ARG);
        assert_int_equal(swb_codec_encode(c, SWB_MSG_AGENT_REQUEST, obj, NULL, &len,
                                          errstr, sizeof(errstr)),
                         SWB_ERR_INVALID_ARG);
        assert_null(buf);
        /* The codec is still fine after errors (values are reset). */
        encode_ok(c, SWB_MSG_AGENT_REQUEST, obj, &buf, &len);
        {
                json_t *out = decode_ok(c, -1, buf, len, SWB_MSG_AGENT_REQUEST);
                assert_json_equal(obj, out);
                json_decref(out);
        }
        swb_free(buf);
        json_decref(obj);
        swb_codec_destroy(c);
}

static void test_decode_errors(void **state)
{
        swb_codec_t *c = codec_new(NULL);
        json_t *obj = sample(SWB_MSG_AGENT_REQUEST), *out;
        uint8_t *buf, *copy;
        size_t len;

        encode_ok(c, SWB_MSG_AGENT_REQUEST, obj, (void **)&buf, &len);
        copy = swb_malloc(len + 1);

        /* Bad magic, empty, short headers. */
        assert_int_equal(decode_err(c, -1, "", 0), SWB_ERR_DECODE);
        assert_int_equal(decode_err(c, -1, "\x42\x01", 2), SWB_ERR_DECODE);
        assert_int_equal(decode_err(c, -1, "\xC3\x02\0\0\0\0\0\0\0\0\0", 11),
                         SWB_ERR_DECODE);
        assert_int_equal(decode_err(c, -1, "\xC3", 1), SWB_ERR_DECODE);
        assert_int_equal(decode_err(c, -1, "\x00\x01", 2), SWB_ERR_DECODE);

        /* Every strict prefix is truncated. */
        for (size_t n = 0; n < len; n++) {
                swb_err_t err = decode_err(c, -1, buf, n);
                if (err != SWB_ERR_DECODE)
                        fail_msg("prefix %zu of %zu: %s", n, len, swb_err2str(err));
        }
        /* Trailing bytes. */
        memcpy(copy, buf, len);
        copy[len] = 0;
        assert_int_equal(decode_err(c, -1, copy, len + 1), SWB_ERR_DECODE);
        assert_non_null(strstr(errstr, "trailing"));
        /* Unknown fingerprint. */
        memcpy(copy, buf, len);
        copy[5] ^= 0xff;
        assert_int_equal(decode_err(c, -1, copy, len), SWB_ERR_UNKNOWN_SCHEMA);
        /* Wrong expected type, bad expect values. */
        assert_int_equal(decode_err(c, SWB_MSG_AGENT_REPLY, buf, len), SWB_ERR_SCHEMA);
        assert_int_equal(decode_err(c, SWB_MSG__CNT, buf, len), SWB_ERR_INVALID_ARG);
        assert_int_equal(decode_err(c, -2, buf, len), SWB_ERR_INVALID_ARG);
        assert_int_equal(
            swb_codec_decode(c, -1, buf, len, NULL, NULL, errstr, sizeof(errstr)),
            SWB_ERR_INVALID_ARG);

        /* Hand-made bodies of a StreamEvent: request_id string, session_id,
         * reply_id, seq int, kind enum, agent, text, tool, created_at. */
        {
                uint64_t fp = type_fingerprint(SWB_MSG_STREAM_EVENT);
                struct {
                        const char *what;
                        uint8_t body[24];
                        size_t len;
                        swb_err_t want;
                } cases[] = {
                    {"valid", {2, 'r', 0, 0, 0, 2, 0, 0, 0, 0}, 10, SWB_OK},
                    {"string longer than the buffer", {0x7e, 'r'}, 2, SWB_ERR_DECODE},
                    {"huge string length",
                     {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
                     10,
                     SWB_ERR_DECODE},
                    {"negative string length", {0x01, 'r'}, 2, SWB_ERR_DECODE},
                    {"varint too long",
                     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
                     11,
                     SWB_ERR_DECODE},
                    {"int out of range",
                     {2, 'r', 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0},
                     10,
                     SWB_ERR_DECODE},
                    {"enum index out of range",
                     {2, 'r', 0, 0, 0, 12, 0, 0, 0, 0},
                     10,
                     SWB_ERR_DECODE},
                    {"negative enum index",
                     {2, 'r', 0, 0, 0, 1, 0, 0, 0, 0},
                     10,
                     SWB_ERR_DECODE},
                    {"invalid UTF-8",
                     {2, 0xff, 0, 0, 0, 2, 0, 0, 0, 0},
                     10,
                     SWB_ERR_DECODE},
                    {"trailing byte",
                     {2, 'r', 0, 0, 0, 2, 0, 0, 0, 0, 0},
                     11,
                     SWB_ERR_DECODE},
                    {"truncated", {2, 'r', 0, 0, 0, 2, 0, 0, 0}, 9, SWB_ERR_DECODE},
                };
                for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                        uint8_t msg[40] = {0xC3, 0x01};
                        swb_err_t err;
                        for (int k = 0; k < 8; k++)
                                msg[2 + k] = (uint8_t)(fp >> (8 * k));
                        memcpy(msg + 10, cases[i].body, cases[i].len);
                        err =
                            decode_err(c, SWB_MSG_STREAM_EVENT, msg, 10 + cases[i].len);
                        if (err != cases[i].want)
                                fail_msg("%s: got %s (%s)", cases[i].what,
                                         swb_err2str(err), errstr);
                }
        }
        /* AgentRequest bodies: union index, map blocks. */
        {
                uint64_t fp = type_fingerprint(SWB_MSG_AGENT_REQUEST);
                /* 4 strings, tenant, channel, locale, created_at, then: */
                const uint8_t head[] = {0, 0, 0, 0, 0, 0, 0, 0};
                struct {
                        const char *what;
                        uint8_t tail[16];
                        size_t len;
                        swb_err_t want;
                } cases[] = {
                    {"valid", {0, 0}, 2, SWB_OK},
                    {"union index out of range", {4, 0}, 2, SWB_ERR_DECODE},
                    {"map with a negative block",
                     {0, 1, 8, 2, 'k', 2, 'v', 0},
                     8,
                     SWB_OK},
                    {"map block size wrong",
                     {0, 1, 6, 2, 'k', 2, 'v', 0},
                     8,
                     SWB_ERR_DECODE},
                    {"map key with NUL", {0, 2, 2, 0, 2, 'v', 0}, 7, SWB_ERR_DECODE},
                    {"map count past the end", {0, 0x7e, 0}, 3, SWB_ERR_DECODE},
                    {"huge map count",
                     {0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0},
                     11,
                     SWB_ERR_DECODE},
                    {"map without end", {0, 2, 2, 'k', 2, 'v'}, 6, SWB_ERR_DECODE},
                };
                for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                        uint8_t msg[48] = {0xC3, 0x01};
                        swb_err_t err;
                        for (int k = 0; k < 8; k++)
                                msg[2 + k] = (uint8_t)(fp >> (8 * k));
                        memcpy(msg + 10, head, sizeof(head));
                        memcpy(msg + 10 + sizeof(head), cases[i].tail, cases[i].len);
                        err = decode_err(c, -1, msg, 10 + sizeof(head) + cases[i].len);
                        if (err != cases[i].want)
                                fail_msg("%s: got %s (%s)", cases[i].what,
                                         swb_err2str(err), errstr);
                }
        }

        /* Flipping any bit of a valid message never crashes or leaks. */
        for (size_t i = 0; i < len; i++) {
                for (int bit = 0; bit < 8; bit++) {
                        memcpy(copy, buf, len);
                        copy[i] ^= (uint8_t)(1u << bit);
                        decode_err(c, -1, copy, len);
                }
        }
        /* And the codec still decodes afterwards. */
        out = decode_ok(c, -1, buf, len, SWB_MSG_AGENT_REQUEST);
        assert_json_equal(obj, out);
        json_decref(out);

        swb_free(copy);
        swb_free(buf);
        json_decref(obj);
        swb_codec_destroy(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_type_names),
            cmocka_unit_test(test_roundtrip_single_object),
            cmocka_unit_test(test_interop_bytes),
            cmocka_unit_test(test_defaults_filled),
            cmocka_unit_test(test_roundtrip_confluent),
            cmocka_unit_test(test_registry_errors),
            cmocka_unit_test(test_evolution_newer_writer),
            cmocka_unit_test(test_evolution_older_reader),
            cmocka_unit_test(test_evolution_rules),
            cmocka_unit_test(test_encode_errors),
            cmocka_unit_test(test_decode_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
