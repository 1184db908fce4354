/*
 * Unit tests of swb_avro_binary: which byte strings are exactly one datum of
 * a schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "swb_avro_binary.h"
#include "swb_avro_schema.h"
#include "swb_mem.h"

struct bin_case {
        const char *what;
        const char *bytes;
        size_t len;
        swb_err_t want;
};

#define B(s) s, sizeof(s) - 1

static void check(const char *schema, const struct bin_case *cases, size_t n)
{
        char err[256];
        swb_avro_schema_t *s =
            swb_avro_schema_new(schema, strlen(schema), err, sizeof(err));

        if (!s)
                fail_msg("%s: %s", schema, err);
        for (size_t i = 0; i < n; i++) {
                swb_err_t got;
                err[0] = '\0';
                got = swb_avro_binary_validate(swb_avro_schema_root(s), cases[i].bytes,
                                               cases[i].len, err, sizeof(err));
                if (got != cases[i].want)
                        fail_msg("%s: %s: got %s (%s)", schema, cases[i].what,
                                 swb_err2str(got), err);
                if (got)
                        assert_true(err[0] != '\0');
        }
        swb_avro_schema_destroy(s);
}

static void test_primitives(void **state)
{
        static const struct bin_case b[] = {
            {"false", B("\x00"), SWB_OK},
            {"true", B("\x01"), SWB_OK},
            {"2", B("\x02"), SWB_ERR_DECODE},
            {"empty", B(""), SWB_ERR_DECODE},
            {"trailing", B("\x01\x00"), SWB_ERR_DECODE},
        };
        static const struct bin_case i[] = {
            {"0", B("\x00"), SWB_OK},
            {"INT32_MIN", B("\xff\xff\xff\xff\x0f"), SWB_OK},
            {"2^31", B("\x80\x80\x80\x80\x10"), SWB_ERR_DECODE},
            {"6 bytes", B("\x80\x80\x80\x80\x80\x00"), SWB_ERR_DECODE},
            {"unterminated", B("\x80"), SWB_ERR_DECODE},
        };
        static const struct bin_case l[] = {
            {"INT64_MIN", B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), SWB_OK},
            {"65 bits", B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), SWB_ERR_DECODE},
            {"11 bytes", B("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"),
             SWB_ERR_DECODE},
        };
        static const struct bin_case d[] = {
            {"8 bytes", B("\0\0\0\0\0\0\xf0\x3f"), SWB_OK},
            {"7 bytes", B("\0\0\0\0\0\0\xf0"), SWB_ERR_DECODE},
        };
        static const struct bin_case f[] = {
            {"4 bytes", B("\0\0\x80\x3f"), SWB_OK},
            {"3 bytes", B("\0\0\x80"), SWB_ERR_DECODE},
        };
        static const struct bin_case s[] = {
            {"empty string", B("\x00"), SWB_OK},
            {"abc",
             B("\x06"
               "abc"),
             SWB_OK},
            {"NUL inside is fine", B("\x02\x00"), SWB_OK},
            {"short",
             B("\x08"
               "abc"),
             SWB_ERR_DECODE},
            {"negative",
             B("\x05"
               "abc"),
             SWB_ERR_DECODE},
            {"huge", B("\xfe\xff\xff\xff\xff\xff\xff\xff\x7f"), SWB_ERR_DECODE},
        };
        static const struct bin_case n[] = {
            {"nothing", B(""), SWB_OK},
            {"something", B("\x00"), SWB_ERR_DECODE},
        };
        check("\"boolean\"", b, SWB_ARRAY_LEN(b));
        check("\"int\"", i, SWB_ARRAY_LEN(i));
        check("\"long\"", l, SWB_ARRAY_LEN(l));
        check("\"double\"", d, SWB_ARRAY_LEN(d));
        check("\"float\"", f, SWB_ARRAY_LEN(f));
        check("\"string\"", s, SWB_ARRAY_LEN(s));
        check("\"bytes\"", s, SWB_ARRAY_LEN(s));
        check("\"null\"", n, SWB_ARRAY_LEN(n));
}

static void test_complex(void **state)
{
        static const struct bin_case e[] = {
            {"A", B("\x00"), SWB_OK},
            {"B", B("\x02"), SWB_OK},
            {"index 2", B("\x04"), SWB_ERR_DECODE},
            {"index -1", B("\x01"), SWB_ERR_DECODE},
        };
        static const struct bin_case fx[] = {
            {"3 bytes", B("abc"), SWB_OK},
            {"2 bytes", B("ab"), SWB_ERR_DECODE},
        };
        static const struct bin_case u[] = {
            {"null", B("\x00"), SWB_OK},
            {"string", B("\x02\x02x"), SWB_OK},
            {"branch 2", B("\x04"), SWB_ERR_DECODE},
            {"branch -1", B("\x01"), SWB_ERR_DECODE},
        };
        static const struct bin_case an[] = {
            {"empty", B("\x00"), SWB_OK},
            {"5 nulls in 2 blocks", B("\x06\x04\x00"), SWB_OK},
            {"sized block", B("\x03\x00\x00"), SWB_OK},
            {"sized block, wrong size", B("\x03\x02\x00"), SWB_ERR_DECODE},
            {"2^62 nulls", B("\xfe\xff\xff\xff\xff\xff\xff\xff\x7f\x00"),
             SWB_ERR_DECODE},
            {"INT64_MIN count", B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00"),
             SWB_ERR_DECODE},
            {"no end", B("\x02"), SWB_ERR_DECODE},
        };
        static const struct bin_case m[] = {
            {"{}", B("\x00"), SWB_OK},
            {"{k:1}", B("\x02\x02k\x02\x00"), SWB_OK},
            {"NUL key", B("\x02\x02\x00\x02\x00"), SWB_ERR_DECODE},
            {"value missing", B("\x02\x02k"), SWB_ERR_DECODE},
        };
        check("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", e,
              SWB_ARRAY_LEN(e));
        check("{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}", fx, SWB_ARRAY_LEN(fx));
        check("[\"null\",\"string\"]", u, SWB_ARRAY_LEN(u));
        check("{\"type\":\"array\",\"items\":\"null\"}", an, SWB_ARRAY_LEN(an));
        check("{\"type\":\"map\",\"values\":\"int\"}", m, SWB_ARRAY_LEN(m));
}

static void test_recursion_depth(void **state)
{
        const char *schema =
            "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"next\","
            "\"type\":[\"null\",\"L\"]}]}";
        char deep[200], err[256];
        swb_avro_schema_t *s =
            swb_avro_schema_new(schema, strlen(schema), err, sizeof(err));
        const swb_avro_node_t *root;

        assert_non_null(s);
        root = swb_avro_schema_root(s);
        /* Each level: union branch 1; the last: branch 0 (null). */
        memset(deep, 0x02, sizeof(deep));
        deep[10] = 0x00;
        assert_int_equal(swb_avro_binary_validate(root, deep, 11, err, sizeof(err)),
                         SWB_OK);
        deep[10] = 0x02;
        deep[sizeof(deep) - 1] = 0x00;
        assert_int_equal(
            swb_avro_binary_validate(root, deep, sizeof(deep), err, sizeof(err)),
            SWB_ERR_DECODE);
        assert_non_null(strstr(err, "deep"));
        swb_avro_schema_destroy(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_primitives),
            cmocka_unit_test(test_complex),
            cmocka_unit_test(test_recursion_depth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
