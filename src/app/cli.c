#include "app/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define USAGE_EXIT 2

void cli_usage(FILE *out, const char *prog) {
    fprintf(out,
            "usage: %s CONF.cfg                  train and/or evaluate as configured\n"
            "       %s --print-config CONF.cfg   print the effective configuration and exit\n"
            "       %s --step-dump BATCH.h5 --steps N [--total-steps M] --out OUT.h5 CONF.cfg\n"
            "                                       run N optimiser steps on one batch and dump\n"
            "                                       the tensors (reference tests)\n"
            "       %s --help | --version\n"
            "\n"
            "CONF.cfg is a libconfig file (see conf/base.cfg for every setting); it may\n"
            "@include another file and override its settings. A bad file stops with\n"
            "FILE:LINE, the setting, what was expected and what was found (exit status 2).\n"
            "Under MPI (mpirun/srun) each rank runs the same command.\n",
            prog, prog, prog, prog);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return USAGE_EXIT;
}

/* Strict integer >= min. */
static bool parse_at_least(const char *s, long long min, long long *out) {
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min) return false;
    *out = v;
    return true;
}

/* Matches "--name" or "--name=value"; sets *value to what follows '=' (or NULL). */
static bool match(const char *arg, const char *name, const char **value) {
    size_t n = strlen(name);
    if (strncmp(arg, name, n)) return false;
    if (arg[n] == '\0') {
        *value = NULL;
        return true;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return true;
    }
    return false;
}

/* Index of the option taking a value that `arg` names, or -1. */
static int value_option(const char *arg, const char **value) {
    static const char *const names[] = {"--step-dump", "--steps", "--total-steps", "--out"};
    for (int k = 0; k < 4; k++)
        if (match(arg, names[k], value)) return k;
    return -1;
}

int cli_parse(int argc, char *const argv[], CliOptions *opt, char *err, size_t errlen) {
    memset(opt, 0, sizeof *opt);
    opt->mode = CLI_RUN;
    if (err && errlen) err[0] = '\0';
    bool print_config = false, step_dump = false;
    const char *steps = NULL, *total = NULL;
    /* --help and --version win over anything else on the line. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            opt->mode = CLI_HELP;
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version")) {
            opt->mode = CLI_VERSION;
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int k = -1;
        if (!strcmp(a, "--print-config")) {
            print_config = true;
        } else if ((k = value_option(a, &v)) >= 0) {
            if (!v) {
                if (i + 1 >= argc) return fail(err, errlen, "option '%s' expects a value", a);
                v = argv[++i];
            }
            switch (k) {
            case 0:
                step_dump = true;
                opt->batch_path = v;
                break;
            case 1:
                steps = v;
                break;
            case 2:
                total = v;
                break;
            default:
                opt->out_path = v;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            return fail(err, errlen, "unknown option '%s' (see --help)", a);
        } else if (opt->config_path) {
            return fail(err, errlen,
                        "expected one configuration file, found '%s' and '%s' (see --help)",
                        opt->config_path, a);
        } else {
            opt->config_path = a;
        }
    }
    if (print_config && step_dump)
        return fail(err, errlen, "--print-config and --step-dump cannot be combined");
    if (!step_dump && (steps || total || opt->out_path))
        return fail(err, errlen, "--steps, --total-steps and --out go with --step-dump");
    if (!opt->config_path) return fail(err, errlen, "expected a configuration file (see --help)");
    if (step_dump) {
        if (!opt->batch_path || !opt->batch_path[0])
            return fail(err, errlen, "--step-dump expects a batch file");
        if (!steps) return fail(err, errlen, "--step-dump needs --steps N");
        if (!parse_at_least(steps, 0, &opt->steps))
            return fail(err, errlen, "--steps: expected an integer >= 0 (0 = forward only), found '%s'",
                        steps);
        opt->total_steps = opt->steps;
        if (total && !parse_at_least(total, 1, &opt->total_steps))
            return fail(err, errlen, "--total-steps: expected an integer >= 1, found '%s'", total);
        if (!opt->out_path || !opt->out_path[0])
            return fail(err, errlen, "--step-dump needs --out OUT.h5");
        opt->mode = CLI_STEP_DUMP;
        return 0;
    }
    opt->mode = print_config ? CLI_PRINT_CONFIG : CLI_RUN;
    return 0;
}
