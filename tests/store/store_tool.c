/* Test helper of the store: `store_tool write PATH` writes the fixture store
 * of store_fixture.h with the C writer; `store_tool check PATH [--expect-resolution R]
 * [--expect-hash H] [--allow-incomplete]` opens PATH with the C reader and
 * compares every value with the fixture formula. Prints OK, or the error
 * (exit 1). */
#include "store/store.h"
#include "store_fixture.h"

#include <stdlib.h>
#include <string.h>

static int fail(const char *msg) {
    printf("ERROR: %s\n", msg);
    return 1;
}

static int write_fixture(const char *path) {
    char err[1024];
    StoreAttributes a = {.resolution = FIX_R,
                         .frame_rate = 1.0,
                         .tokenizer_sha256 = FIX_HASH,
                         .tool_version = "store_tool test",
                         .dataset = "fixture"};
    StoreWriter *w = store_writer_create(path, &a, err, sizeof err);
    if (!w) return fail(err);
    uint8_t *frames = malloc(4 * FIX_R * FIX_R * 3); // (4, R, R, 3)
    for (int v = 0; v < FIX_V; v++) {
        for (int f = 0; f < fix_count[v]; f++)
            for (int y = 0; y < FIX_R; y++)
                for (int x = 0; x < FIX_R; x++)
                    for (int c = 0; c < 3; c++)
                        frames[((f * FIX_R + y) * FIX_R + x) * 3 + c] = fix_pixel(v, f, y, x, c);
        char id[32];
        fix_id(v, id, sizeof id);
        if (store_writer_add_video(w, id, fix_fps(v), fix_status(v), fix_count[v] ? frames : NULL,
                                   fix_count[v], err, sizeof err) != v)
            return fail(err);
    }
    free(frames);
    for (int c = 0; c < FIX_C; c++) {
        char text[128];
        fix_text(c, text, sizeof text);
        int32_t tok[4];
        for (int k = 0; k < fix_ntokens(c); k++)
            tok[k] = fix_token(c, k);
        if (store_writer_add_caption(w, text, fix_video_of(c), tok, fix_ntokens(c), err,
                                     sizeof err) != c)
            return fail(err);
    }
    int64_t train[4] = {0, 2, 4, 6}, test[3] = {1, 3, 5};
    if (store_writer_add_split(w, "train", train, 4, err, sizeof err) < 0 ||
        store_writer_add_split(w, "test", test, 3, err, sizeof err) < 0)
        return fail(err);
    if (store_writer_finish(w, err, sizeof err) < 0) return fail(err);
    printf("OK\n");
    return 0;
}

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("MISMATCH: " __VA_ARGS__);                                                      \
            printf("\n");                                                                          \
            store_close(s);                                                                        \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static int check_fixture(const char *path, const StoreOpenOptions *opt) {
    char err[1024];
    Store *s = store_open(path, opt, err, sizeof err);
    if (!s) return fail(err);
    EXPECT(store_resolution(s) == FIX_R, "resolution");
    EXPECT(store_frame_rate(s) == 1.0, "frame_rate");
    EXPECT(strcmp(store_tokenizer_sha256(s), FIX_HASH) == 0, "hash");
    EXPECT(strcmp(store_dataset(s), "fixture") == 0, "dataset");
    EXPECT(store_num_videos(s) == FIX_V, "V");
    EXPECT(store_num_captions(s) == FIX_C, "C");
    EXPECT(store_num_frames(s) == 10, "N = %lld", (long long)store_num_frames(s));
    EXPECT(store_num_failed_videos(s) == 1, "failed");
    uint8_t *buf = malloc(4 * FIX_R * FIX_R * 3); // (4, R, R, 3)
    for (int v = 0; v < FIX_V; v++) {
        char id[32];
        fix_id(v, id, sizeof id);
        EXPECT(strcmp(store_video_id(s, v), id) == 0, "id %d", v);
        EXPECT(strcmp(store_video_status(s, v), fix_status(v)) == 0, "status %d", v);
        EXPECT(store_video_ok(s, v) == (v != 1), "ok %d", v);
        EXPECT(store_video_fps(s, v) == fix_fps(v), "fps %d", v);
        EXPECT(store_video_frame_count(s, v) == fix_count[v], "count %d", v);
        /* read frames in reverse order to exercise the position list */
        int32_t pos[4];
        int n = fix_count[v];
        for (int i = 0; i < n; i++)
            pos[i] = n - 1 - i;
        if (store_read_frames(s, v, pos, n, buf, err, sizeof err) < 0) {
            free(buf);
            store_close(s);
            return fail(err);
        }
        for (int i = 0; i < n; i++)
            for (int y = 0; y < FIX_R; y++)
                for (int x = 0; x < FIX_R; x++)
                    for (int c = 0; c < 3; c++)
                        EXPECT(buf[((i * FIX_R + y) * FIX_R + x) * 3 + c] ==
                                   fix_pixel(v, pos[i], y, x, c),
                               "pixel v%d f%d", v, pos[i]);
        int32_t bad = n;
        EXPECT(store_read_frames(s, v, &bad, 1, buf, err, sizeof err) < 0, "out of range read");
    }
    free(buf);
    for (int c = 0; c < FIX_C; c++) {
        char text[128];
        fix_text(c, text, sizeof text);
        EXPECT(strcmp(store_caption_text(s, c), text) == 0, "text %d", c);
        EXPECT(store_caption_video(s, c) == fix_video_of(c), "caption video %d", c);
        const int32_t *ids;
        int32_t n = store_caption_tokens(s, c, &ids);
        EXPECT(n == fix_ntokens(c), "ntokens %d", c);
        for (int k = 0; k < n; k++)
            EXPECT(ids[k] == fix_token(c, k), "token %d %d", c, k);
    }
    EXPECT(store_num_splits(s) == 2, "splits");
    const int64_t *idx;
    int64_t n;
    EXPECT(store_split(s, "train", &idx, &n, err, sizeof err) == 0 && n == 4, "train");
    for (int i = 0; i < 4; i++)
        EXPECT(idx[i] == 2 * i, "train %d", i);
    EXPECT(store_split(s, "test", &idx, &n, err, sizeof err) == 0 && n == 3, "test");
    for (int i = 0; i < 3; i++)
        EXPECT(idx[i] == 2 * i + 1, "test %d", i);
    EXPECT(store_split(s, "val", &idx, &n, err, sizeof err) < 0 && strstr(err, "val"), "val");
    store_close(s);
    printf("OK\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: store_tool write|check PATH [options]\n");
        return 2;
    }
    if (strcmp(argv[1], "write") == 0) return write_fixture(argv[2]);
    StoreOpenOptions opt = {0};
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--expect-resolution") == 0 && i + 1 < argc)
            opt.expect_resolution = atoi(argv[++i]);
        else if (strcmp(argv[i], "--expect-hash") == 0 && i + 1 < argc)
            opt.expect_tokenizer_sha256 = argv[++i];
        else if (strcmp(argv[i], "--allow-incomplete") == 0)
            opt.allow_incomplete = 1;
    }
    return check_fixture(argv[2], &opt);
}
