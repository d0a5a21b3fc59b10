/* drl_hpc's command line, parsed into a struct; main() acts on it.
 *
 *   drl_hpc CONF.cfg                    run (train and/or evaluate)
 *   drl_hpc --print-config CONF.cfg     print the effective configuration
 *   drl_hpc --step-dump BATCH.h5 --steps N [--total-steps M] --out OUT.h5 CONF.cfg
 *   drl_hpc --help | --version
 *
 * Options take their value as the next argument or after '='. */
#ifndef DRL_APP_CLI_H
#define DRL_APP_CLI_H

#include <stddef.h>
#include <stdio.h>

typedef enum { CLI_RUN, CLI_PRINT_CONFIG, CLI_STEP_DUMP, CLI_HELP, CLI_VERSION } CliMode;

typedef struct {
    CliMode mode;
    const char *config_path; /* the one positional argument (points into argv) */
    /* --step-dump: run `steps` optimiser steps on the batch in `batch_path`
     * with a schedule of `total_steps` steps, write tensors to `out_path`. */
    const char *batch_path;
    long long steps;
    long long total_steps; /* default: steps */
    const char *out_path;
} CliOptions;

/* Parses argv. Returns 0 on success, 2 (DRL_CONFIG_EXIT) on a usage error,
 * with the message in err. */
int cli_parse(int argc, char *const argv[], CliOptions *opt, char *err, size_t errlen);

/* The --help text. */
void cli_usage(FILE *out, const char *prog);

#endif
