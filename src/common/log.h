/* Logging with a rank prefix. Rank 0 prints by default; log_all() prints on
 * every rank. A log file (output_dir/log.txt) can mirror rank 0's lines. */
#ifndef DRL_COMMON_LOG_H
#define DRL_COMMON_LOG_H

#include <stdio.h>

typedef struct {
    int rank;
    int world;
    FILE *mirror; /* log.txt, or NULL */
    int quiet;    /* suppress log_info */
} LogState;

/* Set by log_init; the only process-wide state, owned by the run context. */
void log_init(LogState *state, int rank, int world);
void log_set_mirror(FILE *mirror);
LogState *log_state(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
