#include "swb_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_probe.h"
#include "swb_profile.h"

extern char **environ;

swb_config_t *swb_main_config(const char *prog, int *argcp, char **argv,
                              const char *usage)
{
        swb_config_t *cfg = swb_config_new();
        char errstr[512];
        int i, lvl, print = 0;

        swb_config_set(cfg, "name", prog, SWB_CFG_SRC_DEFAULT, NULL, 0);
        if (swb_config_from_args(cfg, argcp, argv, environ, errstr, sizeof(errstr)) ||
            swb_profile_apply(cfg, errstr, sizeof(errstr))) {
                fprintf(stderr, "%s: %s\n", prog, errstr);
                swb_config_destroy(cfg);
                exit(2);
        }
        for (i = 1; i < *argcp; i++) {
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        printf("usage: %s [--key=value ...] %s\n\n"
                               "Every key of docs/configuration.md is a flag "
                               "(--log.level=debug),\n"
                               "an environment variable (SWB_LOG_LEVEL) or a config "
                               "file line\n"
                               "(--config FILE). --print-config shows the effective "
                               "values.\n",
                               prog, usage ? usage : "");
                        swb_config_destroy(cfg);
                        exit(0);
                }
                if (!strcmp(argv[i], "--print-config"))
                        print = 1;
        }
        if (print) {
                swb_config_print(cfg, stdout);
                swb_config_destroy(cfg);
                exit(0);
        }
        lvl = swb_log_level_parse(cfg->log_level);
        if (lvl < 0) {
                fprintf(stderr, "%s: log.level: unknown level \"%s\"\n", prog,
                        cfg->log_level);
                swb_config_destroy(cfg);
                exit(2);
        }
        swb_log_init(cfg->name, (swb_log_level_t)lvl);
        return cfg;
}

void swb_main_write_pid(const swb_config_t *cfg)
{
        char *path, *tmp;
        FILE *fp;
        if (!cfg->run_dir || !*cfg->run_dir)
                return;
        path = swb_asprintf("%s/%s.pid", cfg->run_dir, cfg->name);
        tmp = swb_asprintf("%s.tmp", path);
        if ((fp = fopen(tmp, "w"))) {
                fprintf(fp, "%d\n", (int)getpid());
                fclose(fp);
                rename(tmp, path);
        }
        swb_free(tmp);
        swb_free(path);
}

void swb_main_cleanup(const swb_config_t *cfg)
{
        char *path;
        if (!cfg->run_dir || !*cfg->run_dir)
                return;
        path = swb_asprintf("%s/%s.pid", cfg->run_dir, cfg->name);
        unlink(path);
        swb_free(path);
}

int swb_main_run_worker(const swb_config_t *cfg, const struct swb_main_worker *mw)
{
        const char *topics[1] = {mw->topic};
        struct swb_worker_spec spec = {0};
        swb_probe_t *probe = NULL;
        swb_worker_t *w;
        char errstr[512];
        int rc = 1;

        spec.component = mw->component;
        spec.group_id = mw->group_id;
        spec.topics = topics;
        spec.topic_cnt = 1;
        spec.handle = mw->handle;
        spec.poll = mw->poll;
        spec.opaque = mw->opaque;
        if (!(w = swb_worker_new(cfg, &spec, errstr, sizeof(errstr)))) {
                fprintf(stderr, "%s: %s\n", mw->prog, errstr);
        } else {
                mw->bind(mw->opaque, w);
                probe =
                    swb_probe_start(swb_worker_http(w), mw->probe_pg_url,
                                    mw->probe_redis_url, cfg->health_probe_interval_ms);
                swb_worker_install_signals(w);
                swb_main_write_pid(cfg);
                rc = swb_worker_run(w);
        }
        if (mw->release)
                mw->release(mw->opaque);
        swb_worker_destroy(w);
        swb_probe_destroy(probe); /* after the HTTP server: its checks read the probe */
        return rc;
}
