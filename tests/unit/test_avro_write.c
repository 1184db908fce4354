/*
 * Unit tests of swb_avro_write: the direct JSON -> Avro binary writer must
 * write exactly the bytes avro-c writes for the same value (set through
 * swb_avro_value_from_json), for every contract of schemas/ and a schema with
 * every Avro type, over hand-picked edge cases and thousands of random
 * values; and it must refuse exactly what swb_avro_value_from_json refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <avro.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_avro_schema.h"
#include "swb_avro_value.h"
#include "swb_avro_write.h"
#include "swb_mem.h"
#include "swb_schemas.h"

/* Every type, nested: records in arrays in maps, unions of each kind. */
static const char *const all_types =
    "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4}},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\","
    "\"B\","
    "\"C\"]}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"int\",\"long\",\"string\",\"E\"]},"
    "{\"name\":\"ud\",\"type\":[\"null\",\"double\"],\"default\":null},"
    "{\"name\":\"r\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"In\",\"fields\":[{\"name\":\"k\",\"type\":\"string\"},{\"name\":\"v\","
    "\"type\":{\"type\":\"map\",\"values\":[\"null\",\"long\"]}}]}}},"
    "{\"name\":\"dl\",\"type\":\"long\",\"default\":42}"
    "]}";

struct pair {
        swb_avro_schema_t *ours;
        avro_schema_t theirs;
        avro_value_iface_t *iface;
        avro_value_t value;
};

static void pair_init(struct pair *p, const char *json)
{
        char err[256];
        p->ours = swb_avro_schema_new(json, strlen(json), err, sizeof(err));
        assert_non_null(p->ours);
        assert_int_equal(avro_schema_from_json_length(json, strlen(json), &p->theirs),
                         0);
        p->iface = avro_generic_class_from_schema(p->theirs);
        assert_non_null(p->iface);
        assert_int_equal(avro_generic_value_new(p->iface, &p->value), 0);
}

static void pair_fini(struct pair *p)
{
        avro_value_decref(&p->value);
        avro_value_iface_decref(p->iface);
        avro_schema_decref(p->theirs);
        swb_avro_schema_destroy(p->ours);
}

/* Both encoders agree on `j`: the same bytes, or both refuse. @returns fits. */
static bool same(struct pair *p, const json_t *j)
{
        const swb_avro_node_t *root = swb_avro_schema_root(p->ours);
        swb_buf_t b = {0};
        char err[256];
        bool ok = swb_avro_write_json(root, j, &b);
        swb_err_t ref;

        avro_value_reset(&p->value);
        ref = swb_avro_value_from_json(root, j, &p->value, err, sizeof(err));
        if (ok != (ref == SWB_OK)) {
                char *txt = json_dumps(j, JSON_ENCODE_ANY);
                fail_msg("writer says %s, reference says %s (%s) for %s",
                         ok ? "fits" : "refused", ref ? "refused" : "fits",
                         ref ? err : "", txt);
        }
        if (ok) {
                size_t size = 0;
                char *ref_buf;
                avro_writer_t w;
                assert_int_equal(avro_value_sizeof(&p->value, &size), 0);
                ref_buf = swb_malloc(size + 1);
                w = avro_writer_memory(ref_buf, (int64_t)size);
                assert_int_equal(avro_value_write(w, &p->value), 0);
                avro_writer_free(w);
                assert_int_equal(b.len, size);
                assert_memory_equal(b.p, ref_buf, size);
                swb_free(ref_buf);
        }
        swb_buf_free(&b);
        return ok;
}

static void test_edge_cases(void **state)
{
        struct pair p;
        json_t *base;
        (void)state;
        pair_init(&p, all_types);
        base = json_pack(
            "{s:n, s:b, s:i, s:I, s:f, s:f, s:s, s:s, s:s, s:s, s:[], s:{}, s:n, "
            "s:[]}",
            "n", "b", 1, "i", 0, "l", (json_int_t)0, "f", 0.0, "d", 0.0, "by", "", "s",
            "", "fx", "abcd", "e", "A", "a", "m", "u", "r");
        assert_true(same(&p, base));
        {
                /* extremes of every number, and strings with NUL and UTF-8 */
                static const json_int_t longs[] = {
                    INT64_MIN, INT64_MIN + 1, -65,  -64,       -1,       1, 63,
                    64,        8191,          8192, INT32_MAX, INT64_MAX};
                static const double dbl[] = {-0.0, 1e-310, 3.5, -1e300, 1.0 / 3.0};
                for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
                        json_t *j = json_deep_copy(base);
                        json_object_set_new(j, "l", json_integer(longs[i]));
                        json_object_set_new(j, "u", json_integer(longs[i]));
                        json_object_set_new(
                            j, "a", json_pack("[I,I]", longs[i], -longs[i] / 2));
                        assert_true(same(&p, j));
                        json_object_set_new(j, "i", json_integer(longs[i]));
                        same(&p, j); /* int out of range: both refuse */
                        json_decref(j);
                }
                for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++) {
                        json_t *j = json_deep_copy(base);
                        json_object_set_new(j, "f", json_real(dbl[i]));
                        json_object_set_new(j, "d", json_real(dbl[i]));
                        json_object_set_new(j, "ud", json_real(dbl[i]));
                        assert_true(same(&p, j));
                        json_decref(j);
                }
                {
                        json_t *j = json_deep_copy(base);
                        json_object_set_new(j, "s", json_stringn("a\0b", 3));
                        json_object_set_new(j, "by", json_stringn("\0\1\2", 3));
                        json_object_set_new(j, "m",
                                            json_pack("{s:s, s:s}", "k\xc3\xa9",
                                                      "\xe2\x82\xac", "", "x"));
                        json_object_set_new(j, "u",
                                            json_string("B")); /* string before enum */
                        json_object_set_new(j, "r",
                                            json_pack("[{s:s, s:{s:n, s:I}}]", "k", "x",
                                                      "v", "a", "b", (json_int_t)-7));
                        assert_true(same(&p, j));
                        json_decref(j);
                }
        }
        {
                /* what both refuse */
                static const char *const bad[][2] = {
                    {"e", "\"Z\""}, {"fx", "\"abc\""},        {"b", "1"},
                    {"a", "[1.5]"}, {"m", "{\"k\":1}"},       {"u", "1.5"},
                    {"s", "null"},  {"r", "[{\"k\":\"x\"}]"},
                };
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        json_t *j = json_deep_copy(base);
                        json_object_set_new(
                            j, bad[i][0], json_loads(bad[i][1], JSON_DECODE_ANY, NULL));
                        assert_false(same(&p, j));
                        json_decref(j);
                }
                json_t *j = json_deep_copy(base);
                json_object_del(j, "s"); /* required */
                assert_false(same(&p, j));
                json_decref(j);
        }
        json_decref(base);
        pair_fini(&p);
}

/* ------------------------------------------------ random values of a schema */

static unsigned seed = 12345;
static unsigned rnd(unsigned n)
{
        seed = seed * 1103515245u + 12345u;
        return (seed >> 8) % n;
}

static json_t *rand_string(void)
{
        static const char *const parts[] = {"a", "Z", " ", "\xc3\xa9", "\xe2\x82\xac",
                                            "0", "-"};
        char buf[64] = "";
        unsigned n = rnd(12);
        for (unsigned i = 0; i < n; i++)
                strcat(buf, parts[rnd(7)]);
        return json_string(buf);
}

static json_t *rand_value(const swb_avro_node_t *n, int depth)
{
        switch (n->type) {
        case SWB_AVRO_NULL:
                return json_null();
        case SWB_AVRO_BOOLEAN:
                return json_boolean(rnd(2));
        case SWB_AVRO_INT:
                return json_integer(
                    (json_int_t)(int32_t)(rnd(1u << 31) * (rnd(2) ? 1 : -1)));
        case SWB_AVRO_LONG:
                return json_integer(
                    (json_int_t)(((uint64_t)rnd(1u << 30) << 33) ^ rnd(1u << 30)) *
                    (rnd(2) ? 1 : -1));
        case SWB_AVRO_FLOAT:
        case SWB_AVRO_DOUBLE:
                return json_real((double)rnd(100000) / (double)(rnd(999) + 1) *
                                 (rnd(2) ? 1 : -1));
        case SWB_AVRO_STRING:
        case SWB_AVRO_BYTES:
                return rand_string();
        case SWB_AVRO_FIXED: {
                char buf[64];
                memset(buf, 'q', n->n);
                return json_stringn(buf, n->n);
        }
        case SWB_AVRO_ENUM:
                return json_string(n->symbols[rnd((unsigned)n->n)]);
        case SWB_AVRO_ARRAY: {
                json_t *a = json_array();
                unsigned k = depth > 3 ? 0 : rnd(4);
                for (unsigned i = 0; i < k; i++)
                        json_array_append_new(a, rand_value(n->items, depth + 1));
                return a;
        }
        case SWB_AVRO_MAP: {
                json_t *o = json_object();
                unsigned k = depth > 3 ? 0 : rnd(4);
                for (unsigned i = 0; i < k; i++) {
                        char key[16];
                        snprintf(key, sizeof(key), "k%u", rnd(1000));
                        json_object_set_new(o, key, rand_value(n->items, depth + 1));
                }
                return o;
        }
        case SWB_AVRO_RECORD: {
                json_t *o = json_object();
                for (size_t i = 0; i < n->n; i++)
                        if (!n->fields[i].dflt || rnd(2)) /* else: the default */
                                json_object_set_new(
                                    o, n->fields[i].name,
                                    rand_value(n->fields[i].type, depth + 1));
                if (rnd(4) == 0)
                        json_object_set_new(o, "not_a_field",
                                            json_true()); /* ignored */
                return o;
        }
        case SWB_AVRO_UNION:
                return rand_value(n->branches[rnd((unsigned)n->n)], depth + 1);
        }
        return json_null();
}

static void fuzz(const char *json, int iters)
{
        struct pair p;
        pair_init(&p, json);
        for (int i = 0; i < iters; i++) {
                json_t *j = rand_value(swb_avro_schema_root(p.ours), 0);
                assert_true(same(&p, j));
                json_decref(j);
        }
        pair_fini(&p);
}

static void test_random_values(void **state)
{
        (void)state;
        fuzz(all_types, 3000);
}

static void test_every_contract(void **state)
{
        (void)state;
        assert_true(swb_schema_srcs_cnt >= 5);
        for (size_t i = 0; i < swb_schema_srcs_cnt; i++)
                fuzz(swb_schema_srcs[i].json, 1000);
}

/* The same record from field values and from JSON: the same bytes. */
static void test_fields_match_json(void **state)
{
        const char *audit = NULL;
        swb_avro_schema_t *sch;
        swb_buf_t a = {0}, b = {0};
        char why[256];
        (void)state;
        for (size_t i = 0; i < swb_schema_srcs_cnt; i++)
                if (!strcmp(swb_schema_srcs[i].name, "AuditEvent"))
                        audit = swb_schema_srcs[i].json;
        assert_non_null(audit);
        sch = swb_avro_schema_new(audit, strlen(audit), why, sizeof(why));
        assert_non_null(sch);
        {
                static const char *const kv[] = {"k\xc3\xa9", "v", "trace_id", "abc",
                                                 NULL};
                swb_avro_fieldval_t f[] = {
                    {.name = "created_at", .kind = SWB_AVRO_V_LONG, .l = 1700000000123},
                    {.name = "event_id", .kind = SWB_AVRO_V_STR, .s = "e", .len = 1},
                    {.name = "request_id", .kind = SWB_AVRO_V_STR, .s = "r", .len = 1},
                    {.name = "stage", .kind = SWB_AVRO_V_STR, .s = "routed", .len = 6},
                    {.name = "details", .kind = SWB_AVRO_V_STRMAP, .kv = kv, .n_kv = 2},
                    {.name = "cost_usd", .kind = SWB_AVRO_V_DOUBLE, .d = 0.25},
                    {.name = "tokens_in", .kind = SWB_AVRO_V_LONG, .l = -3},
                    {.name = "no_such_field", .kind = SWB_AVRO_V_LONG, .l = 1},
                };
                json_t *j = json_pack(
                    "{s:I, s:s, s:s, s:s, s:{s:s, s:s}, s:f, s:I}", "created_at",
                    (json_int_t)1700000000123, "event_id", "e", "request_id", "r",
                    "stage", "routed", "details", "k\xc3\xa9", "v", "trace_id", "abc",
                    "cost_usd", 0.25, "tokens_in", (json_int_t)-3);
                assert_true(swb_avro_write_fields(swb_avro_schema_root(sch), f, 8, &a,
                                                  why, sizeof(why)));
                assert_true(swb_avro_write_json(swb_avro_schema_root(sch), j, &b));
                assert_int_equal(a.len, b.len);
                assert_memory_equal(a.p, b.p, a.len);
                json_decref(j);
                /* refused: an unknown enum symbol, a required field left out */
                f[3].s = "nope", f[3].len = 4;
                a.len = 0;
                assert_false(swb_avro_write_fields(swb_avro_schema_root(sch), f, 8, &a,
                                                   why, sizeof(why)));
                assert_non_null(strstr(why, "stage"));
                f[3].s = "routed", f[3].len = 6;
                a.len = 0;
                assert_false(swb_avro_write_fields(swb_avro_schema_root(sch), f + 2, 6,
                                                   &a, why, sizeof(why)));
                assert_non_null(strstr(why, "event_id: missing"));
        }
        swb_buf_free(&a);
        swb_buf_free(&b);
        swb_avro_schema_destroy(sch);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_edge_cases),
            cmocka_unit_test(test_random_values),
            cmocka_unit_test(test_every_contract),
            cmocka_unit_test(test_fields_match_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
