/*
 * swb-dlq: the dead-letter topic for operators.
 *   swb-dlq list [--json]                 every dead letter with its reason
 *   swb-dlq replay PARTITION:OFFSET ...   send them back to their original topic
 * Reads .swb/env-style settings from the environment (SWB_BROKERS, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_dlq.h"
#include "swb_main.h"
#include "swb_mem.h"

int main(int argc, char **argv)
{
        swb_config_t *cfg = swb_main_config("swb-dlq", &argc, argv,
                                            "list [--json] | replay PARTITION:OFFSET ...");
        char errstr[512];
        int rc = 2, i;

        if (argc >= 2 && !strcmp(argv[1], "list")) {
                json_t *list = NULL;
                if (swb_dlq_list(cfg, &list, errstr, sizeof(errstr))) {
                        fprintf(stderr, "swb-dlq: %s\n", errstr);
                        rc = 1;
                } else {
                        if (argc >= 3 && !strcmp(argv[2], "--json")) {
                                char *s = json_dumps(list, JSON_INDENT(2));
                                printf("%s\n", s);
                                free(s);
                        } else
                                swb_dlq_print(list, stdout);
                        json_decref(list);
                        rc = 0;
                }
        } else if (argc >= 3 && !strcmp(argv[1], "replay")) {
                size_t n = (size_t)argc - 2;
                int32_t *parts = swb_calloc(n, sizeof(*parts));
                int64_t *offs = swb_calloc(n, sizeof(*offs));
                rc = 0;
                for (i = 2; i < argc && !rc; i++) {
                        int p;
                        long long o;
                        char tail;
                        if (sscanf(argv[i], "%d:%lld%c", &p, &o, &tail) != 2 || p < 0 || o < 0) {
                                fprintf(stderr, "swb-dlq: \"%s\" is not PARTITION:OFFSET\n",
                                        argv[i]);
                                rc = 2;
                        }
                        parts[i - 2] = p;
                        offs[i - 2] = o;
                }
                if (!rc && swb_dlq_replay(cfg, parts, offs, n, errstr, sizeof(errstr))) {
                        fprintf(stderr, "swb-dlq: %s\n", errstr);
                        rc = 1;
                } else if (!rc)
                        printf("replayed %zu message(s)\n", n);
                swb_free(parts);
                swb_free(offs);
        } else
                fprintf(stderr, "usage: swb-dlq list [--json] | replay PARTITION:OFFSET ...\n");
        swb_config_destroy(cfg);
        return rc;
}
