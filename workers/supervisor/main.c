/* swb-supervisor: classifies AgentRequests and routes them to the domain agents. */
#include <stdio.h>

#include "swb_main.h"
#include "swb_probe.h"
#include "swb_supervisor.h"
#include "swb_worker.h"

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-supervisor", &argc, argv, NULL);
        char errstr[512];
        swb_supervisor_t *sup = NULL;
        swb_worker_t *w = NULL;
        swb_probe_t *probe = NULL;
        const char *topics[1];
        struct swb_worker_spec spec = {0};
        int rc = 1;

        if (argc > 1) {
                fprintf(stderr, "swb-supervisor: unexpected argument \"%s\" (see --help)\n",
                        argv[1]);
                goto out;
        }
        if (!(sup = swb_supervisor_new(cfg, errstr, sizeof(errstr))))
                goto fail;
        topics[0] = cfg->topic_requests;
        spec.component = "supervisor";
        spec.group_id = cfg->group_supervisor;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = swb_supervisor_handle;
        spec.poll = swb_supervisor_poll;
        spec.opaque = sup;
        if (!(w = swb_worker_new(cfg, &spec, errstr, sizeof(errstr))))
                goto fail;
        swb_supervisor_set_worker(sup, w);
        /* ready: Redis for the sessions (when set) */
        probe = swb_probe_start(swb_worker_http(w), NULL, cfg->redis_url,
                                cfg->health_probe_interval_ms);
        swb_worker_install_signals(w);
        swb_main_write_pid(cfg);
        rc = swb_worker_run(w);
        goto out;
fail:
        fprintf(stderr, "swb-supervisor: %s\n", errstr);
out:
        /* the supervisor first: its pending model calls complete through the worker */
        swb_supervisor_destroy(sup);
        swb_worker_destroy(w);
        swb_probe_destroy(probe); /* after the HTTP server: its checks read the probe */
        swb_main_cleanup(cfg);
        swb_config_destroy(cfg);
        return rc;
}
