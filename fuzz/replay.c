/*
 * A libFuzzer-free driver for the fuzz targets of fuzz/, so every build (gcc
 * included) and CI's ASan + UBSan run exercise them: CTest's unit.fuzz_<name>.
 *
 * Deterministic: the inputs are the target's seeds (valid messages of the kind
 * it parses) and FUZZ_REPLAY_ITERS mutations of them (bit flips, byte
 * changes, inserts, deletes, truncation, splices of two seeds, runs of one
 * byte), from a fixed PRNG seed. A target aborts on a broken invariant; the
 * sanitizers catch memory and UB errors. Files named on the command line are
 * run as they are (a crash found by libFuzzer, to reproduce it).
 *
 * Compiled once per target with -DFUZZ_TARGET_<NAME>, which picks the seeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"

#ifdef FUZZ_TARGET_CODEC
#include <jansson.h>

#include "swb_codec.h"
#endif

#ifndef FUZZ_REPLAY_ITERS
#define FUZZ_REPLAY_ITERS 200000
#endif
#define MAX_SEEDS 16
#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct seed {
        uint8_t *p;
        size_t n;
};

static struct seed seeds[MAX_SEEDS];
static int n_seeds;

static void add_seed(const void *p, size_t n)
{
        if (n_seeds == MAX_SEEDS || n > MAX_INPUT)
                abort();
        seeds[n_seeds].p = swb_malloc(n ? n : 1);
        memcpy(seeds[n_seeds].p, p, n);
        seeds[n_seeds++].n = n;
}

/* A mode byte, then text. */
static __attribute__((unused)) void add_text_seed(uint8_t mode, const char *text)
{
        uint8_t buf[MAX_INPUT];
        size_t n = strlen(text);
        buf[0] = mode;
        memcpy(buf + 1, text, n);
        add_seed(buf, n + 1);
}

#if defined(FUZZ_TARGET_CODEC)
/* Each contract, whole (single-object header) and as a type byte + body. */
static void make_seeds(void)
{
        swb_codec_t *codec = swb_codec_new(NULL, NULL, 0);
        if (!codec)
                abort();
        for (int t = 0; t < SWB_MSG__CNT; t++) {
                json_t *obj = json_pack(
                    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, "
                    "s:I}",
                    "request_id", "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5", "session_id",
                    "s", "user_id", "u", "text", "carikan hotel di Bandung", "event_id",
                    "e", "reply_id", "p", "domain", "hotel", "agent", "hotel", "kind",
                    "token", "stage", "routed", "metadata", "k", "v", "reply_topic",
                    "swb.replies", "created_at", (json_int_t)1700000000000);
                uint8_t buf[MAX_INPUT];
                void *enc;
                size_t len;
                if (swb_codec_encode(codec, t, obj, &enc, &len, NULL, 0) ||
                    len > MAX_INPUT)
                        abort();
                add_seed(enc, len);
                buf[0] = (uint8_t)t;
                memcpy(buf + 1, (uint8_t *)enc + 10, len - 10);
                add_seed(buf, len - 9);
                swb_free(enc);
                json_decref(obj);
        }
        swb_codec_destroy(codec);
}
#elif defined(FUZZ_TARGET_LLM)
static void make_seeds(void)
{
        add_text_seed(
            0, "{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{"
               "\"role\":\"assistant\",\"content\":\"Hi\",\"tool_calls\":[{\"id\":"
               "\"t1\",\"type\":\"function\",\"function\":{\"name\":\"search_hotels\","
               "\"arguments\":\"{\\\"city\\\":\\\"Bali\\\"}\"}}]},\"finish_reason\":"
               "\"tool_calls\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":"
               "3,\"total_tokens\":15}}");
        add_text_seed(
            2, "{\"error\":{\"message\":\"rate limited\",\"type\":\"requests\"}}");
        add_text_seed(
            7, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
               "\"content\":\"Hal\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":"
               "{\"content\":\"lo\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":"
               "{\"tool_calls\":[{\"index\":0,\"id\":\"t1\",\"type\":\"function\","
               "\"function\":{\"name\":\"book_hotel\",\"arguments\":\"{\\\"a\\\"\"}}]}}"
               "]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{"
               "\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":"
               "\"tool_calls\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":"
               "2}}\n\ndata: [DONE]\n\n");
        add_text_seed(13,
                      "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\n\r\n"
                      ": keep-alive\n\ndata: [DONE]\n\n");
}
#elif defined(FUZZ_TARGET_SSE)
static void make_seeds(void)
{
        add_text_seed(5,
                      "event: message\ndata: first\nid: 1\n\ndata: a\r\ndata: b\r\n\r\n"
                      ": comment\nretry: 10\n\ndata:no space\n\n");
        add_text_seed(200,
                      "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: "
                      "[DONE]\n\n");
        add_text_seed(1, "\xef\xbb\xbf"
                         "data: bom\rdata: cr only\r\r");
}
#else
#error "compile with -DFUZZ_TARGET_CODEC, _LLM or _SSE"
#endif

static uint64_t rng = 0x5eed5eedULL;
static uint32_t rnd(uint32_t n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)(rng % n);
}

/* A mutation of a seed into buf; @returns its size. */
static size_t mutate(uint8_t *buf)
{
        const struct seed *s = &seeds[rnd((uint32_t)n_seeds)];
        size_t n = s->n;
        int ops = 1 + (int)rnd(4);
        memcpy(buf, s->p, n);
        while (ops--) {
                size_t at = n ? rnd((uint32_t)n) : 0;
                switch (rnd(7)) {
                case 0: /* flip a bit */
                        if (n)
                                buf[at] ^= (uint8_t)(1u << rnd(8));
                        break;
                case 1: /* an interesting byte */ {
                        static const uint8_t v[] = {0,   1,    0x7f, 0x80, 0xff,
                                                    '"', '\\', '\n', '{',  '}',
                                                    '[', ':',  0xc3};
                        if (n)
                                buf[at] = v[rnd(sizeof(v))];
                        break;
                }
                case 2: /* insert a byte */
                        if (n < MAX_INPUT) {
                                memmove(buf + at + 1, buf + at, n - at);
                                buf[at] = (uint8_t)rnd(256);
                                n++;
                        }
                        break;
                case 3: /* delete a run */
                        if (n) {
                                size_t k =
                                    1 + rnd((uint32_t)(n - at < 16 ? n - at : 16));
                                memmove(buf + at, buf + at + k, n - at - k);
                                n -= k;
                        }
                        break;
                case 4: /* truncate */
                        n = at;
                        break;
                case 5: /* splice the tail of another seed */ {
                        const struct seed *o = &seeds[rnd((uint32_t)n_seeds)];
                        size_t from = o->n ? rnd((uint32_t)o->n) : 0, k = o->n - from;
                        if (at + k > MAX_INPUT)
                                k = MAX_INPUT - at;
                        memcpy(buf + at, o->p + from, k);
                        n = at + k;
                        break;
                }
                case 6: /* a run of one byte */ {
                        size_t k = rnd(64);
                        if (n + k <= MAX_INPUT) {
                                memmove(buf + at + k, buf + at, n - at);
                                memset(buf + at, n ? buf[at] : 'a', k);
                                n += k;
                        }
                        break;
                }
                }
        }
        return n;
}

static int run_file(const char *path)
{
        FILE *fp = fopen(path, "rb");
        uint8_t *buf = swb_malloc(1 << 20);
        size_t n;
        if (!fp) {
                perror(path);
                return 1;
        }
        n = fread(buf, 1, 1 << 20, fp);
        fclose(fp);
        LLVMFuzzerTestOneInput(buf, n);
        swb_free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        static uint8_t buf[MAX_INPUT];
        int rc = 0;
        if (LLVMFuzzerInitialize)
                LLVMFuzzerInitialize(&argc, &argv);
        if (argc > 1) {
                for (int i = 1; i < argc; i++)
                        rc |= run_file(argv[i]);
                return rc;
        }
        make_seeds();
        for (int i = 0; i < n_seeds; i++)
                LLVMFuzzerTestOneInput(seeds[i].p, seeds[i].n);
        LLVMFuzzerTestOneInput(buf, 0);
        for (int i = 0; i < FUZZ_REPLAY_ITERS; i++) {
                size_t n = mutate(buf);
                /* a heap copy of the exact size, so ASan sees reads past the end */
                uint8_t *in = swb_malloc(n ? n : 1);
                memcpy(in, buf, n);
                LLVMFuzzerTestOneInput(in, n);
                swb_free(in);
        }
        printf("%d seeds, %d mutations: no invariant broken\n", n_seeds,
               FUZZ_REPLAY_ITERS);
        for (int i = 0; i < n_seeds; i++)
                swb_free(seeds[i].p);
        return 0;
}
