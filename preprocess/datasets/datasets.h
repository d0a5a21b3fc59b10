/* Annotation readers of the datasets beyond MSR-VTT (spec/data.md §4), in the
 * formats CLIP4Clip's data preparation documents; each fills the same
 * Annotations (videos, captions, splits) that drl_preprocess stores.
 *
 * Files read from the annotation folder (per split: train, val, test):
 *   didemo       {train,val,test}_data.json: [{"video", "description",
 *                "times": [[s, e], ...]}, ...] (s, e: 5-second segment
 *                indices, e inclusive); optional {train,val,test}_list.txt
 *   activitynet  train.json, val_1.json: {id: {"duration", "timestamps",
 *                "sentences"}}; optional train_ids.json, val_ids.json (no test)
 *   msvd         raw-captions.pkl {id: [[token, ...], ...]} (read by our safe
 *                unpickler), {train,val,test}_list.txt
 *   lsmdc        LSMDC16_annos_training.csv, LSMDC16_annos_val.csv,
 *                LSMDC16_challenge_1000_publictect.csv (tab-separated
 *                clip id, 4 times, sentence; no header)
 *   vatex        vatex_training_v1.0.json, vatex_validation_v1.0.json:
 *                [{"videoID", "enCap": [...], "chCap"}, ...] (train, val)
 *
 * Paragraph datasets (didemo, activitynet): one caption per video, the
 * video's sentences sorted by start time (stable) and joined with single
 * spaces; the frames kept are those within [min start, max end] of the
 * sentences (the union of the segments), or with window_full CLIP4Clip's
 * window: DiDeMo [0, 31] s, ActivityNet [0, ceil(duration)] s.
 * Other datasets: one caption per sentence (multi-sentence evaluation when a
 * split has several captions per video).
 *
 * Bad items (a missing key, an empty paragraph, an id listed but absent) are
 * logged with the file and key or line, counted in problems and skipped; a
 * requested split with no usable item is an error. */
#ifndef DRL_PREPROCESS_DATASETS_H
#define DRL_PREPROCESS_DATASETS_H

#include "preprocess/annotations.h"

#include <stddef.h>
#include <stdint.h>

enum { DS_TRAIN, DS_VAL, DS_TEST, DS_NSPLITS };

typedef struct {
    const char *anno;     /* folder of the annotation files */
    int want[DS_NSPLITS]; /* splits to read; one the dataset lacks is an error */
    int64_t limit;        /* videos per split, 0 = all */
    int window_full;      /* paragraph datasets: CLIP4Clip's windows */
} DatasetSources;

typedef struct {
    int64_t problems; /* items skipped with a warning */
} DatasetStats;

/* Canonical name of a dataset read here ("activity" -> "activitynet"), or NULL. */
const char *dataset_canonical(const char *name);
/* Which splits the dataset defines (want[] layout); 0 or -1 for an unknown name. */
int dataset_splits(const char *name, int defined[DS_NSPLITS]);
/* Fills a (initialised by the caller). 0, or -1 with "FILE: ..." in err. */
int dataset_read(const char *name, const DatasetSources *src, Annotations *a, DatasetStats *st,
                 char *err, size_t errlen);

int didemo_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
                size_t errlen);
int activitynet_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
                     size_t errlen);
int msvd_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
              size_t errlen);
int lsmdc_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
               size_t errlen);
int vatex_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
               size_t errlen);

/* The file of a video under dir: each '|'-separated alternative of `file`
 * in turn, "STEM.*" matching any extension (first in sorted order). 0 with
 * the path in out, or -1 with the first alternative's path in out. */
int dataset_video_path(const char *dir, const char *file, char *out, size_t outlen);

#endif
