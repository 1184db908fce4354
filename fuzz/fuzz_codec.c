/*
 * libFuzzer target: swb_codec_decode() on arbitrary bytes.
 *
 * The input is decoded as it comes (both wire formats, any type). When its
 * first byte is below SWB_MSG__CNT, the rest is also decoded as the body of
 * that type behind a valid single-object header, so the fuzzer reaches the
 * Avro body decoder without having to guess a 64-bit fingerprint. No
 * registry: Confluent-framed input stops at the unknown id.
 *
 * Build (clang): cc -fsanitize=fuzzer,address,undefined -Ilib fuzz/fuzz_codec.c
 *   <libswb built with -fsanitize=fuzzer-no-link,address,undefined> $(pkg-config
 *   --libs avro-c libcurl jansson) -lpthread -lm
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swb_codec.h"
#include "swb_mem.h"
#include "swb_schemas.h"

static swb_codec_t *codec;
static uint8_t headers[SWB_MSG__CNT][10];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At exit, so a leak check at exit sees only real leaks. */
static void destroy_codec(void)
{
        swb_codec_destroy(codec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char err[256];

        codec = swb_codec_new(NULL, err, sizeof(err));
        if (!codec)
                abort();
        atexit(destroy_codec);
        /* The header of each type: encode a minimal object once. */
        for (int t = 0; t < SWB_MSG__CNT; t++) {
                json_t *obj = json_pack(
                    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "request_id",
                    "r", "session_id", "s", "user_id", "u", "text", "t", "event_id",
                    "e", "reply_id", "p", "domain", "hotel", "agent", "hotel", "kind",
                    "start", "stage", "received");
                void *buf;
                size_t len;
                if (swb_codec_encode(codec, t, obj, &buf, &len, err, sizeof(err)))
                        abort();
                memcpy(headers[t], buf, sizeof(headers[t]));
                swb_free(buf);
                json_decref(obj);
        }
        return 0;
}

static void decode(const uint8_t *data, size_t size)
{
        json_t *obj = NULL;
        swb_msg_type_t type;
        char err[256];

        if (swb_codec_decode(codec, -1, data, size, &type, &obj, err, sizeof(err)) ==
            SWB_OK) {
                /* What decodes must encode again. */
                void *buf;
                size_t len;
                if (swb_codec_encode(codec, type, obj, &buf, &len, err, sizeof(err)))
                        abort();
                swb_free(buf);
                json_decref(obj);
        } else if (obj) {
                abort(); /* an error must not return an object */
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        decode(data, size);
        if (size >= 1 && data[0] < SWB_MSG__CNT) {
                uint8_t *msg = swb_malloc(size - 1 + 10);
                memcpy(msg, headers[data[0]], 10);
                memcpy(msg + 10, data + 1, size - 1);
                decode(msg, size - 1 + 10);
                swb_free(msg);
        }
        return 0;
}
