/* swb-agent --domain D: one domain agent; the domain picks a plugin of
 * lib/swb_agents.c. */
#include <stdio.h>

#include "swb_agent.h"
#include "swb_main.h"
#include "swb_mem.h"

static void bind_worker(void *agent, swb_worker_t *w)
{
        swb_agent_set_worker(agent, w);
}

/* the agent before the worker: its pending model calls complete through the worker */
static void release(void *agent)
{
        swb_agent_destroy(agent);
}

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-agent", &argc, argv, "--domain D");
        struct swb_main_worker mw = {
            .prog = "swb-agent",
            .component = cfg->domain,
            /* ready: PostgreSQL for the tools, Redis for cache and sessions */
            .probe_pg_url = cfg->pg_url,
            .probe_redis_url = cfg->redis_url,
            .handle = swb_agent_handle,
            .poll = swb_agent_poll,
            .bind = bind_worker,
            .release = release,
        };
        char errstr[512], *topic = NULL, *group = NULL;
        int rc = 2;

        if (argc > 1)
                fprintf(stderr, "swb-agent: unexpected argument \"%s\" (see --help)\n",
                        argv[1]);
        else if (!(mw.opaque = swb_agent_new(cfg, cfg->domain, errstr, sizeof(errstr))))
                fprintf(stderr, "swb-agent: %s\n", errstr);
        else {
                mw.topic = topic = swb_config_route_topic(cfg, cfg->domain);
                mw.group_id = group =
                    swb_asprintf("%s%s", cfg->group_agent_prefix, cfg->domain);
                rc = swb_main_run_worker(cfg, &mw);
        }
        swb_main_cleanup(cfg);
        swb_free(topic);
        swb_free(group);
        swb_config_destroy(cfg);
        return rc;
}
