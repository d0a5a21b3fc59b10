/* Progress display for long loops. On a terminal: one bar redrawn in place
 * with count/total, rate and ETA. When stdout is a file or a pipe, or under
 * Slurm (SLURM_JOB_ID set): plain lines, one per 10 % of the total and at
 * least every `interval_s` seconds, and a final line with the total and the
 * time taken. No global state: all of it lives in the Progress value.
 *
 *   Progress p;
 *   progress_start(&p, "encode videos", n_videos, rank == 0);
 *   for (...) progress_update(&p, done);
 *   progress_finish(&p);
 */
#ifndef DRL_PROGRESS_PROGRESS_H
#define DRL_PROGRESS_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_LINES } ProgressMode;

typedef struct {
    char label[64];
    long long total; /* 0 = unknown: count and rate only */
    long long done;
    bool enabled;
    ProgressMode mode; /* resolved: BAR or LINES */
    FILE *out;
    double interval_s; /* lines mode: the most seconds between two lines (default 30) */
    double t_start;    /* monotonic seconds */
    double t_last;     /* time of the last line or redraw */
    int last_decile;   /* lines mode: last 10 % step printed */
    bool finished;
} Progress;

/* Starts a display on stdout; mode chosen from isatty(stdout) and SLURM_JOB_ID.
 * With enabled false every call is a no-op (e.g. on ranks other than 0). */
void progress_start(Progress *p, const char *label, long long total, bool enabled);

/* Same, on `out`, with a mode (PROGRESS_AUTO decides from `out` and the
 * environment as above). */
void progress_start_ex(Progress *p, const char *label, long long total, bool enabled, FILE *out,
                       ProgressMode mode);

/* `done` items of `total` are finished (absolute, not an increment). */
void progress_update(Progress *p, long long done);

/* Prints the final state (bar completed and a newline, or the final line):
 * "label: done/total (100%) in 12.3 s, 81.2/s". */
void progress_finish(Progress *p);

#endif
