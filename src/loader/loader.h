/* Batches from a store for training and evaluation (spec/data.md §2-3).
 *
 * Training: the pairs of the split whose video status is "ok" (the others are
 * skipped and counted); per epoch a permutation of them seeded by
 * (seed, epoch) (loader_epoch_permutation, identical on every rank); rank r
 * of w takes every w-th element starting at r: batch b of rank r holds
 * perm[(b*B + j)*w + r], j < B; batches per epoch = floor(n / (B*w)), so the
 * incomplete tail is dropped and every rank has the same number of batches.
 * Evaluation: every pair of the split in order (failed videos kept as
 * all-padding); rank r owns the contiguous shard [r*S, min(n, (r+1)*S)) with
 * S = ceil(n / w); batches per epoch = ceil(S / B) on every rank; the last
 * ones may be partial or empty (`count`).
 *
 * Per sample: text (L) = [SOT] + tokens[:L-2] + [EOT] zero padded, text_mask
 * 1 on those; frames (T, R, R, 3) = the stored frames, or T of them at
 * loader_frame_positions() when the video has more than T, zero padded;
 * video_mask 1 for real frames. Frames stay 8-bit (normalised on the device).
 *
 * A background thread (pthread) fills the next batch while the caller uses
 * the current one (double buffering); a returned batch stays valid until the
 * next loader_next()/loader_set_position()/loader_free(). The sequence is a
 * pure function of (seed, epoch, batch index), so a run resumes exactly from
 * a saved LoaderPosition. */
#ifndef DRL_LOADER_LOADER_H
#define DRL_LOADER_LOADER_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { LOADER_TRAIN = 0, LOADER_EVAL = 1 } LoaderMode;

typedef struct {
    int batch_size; /* B per rank */
    int max_words;  /* L >= 2 */
    int max_frames; /* T >= 1 */
    uint64_t seed;
    int rank, world;
    int prefetch; /* 1: background thread; 0: fill in loader_next */
} LoaderConfig;

typedef struct {
    int count; /* real samples; the rest is padding (eval only) */
    int B, L, T, R;
    int64_t *caption;    // (B) caption index into the store, -1 for padding
    int32_t *video;      // (B) video index, -1 for padding
    int32_t *text;       // (B, L)
    int32_t *text_mask;  // (B, L)
    uint8_t *frames;     // (B, T, R, R, 3)
    int32_t *video_mask; // (B, T)
    int64_t first;       /* eval: split position of sample 0 */
} LoaderBatch;

typedef struct {
    int64_t epoch;
    int64_t batch; /* index of the next batch within the epoch */
} LoaderPosition;

typedef struct Loader Loader;

/* The store must outlive the loader. NULL with err on a bad split/config. */
Loader *loader_create(const Store *store, const char *split, LoaderMode mode,
                      const LoaderConfig *cfg, char *err, size_t errlen);
void loader_free(Loader *l);

/* 1: *out is the next batch; 0: the epoch ended (the position is now
 * (epoch + 1, 0)); -1: a read failed (err). */
int loader_next(Loader *l, const LoaderBatch **out, char *err, size_t errlen);
LoaderPosition loader_get_position(const Loader *l);
void loader_set_position(Loader *l, LoaderPosition pos);

int64_t loader_batches_per_epoch(const Loader *l);
/* Pairs served (train: with an ok video; eval: all of the split). */
int64_t loader_num_pairs(const Loader *l);
/* Train: pairs skipped for a failed video; eval: pairs served as all-padding. */
int64_t loader_num_failed_pairs(const Loader *l);

/* Frame selection: count <= T -> 0..count-1; else p_i = (int)(i * ((count-1)/(double)(T-1))),
 * the last = count-1 (NumPy linspace(0, count-1, T, dtype=int)). pos (min(count, T));
 * returns how many. */
int loader_frame_positions(int32_t count, int T, int32_t *pos);

/* The epoch order: Fisher-Yates (i = n-1 .. 1, j uniform in [0, i]) driven by
 * splitmix64 with state0 = seed ^ (epoch * 0xD1B54A32D192ED03) (each draw:
 * state += 0x9E3779B97F4A7C15, then the splitmix64 finaliser), j drawn by
 * Lemire's multiply-shift with rejection. perm (n) = a permutation of 0..n-1. */
void loader_epoch_permutation(uint64_t seed, int64_t epoch, int64_t n, int64_t *perm);

#endif
