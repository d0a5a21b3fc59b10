/* The feature index of drl_index / drl_search (HDF5, one file):
 *
 *   /ids            vlen UTF-8 strings (N)   video ids of the store
 *   /store_index    int64 (N)                index into the store's /videos
 *   /features       float32 (N, T, D)        frame features after aggregation
 *   /masks          int32 (N, T)             1 for real frames
 *   /pooled         float32 (N, D)           dp vectors: normalised mean of the
 *                                            normalised frames (first pass)
 *   /video_weights  float32 (N, T)           wti only: the video weight branch
 *   root attributes: config (libconfig text), checkpoint (path), store (path),
 *   interaction (string), max_words, max_frames, dim, count, block (int64).
 *
 * Every dataset is chunked by `block` videos along the first axis, so readers
 * fetch contiguous blocks and never hold the whole index. */
#ifndef DRL_SEARCH_INDEX_H5_H
#define DRL_SEARCH_INDEX_H5_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    hid_t file;
    hid_t features, masks, pooled, weights, store_index; /* weights < 0 when absent */
    int64_t N, block;
    int T, D, L;
    int has_weights;
    char path[1024];
    char *config; /* attribute text (malloc'ed) */
    char *checkpoint;
    char *store;
    char *interaction;
} FeatureIndex;

/* Creates path for N videos (ids (N), store indices (N)); has_weights adds
 * /video_weights. Attributes as above. -1 with err naming the file. */
int index_create(FeatureIndex *x, const char *path, int64_t N, int T, int D, int L, int64_t block,
                 int has_weights, const char *const *ids, const int64_t *store_index,
                 const char *config, const char *checkpoint, const char *store,
                 const char *interaction, char *err, size_t errlen);
/* Writes rows [start, start + n): vf (n, T, D), vm (n, T), pooled (n, D), wv (n, T) or NULL. */
int index_write_rows(FeatureIndex *x, int64_t start, int64_t n, const float *vf, const int32_t *vm,
                     const float *pooled, const float *wv, char *err, size_t errlen);

/* Opens read-only and validates shapes. */
int index_open(FeatureIndex *x, const char *path, char *err, size_t errlen);
/* Reads rows [start, start + n) of each non-NULL output. */
int index_read_rows(FeatureIndex *x, int64_t start, int64_t n, float *vf, int32_t *vm,
                    float *pooled, float *wv, char *err, size_t errlen);
/* The id of row i (malloc'ed, caller frees), NULL with err. */
char *index_read_id(FeatureIndex *x, int64_t i, char *err, size_t errlen);
void index_close(FeatureIndex *x);

#endif
