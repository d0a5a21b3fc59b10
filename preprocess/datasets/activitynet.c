/* ActivityNet Captions (CLIP4Clip's dataloader_activitynet_retrieval.py):
 * train.json / val_1.json map "v_<youtube id>" to {"duration": s,
 * "timestamps": [[start, end], ...] (seconds), "sentences": [...]};
 * train_ids.json / val_ids.json, when present, list the ids (JSON array) and
 * order them. There is no test split (CLIP4Clip evaluates on val_1). The
 * video file is "v_<id>.*" or, as CLIP4Clip looks it up, "<id>.*". */
#include "preprocess/datasets/ds_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The paragraph of one entry (NULL with a problem logged, or err on OOM). */
static char *paragraph(const char *path, const char *id, const cJSON *e, double *start, double *end,
                       DatasetStats *st, int *oom) {
    const cJSON *sent = cJSON_GetObjectItemCaseSensitive(e, "sentences");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "timestamps");
    if (!cJSON_IsArray(sent)) {
        ds_problem(st, "%s: key %s: missing \"sentences\" list", path, id);
        return NULL;
    }
    int n = cJSON_GetArraySize(sent);
    int timed = cJSON_IsArray(ts) && cJSON_GetArraySize(ts) == n;
    if (!timed)
        ds_problem(st,
                   "%s: key %s: \"timestamps\" missing or not one [start, end] per sentence; "
                   "the sentences are kept in file order over the whole video",
                   path, id);
    DsSentence *s = calloc((size_t)n + 1, sizeof *s); // (n)
    if (!s) {
        *oom = 1;
        return NULL;
    }
    char *para = NULL;
    for (int k = 0; k < n; k++) {
        const cJSON *x = cJSON_GetArrayItem(sent, k);
        if (!cJSON_IsString(x)) {
            ds_problem(st, "%s: key %s: sentences[%d] is not a string", path, id, k);
            goto done;
        }
        s[k].order = k;
        s[k].text = ds_trim_dup(x->valuestring, strlen(x->valuestring));
        if (!s[k].text) {
            *oom = 1;
            goto done;
        }
        if (timed) {
            const cJSON *t = cJSON_GetArrayItem(ts, k);
            const cJSON *a = cJSON_GetArrayItem(t, 0), *b = cJSON_GetArrayItem(t, 1);
            if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != 2 || !cJSON_IsNumber(a) ||
                !cJSON_IsNumber(b)) {
                ds_problem(st, "%s: key %s: timestamps[%d] is not a [start, end] pair", path, id,
                           k);
                goto done;
            }
            s[k].start = a->valuedouble;
            s[k].end = b->valuedouble;
        }
    }
    para = ds_paragraph(s, n);
    if (!para) {
        *oom = 1;
    } else if (!para[0]) {
        ds_problem(st, "%s: key %s: empty paragraph (no non-empty sentence)", path, id);
        free(para);
        para = NULL;
    } else if (timed) {
        *start = s[0].start;
        *end = s[0].end;
        for (int k = 1; k < n; k++)
            *end = s[k].end > *end ? s[k].end : *end;
    } else {
        *start = 0.0;
        *end = -1.0;
    }
done:
    for (int k = 0; k < n; k++)
        free(s[k].text);
    free(s);
    return para;
}

static int read_split(const DatasetSources *src, const char *name, const char *json_name,
                      const char *ids_name, Annotations *a, DatasetStats *st, char *err,
                      size_t errlen) {
    char path[4096], ids_path[4096];
    if (ds_path(path, sizeof path, src->anno, json_name, err, errlen) < 0 ||
        ds_path(ids_path, sizeof ids_path, src->anno, ids_name, err, errlen) < 0)
        return -1;
    cJSON *root = ds_read_json(path, err, errlen), *ids = NULL;
    if (!root) return -1;
    int rc = -1, began = 0;
    DsSplit b;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen,
                 "%s: expected an object {video id: {\"duration\", "
                 "\"timestamps\", \"sentences\"}}",
                 path);
        goto done;
    }
    if (ds_exists(ids_path)) {
        if (!(ids = ds_read_json(ids_path, err, errlen))) goto done;
        if (!cJSON_IsArray(ids)) {
            snprintf(err, errlen, "%s: expected a list of video ids", ids_path);
            goto done;
        }
    }
    if (ds_split_begin(a, &b, name, src->limit, path, err, errlen) < 0) goto done;
    began = 1;
    const cJSON *it = ids ? ids->child : root->child;
    for (int64_t k = 0; it; it = it->next, k++) {
        const char *id = ids ? (cJSON_IsString(it) ? it->valuestring : NULL) : it->string;
        if (!id) {
            ds_problem(st, "%s: [%lld] is not a string", ids_path, (long long)k);
            continue;
        }
        const cJSON *e = ids ? cJSON_GetObjectItemCaseSensitive(root, id) : it;
        if (!e) {
            ds_problem(st, "%s: [%lld]: video %s is listed but absent from %s", ids_path,
                       (long long)k, id, path);
            continue;
        }
        if (!cJSON_IsObject(e)) {
            ds_problem(st, "%s: key %s: expected an object", path, id);
            continue;
        }
        double start = 0, end = -1;
        int oom = 0;
        char *para = paragraph(path, id, e, &start, &end, st, &oom);
        if (oom) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto done;
        }
        if (!para) continue;
        if (src->window_full) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "duration");
            start = 0.0;
            end = cJSON_IsNumber(d) ? ceil(d->valuedouble) : -1.0;
        }
        char file[8192];
        const char *bare = strncmp(id, "v_", 2) == 0 ? id + 2 : id;
        snprintf(file, sizeof file, "%s.*|%s.*", id, bare);
        int64_t v = ds_split_takes(&b, id) ? ds_split_add(a, &b, id, file, para, err, errlen) : -2;
        free(para);
        if (v == -1 || (v >= 0 && annotations_set_window(a, v, start, end) < 0)) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto done;
        }
    }
    rc = 0;
done:
    if (began) rc = ds_split_end(&b, rc == 0 ? err : NULL, errlen) < 0 ? -1 : rc;
    cJSON_Delete(ids);
    cJSON_Delete(root);
    return rc;
}

int activitynet_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
                     size_t errlen) {
    if (src->want[DS_TRAIN] &&
        read_split(src, "train", "train.json", "train_ids.json", a, st, err, errlen) < 0)
        return -1;
    if (src->want[DS_VAL] &&
        read_split(src, "val", "val_1.json", "val_ids.json", a, st, err, errlen) < 0)
        return -1;
    return 0;
}
