#include "common/check.h"

#include <mpi.h>

_Noreturn void drl_die(int status) {
    int initialised = 0, finalised = 0, size = 1;
    MPI_Initialized(&initialised);
    MPI_Finalized(&finalised);
    fflush(stdout);
    fflush(stderr);
    if (initialised && !finalised) {
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size > 1) MPI_Abort(MPI_COMM_WORLD, status);
    }
    exit(status);
}

_Noreturn void drl_fail(const char *file, int line, const char *what, const char *detail,
                        const char *hint) {
    fprintf(stderr, "%s:%d: error: %s: %s%s%s%s\n", file, line, what, detail ? detail : "",
            hint ? " (hint: " : "", hint ? hint : "", hint ? ")" : "");
    drl_die(1);
}

void *drl_malloc_checked(size_t bytes, const char *file, int line) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        char msg[96];
        snprintf(msg, sizeof msg, "could not allocate %zu bytes", bytes);
        drl_fail(file, line, "malloc", msg, "lower the batch size or the model size");
    }
    return p;
}

void *drl_calloc_checked(size_t count, size_t size, const char *file, int line) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        char msg[96];
        snprintf(msg, sizeof msg, "could not allocate %zu x %zu bytes", count, size);
        drl_fail(file, line, "calloc", msg, "lower the batch size or the model size");
    }
    return p;
}
