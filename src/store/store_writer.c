/* Store writer: /frames grows video by video (one chunk per frame, written
 * straight to the file, no chunk cache); ids, statuses, captions and splits
 * are kept in memory and written by store_writer_finish(), which sets the
 * `complete` attribute last. */
#include "store/store.h"
#include "store/store_h5.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    int64_t *captions; // (n)
    int64_t n;
} WriterSplit;

struct StoreWriter {
    char *path;
    hid_t file, frames;
    int R;
    StoreAttributes attrs;
    char *tokenizer_sha256, *tool_version, *dataset;
    int64_t n_frames;
    /* videos */
    int64_t n_videos, cap_videos;
    char **ids, **statuses; // (V)
    int64_t *frame_offset;  // (V)
    int32_t *frame_count;   // (V)
    double *fps;            // (V)
    /* captions */
    int64_t n_captions, cap_captions;
    char **texts;           // (C)
    int32_t *caption_video; // (C)
    hvl_t *tokens;          // (C), each p malloc'ed (len int32)
    /* splits */
    WriterSplit *splits;
    int n_splits;
};

static char *dup_str(const char *s) {
    size_t n = strlen(s ? s : "");
    char *d = malloc(n + 1);
    if (d) memcpy(d, s ? s : "", n + 1);
    return d;
}

static int grow(void **p, int64_t *cap, int64_t need, size_t elem) {
    if (need <= *cap) return 0;
    int64_t c = *cap ? *cap * 2 : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    *p = q;
    return 0;
}

static void writer_free(StoreWriter *w) {
    for (int64_t i = 0; i < w->n_videos; i++) {
        free(w->ids[i]);
        free(w->statuses[i]);
    }
    for (int64_t i = 0; i < w->n_captions; i++) {
        free(w->texts[i]);
        free(w->tokens[i].p);
    }
    for (int i = 0; i < w->n_splits; i++) {
        free(w->splits[i].name);
        free(w->splits[i].captions);
    }
    free(w->splits);
    free(w->ids);
    free(w->statuses);
    free(w->frame_offset);
    free(w->frame_count);
    free(w->fps);
    free(w->texts);
    free(w->caption_video);
    free(w->tokens);
    free(w->tokenizer_sha256);
    free(w->tool_version);
    free(w->dataset);
    free(w->path);
    free(w);
}

StoreWriter *store_writer_create(const char *path, const StoreAttributes *attrs, char *err,
                                 size_t errlen) {
    if (attrs->resolution <= 0) {
        store_errf(err, errlen, path, NULL, 0, "resolution must be positive, got %d",
                   attrs->resolution);
        return NULL;
    }
    StoreWriter *w = calloc(1, sizeof *w);
    if (!w) {
        store_errf(err, errlen, path, NULL, 0, "out of memory");
        return NULL;
    }
    w->file = w->frames = -1;
    w->path = dup_str(path);
    w->R = attrs->resolution;
    w->attrs = *attrs;
    w->tokenizer_sha256 = dup_str(attrs->tokenizer_sha256);
    w->tool_version = dup_str(attrs->tool_version);
    w->dataset = dup_str(attrs->dataset);
    StoreH5Quiet q;
    store_h5_quiet_begin(&q);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), dcpl = -1, dapl = -1, space = -1, grp = -1;
    /* 1.10 format: the extensible-array chunk index makes chunk look-ups O(1). */
    if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110) < 0) {
        store_errf(err, errlen, path, NULL, 1, "cannot set up the file access properties");
        goto fail;
    }
    w->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (w->file < 0) {
        store_errf(err, errlen, path, NULL, 1, "cannot create the file");
        goto fail;
    }
    hsize_t dims[4] = {0, (hsize_t)w->R, (hsize_t)w->R, 3};
    hsize_t maxdims[4] = {H5S_UNLIMITED, (hsize_t)w->R, (hsize_t)w->R, 3};
    hsize_t chunk[4] = {1, (hsize_t)w->R, (hsize_t)w->R, 3};
    space = H5Screate_simple(4, dims, maxdims);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (space < 0 || dcpl < 0 || dapl < 0 || H5Pset_chunk(dcpl, 4, chunk) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0 ||
        H5Pset_chunk_cache(dapl, 0, 0, 1.0) < 0) {
        store_errf(err, errlen, path, "/frames", 1, "cannot set up the dataset properties");
        goto fail;
    }
    w->frames = H5Dcreate2(w->file, "/frames", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, dapl);
    if (w->frames < 0) {
        store_errf(err, errlen, path, "/frames", 1, "cannot create the dataset");
        goto fail;
    }
    const char *groups[3] = {"/videos", "/captions", "/splits"};
    for (int i = 0; i < 3; i++) {
        grp = H5Gcreate2(w->file, groups[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (grp < 0) {
            store_errf(err, errlen, path, groups[i], 1, "cannot create the group");
            goto fail;
        }
        H5Gclose(grp);
    }
    int32_t zero = 0;
    if (store_h5_attr_write(w->file, "complete", H5T_STD_I32LE, &zero, path, err, errlen) < 0)
        goto fail;
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Pclose(dapl);
    H5Pclose(fapl);
    store_h5_quiet_end(&q);
    return w;
fail:
    if (space >= 0) H5Sclose(space);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (dapl >= 0) H5Pclose(dapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (w->frames >= 0) H5Dclose(w->frames);
    if (w->file >= 0) H5Fclose(w->file);
    store_h5_quiet_end(&q);
    writer_free(w);
    return NULL;
}

int64_t store_writer_add_video(StoreWriter *w, const char *id, double fps, const char *status,
                               const uint8_t *frames, int32_t count, char *err, size_t errlen) {
    int64_t n = w->n_videos, cap = w->cap_videos;
    if (grow((void **)&w->ids, &cap, n + 1, sizeof(char *)) < 0 ||
        grow((void **)&w->statuses, &(int64_t){w->cap_videos}, n + 1, sizeof(char *)) < 0 ||
        grow((void **)&w->frame_offset, &(int64_t){w->cap_videos}, n + 1, sizeof(int64_t)) < 0 ||
        grow((void **)&w->frame_count, &(int64_t){w->cap_videos}, n + 1, sizeof(int32_t)) < 0 ||
        grow((void **)&w->fps, &(int64_t){w->cap_videos}, n + 1, sizeof(double)) < 0) {
        store_errf(err, errlen, w->path, "/videos", 0, "out of memory");
        return -1;
    }
    w->cap_videos = cap;
    if (count < 0 || (count > 0 && !frames)) {
        store_errf(err, errlen, w->path, "/frames", 0, "video %s: bad frame count %d", id, count);
        return -1;
    }
    if (count > 0) {
        StoreH5Quiet q;
        store_h5_quiet_begin(&q);
        hsize_t R = (hsize_t)w->R;
        hsize_t newdims[4] = {(hsize_t)(w->n_frames + count), R, R, 3};
        hsize_t start[4] = {(hsize_t)w->n_frames, 0, 0, 0};
        hsize_t cnt[4] = {(hsize_t)count, R, R, 3};
        hid_t fspace = -1, mspace = -1;
        int ok = H5Dset_extent(w->frames, newdims) >= 0;
        if (ok) fspace = H5Dget_space(w->frames);
        ok = ok && fspace >= 0 &&
             H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0;
        if (ok) mspace = H5Screate_simple(4, cnt, NULL);
        ok = ok && mspace >= 0 &&
             H5Dwrite(w->frames, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT, frames) >= 0;
        if (!ok)
            store_errf(err, errlen, w->path, "/frames", 1, "cannot append %d frames of video %s",
                       count, id);
        if (fspace >= 0) H5Sclose(fspace);
        if (mspace >= 0) H5Sclose(mspace);
        store_h5_quiet_end(&q);
        if (!ok) return -1;
    }
    w->ids[n] = dup_str(id);
    w->statuses[n] = dup_str(status);
    w->frame_offset[n] = w->n_frames;
    w->frame_count[n] = count;
    w->fps[n] = fps;
    w->n_frames += count;
    w->n_videos = n + 1;
    return n;
}

int64_t store_writer_add_caption(StoreWriter *w, const char *text, int32_t video,
                                 const int32_t *tokens, int32_t n, char *err, size_t errlen) {
    int64_t c = w->n_captions, cap = w->cap_captions;
    if (grow((void **)&w->texts, &cap, c + 1, sizeof(char *)) < 0 ||
        grow((void **)&w->caption_video, &(int64_t){w->cap_captions}, c + 1, sizeof(int32_t)) < 0 ||
        grow((void **)&w->tokens, &(int64_t){w->cap_captions}, c + 1, sizeof(hvl_t)) < 0) {
        store_errf(err, errlen, w->path, "/captions", 0, "out of memory");
        return -1;
    }
    w->cap_captions = cap;
    int32_t *copy = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1)); // (n)
    if (!copy) {
        store_errf(err, errlen, w->path, "/captions/tokens", 0, "out of memory");
        return -1;
    }
    if (n > 0) memcpy(copy, tokens, sizeof(int32_t) * (size_t)n);
    w->texts[c] = dup_str(text);
    w->caption_video[c] = video;
    w->tokens[c].len = (size_t)n;
    w->tokens[c].p = copy;
    w->n_captions = c + 1;
    return c;
}

int store_writer_add_split(StoreWriter *w, const char *name, const int64_t *captions, int64_t n,
                           char *err, size_t errlen) {
    if (!name[0] || strchr(name, '/')) {
        store_errf(err, errlen, w->path, "/splits", 0, "bad split name '%s'", name);
        return -1;
    }
    WriterSplit *s = realloc(w->splits, sizeof *s * (size_t)(w->n_splits + 1));
    if (!s) {
        store_errf(err, errlen, w->path, "/splits", 0, "out of memory");
        return -1;
    }
    w->splits = s;
    s[w->n_splits].name = dup_str(name);
    s[w->n_splits].captions = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1)); // (n)
    if (n > 0) memcpy(s[w->n_splits].captions, captions, sizeof(int64_t) * (size_t)n);
    s[w->n_splits].n = n;
    w->n_splits++;
    return 0;
}

static int write_metadata(StoreWriter *w, char *err, size_t errlen) {
    hid_t str = store_h5_vlen_string_type();
    hid_t vlen_i32 = H5Tvlen_create(H5T_NATIVE_INT32);
    hid_t vlen_i32_file = H5Tvlen_create(H5T_STD_I32LE);
    int rc = -1;
    if (str < 0 || vlen_i32 < 0 || vlen_i32_file < 0) {
        store_errf(err, errlen, w->path, NULL, 1, "cannot create the string/vlen types");
        goto done;
    }
    const char *p = w->path;
    size_t V = (size_t)w->n_videos, C = (size_t)w->n_captions;
    if (store_h5_write_1d(w->file, "/videos/id", str, str, V, w->ids, p, err, errlen) < 0 ||
        store_h5_write_1d(w->file, "/videos/frame_offset", H5T_STD_I64LE, H5T_NATIVE_INT64, V,
                          w->frame_offset, p, err, errlen) < 0 ||
        store_h5_write_1d(w->file, "/videos/frame_count", H5T_STD_I32LE, H5T_NATIVE_INT32, V,
                          w->frame_count, p, err, errlen) < 0 ||
        store_h5_write_1d(w->file, "/videos/fps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, V, w->fps, p,
                          err, errlen) < 0 ||
        store_h5_write_1d(w->file, "/videos/status", str, str, V, w->statuses, p, err, errlen) <
            0 ||
        store_h5_write_1d(w->file, "/captions/text", str, str, C, w->texts, p, err, errlen) < 0 ||
        store_h5_write_1d(w->file, "/captions/video", H5T_STD_I32LE, H5T_NATIVE_INT32, C,
                          w->caption_video, p, err, errlen) < 0 ||
        store_h5_write_1d(w->file, "/captions/tokens", vlen_i32_file, vlen_i32, C, w->tokens, p,
                          err, errlen) < 0)
        goto done;
    for (int i = 0; i < w->n_splits; i++) {
        char name[512];
        snprintf(name, sizeof name, "/splits/%s", w->splits[i].name);
        hid_t g = H5Gcreate2(w->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            store_errf(err, errlen, p, name, 1, "cannot create the group");
            goto done;
        }
        int r = store_h5_write_1d(g, "captions", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                  (size_t)w->splits[i].n, w->splits[i].captions, p, err, errlen);
        H5Gclose(g);
        if (r < 0) goto done;
    }
    int32_t R = w->R;
    if (store_h5_attr_write(w->file, "resolution", H5T_STD_I32LE, &R, p, err, errlen) < 0 ||
        store_h5_attr_write(w->file, "frame_rate", H5T_IEEE_F64LE, &w->attrs.frame_rate, p, err,
                            errlen) < 0 ||
        store_h5_attr_write_string(w->file, "tokenizer_sha256", w->tokenizer_sha256, p, err,
                                   errlen) < 0 ||
        store_h5_attr_write_string(w->file, "tool_version", w->tool_version, p, err, errlen) < 0 ||
        store_h5_attr_write_string(w->file, "dataset", w->dataset, p, err, errlen) < 0)
        goto done;
    /* Everything else is on disk before the flag says so. */
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0) {
        store_errf(err, errlen, p, NULL, 1, "cannot flush the file");
        goto done;
    }
    int32_t one = 1;
    if (store_h5_attr_write(w->file, "complete", H5T_STD_I32LE, &one, p, err, errlen) < 0)
        goto done;
    rc = 0;
done:
    if (str >= 0) H5Tclose(str);
    if (vlen_i32 >= 0) H5Tclose(vlen_i32);
    if (vlen_i32_file >= 0) H5Tclose(vlen_i32_file);
    return rc;
}

int store_writer_finish(StoreWriter *w, char *err, size_t errlen) {
    StoreH5Quiet q;
    store_h5_quiet_begin(&q);
    int rc = write_metadata(w, err, errlen);
    if (H5Dclose(w->frames) < 0 && rc == 0) {
        store_errf(err, errlen, w->path, "/frames", 1, "cannot close the dataset");
        rc = -1;
    }
    if (H5Fclose(w->file) < 0 && rc == 0) {
        store_errf(err, errlen, w->path, NULL, 1, "cannot close the file (disk full?)");
        rc = -1;
    }
    store_h5_quiet_end(&q);
    writer_free(w);
    return rc;
}

void store_writer_abort(StoreWriter *w) {
    if (!w) return;
    StoreH5Quiet q;
    store_h5_quiet_begin(&q);
    H5Dclose(w->frames);
    H5Fclose(w->file);
    store_h5_quiet_end(&q);
    writer_free(w);
}
