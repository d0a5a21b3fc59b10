/* The synthetic MSR-VTT-format dataset writer (see synth.h). */
#include "video/synth.h"

#include "common/check.h"
#include "video/mp4_write.h"
#include "video/synth_scene.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void synth_default_options(SynthOptions *o) {
    o->videos = 240;
    o->test_videos = 40;
    o->captions_per_video = 4;
    o->width = 64;
    o->height = 48;
    o->seconds = 5.0;
    o->fps = 8;
    o->seed = 0;
}

static int make_dir(const char *path, char *err, size_t errlen) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    snprintf(err, errlen, "%s: cannot create the folder (%s)", path, strerror(errno));
    return -1;
}

static int write_text(const char *path, const char *text, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int check_options(const SynthOptions *o, char *err, size_t errlen) {
    const char *why = NULL;
    if (o->videos < 2)
        why = "--videos must be at least 2";
    else if (o->test_videos < 1 || o->test_videos >= o->videos)
        why = "the test split must hold at least one video and leave one for training";
    else if (o->captions_per_video < 2 || o->captions_per_video > SYNTH_TEMPLATES)
        why = "captions per video must be 2..5";
    else if (o->width < 16 || o->height < 16 || o->width % 2 || o->height % 2)
        why = "--size must be even and at least 16x16";
    else if (o->fps < 1 || o->fps > 120)
        why = "--fps must be 1..120";
    else if (!(o->seconds > 0) || o->seconds * o->fps > 10000)
        why = "--seconds out of range";
    if (why) snprintf(err, errlen, "synthetic dataset options: %s", why);
    return why ? -1 : 0;
}

/* Scene i: a (shape, colour, action) combination drawn without replacement
 * (combinations repeat only beyond SHAPES*COLOURS*ACTIONS videos). */
static void make_scenes(const SynthOptions *o, SynthScene *scenes) {
    enum { COMBOS = SYNTH_SHAPES * SYNTH_COLOURS * SYNTH_ACTIONS };
    int order[COMBOS];
    SynthRng rng = {o->seed * 0x2545F4914F6CDD1Dull + 1};
    for (int i = 0; i < COMBOS; i++)
        order[i] = i;
    for (int i = COMBOS - 1; i > 0; i--) {
        int j = synth_rng_below(&rng, i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int v = 0; v < o->videos; v++) {
        int c = order[v % COMBOS];
        SynthScene *s = &scenes[v];
        memset(s, 0, sizeof *s);
        s->shape = c % SYNTH_SHAPES;
        s->colour = (c / SYNTH_SHAPES) % SYNTH_COLOURS;
        s->action = c / (SYNTH_SHAPES * SYNTH_COLOURS);
        SynthRng vr = {o->seed * 0x9E3779B97F4A7C15ull + 0x1000003ull * (uint64_t)(v + 1)};
        synth_scene_place(s, o->width, o->height, &vr);
    }
}

/* The captions of scene v: a seeded choice of distinct templates. */
static void caption_variants(const SynthOptions *o, int v, int *variants) {
    int perm[SYNTH_TEMPLATES];
    SynthRng r = {o->seed * 0xD1B54A32D192ED03ull + 0x3779ull * (uint64_t)(v + 7)};
    for (int i = 0; i < SYNTH_TEMPLATES; i++)
        perm[i] = i;
    for (int i = SYNTH_TEMPLATES - 1; i > 0; i--) {
        int j = synth_rng_below(&r, i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(variants, perm, sizeof(int) * (size_t)o->captions_per_video);
}

static int write_videos(const char *dir, const SynthOptions *o, const SynthScene *scenes, char *err,
                        size_t errlen) {
    int n = (int)lround(o->seconds * o->fps);
    if (n < 1) n = 1;
    size_t frame_bytes = (size_t)o->width * o->height * 3;
    uint8_t *frames = mallocCheck(frame_bytes * n); // (n, height, width, 3)
    char path[4096];
    int rc = 0;
    for (int v = 0; v < o->videos && rc == 0; v++) {
        for (int t = 0; t < n; t++)
            synth_scene_render(&scenes[v], t, n, o->width, o->height, frames + t * frame_bytes);
        snprintf(path, sizeof path, "%s/videos/video%d.mp4", dir, v);
        rc = mp4_write_rgb(path, frames, n, o->width, o->height, o->fps, err, errlen);
    }
    free(frames);
    return rc;
}

static int write_annotations(const char *dir, const SynthOptions *o, const SynthScene *scenes,
                             char *err, size_t errlen) {
    int first_test = o->videos - o->test_videos;
    cJSON *root = cJSON_CreateObject(), *videos = cJSON_CreateArray();
    cJSON *sentences = cJSON_CreateArray(), *meta = cJSON_CreateArray();
    drlCheck(root && videos && sentences && meta, "out of memory building the JSON");
    cJSON_AddItemToObject(root, "videos", videos);
    cJSON_AddItemToObject(root, "sentences", sentences);
    size_t csv_cap = 64 + (size_t)o->videos * 160;
    char *train = mallocCheck(csv_cap), *test = mallocCheck(csv_cap);
    size_t ntrain = (size_t)snprintf(train, csv_cap, "video_id\n");
    size_t ntest = (size_t)snprintf(test, csv_cap, "key,vid_key,video_id,sentence\n");
    char id[32], caption[256];
    int sen_id = 0, variants[SYNTH_TEMPLATES];
    for (int v = 0; v < o->videos; v++) {
        const SynthScene *s = &scenes[v];
        int is_test = v >= first_test;
        snprintf(id, sizeof id, "video%d", v);
        cJSON *jv = cJSON_CreateObject();
        cJSON_AddNumberToObject(jv, "category", s->action);
        cJSON_AddStringToObject(jv, "url", "");
        cJSON_AddStringToObject(jv, "video_id", id);
        cJSON_AddNumberToObject(jv, "start time", 0);
        cJSON_AddNumberToObject(jv, "end time", o->seconds);
        cJSON_AddStringToObject(jv, "split", is_test ? "test" : "train");
        cJSON_AddNumberToObject(jv, "id", v);
        cJSON_AddItemToArray(videos, jv);

        cJSON *jm = cJSON_CreateObject();
        cJSON_AddStringToObject(jm, "video_id", id);
        cJSON_AddStringToObject(jm, "shape", synth_shape_name(s->shape));
        cJSON_AddStringToObject(jm, "colour", synth_colour_name(s->colour));
        cJSON_AddStringToObject(jm, "colour2", synth_colour_name(s->colour2));
        cJSON_AddStringToObject(jm, "action", synth_action_name(s->action));
        cJSON_AddStringToObject(jm, "background", s->striped ? "striped" : "plain");
        cJSON_AddItemToArray(meta, jm);

        caption_variants(o, v, variants);
        int test_written = 0;
        for (int k = 0; k < o->captions_per_video; k++) {
            synth_caption(s, variants[k], caption, sizeof caption);
            cJSON *js = cJSON_CreateObject();
            cJSON_AddStringToObject(js, "caption", caption);
            cJSON_AddStringToObject(js, "video_id", id);
            cJSON_AddNumberToObject(js, "sen_id", sen_id++);
            cJSON_AddItemToArray(sentences, js);
            /* the JSFUSION CSV is unquoted: its caption is one without a comma */
            if (is_test && !test_written && !strchr(caption, ',')) {
                ntest += (size_t)snprintf(test + ntest, csv_cap - ntest, "ret%d,msr%d,%s,%s\n",
                                          v - first_test, v, id, caption);
                test_written = 1;
            }
        }
        if (!is_test) ntrain += (size_t)snprintf(train + ntrain, csv_cap - ntrain, "%s\n", id);
    }
    char *json = cJSON_PrintUnformatted(root), *meta_json = cJSON_Print(meta);
    drlCheck(json && meta_json, "out of memory printing the JSON");
    char path[4096];
    int rc = 0;
    snprintf(path, sizeof path, "%s/anns/MSRVTT_data.json", dir);
    rc = rc ? rc : write_text(path, json, err, errlen);
    snprintf(path, sizeof path, "%s/anns/MSRVTT_train.9k.csv", dir);
    rc = rc ? rc : write_text(path, train, err, errlen);
    snprintf(path, sizeof path, "%s/anns/MSRVTT_JSFUSION_test.csv", dir);
    rc = rc ? rc : write_text(path, test, err, errlen);
    snprintf(path, sizeof path, "%s/anns/synth_meta.json", dir);
    rc = rc ? rc : write_text(path, meta_json, err, errlen);
    cJSON_free(json);
    cJSON_free(meta_json);
    cJSON_Delete(root);
    cJSON_Delete(meta);
    free(train);
    free(test);
    return rc;
}

int synth_write_dataset(const char *dir, const SynthOptions *o, char *err, size_t errlen) {
    if (check_options(o, err, errlen) < 0) return -1;
    char path[4096];
    if (make_dir(dir, err, errlen) < 0) return -1;
    snprintf(path, sizeof path, "%s/videos", dir);
    if (make_dir(path, err, errlen) < 0) return -1;
    snprintf(path, sizeof path, "%s/anns", dir);
    if (make_dir(path, err, errlen) < 0) return -1;
    SynthScene *scenes = mallocCheck(sizeof(SynthScene) * (size_t)o->videos); // (videos)
    make_scenes(o, scenes);
    int rc = write_videos(dir, o, scenes, err, errlen);
    if (rc == 0) rc = write_annotations(dir, o, scenes, err, errlen);
    free(scenes);
    return rc;
}
