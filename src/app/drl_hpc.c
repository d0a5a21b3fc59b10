/* drl_hpc: the batch application. main() parses the command line (cli.c),
 * loads and validates the configuration before any work, and dispatches on
 * the mode. Exit status: 0 success, 1 a runtime failure, 2 a bad command line
 * or configuration. */
#include "app/cli.h"
#include "config/config.h"
#include "train/run.h"
#include "train/step_dump.h"

#include <mpi.h>

#include "common/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ERR_CAPACITY (64 * 1024)

/* Loads and validates `path` for `world_size` ranks; prints every error to
 * stderr and returns DRL_CONFIG_EXIT on failure. */
static int load_config(const char *path, int world_size, DrlConfig *cfg) {
    char *err = mallocCheck(ERR_CAPACITY);
    int rc = config_load(path, world_size, cfg, err, ERR_CAPACITY);
    if (rc) fprintf(stderr, "%s", err);
    free(err);
    return rc;
}

static void print_config(const DrlConfig *cfg, const char *path) {
    char *text = config_to_string(cfg);
    printf("# effective configuration of %s (every setting, defaults filled in)\n%s", path, text);
    free(text);
}

static int mode_print_config(const CliOptions *opt) {
    DrlConfig cfg;
    int rc = load_config(opt->config_path, 1, &cfg);
    if (rc) return rc;
    print_config(&cfg, opt->config_path);
    config_free(&cfg);
    return 0;
}

static int mode_run(const CliOptions *opt) {
    int provided = 0;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    DrlComm comm;
    comm_init_world(&comm);
    DrlConfig cfg;
    char *err = mallocCheck(ERR_CAPACITY);
    int rc = config_load(opt->config_path, comm.world, &cfg, err, ERR_CAPACITY);
    if (rc) {
        /* every rank reads the same file and fails the same way: rank 0 says it */
        if (comm.rank == 0) fprintf(stderr, "%s", err);
        free(err);
        MPI_Finalize();
        return rc;
    }
    free(err);
    rc = run_main(&cfg, opt->config_path, &comm);
    config_free(&cfg);
    /* a failure on one rank may leave the others waiting in a collective */
    if (rc == 1 && comm.world > 1) drl_die(1);
    MPI_Finalize();
    return rc;
}

static int mode_step_dump(const CliOptions *opt) {
    DrlConfig cfg;
    int rc = load_config(opt->config_path, 1, &cfg);
    if (rc) return rc;
    rc = step_dump_run(&cfg, opt->batch_path, opt->steps, opt->total_steps, opt->out_path);
    config_free(&cfg);
    return rc;
}

/* Threads that spin while others compute starve them on a busy node:
 * OpenMP workers spinning while OpenBLAS's threads compute (measured: the
 * demo step 22x slower), and OpenBLAS's idle workers spinning (2^28 cycles by
 * default, calling sched_yield) while our OpenMP kernels run between matrix
 * products (measured: the ViT-B/32 step 8.95 -> 8.29 s with the shortest
 * spin on 2 cores). libgomp and OpenBLAS read their variables when they load,
 * before main, so when the user has chosen neither value the program
 * re-executes itself once with OMP_WAIT_POLICY=passive and
 * OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS's minimum: 2^4 cycles). */
static void ensure_passive_threads(char **argv) {
    int changed = 0;
    if (!getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0) changed = 1;
    if (!getenv("OPENBLAS_THREAD_TIMEOUT") && setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1) == 0)
        changed = 1;
    if (changed) execv("/proc/self/exe", argv); /* returns only on failure: go on as we are */
}

int main(int argc, char **argv) {
    ensure_passive_threads(argv);
    CliOptions opt;
    char err[1024];
    if (cli_parse(argc, argv, &opt, err, sizeof err)) {
        fprintf(stderr, "drl_hpc: %s\n", err);
        return DRL_CONFIG_EXIT;
    }
    switch (opt.mode) {
    case CLI_HELP:
        cli_usage(stdout, "drl_hpc");
        return 0;
    case CLI_VERSION:
        printf("drl_hpc %s\n", DRL_VERSION);
        return 0;
    case CLI_PRINT_CONFIG:
        return mode_print_config(&opt);
    case CLI_STEP_DUMP:
        return mode_step_dump(&opt);
    case CLI_RUN:
        break;
    }
    return mode_run(&opt);
}
