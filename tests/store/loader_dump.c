/* Test helper of the loader.
 *   loader_dump linspace                       lines "count T p0 p1 ..."
 *   loader_dump perm SEED EPOCH N              the epoch permutation, one line
 *   loader_dump batches STORE SPLIT train|eval B L T SEED RANK WORLD EPOCHS START_EPOCH
 *               START_BATCH PREFETCH OUT.bin   every batch from the start position until
 *               EPOCHS epoch ends, appended to OUT.bin as: int64 epoch, int64 index,
 *               int32 count, int64 caption[B], int32 video[B], int32 text[B*L],
 *               int32 text_mask[B*L], int32 video_mask[B*T], uint8 frames[B*T*R*R*3];
 *               prints "pairs N failed F batches NB"
 *   loader_dump bench STORE B T BATCHES        training batches/s and samples/s */
#include "loader/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int linspace(void) {
    const int Ts[] = {1, 2, 3, 4, 5, 7, 12, 16, 32, 64, 100};
    int32_t pos[100];
    for (int c = 1; c <= 400; c++)
        for (size_t t = 0; t < sizeof Ts / sizeof Ts[0]; t++) {
            int n = loader_frame_positions(c, Ts[t], pos);
            printf("%d %d", c, Ts[t]);
            for (int i = 0; i < n; i++)
                printf(" %d", pos[i]);
            printf("\n");
        }
    return 0;
}

static Loader *open_loader(Store **s, const char *path, const char *split, LoaderMode mode,
                           const LoaderConfig *cfg) {
    char err[1024];
    *s = store_open(path, NULL, err, sizeof err);
    if (!*s) {
        fprintf(stderr, "error: %s\n", err);
        return NULL;
    }
    Loader *l = loader_create(*s, split, mode, cfg, err, sizeof err);
    if (!l) fprintf(stderr, "error: %s\n", err);
    return l;
}

static int batches(char **argv) {
    LoaderConfig cfg = {.batch_size = atoi(argv[5]),
                        .max_words = atoi(argv[6]),
                        .max_frames = atoi(argv[7]),
                        .seed = strtoull(argv[8], NULL, 10),
                        .rank = atoi(argv[9]),
                        .world = atoi(argv[10]),
                        .prefetch = atoi(argv[14])};
    LoaderMode mode = strcmp(argv[4], "eval") == 0 ? LOADER_EVAL : LOADER_TRAIN;
    Store *s;
    Loader *l = open_loader(&s, argv[2], argv[3], mode, &cfg);
    if (!l) return 1;
    int epochs = atoi(argv[11]);
    loader_set_position(l, (LoaderPosition){atoll(argv[12]), atoll(argv[13])});
    FILE *f = fopen(argv[15], "wb");
    const int B = cfg.batch_size, L = cfg.max_words, T = cfg.max_frames, R = store_resolution(s);
    char err[1024];
    for (int seen = 0; seen < epochs;) {
        LoaderPosition p = loader_get_position(l);
        const LoaderBatch *b;
        int r = loader_next(l, &b, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "error: %s\n", err);
            return 1;
        }
        if (r == 0) {
            seen++;
            continue;
        }
        int64_t hdr[2] = {p.epoch, p.batch};
        fwrite(hdr, sizeof hdr, 1, f);
        fwrite(&b->count, sizeof(int32_t), 1, f);
        fwrite(b->caption, sizeof(int64_t), (size_t)B, f);
        fwrite(b->video, sizeof(int32_t), (size_t)B, f);
        fwrite(b->text, sizeof(int32_t), (size_t)(B * L), f);
        fwrite(b->text_mask, sizeof(int32_t), (size_t)(B * L), f);
        fwrite(b->video_mask, sizeof(int32_t), (size_t)(B * T), f);
        fwrite(b->frames, 1, (size_t)B * T * R * R * 3, f);
    }
    fclose(f);
    printf("pairs %lld failed %lld batches %lld\n", (long long)loader_num_pairs(l),
           (long long)loader_num_failed_pairs(l), (long long)loader_batches_per_epoch(l));
    loader_free(l);
    store_close(s);
    return 0;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int bench(char **argv) {
    LoaderConfig cfg = {.batch_size = atoi(argv[3]),
                        .max_words = 32,
                        .max_frames = atoi(argv[4]),
                        .seed = 1,
                        .rank = 0,
                        .world = 1,
                        .prefetch = 1};
    Store *s;
    Loader *l = open_loader(&s, argv[2], "train", LOADER_TRAIN, &cfg);
    if (!l) return 1;
    if (loader_batches_per_epoch(l) == 0) {
        fprintf(stderr, "error: fewer training pairs than one batch\n");
        return 1;
    }
    int want = atoi(argv[5]), got = 0;
    char err[1024];
    double t0 = now_s();
    int64_t frames = 0;
    while (got < want) {
        const LoaderBatch *b;
        int r = loader_next(l, &b, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "error: %s\n", err);
            return 1;
        }
        if (r == 0) continue;
        for (int i = 0; i < b->B * b->T; i++)
            frames += b->video_mask[i];
        got++;
    }
    double dt = now_s() - t0;
    double bytes = (double)got * cfg.batch_size * cfg.max_frames * store_resolution(s) *
                   store_resolution(s) * 3;
    printf("%d batches of %d x %d frames (%dx%d): %.1f batches/s, %.1f samples/s, %.0f real "
           "frames/s, %.1f MB/s of batch frames\n",
           got, cfg.batch_size, cfg.max_frames, store_resolution(s), store_resolution(s), got / dt,
           got * cfg.batch_size / dt, frames / dt, bytes / dt / 1e6);
    loader_free(l);
    store_close(s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "linspace") == 0) return linspace();
    if (argc >= 5 && strcmp(argv[1], "perm") == 0) {
        int64_t n = atoll(argv[4]);
        int64_t *perm = malloc(sizeof(int64_t) * (size_t)(n ? n : 1)); // (n)
        loader_epoch_permutation(strtoull(argv[2], NULL, 10), atoll(argv[3]), n, perm);
        for (int64_t i = 0; i < n; i++)
            printf("%lld%c", (long long)perm[i], i + 1 < n ? ' ' : '\n');
        free(perm);
        return 0;
    }
    if (argc >= 16 && strcmp(argv[1], "batches") == 0) return batches(argv);
    if (argc >= 6 && strcmp(argv[1], "bench") == 0) return bench(argv);
    fprintf(stderr, "usage: see the comment at the top of loader_dump.c\n");
    return 2;
}
