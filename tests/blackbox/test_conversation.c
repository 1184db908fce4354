/*
 * Black-box multi-turn routing with conversation state in the test stack's
 * Redis: follow-ups stay with the active agent, a clear topic switch
 * re-routes, an escalated request goes elsewhere and pops the stack, TTL
 * expiry forgets; with Redis unreachable or hanging, routing goes on
 * statelessly and a metric says so.
 */
#include "swb_test_pipeline.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swb_mem.h"

static const char *const domains[] = {"hotel", "flight", "customer_service", NULL};

static const char *agent_of(swb_test_pipeline_t *p, const char *session,
                            const char *text, json_t *metadata)
{
        static char agent[64];
        json_t *req = swb_test_request(session, text, "en"), *reply;
        if (metadata)
                json_object_set(req, "metadata", metadata);
        reply = swb_test_ask(p, req, 30000);
        snprintf(agent, sizeof(agent), "%s",
                 json_string_value(json_object_get(reply, "agent")));
        json_decref(reply);
        json_decref(req);
        return agent;
}

static void test_follow_ups_switch_escalation(void **state)
{
        static const char *const env[] = {"SWB_SESSION_TTL_S=600", NULL};
        swb_test_pipeline_t *p = swb_test_pipeline_start(domains, env);
        char session[64];
        json_t *md;
        snprintf(session, sizeof(session), "conv-%s", swb_test_unique());

        assert_string_equal(agent_of(p, session, "Find me a hotel in Bali", NULL),
                            "hotel");
        /* vague follow-ups stay with the hotel agent */
        assert_string_equal(agent_of(p, session, "2 nights please", NULL), "hotel");
        assert_string_equal(agent_of(p, session, "yes, the second one", NULL), "hotel");
        /* a clear switch re-routes, and the new agent becomes active */
        assert_string_equal(
            agent_of(p, session, "I also need a flight from Jakarta to Bali", NULL),
            "flight");
        assert_string_equal(agent_of(p, session, "the morning one", NULL), "flight");
        /* the flight agent hands a request back: it goes elsewhere, flight is popped */
        md = json_pack("{s:s}", "swb.escalated_from", "flight");
        assert_string_equal(agent_of(p, session, "the morning one", md),
                            "customer_service");
        json_decref(md);
        assert_string_equal(agent_of(p, session, "and what about the other one", NULL),
                            "customer_service");
        /* a different session knows nothing of this one */
        assert_string_equal(
            agent_of(p, "conv-other-session", "yes, the second one", NULL),
            "supervisor");
        swb_test_pipeline_stop(p);
}

static bool key_gone(void *arg)
{
        char *url = swb_test_stack_env("SWB_REDIS_URL");
        int port = 0;
        bool gone = false;
        redisContext *c;
        redisReply *r;
        sscanf(url, "redis://127.0.0.1:%d", &port);
        free(url);
        c = redisConnect("127.0.0.1", port);
        if (c && !c->err &&
            (r = redisCommand(c, "EXISTS swb:s:%s", (const char *)arg))) {
                gone = r->type == REDIS_REPLY_INTEGER && r->integer == 0;
                freeReplyObject(r);
        }
        redisFree(c);
        return gone;
}

static void test_ttl_expiry_forgets(void **state)
{
        static const char *const env[] = {"SWB_SESSION_TTL_S=1", NULL};
        swb_test_pipeline_t *p = swb_test_pipeline_start(domains, env);
        char session[64];
        snprintf(session, sizeof(session), "ttl-%s", swb_test_unique());
        /* (that the state is there and followed within the TTL is the test above) */
        assert_string_equal(agent_of(p, session, "Find me a hotel in Bali", NULL),
                            "hotel");
        assert_true(swb_test_wait_for(key_gone, session, 10000));
        /* the follow-up has no active agent any more */
        assert_string_equal(agent_of(p, session, "yes, the second one", NULL),
                            "supervisor");
        swb_test_pipeline_stop(p);
}

/* With Redis at `redis_url` unusable: the pipeline answers, statelessly (a
 * follow-up is not sticky), and the supervisor counts session errors. */
static void routes_statelessly(const char *redis_url, const char *session)
{
        char env_url[128];
        const char *env[] = {env_url, NULL};
        swb_test_pipeline_t *p;
        long status = 0;
        char *metrics;
        snprintf(env_url, sizeof(env_url), "SWB_REDIS_URL=%s", redis_url);
        p = swb_test_pipeline_start(domains, env);
        assert_string_equal(agent_of(p, session, "Find me a hotel in Bali", NULL),
                            "hotel");
        assert_string_equal(agent_of(p, session, "flights to Bali", NULL), "flight");
        assert_string_equal(agent_of(p, session, "yes, the second one", NULL),
                            "supervisor");
        metrics = swb_test_http_get(p, "supervisor", "/metrics", &status);
        assert_non_null(metrics);
        assert_int_equal(status, 200);
        if (!strstr(metrics,
                    "swb_cache_requests_total{cache=\"session\",result=\"error\"}"))
                fail_msg("no session error metric in:\n%s", metrics);
        free(metrics);
        swb_test_pipeline_stop(p);
}

static void test_redis_down_routes_statelessly(void **state)
{
        (void)state;
        routes_statelessly("redis://127.0.0.1:1/0", "down-1");
}

/* A Redis that accepts connections and never answers (the kernel accepts
 * them into the backlog): each read times out, and routing goes on. */
static void test_redis_hanging_routes_statelessly(void **state)
{
        struct sockaddr_in sa = {0};
        socklen_t sl = sizeof(sa);
        int ls = socket(AF_INET, SOCK_STREAM, 0);
        char url[64];
        (void)state;
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(ls, 64), 0);
        assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", ntohs(sa.sin_port));
        routes_statelessly(url, "hang-1");
        close(ls);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_follow_ups_switch_escalation),
            cmocka_unit_test(test_ttl_expiry_forgets),
            cmocka_unit_test(test_redis_down_routes_statelessly),
            cmocka_unit_test(test_redis_hanging_routes_statelessly),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
