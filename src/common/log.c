#include "common/log.h"

#include <stdarg.h>
#include <stddef.h>

static LogState *g_log; /* points into the run context; NULL before log_init */

void log_init(LogState *state, int rank, int world) {
    state->rank = rank;
    state->world = world;
    state->mirror = NULL;
    state->quiet = 0;
    g_log = state;
}

void log_set_mirror(FILE *mirror) {
    if (g_log) g_log->mirror = mirror;
}

LogState *log_state(void) { return g_log; }

static void emit(FILE *to, const char *level, int only_rank0, const char *fmt, va_list ap) {
    int rank = g_log ? g_log->rank : 0;
    int world = g_log ? g_log->world : 1;
    if (only_rank0 && rank != 0) return;
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    if (world > 1)
        fprintf(to, "[rank %d] %s%s\n", rank, level, line);
    else
        fprintf(to, "%s%s\n", level, line);
    fflush(to);
    if (g_log && g_log->mirror && rank == 0) {
        fprintf(g_log->mirror, "%s%s\n", level, line);
        fflush(g_log->mirror);
    }
}

void log_info(const char *fmt, ...) {
    if (g_log && g_log->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    emit(stdout, "", 1, fmt, ap);
    va_end(ap);
}

void log_all(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(stdout, "", 0, fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(stderr, "warning: ", 0, fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(stderr, "error: ", 0, fmt, ap);
    va_end(ap);
}
