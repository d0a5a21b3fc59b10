/* VATEX v1.0: vatex_training_v1.0.json and vatex_validation_v1.0.json are
 * lists of {"videoID": "<youtube id>_<start>_<end>", "enCap": [10 English
 * captions], "chCap": [10 Chinese captions]}; the English captions are the
 * captions (one query each). Splits: train (training file), val
 * (validation file). Video file: "<videoID>.*" (the downloaded, cut clips). */
#include "preprocess/datasets/ds_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_split(const DatasetSources *src, const char *name, const char *file_name,
                      Annotations *a, DatasetStats *st, char *err, size_t errlen) {
    char path[4096];
    if (ds_path(path, sizeof path, src->anno, file_name, err, errlen) < 0) return -1;
    cJSON *root = ds_read_json(path, err, errlen);
    if (!root) return -1;
    int rc = -1, began = 0;
    DsSplit b;
    if (!cJSON_IsArray(root)) {
        snprintf(err, errlen, "%s: expected a list of {\"videoID\", \"enCap\", \"chCap\"}", path);
        goto done;
    }
    if (ds_split_begin(a, &b, name, src->limit, path, err, errlen) < 0) goto done;
    began = 1;
    int64_t i = -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        i++;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "videoID");
        const cJSON *caps = cJSON_GetObjectItemCaseSensitive(it, "enCap");
        if (!cJSON_IsString(id) || !id->valuestring[0]) {
            ds_problem(st, "%s: item [%lld]: missing or empty key \"videoID\"", path, (long long)i);
            continue;
        }
        if (!cJSON_IsArray(caps) || cJSON_GetArraySize(caps) == 0) {
            ds_problem(st, "%s: item [%lld] (video %s): missing or empty \"enCap\" list", path,
                       (long long)i, id->valuestring);
            continue;
        }
        if (!ds_split_takes(&b, id->valuestring)) continue;
        char file[4200];
        snprintf(file, sizeof file, "%s.*", id->valuestring);
        int k = -1;
        const cJSON *c;
        cJSON_ArrayForEach(c, caps) {
            k++;
            char *t =
                cJSON_IsString(c) ? ds_trim_dup(c->valuestring, strlen(c->valuestring)) : NULL;
            if (!t || !t[0]) {
                ds_problem(st, "%s: item [%lld] (video %s): enCap[%d] is %s", path, (long long)i,
                           id->valuestring, k, t ? "empty" : "not a string");
                free(t);
                continue;
            }
            int64_t v = ds_split_add(a, &b, id->valuestring, file, t, err, errlen);
            free(t);
            if (v < 0) goto done;
        }
    }
    rc = 0;
done:
    if (began) rc = ds_split_end(&b, rc == 0 ? err : NULL, errlen) < 0 ? -1 : rc;
    cJSON_Delete(root);
    return rc;
}

int vatex_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
               size_t errlen) {
    if (src->want[DS_TRAIN] &&
        read_split(src, "train", "vatex_training_v1.0.json", a, st, err, errlen) < 0)
        return -1;
    if (src->want[DS_VAL] &&
        read_split(src, "val", "vatex_validation_v1.0.json", a, st, err, errlen) < 0)
        return -1;
    return 0;
}
