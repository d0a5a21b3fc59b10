/* libFuzzer target for the MSR-VTT annotation readers (preprocess/): the
 * input is split at lines "=====" into up to three parts, MSRVTT_data.json,
 * MSRVTT_train.9k.csv and MSRVTT_JSFUSION_test.csv, written to temp files and
 * read by msrvtt_read; the whole input is also given to csv_parse. Either
 * must succeed with consistent indices or fail with a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/common/fuzz_tmpfile.h"
#include "preprocess/csv_reader.h"
#include "preprocess/msrvtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SEP[] = "\n=====\n";

/* Every index of a must be in range. */
static void check_annotations(const Annotations *a) {
    for (int64_t c = 0; c < a->n_captions; c++) {
        if (a->caption_video[c] < 0 || a->caption_video[c] >= a->n_videos) __builtin_trap();
        if (!a->captions[c]) __builtin_trap();
    }
    for (int s = 0; s < a->n_splits; s++)
        for (int64_t k = 0; k < a->splits[s].n; k++)
            if (a->splits[s].captions[k] < 0 || a->splits[s].captions[k] >= a->n_captions)
                __builtin_trap();
}

static void fuzz_csv(const uint8_t *data, size_t size) {
    char err[1024];
    err[0] = '\0';
    CsvTable *t = csv_parse((const char *)data, size, "fuzz.csv", err, sizeof err);
    if (!t) {
        fuzz_check_err(err, sizeof err);
        return;
    }
    for (int r = 0; r < t->n_rows; r++)
        for (int c = 0; c < t->n_cols; c++)
            if (!t->rows[r][c]) __builtin_trap();
    (void)csv_column(t, "video_id");
    csv_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_csv(data, size);
    /* split into parts (each may be empty) */
    const uint8_t *part[3] = {data, NULL, NULL};
    size_t len[3] = {size, 0, 0};
    int n = 1;
    for (size_t i = 0; n < 3 && i + sizeof SEP - 1 <= size; i++) {
        if (i >= (size_t)(part[n - 1] - data) && memcmp(data + i, SEP, sizeof SEP - 1) == 0) {
            len[n - 1] = (size_t)(data + i - part[n - 1]);
            part[n] = data + i + sizeof SEP - 1;
            len[n] = size - (size_t)(part[n] - data);
            n++;
            i += sizeof SEP - 2;
        }
    }
    char path[3][512];
    static const char *tags[3] = {"data.json", "train.csv", "test.csv"};
    for (int k = 0; k < 3; k++) {
        fuzz_tmp_path(path[k], sizeof path[k], tags[k]);
        if (fuzz_write_file(path[k], part[k] ? part[k] : data, part[k] ? len[k] : 0) != 0) return 0;
    }
    MsrvttSources src = {.json = path[0],
                         .train_csv = path[1],
                         .test_csv = path[2],
                         .want_train = 1,
                         .want_test = 1,
                         .limit = size > 0 ? data[size - 1] % 4 : 0};
    Annotations a;
    annotations_init(&a);
    MsrvttStats st;
    memset(&st, 0, sizeof st);
    char err[1024];
    err[0] = '\0';
    if (msrvtt_read(&src, &a, &st, err, sizeof err) == 0)
        check_annotations(&a);
    else
        fuzz_check_err(err, sizeof err);
    annotations_free(&a);
    for (int k = 0; k < 3; k++)
        unlink(path[k]);
    return 0;
}
