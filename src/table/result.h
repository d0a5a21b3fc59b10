/* One run's result.json (written by drl_hpc at the end of a run), reduced to
 * what the table shows. Loading never ends the process: a malformed or partial
 * file gives an error message naming the file and the item. */
#ifndef DRL_TABLE_RESULT_H
#define DRL_TABLE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

/* The five retrieval metrics of one direction, in table order. */
enum { TABLE_NMETRIC = 5 };
extern const char *const table_metric_names[TABLE_NMETRIC]; /* "R@1" ... "MnR" */

typedef struct {
    char config[128];      /* run name, e.g. "wti_cdcr" */
    char description[256]; /* one-line label, e.g. "WTI+seqTransf+CDCR"; may be "" */
    char backbone[64];     /* "ViT-B/32"; "" when absent */
    int gpus;              /* devices.count when devices.kind is "cuda", else 0 */
    int ranks;             /* "ranks", else devices.count, else 0 */
    bool on_gpu;           /* devices.kind == "cuda" */
    double train_hours;    /* < 0: absent or 0 (zero-shot), shown as "-" */
    double t2v[TABLE_NMETRIC];
    double v2t[TABLE_NMETRIC];
    char path[1024]; /* the file it came from */
} table_result;

/* Parses `path`; `metrics_key` is the metrics block to read ("metrics",
 * "metrics_dsl", "metrics_qbnorm"). Returns 0, or -1 with a message
 * "PATH: item: expected ..., found ..." in err. */
int table_result_load(const char *path, const char *metrics_key, table_result *out, char *err,
                      size_t err_len);

/* Same from text in memory (`path` only names it in messages). */
int table_result_parse(const char *text, size_t len, const char *path, const char *metrics_key,
                       table_result *out, char *err, size_t err_len);

#endif
