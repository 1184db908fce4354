/*
 * swb-analytics: counts the AuditEvents of topic.audit into PostgreSQL
 * aggregates (group group.analytics); `swb-analytics report` prints a summary
 * of the last hour and day from them. The example analytics consumer.
 */
#include <stdio.h>
#include <string.h>

#include "swb_analytics.h"
#include "swb_analytics_report.h"
#include "swb_main.h"
#include "swb_probe.h"
#include "swb_worker.h"

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-analytics", &argc, argv,
                                            "[report]\n\n  report   print a summary of "
                                            "the last hour and day (reads pg.url) "
                                            "and exit");
        char errstr[512];
        swb_analytics_t *a = NULL;
        swb_worker_t *w = NULL;
        swb_probe_t *probe = NULL;
        const char *topics[1];
        struct swb_worker_spec spec = {0};
        int rc = 2;

        if (argc > 1 && !strcmp(argv[1], "report") && argc == 2) {
                rc = 1;
                if (swb_analytics_report_print(cfg->pg_url, stdout, 0, errstr,
                                               sizeof(errstr)))
                        goto fail;
                rc = 0;
                goto out;
        }
        if (argc > 1) {
                fprintf(stderr,
                        "swb-analytics: unexpected argument \"%s\" (see --help)\n",
                        argv[argc > 2 && !strcmp(argv[1], "report") ? 2 : 1]);
                goto out;
        }
        if (!(a = swb_analytics_new(cfg->pg_url, swb_metrics_default(), errstr,
                                    sizeof(errstr))))
                goto fail;
        rc = 1;
        topics[0] = cfg->topic_audit;
        spec.component = "analytics";
        spec.group_id = cfg->group_analytics;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = swb_analytics_handle;
        spec.poll = swb_analytics_poll;
        spec.opaque = a;
        if (!(w = swb_worker_new(cfg, &spec, errstr, sizeof(errstr))))
                goto fail;
        swb_analytics_set_worker(a, w);
        swb_analytics_set_retention(a, cfg);
        /* ready: PostgreSQL for the aggregates */
        probe = swb_probe_start(swb_worker_http(w), cfg->pg_url, NULL,
                                cfg->health_probe_interval_ms);
        swb_worker_install_signals(w);
        swb_main_write_pid(cfg);
        rc = swb_worker_run(w);
        goto out;
fail:
        fprintf(stderr, "swb-analytics: %s\n", errstr);
out:
        swb_worker_destroy(w);
        swb_probe_destroy(probe); /* after the HTTP server: its checks read the probe */
        swb_analytics_destroy(a);
        swb_main_cleanup(cfg);
        swb_config_destroy(cfg);
        return rc;
}
