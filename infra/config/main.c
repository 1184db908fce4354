/* swb-config: prints the configuration reference (--docs) or the effective configuration. */
#include <stdio.h>
#include <string.h>

#include "swb_config.h"
#include "swb_main.h"

int main(int argc, char **argv)
{
        swb_config_t *cfg;
        int i;
        for (i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--docs")) {
                        swb_config_write_docs(stdout);
                        return 0;
                }
        cfg = swb_main_config("swb-config", &argc, argv, "[--docs]");
        swb_config_print(cfg, stdout);
        swb_config_destroy(cfg);
        return 0;
}
