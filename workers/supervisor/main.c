/* swb-supervisor: classifies AgentRequests and routes them to the domain agents. */
#include <stdio.h>

#include "swb_main.h"
#include "swb_supervisor.h"

static void bind_worker(void *sup, swb_worker_t *w)
{
        swb_supervisor_set_worker(sup, w);
}

/* the supervisor first: its pending model calls complete through the worker */
static void release(void *sup)
{
        swb_supervisor_destroy(sup);
}

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-supervisor", &argc, argv, NULL);
        struct swb_main_worker mw = {
            .prog = "swb-supervisor",
            .component = "supervisor",
            .group_id = cfg->group_supervisor,
            .topic = cfg->topic_requests,
            .probe_pg_url = NULL,
            .probe_redis_url = cfg->redis_url, /* ready: Redis for the sessions */
            .handle = swb_supervisor_handle,
            .poll = swb_supervisor_poll,
            .bind = bind_worker,
            .release = release,
        };
        char errstr[512];
        int rc = 1;

        if (argc > 1)
                fprintf(stderr,
                        "swb-supervisor: unexpected argument \"%s\" (see --help)\n",
                        argv[1]);
        else if (!(mw.opaque = swb_supervisor_new(cfg, errstr, sizeof(errstr))))
                fprintf(stderr, "swb-supervisor: %s\n", errstr);
        else
                rc = swb_main_run_worker(cfg, &mw);
        swb_main_cleanup(cfg);
        swb_config_destroy(cfg);
        return rc;
}
