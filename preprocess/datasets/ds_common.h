/* Helpers shared by the readers of preprocess/datasets/ (internal). */
#ifndef DRL_PREPROCESS_DS_COMMON_H
#define DRL_PREPROCESS_DS_COMMON_H

#include "preprocess/datasets/datasets.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parsed JSON; NULL with "PATH: ..." in err. */
cJSON *ds_read_json(const char *path, char *err, size_t errlen);
/* out = dir/name; -1 when too long (message in err). */
int ds_path(char *out, size_t n, const char *dir, const char *name, char *err, size_t errlen);
int ds_exists(const char *path);
/* Non-empty lines, trimmed (a list file); NULL with err on failure. */
char **ds_read_lines(const char *path, int64_t *n, char *err, size_t errlen);
void ds_free_lines(char **lines, int64_t n);
/* Copy of s without leading/trailing white space. */
char *ds_trim_dup(const char *s, size_t len);

/* Logs "warning: ..." (rank 0) and counts the problem. */
void ds_problem(DatasetStats *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One split being filled, with the --limit on distinct videos. */
typedef struct {
    AnnSplit *split;
    Annotations seen; /* distinct videos of the split */
    int64_t limit;
    const char *file; /* named in messages */
} DsSplit;

int ds_split_begin(Annotations *a, DsSplit *b, const char *name, int64_t limit, const char *file,
                   char *err, size_t errlen);
/* 1 if the split takes (more captions of) this video, 0 when over the limit. */
int ds_split_takes(DsSplit *b, const char *video_id);
/* Adds the caption of video video_id (file: its file under --videos or NULL)
 * to the split; the video is created on first use. Index of the video, -1 on
 * allocation failure (err set). */
int64_t ds_split_add(Annotations *a, DsSplit *b, const char *video_id, const char *file,
                     const char *text, char *err, size_t errlen);
/* Ends the split: an empty split is an error naming its file (err NULL: only
 * releases b). */
int ds_split_end(DsSplit *b, char *err, size_t errlen);

/* A sentence with its time span, for paragraphs. */
typedef struct {
    double start, end;
    int64_t order; /* position in the file (ties) */
    char *text;    /* owned, trimmed */
} DsSentence;

/* Sorts by start, then end, then file order; joins with single spaces. */
char *ds_paragraph(DsSentence *s, int64_t n);

#endif
