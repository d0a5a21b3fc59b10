#include "preprocess/msrvtt.h"
#include "preprocess/csv_reader.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The column `name` of t, or -1 with an error naming the file and header. */
static int need_column(const CsvTable *t, const char *name, const char *path, char *err,
                       size_t errlen) {
    int c = csv_column(t, name);
    if (c < 0) snprintf(err, errlen, "%s: no column '%s' in the header line", path, name);
    return c;
}

/* Set of the 9k ids: a throwaway Annotations used as a string set. */
static int read_train(const MsrvttSources *src, Annotations *a, MsrvttStats *st, char *err,
                      size_t errlen) {
    CsvTable *t = csv_read(src->train_csv, err, errlen);
    if (!t) return -1;
    int col = need_column(t, "video_id", src->train_csv, err, errlen);
    Annotations listed;
    annotations_init(&listed);
    int rc = -1;
    char *json = NULL;
    cJSON *root = NULL;
    if (col < 0) goto done;
    for (int r = 0; r < t->n_rows; r++)
        if (annotations_video(&listed, t->rows[r][col]) < 0) {
            snprintf(err, errlen, "%s: out of memory", src->train_csv);
            goto done;
        }
    st->train_ids = listed.n_videos;
    size_t len = 0;
    json = annotations_read_file(src->json, &len, err, errlen);
    if (!json) goto done;
    root = cJSON_ParseWithLength(json, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        snprintf(err, errlen, "%s: invalid JSON near byte %ld", src->json,
                 at ? (long)(at - json) : -1L);
        goto done;
    }
    cJSON *sentences = cJSON_GetObjectItemCaseSensitive(root, "sentences");
    if (!cJSON_IsArray(sentences)) {
        snprintf(err, errlen, "%s: expected an object with a \"sentences\" array", src->json);
        goto done;
    }
    AnnSplit *split = annotations_add_split(a, "train");
    uint8_t *has_caption = calloc((size_t)listed.n_videos + 1, 1); // (listed videos)
    int64_t i = 0;
    Annotations seen; /* distinct train videos, for --limit */
    annotations_init(&seen);
    cJSON *s;
    cJSON_ArrayForEach(s, sentences) {
        cJSON *cap = cJSON_GetObjectItemCaseSensitive(s, "caption");
        cJSON *vid = cJSON_GetObjectItemCaseSensitive(s, "video_id");
        if (!cJSON_IsString(cap) || !cJSON_IsString(vid)) {
            snprintf(err, errlen,
                     "%s: sentences[%lld]: expected string fields \"caption\" and \"video_id\"",
                     src->json, (long long)i);
            free(has_caption);
            annotations_free(&seen);
            goto done;
        }
        i++;
        int64_t lv = annotations_find(&listed, vid->valuestring);
        if (lv < 0) continue; /* not a training video */
        if (src->limit > 0 && annotations_find(&seen, vid->valuestring) < 0) {
            if (seen.n_videos >= src->limit) continue;
            if (annotations_video(&seen, vid->valuestring) < 0) {
                snprintf(err, errlen, "%s: out of memory", src->json);
                free(has_caption);
                annotations_free(&seen);
                goto done;
            }
        }
        has_caption[lv] = 1;
        int64_t v = annotations_video(a, vid->valuestring);
        int64_t c = v < 0 ? -1 : annotations_add_caption(a, cap->valuestring, v);
        if (c < 0 || annotations_split_push(split, c) < 0) {
            snprintf(err, errlen, "%s: out of memory", src->json);
            free(has_caption);
            annotations_free(&seen);
            goto done;
        }
    }
    st->json_sentences = i;
    if (src->limit <= 0)
        for (int64_t v = 0; v < listed.n_videos; v++)
            st->train_ids_without_caption += !has_caption[v];
    free(has_caption);
    annotations_free(&seen);
    rc = 0;
done:
    cJSON_Delete(root);
    free(json);
    annotations_free(&listed);
    csv_free(t);
    return rc;
}

static int read_test(const MsrvttSources *src, Annotations *a, char *err, size_t errlen) {
    CsvTable *t = csv_read(src->test_csv, err, errlen);
    if (!t) return -1;
    int rc = -1;
    int vcol = need_column(t, "video_id", src->test_csv, err, errlen);
    int scol = vcol < 0 ? -1 : need_column(t, "sentence", src->test_csv, err, errlen);
    AnnSplit *split = scol < 0 ? NULL : annotations_add_split(a, "test");
    Annotations seen;
    annotations_init(&seen);
    if (!split) goto done;
    for (int r = 0; r < t->n_rows; r++) {
        const char *vid = t->rows[r][vcol];
        if (!vid[0]) {
            snprintf(err, errlen, "%s:%d: empty video_id", src->test_csv, t->row_line[r]);
            goto done;
        }
        if (src->limit > 0 && annotations_find(&seen, vid) < 0) {
            if (seen.n_videos >= src->limit) continue;
            if (annotations_video(&seen, vid) < 0) goto oom;
        }
        int64_t v = annotations_video(a, vid);
        int64_t c = v < 0 ? -1 : annotations_add_caption(a, t->rows[r][scol], v);
        if (c < 0 || annotations_split_push(split, c) < 0) goto oom;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "%s: out of memory", src->test_csv);
done:
    annotations_free(&seen);
    csv_free(t);
    return rc;
}

int msrvtt_read(const MsrvttSources *src, Annotations *a, MsrvttStats *stats, char *err,
                size_t errlen) {
    memset(stats, 0, sizeof *stats);
    if (src->want_train && read_train(src, a, stats, err, errlen) < 0) return -1;
    if (src->want_test && read_test(src, a, err, errlen) < 0) return -1;
    return 0;
}
