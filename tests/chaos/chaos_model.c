/*
 * Chaos model faults: the agents are restarted with llm.url pointing at the
 * scripted fake model (tests/support/swb_fake_llm), which answers like a
 * model (a booking request gets a book_hotel_room tool call, a tool result
 * is echoed as the answer, anything else gets a short text) and, slice by
 * slice of the stream, fails: 429 with Retry-After, bursts of 503, a stall
 * longer than max.poll.interval.ms (long form), malformed JSON (long form).
 * Every request must still get exactly one reply: the model's, a "try again"
 * one or the planner's while the circuit is open.
 */
#include "chaos.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"

static const char *const mode_names[] = {[M_OK] = "ok",
                                         [M_429] = "429 Retry-After: 1",
                                         [M_5XX] = "503 burst",
                                         [M_STALL] = "stall",
                                         [M_MALFORMED] = "malformed JSON"};

static const int short_plan[] = {M_OK, M_429, M_OK, M_5XX, M_OK};
static const int long_plan[] = {M_OK,    M_429, M_OK,        M_5XX, M_OK,
                                M_STALL, M_OK,  M_MALFORMED, M_OK};

static const char *last_of(const json_t *msgs, const char *role, const char **last_role)
{
        size_t n = json_array_size(msgs);
        *last_role =
            n ? json_string_value(json_object_get(json_array_get(msgs, n - 1), "role"))
              : NULL;
        for (size_t i = n; i-- > 0;) {
                const json_t *m = json_array_get(msgs, i);
                const char *r = json_string_value(json_object_get(m, "role"));
                if (r && !strcmp(r, role))
                        return json_string_value(json_object_get(m, "content"));
        }
        return NULL;
}

/* As a model would: book when asked to, echo a tool's result, else talk. */
static void answer(const json_t *request, struct swb_fake_llm_reply *reply,
                   char *scratch, size_t scratch_size)
{
        static _Thread_local struct swb_fake_llm_tool_call tc;
        static _Thread_local char args[256];
        const json_t *msgs = json_object_get(request, "messages");
        const char *role, *user = last_of(msgs, "user", &role), *p;
        long long room, hotel;
        char d1[16], d2[16];

        reply->kind = SWB_FAKE_LLM_COMPLETION;
        reply->prompt_tokens = 100;
        reply->completion_tokens = 20;
        if (role && !strcmp(role, "tool")) {
                const char *tool = last_of(msgs, "tool", &role);
                snprintf(scratch, scratch_size, "%s", tool ? tool : "done");
                reply->content = scratch;
                return;
        }
        p = user ? strstr(user, "book room type ") : NULL;
        if (p && sscanf(p, "book room type %lld at hotel %lld from %15s to %15s", &room,
                        &hotel, d1, d2) == 4) {
                snprintf(args, sizeof(args),
                         "{\"hotel_id\":%lld,\"room_type_id\":%lld,\"check_in\":\"%s\","
                         "\"check_out\":\"%s\",\"guests\":2}",
                         hotel, room, d1, d2);
                tc.id = NULL;
                tc.name = "book_hotel_room";
                tc.arguments = args;
                reply->tool_calls = &tc;
                reply->n_tool_calls = 1;
                return;
        }
        reply->content = "Here is what I found for you.";
}

static bool script(void *opaque, const json_t *request, uint64_t seq,
                   struct swb_fake_llm_reply *reply, char *scratch, size_t scratch_size)
{
        int mode = __atomic_load_n(&C.model_mode, __ATOMIC_ACQUIRE);
        (void)opaque, (void)seq;
        __atomic_add_fetch(&C.model_calls[mode], 1, __ATOMIC_RELAXED);
        switch (mode) {
        case M_429:
                reply->kind = SWB_FAKE_LLM_ERROR;
                reply->status = 429;
                reply->message = "rate limited";
                reply->retry_after = "1";
                return true;
        case M_5XX:
                reply->kind = SWB_FAKE_LLM_ERROR;
                reply->status = 503;
                reply->message = "overloaded";
                return true;
        case M_STALL:
                reply->kind = SWB_FAKE_LLM_STALL;
                reply->stall_ms = CHAOS_MAX_POLL_MS + 3000;
                return true;
        case M_MALFORMED:
                reply->kind = SWB_FAKE_LLM_MALFORMED;
                return true;
        default:
                answer(request, reply, scratch, scratch_size);
                return true;
        }
}

void chaos_model_new(void)
{
        char errstr[256];
        struct swb_fake_llm_opts o = {.no_record = true};
        C.fake = swb_fake_llm_new(&o, errstr, sizeof(errstr));
        if (!C.fake)
                fail_msg("fake model: %s", errstr);
        swb_fake_llm_set_handler(C.fake, script, NULL);
}

void chaos_model_destroy(void)
{
        swb_fake_llm_destroy(C.fake);
        C.fake = NULL;
}

static void add_env(const char *kv)
{
        int n = 0;
        while (C.p->env[n])
                n++;
        assert_true(n + 1 < (int)SWB_ARRAY_LEN(C.p->env));
        C.p->env[n] = swb_strdup(kv);
        C.p->env[n + 1] = NULL;
}

/* The agents again, now with the model (SIGTERM: a clean handover). */
static void agents_with_model(void)
{
        char url[300];
        snprintf(url, sizeof(url), "SWB_LLM_URL=%s", swb_fake_llm_url(C.fake));
        add_env(url);
        add_env("SWB_LLM_BREAKER_OPEN_MS=2000");
        if (C.long_form) {
                char mp[64];
                snprintf(mp, sizeof(mp), "SWB_KAFKA_MAX_POLL_INTERVAL_MS=%d",
                         CHAOS_MAX_POLL_MS);
                add_env(mp);
        }
        for (int i = 0; i < C.p->n; i++)
                if (strcmp(C.p->names[i], "supervisor") && C.p->pids[i] > 0)
                        kill(C.p->pids[i], SIGTERM);
        for (int i = 0; i < C.p->n; i++)
                if (strcmp(C.p->names[i], "supervisor")) {
                        chaos_stop_gracefully(i);
                        chaos_restart(i);
                }
}

/* Before the clock starts: the agents with the model, every group answering. */
static void model_prepare(void)
{
        if (C.fake)
                return;
        chaos_model_new();
        agents_with_model();
        chaos_wait_warm();
        chaos_log(NULL, "agents restarted with the fake model; every group answers");
}

static void model_begin(struct chaos_phase *ph)
{
        __atomic_store_n(&C.model_mode, M_OK, __ATOMIC_RELEASE);
        for (size_t i = 0; i < SWB_ARRAY_LEN(C.model_calls); i++)
                __atomic_store_n(&C.model_calls[i], 0, __ATOMIC_RELAXED);
        ph->step = -1;
}

static bool model_tick(struct chaos_phase *ph, int64_t now)
{
        const int *plan = C.long_form ? long_plan : short_plan;
        int n = C.long_form ? (int)SWB_ARRAY_LEN(long_plan)
                            : (int)SWB_ARRAY_LEN(short_plan);
        int slice = (int)((now - ph->t0) * n / ph->send_ms);
        if (slice >= n)
                return false;
        if (slice != ph->step) {
                ph->step = slice;
                __atomic_store_n(&C.model_mode, plan[slice], __ATOMIC_RELEASE);
                if (plan[slice] != M_OK)
                        ph->events++;
                chaos_log(ph, "model: %s", mode_names[plan[slice]]);
        }
        return true;
}

static void model_end(struct chaos_phase *ph)
{
        __atomic_store_n(&C.model_mode, M_OK, __ATOMIC_RELEASE);
        chaos_log(
            ph, "model calls while sending: ok=%d 429=%d 503=%d stall=%d malformed=%d",
            C.model_calls[M_OK], C.model_calls[M_429], C.model_calls[M_5XX],
            C.model_calls[M_STALL], C.model_calls[M_MALFORMED]);
}

const struct chaos_scenario chaos_sc_model = {
    .name = "model",
    .what =
        "fake model: 429 Retry-After, 503 bursts (long: + stall > max.poll, malformed)",
    .requests = {150, 1000},
    .send_ms = {6000, 45000},
    .in_short = true,
    .prepare = model_prepare,
    .begin = model_begin,
    .tick = model_tick,
    .end = model_end,
};
