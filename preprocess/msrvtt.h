/* MSR-VTT annotations, spec/data.md §3:
 * - train pairs: every sentence of MSRVTT_data.json whose video_id is listed
 *   in MSRVTT_train.9k.csv (header video_id), in JSON order;
 * - test pairs: the rows of MSRVTT_JSFUSION_test.csv (header
 *   key,vid_key,video_id,sentence) in file order, caption = sentence.
 * Videos are numbered in order of first use (train pairs, then test pairs).
 * limit > 0 keeps, per split, only the pairs of its first `limit` distinct
 * videos (quick runs). */
#ifndef DRL_PREPROCESS_MSRVTT_H
#define DRL_PREPROCESS_MSRVTT_H

#include "preprocess/annotations.h"

typedef struct {
    const char *json;      /* MSRVTT_data.json (needed for train) */
    const char *train_csv; /* MSRVTT_train.9k.csv */
    const char *test_csv;  /* MSRVTT_JSFUSION_test.csv */
    int want_train, want_test;
    int64_t limit;
} MsrvttSources;

typedef struct {
    int64_t train_ids; /* ids listed in the 9k CSV */
    int64_t train_ids_without_caption;
    int64_t json_sentences;
} MsrvttStats;

/* Fills a (initialised by the caller). 0, or -1 with "FILE: ..." in err. */
int msrvtt_read(const MsrvttSources *src, Annotations *a, MsrvttStats *stats, char *err,
                size_t errlen);

#endif
