#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_sse.h"

/* Every event seen, as "type|id|data\n" lines (data with '\n' shown as '/'). */
typedef struct {
        char *p;
        size_t len;
        int n;
        int stop_at; /* return SWB_ERR_DECODE on this event number (1-based); 0 = never
                      */
} log_t;

static swb_err_t on_event(void *opaque, const swb_sse_event_t *ev)
{
        log_t *l = opaque;
        size_t need = strlen(ev->type) + strlen(ev->id) + ev->data_len + 4;
        char *d;

        assert_int_equal(strlen(ev->data) <= ev->data_len, 1);
        l->p = swb_realloc(l->p, l->len + need + 1);
        d = l->p + l->len;
        l->len += (size_t)sprintf(d, "%s|%s|", ev->type, ev->id);
        for (size_t i = 0; i < ev->data_len; i++)
                l->p[l->len++] = ev->data[i] == '\n' ? '/' : ev->data[i];
        l->p[l->len++] = '\n';
        l->p[l->len] = '\0';
        l->n++;
        return l->stop_at && l->n == l->stop_at ? SWB_ERR_DECODE : SWB_OK;
}

/* Parse `s` cut at the positions in cuts[] (ascending), then finish. */
static char *parse_cut(const char *s, size_t len, const size_t *cuts, size_t ncuts,
                       bool finish)
{
        log_t l = {0};
        swb_sse_t *p = swb_sse_new(0, on_event, &l);
        size_t at = 0;

        for (size_t i = 0; i <= ncuts; i++) {
                size_t end = i < ncuts ? cuts[i] : len;
                assert_int_equal(swb_sse_feed(p, s + at, end - at), SWB_OK);
                at = end;
        }
        if (finish)
                assert_int_equal(swb_sse_finish(p), SWB_OK);
        swb_sse_destroy(p);
        if (!l.p)
                l.p = swb_strdup("");
        return l.p;
}

static char *parse_whole(const char *s)
{
        return parse_cut(s, strlen(s), NULL, 0, false);
}

/* The events do not depend on where the bytes were cut: every 1 and 2 cuts, bytewise.
 */
static void assert_cut_invariant(const char *s, bool all_pairs)
{
        size_t len = strlen(s);
        char *want = parse_cut(s, len, NULL, 0, true);

        for (size_t i = 0; i <= len; i++) {
                char *got = parse_cut(s, len, &i, 1, true);
                assert_string_equal(got, want);
                swb_free(got);
                if (!all_pairs)
                        continue;
                for (size_t j = i; j <= len; j++) {
                        size_t cuts[2] = {i, j};
                        got = parse_cut(s, len, cuts, 2, true);
                        assert_string_equal(got, want);
                        swb_free(got);
                }
        }
        {
                size_t *cuts = swb_malloc((len + 1) * sizeof(*cuts));
                char *got;
                for (size_t i = 0; i < len; i++)
                        cuts[i] = i + 1;
                got = parse_cut(s, len, cuts, len ? len - 1 : 0, true);
                assert_string_equal(got, want);
                swb_free(got);
                swb_free(cuts);
        }
        swb_free(want);
}

static void test_fields(void **state)
{
        char *got;
        (void)state;

        got = parse_whole("data: hello\n\n");
        assert_string_equal(got, "message||hello\n");
        swb_free(got);

        /* One space after the colon is dropped, only one; no colon = empty value. */
        got = parse_whole("data:x\n\ndata:  two\n\ndata\n\n");
        assert_string_equal(got, "message||x\nmessage|| two\nmessage||\n");
        swb_free(got);

        /* Multi-line data joins with '\n'; event type; id persists across events. */
        got = parse_whole("event: chunk\nid: 7\ndata: a\ndata: b\ndata\n\ndata: c\n\n");
        assert_string_equal(got, "chunk|7|a/b/\nmessage|7|c\n");
        swb_free(got);

        /* Comments, unknown fields, no data: nothing dispatched; event type reset. */
        got = parse_whole(": keep-alive\n\nevent: x\nfoo: bar\n\n:\ndata: y\n\n");
        assert_string_equal(got, "message||y\n");
        swb_free(got);

        /* An id holding NUL is ignored. */
        {
                static const char s[] = "id: a\0b\ndata: z\n\n";
                char *g = parse_cut(s, sizeof(s) - 1, NULL, 0, false);
                assert_string_equal(g, "message||z\n");
                swb_free(g);
        }
}

static void test_line_ends(void **state)
{
        char *got;
        (void)state;

        got =
            parse_whole("data: a\r\ndata: b\r\n\r\ndata: c\rdata: d\r\rdata: e\n\r\n");
        assert_string_equal(got, "message||a/b\nmessage||c/d\nmessage||e\n");
        swb_free(got);

        /* A BOM at the start is skipped (once). */
        got = parse_whole("\xEF\xBB\xBF"
                          "data: x\n\n\xEF\xBB\xBF"
                          "data: y\n\n");
        assert_string_equal(got, "message||x\n");
        swb_free(got);
}

static void test_retry(void **state)
{
        log_t l = {0};
        swb_sse_t *p = swb_sse_new(0, on_event, &l);
        (void)state;

        assert_int_equal(swb_sse_retry_ms(p), -1);
        assert_int_equal(swb_sse_feed(p, "retry: 1500\n", 12), SWB_OK);
        assert_int_equal(swb_sse_retry_ms(p), 1500);
        assert_int_equal(swb_sse_feed(p, "retry: 15x\nretry:\n", 18), SWB_OK);
        assert_int_equal(swb_sse_retry_ms(p), 1500);
        assert_int_equal(swb_sse_events(p), 0);
        swb_sse_destroy(p);
        swb_free(l.p);
}

static void test_done_and_finish(void **state)
{
        const char *s = "data: {\"a\":1}\n\ndata: [DONE]";
        char *got;
        (void)state;

        /* Without finish, an unterminated event is pending, as the standard says. */
        got = parse_cut(s, strlen(s), NULL, 0, false);
        assert_string_equal(got, "message||{\"a\":1}\n");
        swb_free(got);
        /* finish takes the last line as complete (servers that close after [DONE]). */
        got = parse_cut(s, strlen(s), NULL, 0, true);
        assert_string_equal(got, "message||{\"a\":1}\nmessage||[DONE]\n");
        swb_free(got);
        got = parse_cut("data: x\n", 8, NULL, 0, true);
        assert_string_equal(got, "message||x\n");
        swb_free(got);
}

static void test_every_split(void **state)
{
        (void)state;
        assert_cut_invariant(
            "\xEF\xBB\xBF: hi\r\nevent: e1\r\nid: 1\r\ndata: {\"x\":\r\n"
            "data: 1}\r\n\r\ndata:a\rdata:b\r\r:c\n\ndata\ndata: [DONE]\n\n",
            true);
        /* An OpenAI-like stream, every single cut and bytewise. */
        assert_cut_invariant(
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
            "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
            "\"Hel\"},\"finish_reason\":null}]}\n\n"
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},"
            "\"finish_reason\":\"stop\"}]}\n\n"
            "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3}}\n\n"
            "data: [DONE]\n\n",
            false);
}

static void test_limits(void **state)
{
        log_t l = {0};
        swb_sse_t *p = swb_sse_new(16, on_event, &l);
        (void)state;

        assert_int_equal(swb_sse_feed(p, "data: 0123456789\n", 17), SWB_OK);
        /* the event's data would pass 16 bytes */
        assert_int_equal(swb_sse_feed(p, "data: abcdef\n", 13), SWB_ERR_TOO_LARGE);
        /* sticky */
        assert_int_equal(swb_sse_feed(p, "\n", 1), SWB_ERR_TOO_LARGE);
        assert_int_equal(l.n, 0);
        swb_sse_destroy(p);

        /* A line that never ends cannot grow past the limit either. */
        p = swb_sse_new(16, on_event, &l);
        for (int i = 0; i < 2; i++)
                assert_int_equal(swb_sse_feed(p, "data: 0123", 10),
                                 i ? SWB_ERR_TOO_LARGE : SWB_OK);
        swb_sse_destroy(p);
        swb_free(l.p);
}

static void test_callback_stops(void **state)
{
        log_t l = {.stop_at = 2};
        swb_sse_t *p = swb_sse_new(0, on_event, &l);
        (void)state;

        assert_int_equal(swb_sse_feed(p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27),
                         SWB_ERR_DECODE);
        assert_int_equal(l.n, 2);
        assert_int_equal(swb_sse_feed(p, "data: 4\n\n", 9), SWB_ERR_DECODE);
        assert_int_equal(l.n, 2);
        swb_sse_destroy(p);
        swb_free(l.p);
}

static void test_garbage(void **state)
{
        uint64_t x = 88172645463325252ULL;
        size_t total = 1 << 20;
        char *buf = swb_malloc(total);
        (void)state;

        for (size_t i = 0; i < total; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                /* mostly line ends, colons and letters, so fields get parsed */
                static const char alphabet[] =
                    "data:event:id:retry:\n\r\n: 0123456789[DONE]\0";
                buf[i] = (x >> 32) % 4 ? alphabet[(x >> 8) % (sizeof(alphabet) - 1)]
                                       : (char)(x >> 24);
        }
        for (int round = 0; round < 2; round++) {
                log_t l = {0};
                swb_sse_t *p = swb_sse_new(round ? 64 : 0, on_event, &l);
                swb_err_t err = SWB_OK;
                size_t at = 0;
                while (at < total && !err) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        size_t n = 1 + (size_t)(x % 4096);
                        if (n > total - at)
                                n = total - at;
                        err = swb_sse_feed(p, buf + at, n);
                        at += n;
                }
                assert_true(err == SWB_OK || err == SWB_ERR_TOO_LARGE);
                if (!err)
                        (void)swb_sse_finish(p);
                swb_sse_destroy(p);
                swb_free(l.p);
        }
        swb_free(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields),
            cmocka_unit_test(test_line_ends),
            cmocka_unit_test(test_retry),
            cmocka_unit_test(test_done_and_finish),
            cmocka_unit_test(test_every_split),
            cmocka_unit_test(test_limits),
            cmocka_unit_test(test_callback_stops),
            cmocka_unit_test(test_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
