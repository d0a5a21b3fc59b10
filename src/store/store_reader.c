/* Store reader: validates the layout, loads every small dataset into memory,
 * records the file address of each frame's chunk, closes the HDF5 file and
 * reads frames with pread() (thread-safe, no HDF5 in the loader's thread). */
#include "store/store.h"
#include "store/store_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *name;
    int64_t *captions; // (n)
    int64_t n;
} ReaderSplit;

struct Store {
    char *path;
    int fd;
    int R, complete;
    double frame_rate;
    char *tokenizer_sha256, *tool_version, *dataset;
    int64_t V, C, N;        // videos, captions, frames
    char **ids, **statuses; // (V)
    int64_t *frame_offset;  // (V)
    int32_t *frame_count;   // (V)
    double *fps;            // (V)
    int64_t n_failed;
    char **texts;           // (C)
    int32_t *caption_video; // (C)
    int64_t *token_offset;  // (C + 1) into tokens
    int32_t *tokens;        // (total tokens)
    uint64_t *frame_addr;   // (N) file offset of each frame's chunk
    ReaderSplit *splits;
    int n_splits;
};

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static void free_strings(char **v, int64_t n) {
    if (!v) return;
    for (int64_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void store_close(Store *s) {
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free_strings(s->ids, s->V);
    free_strings(s->statuses, s->V);
    free_strings(s->texts, s->C);
    for (int i = 0; i < s->n_splits; i++) {
        free(s->splits[i].name);
        free(s->splits[i].captions);
    }
    free(s->splits);
    free(s->frame_offset);
    free(s->frame_count);
    free(s->fps);
    free(s->caption_video);
    free(s->token_offset);
    free(s->tokens);
    free(s->frame_addr);
    free(s->tokenizer_sha256);
    free(s->tool_version);
    free(s->dataset);
    free(s->path);
    free(s);
}

/* ---- attributes -------------------------------------------------------------- */

static int read_attr_number(hid_t file, const char *name, hid_t mem_type, void *value,
                            const char *path, char *err, size_t errlen) {
    if (H5Aexists(file, name) <= 0) {
        store_errf(err, errlen, path, name, 0, "missing root attribute");
        return -1;
    }
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    int rc = 0;
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (a < 0 || t < 0 || sp < 0) {
        store_errf(err, errlen, path, name, 1, "cannot open the attribute");
        rc = -1;
    } else if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || H5Sget_simple_extent_npoints(sp) != 1) {
        store_errf(err, errlen, path, name, 0, "expected one number");
        rc = -1;
    } else if (H5Aread(a, mem_type, value) < 0) {
        store_errf(err, errlen, path, name, 1, "cannot read the attribute");
        rc = -1;
    }
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* Reads a string attribute (variable or fixed length) into a malloc'ed copy. */
static int read_attr_string(hid_t file, const char *name, char **out, const char *path, char *err,
                            size_t errlen) {
    if (H5Aexists(file, name) <= 0) {
        store_errf(err, errlen, path, name, 0, "missing root attribute");
        return -1;
    }
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    int rc = -1;
    if (a < 0 || t < 0) {
        store_errf(err, errlen, path, name, 1, "cannot open the attribute");
    } else if (H5Tget_class(t) != H5T_STRING) {
        store_errf(err, errlen, path, name, 0, "expected a string attribute");
    } else if (H5Tis_variable_str(t) > 0) {
        hid_t mt = store_h5_vlen_string_type();
        char *v = NULL;
        if (mt >= 0 && H5Aread(a, mt, &v) >= 0) {
            *out = dup_str(v ? v : "");
            free(v);
            rc = 0;
        } else {
            store_errf(err, errlen, path, name, 1, "cannot read the attribute");
        }
        if (mt >= 0) H5Tclose(mt);
    } else {
        size_t n = H5Tget_size(t);
        char *v = calloc(n + 1, 1);
        hid_t mt = H5Tcopy(t);
        if (v && mt >= 0 && H5Aread(a, mt, v) >= 0) {
            *out = v;
            rc = 0;
        } else {
            free(v);
            store_errf(err, errlen, path, name, 1, "cannot read the attribute");
        }
        if (mt >= 0) H5Tclose(mt);
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* ---- datasets ---------------------------------------------------------------- */

/* Checks that every component of an absolute path exists. */
static int path_exists(hid_t file, const char *name) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) return 0;
            if (!c) return 1;
            *p = c;
        }
    }
}

/* Opens a 1-D dataset; *n its length. */
static hid_t open_1d(hid_t file, const char *name, int64_t *n, const char *path, char *err,
                     size_t errlen) {
    if (!path_exists(file, name)) {
        store_errf(err, errlen, path, name, 0, "missing dataset");
        return -1;
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) {
        store_errf(err, errlen, path, name, 1, "cannot open the dataset");
        return -1;
    }
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[1] = {0};
    if (rank != 1) {
        store_errf(err, errlen, path, name, 0, "expected a 1-D dataset, found rank %d", rank);
        if (sp >= 0) H5Sclose(sp);
        H5Dclose(d);
        return -1;
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    *n = (int64_t)dims[0];
    return d;
}

/* Reads a 1-D numeric dataset whose file type must be of class cls and size
 * bytes (signedness is checked for integers). *out (n) malloc'ed. */
static int read_numbers(hid_t file, const char *name, H5T_class_t cls, size_t size, int is_signed,
                        hid_t mem_type, int64_t *n, void **out, const char *path, char *err,
                        size_t errlen) {
    hid_t d = open_1d(file, name, n, path, err, errlen);
    if (d < 0) return -1;
    hid_t t = H5Dget_type(d);
    int rc = -1;
    int sign_ok = cls != H5T_INTEGER || (H5Tget_sign(t) == H5T_SGN_2) == (is_signed != 0);
    if (t < 0 || H5Tget_class(t) != cls || H5Tget_size(t) != size || !sign_ok) {
        store_errf(err, errlen, path, name, 0, "wrong dtype: expected %s%zu",
                   cls == H5T_FLOAT ? "float" : (is_signed ? "int" : "uint"), size * 8);
    } else {
        *out = malloc(size * (size_t)(*n > 0 ? *n : 1));
        if (!*out)
            store_errf(err, errlen, path, name, 0, "out of memory for %lld elements",
                       (long long)*n);
        else if (*n > 0 && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            store_errf(err, errlen, path, name, 1, "cannot read %lld elements (truncated file?)",
                       (long long)*n);
        else
            rc = 0;
    }
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return rc;
}

/* Reads a 1-D dataset of variable-length strings into malloc'ed copies. */
static int read_strings(hid_t file, const char *name, int64_t *n, char ***out, const char *path,
                        char *err, size_t errlen) {
    hid_t d = open_1d(file, name, n, path, err, errlen);
    if (d < 0) return -1;
    hid_t t = H5Dget_type(d), mt = store_h5_vlen_string_type();
    int rc = -1;
    char **raw = NULL;
    if (t < 0 || H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) <= 0) {
        store_errf(err, errlen, path, name, 0, "wrong dtype: expected variable-length strings");
        goto done;
    }
    raw = calloc((size_t)(*n > 0 ? *n : 1), sizeof(char *));
    *out = calloc((size_t)(*n > 0 ? *n : 1), sizeof(char *));
    if (!raw || !*out) {
        store_errf(err, errlen, path, name, 0, "out of memory");
        goto done;
    }
    if (*n > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        store_errf(err, errlen, path, name, 1, "cannot read %lld strings (truncated file?)",
                   (long long)*n);
        goto done;
    }
    for (int64_t i = 0; i < *n; i++)
        (*out)[i] = dup_str(raw[i] ? raw[i] : "");
    rc = 0;
    if (*n > 0) {
        hid_t sp = H5Dget_space(d);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
        H5Sclose(sp);
    }
done:
    if (rc != 0 && *out) { /* the caller owns nothing on failure */
        free_strings(*out, *n);
        *out = NULL;
    }
    free(raw);
    if (mt >= 0) H5Tclose(mt);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return rc;
}

/* /captions/tokens: vlen int32 -> flat tokens + offsets (C + 1). */
static int read_tokens(Store *s, hid_t file, char *err, size_t errlen) {
    const char *name = "/captions/tokens";
    int64_t n = 0;
    hid_t d = open_1d(file, name, &n, s->path, err, errlen);
    if (d < 0) return -1;
    hid_t t = H5Dget_type(d), base = -1, mt = H5Tvlen_create(H5T_NATIVE_INT32);
    int rc = -1;
    hvl_t *raw = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_VLEN) base = H5Tget_super(t);
    if (base < 0 || H5Tget_class(base) != H5T_INTEGER || H5Tget_size(base) != 4) {
        store_errf(err, errlen, s->path, name, 0,
                   "wrong dtype: expected variable-length int32 sequences");
        goto done;
    }
    if (n != s->C) {
        store_errf(err, errlen, s->path, name, 0, "has %lld entries, /captions/text has %lld",
                   (long long)n, (long long)s->C);
        goto done;
    }
    raw = calloc((size_t)(n > 0 ? n : 1), sizeof(hvl_t));
    s->token_offset = malloc(sizeof(int64_t) * (size_t)(n + 1));
    if (!raw || !s->token_offset) {
        store_errf(err, errlen, s->path, name, 0, "out of memory");
        goto done;
    }
    if (n > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        store_errf(err, errlen, s->path, name, 1, "cannot read (truncated file?)");
        goto done;
    }
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        s->token_offset[i] = total;
        total += (int64_t)raw[i].len;
    }
    s->token_offset[n] = total;
    s->tokens = malloc(sizeof(int32_t) * (size_t)(total > 0 ? total : 1)); // (total)
    if (!s->tokens) {
        store_errf(err, errlen, s->path, name, 0, "out of memory");
    } else {
        for (int64_t i = 0; i < n; i++)
            if (raw[i].len)
                memcpy(s->tokens + s->token_offset[i], raw[i].p, sizeof(int32_t) * raw[i].len);
        rc = 0;
    }
    if (n > 0) {
        hid_t sp = H5Dget_space(d);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
        H5Sclose(sp);
    }
done:
    free(raw);
    if (base >= 0) H5Tclose(base);
    if (mt >= 0) H5Tclose(mt);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return rc;
}

/* /frames: uint8 (N, R, R, 3), chunk (1, R, R, 3), unfiltered; records each
 * chunk's file address. */
static int read_frame_index(Store *s, hid_t file, char *err, size_t errlen) {
    const char *name = "/frames";
    if (!path_exists(file, name)) {
        store_errf(err, errlen, s->path, name, 0, "missing dataset");
        return -1;
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) {
        store_errf(err, errlen, s->path, name, 1, "cannot open the dataset");
        return -1;
    }
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d), dcpl = H5Dget_create_plist(d);
    hsize_t dims[4] = {0}, chunk[4] = {0};
    int rc = -1;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank == 4) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (t < 0 || H5Tget_class(t) != H5T_INTEGER || H5Tget_size(t) != 1 ||
        H5Tget_sign(t) != H5T_SGN_NONE) {
        store_errf(err, errlen, s->path, name, 0, "wrong dtype: expected uint8");
        goto done;
    }
    if (rank != 4 || dims[1] != (hsize_t)s->R || dims[2] != (hsize_t)s->R || dims[3] != 3) {
        store_errf(err, errlen, s->path, name, 0,
                   "wrong shape: expected (N, %d, %d, 3) for resolution %d, found rank %d "
                   "(%llu, %llu, %llu, %llu)",
                   s->R, s->R, s->R, rank, (unsigned long long)dims[0], (unsigned long long)dims[1],
                   (unsigned long long)dims[2], (unsigned long long)dims[3]);
        goto done;
    }
    if (dcpl < 0 || H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 4, chunk) != 4 ||
        chunk[0] != 1 || chunk[1] != dims[1] || chunk[2] != dims[2] || chunk[3] != 3 ||
        H5Pget_nfilters(dcpl) != 0) {
        store_errf(err, errlen, s->path, name, 0,
                   "expected chunks of one frame (1, %d, %d, 3) without filters", s->R, s->R);
        goto done;
    }
    s->N = (int64_t)dims[0];
    s->frame_addr = malloc(sizeof(uint64_t) * (size_t)(s->N > 0 ? s->N : 1)); // (N)
    if (!s->frame_addr) {
        store_errf(err, errlen, s->path, name, 0, "out of memory");
        goto done;
    }
    hsize_t frame_bytes = (hsize_t)s->R * (hsize_t)s->R * 3;
    for (int64_t f = 0; f < s->N; f++) {
        hsize_t off[4] = {(hsize_t)f, 0, 0, 0}, size = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned mask = 0;
        if (H5Dget_chunk_info_by_coord(d, off, &mask, &addr, &size) < 0) {
            store_errf(err, errlen, s->path, name, 1, "cannot locate frame %lld (truncated file?)",
                       (long long)f);
            goto done;
        }
        if (addr == HADDR_UNDEF || size != frame_bytes) {
            store_errf(err, errlen, s->path, name, 0,
                       "frame %lld was never written (incomplete store?)", (long long)f);
            goto done;
        }
        s->frame_addr[f] = (uint64_t)addr;
    }
    rc = 0;
done:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return rc;
}

typedef struct {
    Store *s;
    hid_t file;
    char *err;
    size_t errlen;
    int failed;
} SplitIter;

static herr_t visit_split(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    SplitIter *it = data;
    Store *s = it->s;
    char dname[512];
    snprintf(dname, sizeof dname, "/splits/%s/captions", name);
    ReaderSplit *sp = realloc(s->splits, sizeof *sp * (size_t)(s->n_splits + 1));
    if (!sp) {
        store_errf(it->err, it->errlen, s->path, dname, 0, "out of memory");
        it->failed = 1;
        return -1;
    }
    s->splits = sp;
    ReaderSplit *r = &sp[s->n_splits];
    memset(r, 0, sizeof *r);
    r->name = dup_str(name);
    s->n_splits++;
    if (read_numbers(it->file, dname, H5T_INTEGER, 8, 1, H5T_NATIVE_INT64, &r->n,
                     (void **)&r->captions, s->path, it->err, it->errlen) < 0) {
        it->failed = 1;
        return -1;
    }
    for (int64_t i = 0; i < r->n; i++)
        if (r->captions[i] < 0 || r->captions[i] >= s->C) {
            store_errf(it->err, it->errlen, s->path, dname, 0,
                       "entry %lld = %lld is not a caption index (0..%lld)", (long long)i,
                       (long long)r->captions[i], (long long)s->C - 1);
            it->failed = 1;
            return -1;
        }
    return 0;
}

static int load(Store *s, hid_t file, const StoreOpenOptions *opt, char *err, size_t errlen) {
    const char *p = s->path;
    int32_t R = 0, complete = 0;
    if (read_attr_number(file, "complete", H5T_NATIVE_INT32, &complete, p, err, errlen) < 0)
        return -1;
    s->complete = complete;
    if (!complete && !(opt && opt->allow_incomplete)) {
        store_errf(err, errlen, p, "complete", 0,
                   "the store is incomplete (its writer stopped early); run drl_preprocess again");
        return -1;
    }
    if (read_attr_number(file, "resolution", H5T_NATIVE_INT32, &R, p, err, errlen) < 0 ||
        read_attr_number(file, "frame_rate", H5T_NATIVE_DOUBLE, &s->frame_rate, p, err, errlen) <
            0 ||
        read_attr_string(file, "tokenizer_sha256", &s->tokenizer_sha256, p, err, errlen) < 0 ||
        read_attr_string(file, "tool_version", &s->tool_version, p, err, errlen) < 0 ||
        read_attr_string(file, "dataset", &s->dataset, p, err, errlen) < 0)
        return -1;
    s->R = R;
    if (R <= 0) {
        store_errf(err, errlen, p, "resolution", 0, "must be positive, found %d", R);
        return -1;
    }
    if (opt && opt->expect_resolution > 0 && R != opt->expect_resolution) {
        store_errf(err, errlen, p, "resolution", 0,
                   "the store has resolution %d, the run expects %d (preprocess again with "
                   "--resolution %d)",
                   R, opt->expect_resolution, opt->expect_resolution);
        return -1;
    }
    if (opt && opt->expect_tokenizer_sha256 &&
        strcmp(opt->expect_tokenizer_sha256, s->tokenizer_sha256) != 0) {
        store_errf(err, errlen, p, "tokenizer_sha256", 0,
                   "the store was tokenized with vocabulary %s, the run uses %s",
                   s->tokenizer_sha256, opt->expect_tokenizer_sha256);
        return -1;
    }
    int64_t n = 0;
    if (read_strings(file, "/videos/id", &s->V, &s->ids, p, err, errlen) < 0) return -1;
    if (read_strings(file, "/videos/status", &n, &s->statuses, p, err, errlen) < 0) return -1;
    if (n != s->V) { /* store_close frees V statuses */
        store_errf(err, errlen, p, "/videos/status", 0, "has %lld entries, /videos/id has %lld",
                   (long long)n, (long long)s->V);
        free_strings(s->statuses, n);
        s->statuses = NULL;
        return -1;
    }
    const char *vnames[4] = {"/videos/status", "/videos/frame_offset", "/videos/frame_count",
                             "/videos/fps"};
    int64_t vn[4] = {n, 0, 0, 0};
    if (read_numbers(file, vnames[1], H5T_INTEGER, 8, 1, H5T_NATIVE_INT64, &vn[1],
                     (void **)&s->frame_offset, p, err, errlen) < 0 ||
        read_numbers(file, vnames[2], H5T_INTEGER, 4, 1, H5T_NATIVE_INT32, &vn[2],
                     (void **)&s->frame_count, p, err, errlen) < 0 ||
        read_numbers(file, vnames[3], H5T_FLOAT, 8, 1, H5T_NATIVE_DOUBLE, &vn[3], (void **)&s->fps,
                     p, err, errlen) < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if (vn[i] != s->V) {
            store_errf(err, errlen, p, vnames[i], 0, "has %lld entries, /videos/id has %lld",
                       (long long)vn[i], (long long)s->V);
            return -1;
        }
    if (read_strings(file, "/captions/text", &s->C, &s->texts, p, err, errlen) < 0) return -1;
    if (read_numbers(file, "/captions/video", H5T_INTEGER, 4, 1, H5T_NATIVE_INT32, &n,
                     (void **)&s->caption_video, p, err, errlen) < 0)
        return -1;
    if (n != s->C) {
        store_errf(err, errlen, p, "/captions/video", 0,
                   "has %lld entries, /captions/text has %lld", (long long)n, (long long)s->C);
        return -1;
    }
    for (int64_t c = 0; c < s->C; c++)
        if (s->caption_video[c] < 0 || s->caption_video[c] >= s->V) {
            store_errf(err, errlen, p, "/captions/video", 0,
                       "entry %lld = %d is not a video index (0..%lld)", (long long)c,
                       s->caption_video[c], (long long)s->V - 1);
            return -1;
        }
    if (read_tokens(s, file, err, errlen) < 0) return -1;
    if (read_frame_index(s, file, err, errlen) < 0) return -1;
    for (int64_t v = 0; v < s->V; v++) {
        if (s->frame_count[v] < 0 || s->frame_offset[v] < 0 ||
            s->frame_offset[v] + s->frame_count[v] > s->N) {
            store_errf(err, errlen, p, "/videos/frame_offset", 0,
                       "video %s: frames [%lld, %lld) outside /frames (%lld frames)", s->ids[v],
                       (long long)s->frame_offset[v],
                       (long long)(s->frame_offset[v] + s->frame_count[v]), (long long)s->N);
            return -1;
        }
        if (strcmp(s->statuses[v], DRL_STORE_STATUS_OK) != 0) s->n_failed++;
    }
    if (!path_exists(file, "/splits")) {
        store_errf(err, errlen, p, "/splits", 0, "missing group");
        return -1;
    }
    hid_t g = H5Gopen2(file, "/splits", H5P_DEFAULT);
    if (g < 0) {
        store_errf(err, errlen, p, "/splits", 1, "cannot open the group");
        return -1;
    }
    SplitIter it = {s, file, err, errlen, 0};
    herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, visit_split, &it);
    H5Gclose(g);
    if (it.failed) return -1;
    if (r < 0) {
        store_errf(err, errlen, p, "/splits", 1, "cannot list the splits");
        return -1;
    }
    return 0;
}

Store *store_open(const char *path, const StoreOpenOptions *opt, char *err, size_t errlen) {
    Store *s = calloc(1, sizeof *s);
    if (!s) {
        store_errf(err, errlen, path, NULL, 0, "out of memory");
        return NULL;
    }
    s->fd = -1;
    s->path = dup_str(path);
    if (access(path, R_OK) != 0) {
        store_errf(err, errlen, path, NULL, 0, "cannot read the file: %s", strerror(errno));
        store_close(s);
        return NULL;
    }
    StoreH5Quiet q;
    store_h5_quiet_begin(&q);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int rc = -1;
    if (file < 0)
        store_errf(err, errlen, path, NULL, 1,
                   "cannot open as HDF5 (not a store, or a truncated file?)");
    else
        rc = load(s, file, opt, err, errlen);
    if (file >= 0 && H5Fclose(file) < 0 && rc == 0) {
        store_errf(err, errlen, path, NULL, 1, "cannot close the file");
        rc = -1;
    }
    store_h5_quiet_end(&q);
    if (rc == 0) {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            store_errf(err, errlen, path, NULL, 0, "cannot open for reading: %s", strerror(errno));
            rc = -1;
        }
    }
    if (rc < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

/* ---- accessors --------------------------------------------------------------- */

const char *store_path(const Store *s) {
    return s->path;
}
int store_resolution(const Store *s) {
    return s->R;
}
double store_frame_rate(const Store *s) {
    return s->frame_rate;
}
const char *store_tokenizer_sha256(const Store *s) {
    return s->tokenizer_sha256;
}
const char *store_tool_version(const Store *s) {
    return s->tool_version;
}
const char *store_dataset(const Store *s) {
    return s->dataset;
}
int store_complete(const Store *s) {
    return s->complete;
}
int64_t store_num_videos(const Store *s) {
    return s->V;
}
int64_t store_num_frames(const Store *s) {
    return s->N;
}
int64_t store_num_captions(const Store *s) {
    return s->C;
}
const char *store_video_id(const Store *s, int64_t v) {
    return s->ids[v];
}
const char *store_video_status(const Store *s, int64_t v) {
    return s->statuses[v];
}
int store_video_ok(const Store *s, int64_t v) {
    return strcmp(s->statuses[v], DRL_STORE_STATUS_OK) == 0;
}
int32_t store_video_frame_count(const Store *s, int64_t v) {
    return s->frame_count[v];
}
int64_t store_video_frame_offset(const Store *s, int64_t v) {
    return s->frame_offset[v];
}
double store_video_fps(const Store *s, int64_t v) {
    return s->fps[v];
}
int64_t store_num_failed_videos(const Store *s) {
    return s->n_failed;
}
const char *store_caption_text(const Store *s, int64_t c) {
    return s->texts[c];
}
int32_t store_caption_video(const Store *s, int64_t c) {
    return s->caption_video[c];
}
int32_t store_caption_tokens(const Store *s, int64_t c, const int32_t **ids) {
    *ids = s->tokens + s->token_offset[c];
    return (int32_t)(s->token_offset[c + 1] - s->token_offset[c]);
}
int store_num_splits(const Store *s) {
    return s->n_splits;
}
const char *store_split_name(const Store *s, int i) {
    return s->splits[i].name;
}

int store_split(const Store *s, const char *name, const int64_t **captions, int64_t *n, char *err,
                size_t errlen) {
    for (int i = 0; i < s->n_splits; i++)
        if (strcmp(s->splits[i].name, name) == 0) {
            *captions = s->splits[i].captions;
            *n = s->splits[i].n;
            return 0;
        }
    char have[256] = "";
    for (int i = 0; i < s->n_splits; i++) {
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%s", i ? ", " : "", s->splits[i].name);
    }
    store_errf(err, errlen, s->path, "/splits", 0, "no split '%s' (the store has: %s)", name,
               s->n_splits ? have : "none");
    return -1;
}

int store_read_frames(const Store *s, int64_t v, const int32_t *positions, int n, uint8_t *dst,
                      char *err, size_t errlen) {
    size_t frame_bytes = (size_t)s->R * (size_t)s->R * 3;
    for (int i = 0; i < n; i++) {
        if (positions[i] < 0 || positions[i] >= s->frame_count[v]) {
            store_errf(err, errlen, s->path, "/frames", 0,
                       "video %s: frame %d requested, it has %d", s->ids[v], positions[i],
                       s->frame_count[v]);
            return -1;
        }
        uint64_t addr = s->frame_addr[s->frame_offset[v] + positions[i]];
        uint8_t *out = dst + (size_t)i * frame_bytes; // (R, R, 3)
        size_t done = 0;
        while (done < frame_bytes) {
            ssize_t r = pread(s->fd, out + done, frame_bytes - done, (off_t)(addr + done));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                store_errf(err, errlen, s->path, "/frames", 0,
                           "video %s frame %d: read failed at offset %llu: %s", s->ids[v],
                           positions[i], (unsigned long long)(addr + done),
                           r < 0 ? strerror(errno) : "end of file (truncated store?)");
                return -1;
            }
            done += (size_t)r;
        }
    }
    return 0;
}
