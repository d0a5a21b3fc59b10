/* DiDeMo (CLIP4Clip's dataloader_didemo_retrieval.py): {split}_data.json is a
 * list of {"video": FILE, "description": TEXT, "times": [[s, e], ...]}, one
 * item per moment, s and e 5-second segment indices (e inclusive), one pair
 * per annotator. A moment spans [mean(s) * 5, (mean(e) + 1) * 5] seconds (as
 * CLIP4Clip computes it). The video id is the "video" field (a file name with
 * its extension). {split}_list.txt, when present, restricts and orders the
 * videos (CLIP4Clip's lists). */
#include "preprocess/datasets/ds_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    DsSentence *s; // (n) the video's moments
    int64_t n, cap;
} Group;

typedef struct {
    Annotations ids; /* video id -> group index */
    Group *g;        // (ids.n_videos)
    int64_t cap;
} Groups;

static void groups_free(Groups *gs) {
    for (int64_t v = 0; v < gs->ids.n_videos; v++) {
        for (int64_t i = 0; i < gs->g[v].n; i++)
            free(gs->g[v].s[i].text);
        free(gs->g[v].s);
    }
    free(gs->g);
    annotations_free(&gs->ids);
}

static Group *group_of(Groups *gs, const char *id) {
    int64_t v = annotations_video(&gs->ids, id);
    if (v < 0) return NULL;
    if (v >= gs->cap) {
        int64_t cap = gs->cap ? 2 * gs->cap : 256;
        Group *g = realloc(gs->g, sizeof *g * (size_t)cap);
        if (!g) return NULL;
        memset(g + gs->cap, 0, sizeof *g * (size_t)(cap - gs->cap));
        gs->g = g;
        gs->cap = cap;
    }
    return &gs->g[v];
}

static int group_push(Group *g, DsSentence s) {
    if (g->n == g->cap) {
        int64_t cap = g->cap ? 2 * g->cap : 4;
        DsSentence *n = realloc(g->s, sizeof *n * (size_t)cap);
        if (!n) return -1;
        g->s = n;
        g->cap = cap;
    }
    g->s[g->n++] = s;
    return 0;
}

/* Mean start and end of the annotators' [s, e] pairs; -1 if malformed. */
static int moment_span(const cJSON *times, double *start, double *end) {
    if (!cJSON_IsArray(times) || cJSON_GetArraySize(times) < 1) return -1;
    double s = 0, e = 0;
    int n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, times) {
        if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != 2) return -1;
        const cJSON *a = cJSON_GetArrayItem(t, 0), *b = cJSON_GetArrayItem(t, 1);
        if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b)) return -1;
        s += a->valuedouble;
        e += b->valuedouble;
        n++;
    }
    *start = s / n * 5.0;
    *end = (e / n + 1.0) * 5.0;
    return 0;
}

/* "VIDEO|STEM.*": the file as named, else any extension (converted videos). */
static void file_of(const char *video, char *out, size_t n) {
    const char *dot = strrchr(video, '.');
    size_t stem = dot && dot != video ? (size_t)(dot - video) : strlen(video);
    snprintf(out, n, "%s|%.*s.*", video, (int)stem, video);
}

static int read_split(const DatasetSources *src, const char *name, Annotations *a, DatasetStats *st,
                      char *err, size_t errlen) {
    char json_path[4096], list_path[4096], base[64];
    snprintf(base, sizeof base, "%s_data.json", name);
    if (ds_path(json_path, sizeof json_path, src->anno, base, err, errlen) < 0) return -1;
    snprintf(base, sizeof base, "%s_list.txt", name);
    if (ds_path(list_path, sizeof list_path, src->anno, base, err, errlen) < 0) return -1;
    cJSON *root = ds_read_json(json_path, err, errlen);
    if (!root) return -1;
    int rc = -1;
    Groups gs;
    memset(&gs, 0, sizeof gs);
    char **list = NULL;
    int64_t n_list = 0;
    DsSplit b;
    int began = 0;
    if (!cJSON_IsArray(root)) {
        snprintf(err, errlen, "%s: expected a list of {\"video\", \"description\", \"times\"}",
                 json_path);
        goto done;
    }
    int64_t i = -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        i++;
        const cJSON *video = cJSON_GetObjectItemCaseSensitive(it, "video");
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(it, "description");
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(it, "times");
        const char *miss = !cJSON_IsString(video)  ? "video"
                           : !cJSON_IsString(desc) ? "description"
                           : !times                ? "times"
                                                   : NULL;
        if (miss) {
            ds_problem(st, "%s: item [%lld]: missing or non-string key \"%s\"", json_path,
                       (long long)i, miss);
            continue;
        }
        DsSentence s = {.order = i};
        if (moment_span(times, &s.start, &s.end) < 0) {
            ds_problem(st,
                       "%s: item [%lld] (video %s): \"times\" must be a non-empty list of "
                       "[start, end] number pairs",
                       json_path, (long long)i, video->valuestring);
            continue;
        }
        Group *g = group_of(&gs, video->valuestring);
        s.text = ds_trim_dup(desc->valuestring, strlen(desc->valuestring));
        if (!g || !s.text || group_push(g, s) < 0) {
            free(s.text);
            snprintf(err, errlen, "%s: out of memory", json_path);
            goto done;
        }
    }
    if (ds_exists(list_path) && !(list = ds_read_lines(list_path, &n_list, err, errlen))) goto done;
    if (ds_split_begin(a, &b, name, src->limit, json_path, err, errlen) < 0) goto done;
    began = 1;
    int64_t n_videos = list ? n_list : gs.ids.n_videos;
    for (int64_t k = 0; k < n_videos; k++) {
        const char *id = list ? list[k] : gs.ids.video_ids[k];
        int64_t v = annotations_find(&gs.ids, id);
        if (v < 0) {
            ds_problem(st, "%s:%lld: video %s is listed but has no item in %s", list_path,
                       (long long)k + 1, id, json_path);
            continue;
        }
        Group *g = &gs.g[v];
        char *para = ds_paragraph(g->s, g->n);
        if (!para) {
            snprintf(err, errlen, "%s: out of memory", json_path);
            goto done;
        }
        if (!para[0]) {
            ds_problem(st, "%s: video %s: empty paragraph (every description is empty)", json_path,
                       id);
            free(para);
            continue;
        }
        double start = g->s[0].start, end = g->s[0].end;
        for (int64_t j = 1; j < g->n; j++)
            end = g->s[j].end > end ? g->s[j].end : end;
        if (src->window_full) start = 0.0, end = 31.0;
        char file[8192];
        file_of(id, file, sizeof file);
        int64_t av = ds_split_takes(&b, id) ? ds_split_add(a, &b, id, file, para, err, errlen) : -2;
        free(para);
        if (av == -1 || (av >= 0 && annotations_set_window(a, av, start, end) < 0)) {
            snprintf(err, errlen, "%s: out of memory", json_path);
            goto done;
        }
    }
    rc = 0;
done:
    if (began) rc = ds_split_end(&b, rc == 0 ? err : NULL, errlen) < 0 ? -1 : rc;
    ds_free_lines(list, n_list);
    groups_free(&gs);
    cJSON_Delete(root);
    return rc;
}

int didemo_read(const DatasetSources *src, Annotations *a, DatasetStats *st, char *err,
                size_t errlen) {
    static const char *names[DS_NSPLITS] = {"train", "val", "test"};
    for (int s = 0; s < DS_NSPLITS; s++)
        if (src->want[s] && read_split(src, names[s], a, st, err, errlen) < 0) return -1;
    return 0;
}
