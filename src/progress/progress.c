#include "progress/progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH        30
#define REDRAW_SECONDS   0.1
#define DEFAULT_INTERVAL 30.0

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "1:02:03" or "2:03". */
static void format_duration(double s, char *buf, size_t len) {
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

void progress_start_ex(Progress *p, const char *label, long long total, bool enabled, FILE *out,
                       ProgressMode mode) {
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total > 0 ? total : 0;
    p->enabled = enabled;
    p->out = out ? out : stdout;
    p->interval_s = DEFAULT_INTERVAL;
    if (mode == PROGRESS_AUTO) {
        const char *slurm = getenv("SLURM_JOB_ID");
        bool tty = isatty(fileno(p->out)) == 1;
        mode = (tty && !(slurm && slurm[0])) ? PROGRESS_BAR : PROGRESS_LINES;
    }
    p->mode = mode;
    p->t_start = p->t_last = now_seconds();
}

void progress_start(Progress *p, const char *label, long long total, bool enabled) {
    progress_start_ex(p, label, total, enabled, stdout, PROGRESS_AUTO);
}

static void draw_bar(Progress *p, double t) {
    double elapsed = t - p->t_start;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char eta[32];
    if (p->total > 0) {
        int filled = (int)((double)BAR_WIDTH * (double)p->done / (double)p->total);
        if (filled > BAR_WIDTH) filled = BAR_WIDTH;
        char bar[BAR_WIDTH + 1];
        memset(bar, '#', (size_t)filled);
        memset(bar + filled, '.', (size_t)(BAR_WIDTH - filled));
        bar[BAR_WIDTH] = '\0';
        format_duration(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
        fprintf(p->out, "\r%s [%s] %lld/%lld %3d%% %.1f/s ETA %s\033[K", p->label, bar, p->done,
                p->total, (int)(100.0 * (double)p->done / (double)p->total), rate, eta);
    } else {
        format_duration(elapsed, eta, sizeof eta);
        fprintf(p->out, "\r%s %lld %.1f/s %s\033[K", p->label, p->done, rate, eta);
    }
    fflush(p->out);
}

static void print_line(Progress *p, double t) {
    double elapsed = t - p->t_start;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char when[32], eta[32];
    format_duration(elapsed, when, sizeof when);
    if (p->total > 0) {
        format_duration(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
        fprintf(p->out, "%s: %lld/%lld (%d%%) %.1f/s elapsed %s ETA %s\n", p->label, p->done,
                p->total, (int)(100.0 * (double)p->done / (double)p->total), rate, when, eta);
    } else {
        fprintf(p->out, "%s: %lld %.1f/s elapsed %s\n", p->label, p->done, rate, when);
    }
    fflush(p->out);
}

void progress_update(Progress *p, long long done) {
    if (!p->enabled || p->finished) return;
    p->done = done;
    double t = now_seconds();
    if (p->mode == PROGRESS_BAR) {
        if (t - p->t_last >= REDRAW_SECONDS) {
            draw_bar(p, t);
            p->t_last = t;
        }
        return;
    }
    int decile = p->total > 0 ? (int)(10 * done / p->total) : 0;
    if (decile > 10) decile = 10;
    bool step = p->total > 0 && decile > p->last_decile && done < p->total;
    if (step || t - p->t_last >= p->interval_s) {
        print_line(p, t);
        p->t_last = t;
        if (decile > p->last_decile) p->last_decile = decile;
    }
}

void progress_finish(Progress *p) {
    if (!p->enabled || p->finished) return;
    p->finished = true;
    double t = now_seconds(), elapsed = t - p->t_start;
    if (p->mode == PROGRESS_BAR) {
        draw_bar(p, t);
        fputc('\n', p->out);
    }
    char when[32];
    format_duration(elapsed, when, sizeof when);
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    if (p->mode == PROGRESS_LINES) {
        if (p->total > 0)
            fprintf(p->out, "%s: %lld/%lld (%d%%) in %s, %.1f/s\n", p->label, p->done, p->total,
                    (int)(100.0 * (double)p->done / (double)p->total), when, rate);
        else
            fprintf(p->out, "%s: %lld in %s, %.1f/s\n", p->label, p->done, when, rate);
    }
    fflush(p->out);
}
