/* Test helper: msrvtt_dump JSON TRAIN_CSV TEST_CSV [LIMIT] prints every pair
 * of the MSR-VTT readers as one JSON object per line:
 * {"split": ..., "video_id": ..., "caption": ...}; errors go to stderr (exit 1). */
#include "preprocess/msrvtt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: msrvtt_dump JSON TRAIN_CSV TEST_CSV [LIMIT]\n");
        return 2;
    }
    MsrvttSources src = {.json = argv[1],
                         .train_csv = argv[2],
                         .test_csv = argv[3],
                         .want_train = 1,
                         .want_test = 1,
                         .limit = argc > 4 ? atoll(argv[4]) : 0};
    Annotations a;
    annotations_init(&a);
    MsrvttStats st;
    char err[1024];
    if (msrvtt_read(&src, &a, &st, err, sizeof err) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    for (int s = 0; s < a.n_splits; s++)
        for (int64_t i = 0; i < a.splits[s].n; i++) {
            int64_t c = a.splits[s].captions[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "split", a.splits[s].name);
            cJSON_AddStringToObject(o, "video_id", a.video_ids[a.caption_video[c]]);
            cJSON_AddStringToObject(o, "caption", a.captions[c]);
            char *line = cJSON_PrintUnformatted(o);
            printf("%s\n", line);
            free(line);
            cJSON_Delete(o);
        }
    fprintf(stderr, "train ids %lld, without caption %lld, sentences %lld\n",
            (long long)st.train_ids, (long long)st.train_ids_without_caption,
            (long long)st.json_sentences);
    annotations_free(&a);
    return 0;
}
