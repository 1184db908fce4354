/* swb-agent --domain D: one domain agent; the domain picks a plugin of lib/swb_agents.c. */
#include <stdio.h>

#include "swb_agent.h"
#include "swb_main.h"
#include "swb_mem.h"
#include "swb_probe.h"
#include "swb_worker.h"

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-agent", &argc, argv, "--domain D");
        char errstr[512], *topic = NULL, *group = NULL;
        swb_agent_t *agent = NULL;
        swb_worker_t *w = NULL;
        swb_probe_t *probe = NULL;
        const char *topics[1];
        struct swb_worker_spec spec = {0};
        int rc = 2;

        if (argc > 1) {
                fprintf(stderr, "swb-agent: unexpected argument \"%s\" (see --help)\n", argv[1]);
                goto out;
        }
        if (!(agent = swb_agent_new(cfg, cfg->domain, errstr, sizeof(errstr))))
                goto fail;
        rc = 1;
        topic = swb_config_route_topic(cfg, cfg->domain);
        group = swb_asprintf("%s%s", cfg->group_agent_prefix, cfg->domain);
        topics[0] = topic;
        spec.component = cfg->domain;
        spec.group_id = group;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = swb_agent_handle;
        spec.poll = swb_agent_poll;
        spec.opaque = agent;
        if (!(w = swb_worker_new(cfg, &spec, errstr, sizeof(errstr))))
                goto fail;
        swb_agent_set_worker(agent, w);
        /* ready: PostgreSQL for the tools, Redis for cache and sessions (when set) */
        probe = swb_probe_start(swb_worker_http(w), cfg->pg_url, cfg->redis_url,
                                cfg->health_probe_interval_ms);
        swb_worker_install_signals(w);
        swb_main_write_pid(cfg);
        rc = swb_worker_run(w);
        goto out;
fail:
        fprintf(stderr, "swb-agent: %s\n", errstr);
out:
        /* the agent first: its pending model calls complete through the worker */
        swb_agent_destroy(agent);
        swb_worker_destroy(w);
        swb_probe_destroy(probe); /* after the HTTP server: its checks read the probe */
        swb_main_cleanup(cfg);
        swb_free(topic);
        swb_free(group);
        swb_config_destroy(cfg);
        return rc;
}
