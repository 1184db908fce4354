/*
 * Unit tests of swb_client against librdkafka's in-process mock cluster:
 * a send is SWB_OK only once the broker acknowledged it; a delivery error is
 * reported as an error; a send the broker never acknowledges (broker down) is
 * withdrawn and reported as SWB_ERR_TIMEOUT after SWB_CLIENT_SEND_TIMEOUT_MS,
 * never as a silent success, and the client stays usable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

#include "swb_client.h"
#include "swb_config.h"
#include "swb_id.h"
#include "swb_test.h"

static struct {
        rd_kafka_t *rk; /* owns the mock cluster */
        rd_kafka_mock_cluster_t *mc;
        swb_config_t *cfg;
        swb_client_t *c;
} T;

static int setup(void **state)
{
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        (void)state;
        rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
        T.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(T.rk);
        T.mc = rd_kafka_mock_cluster_new(T.rk, 1);
        assert_non_null(T.mc);
        rd_kafka_mock_topic_create(T.mc, "swb.requests", 1, 1);
        rd_kafka_mock_topic_create(T.mc, "swb.replies", 1, 1);
        rd_kafka_mock_topic_create(T.mc, "swb.audit", 1, 1);
        T.cfg = swb_config_new();
        assert_int_equal(swb_config_set(T.cfg, "brokers",
                                        rd_kafka_mock_cluster_bootstraps(T.mc),
                                        SWB_CFG_SRC_FLAG, errstr, sizeof(errstr)),
                         SWB_OK);
        T.c = swb_client_new(T.cfg, false, errstr, sizeof(errstr));
        assert_non_null(T.c);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        swb_client_destroy(T.c);
        swb_config_destroy(T.cfg);
        rd_kafka_mock_cluster_destroy(T.mc);
        rd_kafka_destroy(T.rk);
        return 0;
}

static void test_acknowledged_send(void **state)
{
        char errstr[512];
        (void)state;
        assert_int_equal(
            swb_client_send_raw(T.c, "k", "payload", 7, errstr, sizeof(errstr)),
            SWB_OK);
}

static void test_delivery_error_is_an_error(void **state)
{
        char errstr[512] = "";
        (void)state;
        rd_kafka_mock_push_request_errors(
            T.mc, 0 /* ApiKey Produce (RD_KAFKAP_Produce is not public) */, 1,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
        assert_int_not_equal(
            swb_client_send_raw(T.c, "k", "payload", 7, errstr, sizeof(errstr)),
            SWB_OK);
        assert_non_null(strstr(errstr, "swb.requests"));
}

static void test_unacknowledged_send_is_a_timeout(void **state)
{
        char errstr[512];
        int64_t t0;
        (void)state;
        rd_kafka_mock_broker_set_down(T.mc, 1);
        t0 = swb_mono_ms();
        assert_int_equal(
            swb_client_send_raw(T.c, "k", "payload", 7, errstr, sizeof(errstr)),
            SWB_ERR_TIMEOUT);
        assert_true(swb_mono_ms() - t0 >= SWB_CLIENT_SEND_TIMEOUT_MS - 100);
        assert_non_null(strstr(errstr, "not confirmed"));
        /* usable again once the broker is back */
        rd_kafka_mock_broker_set_up(T.mc, 1);
        assert_int_equal(
            swb_client_send_raw(T.c, "k", "again", 5, errstr, sizeof(errstr)), SWB_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_acknowledged_send, setup, teardown),
            cmocka_unit_test_setup_teardown(test_delivery_error_is_an_error, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_unacknowledged_send_is_a_timeout,
                                            setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
