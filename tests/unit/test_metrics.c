#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_metrics.h"

static void assert_render(swb_metrics_t *m, const char *expected)
{
        char *got = swb_metrics_render(m);
        if (strcmp(got, expected))
                fprintf(stderr, "--- expected:\n%s--- got:\n%s---\n", expected, got);
        assert_string_equal(got, expected);
        swb_free(got);
}

static void test_empty(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        assert_render(m, "");
        assert_render(NULL, "");
        swb_metrics_destroy(m);
        swb_metrics_destroy(NULL);
}

static void test_counter_labels(void **state)
{
        static const char *const labels[] = {"domain", "outcome", NULL};
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *c =
            swb_metrics_counter(m, "swb_requests_total", "Requests handled.", labels);
        const char *const v[] = {"flight", "error"};

        assert_non_null(c);
        swb_metric_inc2(c, "hotel", "ok", 1);
        swb_metric_inc2(c, "hotel", "ok", 2);
        swb_metric_inc(c, v, 1);
        swb_metric_inc2(c, "hotel", "ok", -5);  /* counters never go down */
        swb_metric_inc1(c, "hotel", 1);         /* wrong label count: ignored */
        swb_metric_set2(c, "hotel", "ok", 100); /* set on a counter: ignored */
        swb_metric_observe(c, v, 1);            /* observe on a counter: ignored */
        assert_render(m, "# HELP swb_requests_total Requests handled.\n"
                         "# TYPE swb_requests_total counter\n"
                         "swb_requests_total{domain=\"hotel\",outcome=\"ok\"} 3\n"
                         "swb_requests_total{domain=\"flight\",outcome=\"error\"} 1\n");
        assert_true(swb_metric_value(c, v) == 1);
        assert_true(swb_metric_value(c, (const char *const[]){"x", "y"}) == 0);
        swb_metrics_destroy(m);
}

static void test_counter_no_labels(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *c = swb_metrics_counter(m, "swb_ticks_total", "Ticks.", NULL);

        /* A family without labels shows its one series at once. */
        assert_render(m, "# HELP swb_ticks_total Ticks.\n"
                         "# TYPE swb_ticks_total counter\n"
                         "swb_ticks_total 0\n");
        swb_metric_inc0(c, 1);
        swb_metric_inc(c, NULL, 0.5);
        assert_render(m, "# HELP swb_ticks_total Ticks.\n"
                         "# TYPE swb_ticks_total counter\n"
                         "swb_ticks_total 1.5\n");
        swb_metrics_destroy(m);
}

static void test_escaping(void **state)
{
        static const char *const labels[] = {"path", NULL};
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *c = swb_metrics_counter(
            m, "swb_esc_total", "Help with \\ backslash,\nnewline and \"quotes\".",
            labels);

        swb_metric_inc1(c, "a\\b\"c\nd", 1);
        swb_metric_inc1(c, NULL, 2); /* NULL value = "" */
        assert_render(m, "# HELP swb_esc_total Help with \\\\ backslash,\\nnewline and "
                         "\"quotes\".\n"
                         "# TYPE swb_esc_total counter\n"
                         "swb_esc_total{path=\"a\\\\b\\\"c\\nd\"} 1\n"
                         "swb_esc_total{path=\"\"} 2\n");
        swb_metrics_destroy(m);
}

static void test_gauge(void **state)
{
        static const char *const labels[] = {"topic", NULL};
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *g = swb_metrics_gauge(m, "swb_inflight", "In flight.", NULL);
        swb_metric_t *lag = swb_metrics_gauge(m, "swb_lag", "Lag.", labels);

        swb_metric_set0(g, 2.5);
        swb_metric_inc0(g, -1);
        swb_metric_set1(lag, "requests", 0.1);
        swb_metric_set1(lag, "replies", 1e21);
        swb_metric_set1(lag, "audit", -3);
        swb_metric_observe1(lag, "audit", 7); /* observe on a gauge: ignored */
        assert_render(m, "# HELP swb_inflight In flight.\n"
                         "# TYPE swb_inflight gauge\n"
                         "swb_inflight 1.5\n"
                         "# HELP swb_lag Lag.\n"
                         "# TYPE swb_lag gauge\n"
                         "swb_lag{topic=\"requests\"} 0.1\n"
                         "swb_lag{topic=\"replies\"} 1e+21\n"
                         "swb_lag{topic=\"audit\"} -3\n");
        assert_true(swb_metric_value(g, NULL) == 1.5);
        swb_metrics_destroy(m);
}

static void test_histogram(void **state)
{
        static const char *const labels[] = {"agent", NULL};
        static const double bounds[] = {0.5, 1, 2.5};
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *h = swb_metrics_histogram(m, "swb_latency_seconds", "Latency.",
                                                NULL, bounds, 3);
        swb_metric_t *hl = swb_metrics_histogram(m, "swb_agent_seconds", "Per agent.",
                                                 labels, bounds, 3);

        assert_non_null(h);
        swb_metric_observe0(h, 0.25);
        swb_metric_observe0(h, 0.5); /* bounds are inclusive */
        swb_metric_observe0(h, 0.75);
        swb_metric_observe0(h, 2);
        swb_metric_observe0(h, 10);
        swb_metric_inc0(h, 1); /* inc on a histogram: ignored */
        swb_metric_observe1(hl, "hotel", 3);
        assert_render(m, "# HELP swb_latency_seconds Latency.\n"
                         "# TYPE swb_latency_seconds histogram\n"
                         "swb_latency_seconds_bucket{le=\"0.5\"} 2\n"
                         "swb_latency_seconds_bucket{le=\"1\"} 3\n"
                         "swb_latency_seconds_bucket{le=\"2.5\"} 4\n"
                         "swb_latency_seconds_bucket{le=\"+Inf\"} 5\n"
                         "swb_latency_seconds_sum 13.5\n"
                         "swb_latency_seconds_count 5\n"
                         "# HELP swb_agent_seconds Per agent.\n"
                         "# TYPE swb_agent_seconds histogram\n"
                         "swb_agent_seconds_bucket{agent=\"hotel\",le=\"0.5\"} 0\n"
                         "swb_agent_seconds_bucket{agent=\"hotel\",le=\"1\"} 0\n"
                         "swb_agent_seconds_bucket{agent=\"hotel\",le=\"2.5\"} 0\n"
                         "swb_agent_seconds_bucket{agent=\"hotel\",le=\"+Inf\"} 1\n"
                         "swb_agent_seconds_sum{agent=\"hotel\"} 3\n"
                         "swb_agent_seconds_count{agent=\"hotel\"} 1\n");
        swb_metrics_destroy(m);
}

static void test_reregister(void **state)
{
        static const char *const ab[] = {"a", "b", NULL};
        static const char *const ba[] = {"b", "a", NULL};
        static const double b1[] = {1, 2};
        static const double b2[] = {1, 3};
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *c = swb_metrics_counter(m, "x_total", "X.", ab);
        swb_metric_t *h = swb_metrics_histogram(m, "h", "H.", NULL, b1, 2);

        assert_non_null(c);
        assert_ptr_equal(swb_metrics_counter(m, "x_total", "Other help is fine.", ab),
                         c);
        assert_null(swb_metrics_gauge(m, "x_total", "X.", ab));
        assert_null(swb_metrics_counter(m, "x_total", "X.", ba));
        assert_null(swb_metrics_counter(m, "x_total", "X.", NULL));
        assert_ptr_equal(swb_metrics_histogram(m, "h", "H.", NULL, b1, 2), h);
        assert_null(swb_metrics_histogram(m, "h", "H.", NULL, b2, 2));
        assert_null(swb_metrics_histogram(m, "h", "H.", NULL, b1, 1));

        swb_metric_inc2(c, "1", "2", 1);
        swb_metric_inc2(swb_metrics_counter(m, "x_total", "X.", ab), "1", "2", 1);
        assert_render(m, "# HELP x_total X.\n"
                         "# TYPE x_total counter\n"
                         "x_total{a=\"1\",b=\"2\"} 2\n"
                         "# HELP h H.\n"
                         "# TYPE h histogram\n"
                         "h_bucket{le=\"1\"} 0\n"
                         "h_bucket{le=\"2\"} 0\n"
                         "h_bucket{le=\"+Inf\"} 0\n"
                         "h_sum 0\n"
                         "h_count 0\n");
        swb_metrics_destroy(m);
}

static void test_invalid(void **state)
{
        static const char *const five[] = {"a", "b", "c", "d", "e", NULL};
        static const char *const dup[] = {"a", "a", NULL};
        static const char *const le[] = {"le", NULL};
        static const char *const reserved[] = {"__x", NULL};
        static const char *const bad[] = {"a-b", NULL};
        static const double unsorted[] = {2, 1};
        static const double one[] = {1};
        swb_metrics_t *m = swb_metrics_new();

        assert_null(swb_metrics_counter(m, "1abc", "", NULL));
        assert_null(swb_metrics_counter(m, "a b", "", NULL));
        assert_null(swb_metrics_counter(m, "", "", NULL));
        assert_null(swb_metrics_counter(m, NULL, "", NULL));
        assert_null(swb_metrics_counter(NULL, "ok", "", NULL));
        assert_null(swb_metrics_counter(m, "ok", "", five));
        assert_null(swb_metrics_counter(m, "ok", "", dup));
        assert_null(swb_metrics_counter(m, "ok", "", reserved));
        assert_null(swb_metrics_counter(m, "ok", "", bad));
        assert_null(swb_metrics_histogram(m, "ok", "", le, one, 1));
        assert_null(swb_metrics_histogram(m, "ok", "", NULL, unsorted, 2));
        assert_null(swb_metrics_histogram(m, "ok", "", NULL, NULL, 0));
        assert_non_null(swb_metrics_gauge(m, "ns:sub_ok", "", NULL));

        /* NULL families are no-ops everywhere. */
        swb_metric_inc(NULL, NULL, 1);
        swb_metric_set1(NULL, "a", 1);
        swb_metric_observe2(NULL, "a", "b", 1);
        assert_true(swb_metric_value(NULL, NULL) == 0);
        swb_metrics_destroy(m);
}

static void test_many_series(void **state)
{
        static const char *const labels[] = {"id", NULL};
        swb_metrics_t *m = swb_metrics_new();
        swb_metric_t *c = swb_metrics_counter(m, "many_total", "Many.", labels);
        char id[32];
        int i;

        for (i = 0; i < 2000; i++) {
                snprintf(id, sizeof(id), "series-%d", i);
                swb_metric_inc1(c, id, (double)i);
                swb_metric_inc1(c, id, 1);
        }
        for (i = 0; i < 2000; i++) {
                const char *v[1] = {id};
                snprintf(id, sizeof(id), "series-%d", i);
                assert_true(swb_metric_value(c, v) == (double)i + 1);
        }
        swb_metrics_destroy(m);
}

static void test_build_info(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        assert_non_null(swb_metrics_register_build_info(m, "1.2.3"));
        assert_render(
            m, "# HELP swb_build_info Build information of this binary; always 1.\n"
               "# TYPE swb_build_info gauge\n"
               "swb_build_info{version=\"1.2.3\"} 1\n");
        swb_metrics_destroy(m);
}

static void test_default_registry(void **state)
{
        swb_metrics_t *d = swb_metrics_default();
        assert_non_null(d);
        assert_ptr_equal(swb_metrics_default(), d);
}

#define N_THREADS 4
#define N_INCS    100000

typedef struct {
        swb_metrics_t *m;
        int idx;
} worker_arg_t;

static void *worker(void *p)
{
        static const char *const labels[] = {"parity", NULL};
        static const double bounds[] = {1, 2};
        worker_arg_t *a = p;
        int i;

        for (i = 0; i < N_INCS; i++) {
                /* Lazy registration from every thread returns the same families. */
                swb_metric_t *c = swb_metrics_counter(a->m, "conc_total", "C.", labels);
                swb_metric_t *g = swb_metrics_gauge(a->m, "conc_gauge", "G.", NULL);
                swb_metric_t *h =
                    swb_metrics_histogram(a->m, "conc_seconds", "H.", NULL, bounds, 2);
                swb_metric_inc1(c, (i + a->idx) % 2 ? "odd" : "even", 1);
                swb_metric_inc0(g, 1);
                swb_metric_observe0(h, 1.5);
                if (i % 10000 == 0)
                        swb_free(swb_metrics_render(a->m));
        }
        return NULL;
}

static void test_concurrent(void **state)
{
        swb_metrics_t *m = swb_metrics_new();
        pthread_t t[N_THREADS];
        worker_arg_t args[N_THREADS];
        char *text;
        int i;

        for (i = 0; i < N_THREADS; i++) {
                args[i] = (worker_arg_t){m, i};
                assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
        }
        for (i = 0; i < N_THREADS; i++)
                pthread_join(t[i], NULL);

        text = swb_metrics_render(m);
        assert_non_null(strstr(text, "conc_total{parity=\"even\"} 200000\n"));
        assert_non_null(strstr(text, "conc_total{parity=\"odd\"} 200000\n"));
        assert_non_null(strstr(text, "\nconc_gauge 400000\n"));
        assert_non_null(strstr(text, "conc_seconds_bucket{le=\"1\"} 0\n"));
        assert_non_null(strstr(text, "conc_seconds_bucket{le=\"2\"} 400000\n"));
        assert_non_null(strstr(text, "conc_seconds_bucket{le=\"+Inf\"} 400000\n"));
        assert_non_null(strstr(text, "conc_seconds_sum 600000\n"));
        assert_non_null(strstr(text, "conc_seconds_count 400000\n"));
        swb_free(text);
        swb_metrics_destroy(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_empty),
            cmocka_unit_test(test_counter_labels),
            cmocka_unit_test(test_counter_no_labels),
            cmocka_unit_test(test_escaping),
            cmocka_unit_test(test_gauge),
            cmocka_unit_test(test_histogram),
            cmocka_unit_test(test_reregister),
            cmocka_unit_test(test_invalid),
            cmocka_unit_test(test_many_series),
            cmocka_unit_test(test_build_info),
            cmocka_unit_test(test_default_registry),
            cmocka_unit_test(test_concurrent),
        };
        /* The invalid-argument tests log errors on purpose; keep the output clean. */
        swb_log_init("test_metrics", SWB_LOG_OFF);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
