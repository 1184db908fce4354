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

static void bind_worker(void *a, swb_worker_t *w)
{
        swb_analytics_set_worker(a, w);
        swb_analytics_set_retention(a, swb_worker_config(w));
}

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-analytics", &argc, argv,
                                            "[report]\n\n  report   print a summary of "
                                            "the last hour and day (reads pg.url) "
                                            "and exit");
        /* no release: the analytics are destroyed after the worker and the probe */
        struct swb_main_worker mw = {
            .prog = "swb-analytics",
            .component = "analytics",
            .group_id = cfg->group_analytics,
            .topic = cfg->topic_audit,
            .probe_pg_url = cfg->pg_url, /* ready: PostgreSQL for the aggregates */
            .probe_redis_url = NULL,
            .handle = swb_analytics_handle,
            .poll = swb_analytics_poll,
            .bind = bind_worker,
        };
        char errstr[512];
        swb_analytics_t *a = NULL;
        int rc = 2;

        if (argc > 1 && !strcmp(argv[1], "report") && argc == 2) {
                rc = 1;
                if (swb_analytics_report_print(cfg->pg_url, stdout, 0, errstr,
                                               sizeof(errstr)))
                        fprintf(stderr, "swb-analytics: %s\n", errstr);
                else
                        rc = 0;
        } else if (argc > 1)
                fprintf(stderr,
                        "swb-analytics: unexpected argument \"%s\" (see --help)\n",
                        argv[argc > 2 && !strcmp(argv[1], "report") ? 2 : 1]);
        else if (!(mw.opaque = a = swb_analytics_new(cfg->pg_url, swb_metrics_default(),
                                                     errstr, sizeof(errstr))))
                fprintf(stderr, "swb-analytics: %s\n", errstr);
        else
                rc = swb_main_run_worker(cfg, &mw);
        swb_analytics_destroy(a);
        swb_main_cleanup(cfg);
        swb_config_destroy(cfg);
        return rc;
}
