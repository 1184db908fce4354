/*
 * swb_main - what every main does first: build the configuration from file,
 * environment and flags, set up logging, and answer --help / --print-config.
 */
#ifndef SWB_MAIN_H
#define SWB_MAIN_H

#include "swb_config.h"

/**
 * Build the configuration for program `prog` (its default name). Exits the
 * process with status 2 and a clear message on a configuration error, and
 * with 0 after --help or --print-config. On return *argcp/argv hold the
 * arguments the table did not consume.
 * @param usage  extra usage text for --help (program-specific flags), or NULL.
 */
swb_config_t *swb_main_config(const char *prog, int *argcp, char **argv, const char *usage);

/** Write our pid to run.dir/<name>.pid when run.dir is set (removed by swb_main_cleanup). */
void swb_main_write_pid(const swb_config_t *cfg);
void swb_main_cleanup(const swb_config_t *cfg);

#endif
