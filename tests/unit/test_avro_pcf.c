/*
 * Unit tests of swb_avro_pcf (and the parsing it relies on): the Parsing
 * Canonical Form and CRC-64-AVRO fingerprint against the Avro specification's
 * test vectors (apache/avro share/test/data/schema-tests.txt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "swb_avro_pcf.h"
#include "swb_avro_schema.h"
#include "swb_codec.h"
#include "swb_mem.h"

struct vector {
        const char *input;
        const char *canonical;
        int64_t fingerprint; /* 0: the file gives none */
};

/* schema-tests.txt, cases 000-033 (029 with its original "size":015). */
static const struct vector spec_vectors[] = {
    /* 000 */ {"\"null\"", "\"null\"", INT64_C(7195948357588979594)},
    /* 001 */ {"{\"type\":\"null\"}", "\"null\"", 0},
    /* 002 */ {"\"boolean\"", "\"boolean\"", INT64_C(-6970731678124411036)},
    /* 003 */ {"{\"type\":\"boolean\"}", "\"boolean\"", 0},
    /* 004 */ {"\"int\"", "\"int\"", INT64_C(8247732601305521295)},
    /* 005 */ {"{\"type\":\"int\"}", "\"int\"", 0},
    /* 006 */ {"\"long\"", "\"long\"", INT64_C(-3434872931120570953)},
    /* 007 */ {"{\"type\":\"long\"}", "\"long\"", 0},
    /* 008 */ {"\"float\"", "\"float\"", INT64_C(5583340709985441680)},
    /* 009 */ {"{\"type\":\"float\"}", "\"float\"", 0},
    /* 010 */ {"\"double\"", "\"double\"", INT64_C(-8181574048448539266)},
    /* 011 */ {"{\"type\":\"double\"}", "\"double\"", 0},
    /* 012 */ {"\"bytes\"", "\"bytes\"", INT64_C(5746618253357095269)},
    /* 013 */ {"{\"type\":\"bytes\"}", "\"bytes\"", 0},
    /* 014 */ {"\"string\"", "\"string\"", INT64_C(-8142146995180207161)},
    /* 015 */ {"{\"type\":\"string\"}", "\"string\"", 0},
    /* 016 */ {"[  ]", "[]", INT64_C(-1241056759729112623)},
    /* 017 */ {"[ \"int\"  ]", "[\"int\"]", INT64_C(-5232228896498058493)},
    /* 018 */
    {"[ \"int\" , {\"type\":\"boolean\"} ]", "[\"int\",\"boolean\"]",
     INT64_C(5392556393470105090)},
    /* 019 */
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}",
     INT64_C(-4824392279771201922)},
    /* 020 */
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"namespace\":\"x.y\"}",
     "{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}",
     INT64_C(5916914534497305771)},
    /* 021 */
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"a.b.foo\", "
     "\"namespace\":\"x.y\"}",
     "{\"name\":\"a.b.foo\",\"type\":\"record\",\"fields\":[]}",
     INT64_C(-4616218487480524110)},
    /* 022 */
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"Useful info\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}",
     INT64_C(-4824392279771201922)},
    /* 023 */
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", "
     "\"aliases\":[\"foo\",\"bar\"]}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}",
     INT64_C(-4824392279771201922)},
    /* 024 */
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"foo\", "
     "\"aliases\":[\"foo\",\"bar\"]}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}",
     INT64_C(-4824392279771201922)},
    /* 025 */
    {"{\"fields\":[{\"type\":{\"type\":\"boolean\"}, \"name\":\"f1\"}], "
     "\"type\":\"record\", \"name\":\"foo\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":"
     "\"boolean\"}]}",
     INT64_C(7843277075252814651)},
    /* 026 */
    {"{ \"fields\":[{\"type\":\"boolean\", \"aliases\":[], \"name\":\"f1\", "
     "\"default\":true}, "
     "{\"order\":\"descending\",\"name\":\"f2\",\"doc\":\"Hello\",\"type\":\"int\"}], "
     "\"type\":\"record\", \"name\":\"foo\" }",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":"
     "\"boolean\"},{\"name\":\"f2\",\"type\":\"int\"}]}",
     INT64_C(-4860222112080293046)},
    /* 027 */
    {"{\"type\":\"enum\", \"name\":\"foo\", \"symbols\":[\"A1\"]}",
     "{\"name\":\"foo\",\"type\":\"enum\",\"symbols\":[\"A1\"]}",
     INT64_C(-6342190197741309591)},
    /* 028 */
    {"{\"namespace\":\"x.y.z\", \"type\":\"enum\", \"name\":\"foo\", \"doc\":\"foo "
     "bar\", \"symbols\":[\"A1\", \"A2\"]}",
     "{\"name\":\"x.y.z.foo\",\"type\":\"enum\",\"symbols\":[\"A1\",\"A2\"]}",
     INT64_C(-4448647247586288245)},
    /* 029 */
    {"{\"type\":\"fixed\", \"name\":\"foo\", \"size\":015}",
     "{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", INT64_C(1756455273707447556)},
    /* 030 */
    {"{\"namespace\":\"x.y.z\", \"type\":\"fixed\", \"name\":\"foo\", \"doc\":\"foo "
     "bar\", \"size\":32}",
     "{\"name\":\"x.y.z.foo\",\"type\":\"fixed\",\"size\":32}",
     INT64_C(-3064184465700546786)},
    /* 031 */
    {"{ \"items\":{\"type\":\"null\"}, \"type\":\"array\"}",
     "{\"type\":\"array\",\"items\":\"null\"}", INT64_C(-589620603366471059)},
    /* 032 */
    {"{ \"values\":\"string\", \"type\":\"map\"}",
     "{\"type\":\"map\",\"values\":\"string\"}", INT64_C(-8732877298790414990)},
    /* 033 */
    {"{\"name\":\"PigValue\",\"type\":\"record\", \"fields\":[{\"name\":\"value\", "
     "\"type\":[\"null\", \"int\", \"long\", \"PigValue\"]}]}",
     "{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\","
     "\"type\":[\"null\",\"int\",\"long\",\"PigValue\"]}]}",
     INT64_C(-1759257747318642341)},
};

static void test_spec_vectors(void **state)
{
        char err[256];

        for (size_t i = 0; i < SWB_ARRAY_LEN(spec_vectors); i++) {
                const struct vector *v = &spec_vectors[i];
                char *pcf = swb_codec_canonical_form(v->input, err, sizeof(err));
                if (!pcf)
                        fail_msg("case %03zu: %s", i, err);
                assert_string_equal(pcf, v->canonical);
                if (v->fingerprint)
                        assert_int_equal(
                            (int64_t)swb_codec_fingerprint64(pcf, strlen(pcf)),
                            v->fingerprint);
                swb_free(pcf);
        }
}

static void test_rabin_empty(void **state)
{
        /* The fingerprint of no bytes is EMPTY itself. */
        assert_int_equal(swb_avro_pcf_rabin64("", 0), 0xc15d213aa4d7a795ULL);
}

static void expect_pcf(const char *input, const char *canonical)
{
        char err[256] = "";
        char *pcf = swb_codec_canonical_form(input, err, sizeof(err));
        if (!pcf)
                fail_msg("%s: %s", input, err);
        assert_string_equal(pcf, canonical);
        swb_free(pcf);
}

static void test_more_canonical_forms(void **state)
{
        /* The examples of the brief. */
        expect_pcf("{\"type\":\"fixed\",\"name\":\"Foo\",\"size\":015}",
                   "{\"name\":\"Foo\",\"type\":\"fixed\",\"size\":15}");
        expect_pcf(
            "{\"type\":\"record\",\"name\":\"Foo\",\"namespace\":\"x.y\",\"fields\":"
            "[{\"name\":\"a\",\"type\":\"int\",\"doc\":\"d\",\"default\":1}]}",
            "{\"name\":\"x.y.Foo\",\"type\":\"record\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"int\"}]}");
        /* Logical types are their underlying type; attributes are stripped. */
        expect_pcf("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}",
                   "\"long\"");
        /* Nested definitions inherit the namespace; references become full names;
         * a second use of a named type is its name. */
        expect_pcf(
            "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a.b\",\"fields\":["
            "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
            "\"symbols\":[\"X\",\"Y\"],\"default\":\"X\"}},"
            "{\"name\":\"e2\",\"type\":\"E\"},"
            "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"c.F\",\"size\":2}}"
            ","
            "{\"name\":\"g\",\"type\":{\"type\":\"array\",\"items\":\"c.F\"}},"
            "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"R\"]}}]"
            "}",
            "{\"name\":\"a.b.R\",\"type\":\"record\",\"fields\":["
            "{\"name\":\"e\",\"type\":{\"name\":\"a.b.E\",\"type\":\"enum\","
            "\"symbols\":[\"X\",\"Y\"]}},"
            "{\"name\":\"e2\",\"type\":\"a.b.E\"},"
            "{\"name\":\"f\",\"type\":{\"name\":\"c.F\",\"type\":\"fixed\",\"size\":2}}"
            ","
            "{\"name\":\"g\",\"type\":{\"type\":\"array\",\"items\":\"c.F\"}},"
            "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"a.b.R\"]"
            "}}]}");
        /* "namespace":"" is the null namespace; a short reference falls back to it. */
        expect_pcf(
            "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
            "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":"
            "\"\","
            "\"symbols\":[\"A\"]}},{\"name\":\"y\",\"type\":\"E\"}]}",
            "{\"name\":\"n.R\",\"type\":\"record\",\"fields\":["
            "{\"name\":\"x\",\"type\":{\"name\":\"E\",\"type\":\"enum\",\"symbols\":["
            "\"A\"]}},"
            "{\"name\":\"y\",\"type\":\"E\"}]}");
        /* Leading zeros elsewhere, negative numbers and strings are left alone. */
        expect_pcf(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
            "\"long\",\"default\":-007,\"doc\":\"0012 \\\"-01\\\"\"}]}",
            "{\"name\":\"R\",\"type\":\"record\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"long\"}]}");
}

static void expect_invalid(const char *input)
{
        char err[256] = "";
        char *pcf = swb_codec_canonical_form(input, err, sizeof(err));
        if (pcf)
                fail_msg("accepted %s as %s", input, pcf);
        assert_true(err[0] != '\0');
}

static void test_invalid_schemas(void **state)
{
        expect_invalid("");
        expect_invalid("{");
        expect_invalid("\"nosuch\"");
        expect_invalid("{\"type\":\"record\",\"name\":\"R\"}");
        expect_invalid(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}");
        expect_invalid("{\"type\":\"record\",\"name\":\"1R\",\"fields\":[]}");
        expect_invalid(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}");
        expect_invalid("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}");
        expect_invalid(
            "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}");
        expect_invalid("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}");
        expect_invalid("{\"type\":\"array\"}");
        expect_invalid("[\"int\",\"int\"]");
        expect_invalid("[\"int\",[\"null\"]]");
        expect_invalid("[{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},"
                       "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"B\"]}]");
        expect_invalid(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"int\",\"default\":\"x\"}]}");
        expect_invalid(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"int\",\"default\":4294967296}]}");
        expect_invalid(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":[\"null\",\"string\"],\"default\":1}]}");
}

static void test_schema_nodes(void **state)
{
        const char *json =
            "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
            "{\"name\":\"a\",\"type\":[\"null\",\"R\"],\"default\":null},"
            "{\"name\":\"b\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
            "\"symbols\":[\"X\",\"Y\"],\"default\":\"Y\"}}]}";
        char err[256];
        swb_avro_schema_t *s =
            swb_avro_schema_new(json, strlen(json), err, sizeof(err));
        const swb_avro_node_t *r;

        assert_non_null(s);
        r = swb_avro_schema_root(s);
        assert_int_equal(r->type, SWB_AVRO_RECORD);
        assert_string_equal(r->fullname, "n.R");
        assert_string_equal(r->name, "R");
        assert_int_equal(r->n, 2);
        assert_true(json_is_null(r->fields[0].dflt));
        assert_ptr_equal(r->fields[0].type->branches[1], r); /* recursive */
        assert_string_equal(r->fields[1].type->fullname, "n.E");
        assert_int_equal(r->fields[1].type->enum_default, 1);
        assert_int_equal(swb_avro_schema_fingerprint(s),
                         swb_avro_pcf_rabin64(swb_avro_schema_canonical(s),
                                              strlen(swb_avro_schema_canonical(s))));
        swb_avro_schema_destroy(s);
        swb_avro_schema_destroy(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_spec_vectors),
            cmocka_unit_test(test_rabin_empty),
            cmocka_unit_test(test_more_canonical_forms),
            cmocka_unit_test(test_invalid_schemas),
            cmocka_unit_test(test_schema_nodes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
