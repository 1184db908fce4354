/*
 * libFuzzer target: swb_llm_decode on arbitrary bytes - chat completion
 * bodies (swb_llm_parse_response) and event streams (swb_llm_stream_*).
 *
 * The first byte picks the mode and, for streams, the piece size (1..128):
 *   even  the rest is a JSON body
 *   odd   the rest is an event stream, decoded whole and in pieces; both
 *         must give the same outcome (error, content, tool calls, usage).
 * A successful result must also build its assistant message.
 *
 * Build (clang): clang -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
 *   -Ilib fuzz/fuzz_llm.c lib/swb_llm_decode.c lib/swb_sse.c lib/swb_mem.c
 *   lib/swb_err.c $(pkg-config --cflags --libs jansson) -o fuzz_llm
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swb_llm_decode.h"
#include "swb_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_deltas;

static void on_delta(void *opaque, const swb_llm_delta_t *d)
{
        (void)opaque;
        if (!d->text || !d->len || strlen(d->text) > d->len || !d->tool_id)
                abort();
        n_deltas++;
}

static void check_message(const swb_llm_result_t *res)
{
        json_t *msg;

        if (res->err)
                return;
        msg = swb_llm_result_message(res);
        if (!msg)
                abort();
        json_decref(msg);
}

static swb_llm_result_t *stream(const char *p, size_t n, size_t piece)
{
        swb_llm_stream_t *st = swb_llm_stream_new(4096, on_delta, NULL);
        swb_llm_result_t *res = swb_llm_result_new();

        for (size_t at = 0; at < n; at += piece)
                if (swb_llm_stream_feed(st, p + at, n - at < piece ? n - at : piece))
                        break;
        swb_llm_stream_finish(st, res);
        swb_llm_stream_destroy(st);
        return res;
}

static int str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data + 1;
        swb_llm_result_t *a, *b;

        if (size < 1)
                return 0;
        if (!(data[0] & 1)) {
                a = swb_llm_result_new();
                swb_llm_parse_response(p, size - 1, a);
                check_message(a);
                swb_llm_result_destroy(a);
                return 0;
        }
        a = stream(p, size - 1, size);
        b = stream(p, size - 1, (size_t)(data[0] >> 1) + 1);
        if (a->err != b->err || !str_eq(a->content, b->content) ||
            !str_eq(a->finish_reason, b->finish_reason) ||
            a->n_tool_calls != b->n_tool_calls ||
            a->usage.total_tokens != b->usage.total_tokens)
                abort();
        for (size_t i = 0; i < a->n_tool_calls; i++)
                if (!str_eq(a->tool_calls[i].id, b->tool_calls[i].id) ||
                    !str_eq(a->tool_calls[i].name, b->tool_calls[i].name) ||
                    !str_eq(a->tool_calls[i].arguments, b->tool_calls[i].arguments))
                        abort();
        check_message(a);
        swb_llm_result_destroy(a);
        swb_llm_result_destroy(b);
        return 0;
}
