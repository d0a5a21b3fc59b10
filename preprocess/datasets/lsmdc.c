/* LSMDC 2016 (CLIP4Clip's dataloader_lsmdc_retrieval.py): one line per
 * sentence, six tab-separated fields, no header:
 *   CLIP_ID  START_ALIGNED  END_ALIGNED  START_EXTRACTED  END_EXTRACTED  SENTENCE
 * (a clip id may have several sentences). The clips are already cut, so the
 * times are not applied. A clip's file is <movie>/<clip id>.avi, movie = the
 * clip id up to its last '_' (e.g. 1001_Flight/1001_Flight_00.00.36.000-
 * 00.00.42.000.avi); any extension, or the clip directly under --videos,
 * is accepted too. */
#include "preprocess/datasets/ds_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_split(const DatasetSources *src, const char *name, const char *file_name,
                      Annotations *a, DatasetStats *st, char *err, size_t errlen) {
    char path[4096];
    if (ds_path(path, sizeof path, src->anno, file_name, err, errlen) < 0) return -1;
    size_t len = 0;
    char *text = annotations_read_file(path, &len, err, errlen);
    if (!text) return -1;
    DsSplit b;
    int rc = -1;
    if (ds_split_begin(a, &b, name, src->limit, path, err, errlen) < 0) {
        free(text);
        return -1;
    }
    long line = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        line++;
        text[j < len ? j : len] = 0;
        char *l = text + i;
        i = j + 1;
        size_t ll = strlen(l);
        if (ll && l[ll - 1] == '\r') l[--ll] = 0;
        if (!ll) continue;
        char *f[6];
        int nf = 0;
        for (char *p = l; nf < 6;) {
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = 0;
            p = tab + 1;
        }
        if (nf != 6 || strchr(f[5], '\t')) {
            ds_problem(st, "%s:%ld: expected 6 tab-separated fields (clip id, 4 times, sentence)",
                       path, line);
            continue;
        }
        char *id = ds_trim_dup(f[0], strlen(f[0]));
        char *sentence = ds_trim_dup(f[5], strlen(f[5]));
        if (!id || !sentence) {
            free(id), free(sentence);
            snprintf(err, errlen, "%s: out of memory", path);
            goto done;
        }
        if (!id[0] || !sentence[0]) {
            ds_problem(st, "%s:%ld: empty %s", path, line, id[0] ? "sentence" : "clip id");
        } else if (ds_split_takes(&b, id)) {
            const char *us = strrchr(id, '_');
            int movie = us ? (int)(us - id) : (int)strlen(id);
            char file[16384];
            snprintf(file, sizeof file, "%.*s/%s.avi|%.*s/%s.*|%s.*", movie, id, id, movie, id, id,
                     id);
            if (ds_split_add(a, &b, id, file, sentence, err, errlen) < 0) {
                free(id), free(sentence);
                goto done;
            }
        }
        free(id), free(sentence);
    }
    rc = 0;
done:
    rc = ds_split_end(&b, rc == 0 ? err : NULL, errlen) < 0 ? -1 : rc;
    free(text);
    return rc;
}

int lsmdc_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
               size_t errlen) {
    static const char *names[DS_NSPLITS] = {"train", "val", "test"};
    static const char *files[DS_NSPLITS] = {"LSMDC16_annos_training.csv", "LSMDC16_annos_val.csv",
                                            "LSMDC16_challenge_1000_publictect.csv"};
    for (int s = 0; s < DS_NSPLITS; s++)
        if (src->want[s] && read_split(src, names[s], files[s], a, st, err, errlen) < 0) return -1;
    return 0;
}
