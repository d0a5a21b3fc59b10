/* Command line of drl_preprocess. */
#ifndef DRL_PREPROCESS_ARGS_H
#define DRL_PREPROCESS_ARGS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *dataset; /* "msrvtt", or a reader of preprocess/datasets/ (canonical name) */
    char json[4096], train_csv[4096], test_csv[4096];
    char anno[4096];    /* --anno (the other datasets' annotation folder) */
    const char *videos; /* folder of <video_id>.mp4 */
    const char *out;    /* store path */
    char vocab[4096];
    double fps;     /* target frames per second (1) */
    int resolution; /* R (224) */
    int want_train, want_test;
    int want_val;    /* datasets with a val split (not msrvtt) */
    int window_full; /* --window full: CLIP4Clip's paragraph windows (datasets.h) */
    int64_t limit;   /* videos per split, 0 = all */
    int force;
    double progress_s; /* seconds between progress lines */
} PreprocessArgs;

/* Returns 0 to run, 1 after --help (exit 0), -1 on a usage error (message in err). */
int preprocess_parse_args(int argc, char **argv, PreprocessArgs *a, char *err, int errlen);
void preprocess_usage(FILE *to);

#endif
