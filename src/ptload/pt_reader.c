/* .pt loading: zip -> data.pkl -> restricted unpickle -> names -> storages ->
 * float32 tensors. One raw storage is held at a time. */
#include "ptload/pt_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptload/pt_convert.h"
#include "ptload/pt_flatten.h"
#include "ptload/pt_pickle.h"
#include "ptload/pt_zip.h"
#include "common/sha256.h"

enum { PT_MAX_PKL = 256 << 20 }; // data.pkl bytes (CLIP's is ~100 KB)

/* First bytes: a zip, or the legacy pickle format, or something else. */
static int check_magic(const uint8_t *head, size_t n, PtErr *e) {
    if (n == 0) return pt_error(e, "the file is empty");
    if (n >= 4 && memcmp(head, "PK\x03\x04", 4) == 0) return 0;
    if (head[0] == 0x80)
        return pt_error(e, "legacy (pre-1.6, non-zip) PyTorch format is not supported; re-save "
                           "it in a recent PyTorch with torch.save(obj, path) (the zip format, "
                           "the default since PyTorch 1.6)");
    if (n >= 4 && memcmp(head, "PK", 2) == 0) return 0; // let libzip judge
    return pt_error(e, "not a PyTorch checkpoint (expected a zip archive starting with 'PK')");
}

static int cmp_by_storage(const void *a, const void *b) {
    const PtEntry *x = *(const PtEntry *const *)a, *y = *(const PtEntry *const *)b;
    const PyVal *sx = x->t->storage, *sy = y->t->storage;
    size_t n = sx->slen < sy->slen ? sx->slen : sy->slen;
    int c = memcmp(sx->s, sy->s, n);
    if (c) return c;
    return (sx->slen > sy->slen) - (sx->slen < sy->slen);
}

static int same_key(const PyVal *a, const PyVal *b) {
    return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
}

static int is_contiguous(const PvTensor *t) {
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != expect) return 0;
        expect *= t->shape[d];
    }
    return 1;
}

/* A storage used by one contiguous tensor: read and convert it in pieces, so
 * only the float32 result is held (float32 data is read straight into it). */
static int load_streamed(PtZip *z, zip_uint64_t index, const char *rel, const PvTensor *t,
                         PtTensor *out, PtErr *e) {
    enum { CHUNK = 1 << 20 }; // elements per piece
    PtDtype dtype = t->storage->dtype;
    size_t es = pt_dtype_size(dtype);
    float *data = malloc(t->numel ? t->numel * sizeof(float) : 1);      // (numel,)
    uint8_t *piece = dtype == PT_DTYPE_F32 ? NULL : malloc(CHUNK * es); // (CHUNK * es,) raw
    if (!data || (dtype != PT_DTYPE_F32 && !piece)) {
        free(data);
        free(piece);
        return pt_error(e, "out of memory for tensor '%s'", out->name);
    }
    PtZipStream s;
    int rc = pt_zip_stream_open(z, index, rel, &s, e);
    if (rc == 0) rc = pt_zip_stream_read(&s, NULL, (uint64_t)t->offset * es, e);
    if (rc == 0 && dtype == PT_DTYPE_F32) rc = pt_zip_stream_read(&s, data, t->numel * 4, e);
    for (size_t done = 0; rc == 0 && piece && done < t->numel; done += CHUNK) {
        int64_t n = (int64_t)(t->numel - done < CHUNK ? t->numel - done : CHUNK);
        int64_t one = 1;
        rc = pt_zip_stream_read(&s, piece, (uint64_t)n * es, e);
        if (rc == 0) pt_gather(piece, dtype, 0, 1, &n, &one, data + done);
    }
    int rc2 = s.f ? pt_zip_stream_close(&s, e) : 0;
    free(piece);
    if (rc || rc2) {
        free(data);
        return -1;
    }
    out->data = data;
    return 0;
}

/* Reads storage group [lo, hi) (entries sharing a key) and fills their tensors. */
static int load_group(PtZip *z, PtEntry **group, size_t count, PtTensor *dst, const PtEntries *es,
                      PtErr *e) {
    const PyVal *st0 = group[0]->t->storage;
    char rel[96];
    snprintf(rel, sizeof rel, "data/%.*s", (int)st0->slen, st0->s);
    zip_uint64_t index;
    uint64_t size;
    int found = pt_zip_entry(z, rel, &index, &size, e);
    if (found < 0) return -1;
    if (found == 1) return pt_error(e, "storage entry '%s%s' is missing", z->prefix, rel);
    uint64_t need = 0; // bytes the largest storage view needs
    for (size_t k = 0; k < count; k++) {
        const PyVal *st = group[k]->t->storage;
        uint64_t bytes = (uint64_t)st->i * pt_dtype_size(st->dtype);
        if (bytes > size)
            return pt_error(e,
                            "storage '%s%s' holds %llu bytes but tensor '%s' needs a %s storage "
                            "of %lld elements (%llu bytes): truncated or corrupt archive",
                            z->prefix, rel, (unsigned long long)size,
                            dst[group[k] - es->items].name, pt_dtype_name(st->dtype),
                            (long long)st->i, (unsigned long long)bytes);
        if (bytes > need) need = bytes;
    }
    if (count == 1 && is_contiguous(group[0]->t))
        return load_streamed(z, index, rel, group[0]->t, &dst[group[0] - es->items], e);
    uint8_t *raw = malloc(need ? need : 1); // (need,) raw little-endian storage bytes
    if (!raw)
        return pt_error(e, "out of memory reading '%s' (%llu bytes)", rel,
                        (unsigned long long)need);
    if (pt_zip_read(z, index, rel, raw, need, e)) {
        free(raw);
        return -1;
    }
    for (size_t k = 0; k < count; k++) {
        const PvTensor *t = group[k]->t;
        PtTensor *out = &dst[group[k] - es->items];
        float *data = malloc(t->numel ? t->numel * sizeof(float) : 1); // (numel,)
        if (!data) {
            free(raw);
            return pt_error(e, "out of memory for tensor '%s'", out->name);
        }
        pt_gather(raw, t->storage->dtype, t->offset, t->ndim, t->shape, t->stride, data);
        out->data = data;
    }
    free(raw);
    return 0;
}

/* Fills out->tensors from the flattened entries. */
static int materialize(PtZip *z, const PtEntries *es, PtFile *out, PtErr *e) {
    size_t total = 0; // float32 elements of all tensors
    const uint64_t cap = 2 * z->archive_size + (1u << 20);
    for (size_t i = 0; i < es->n; i++) {
        total += es->items[i].t->numel;
        if (es->items[i].t->numel > cap || total > cap)
            return pt_error(e,
                            "tensors hold %zu+ elements, implausibly many for a %llu-byte "
                            "file (overlapping views?)",
                            total, (unsigned long long)z->archive_size);
    }
    out->tensors = calloc(es->n ? es->n : 1, sizeof *out->tensors); // (n,)
    PtEntry **order = malloc((es->n ? es->n : 1) * sizeof *order);  // (n,) grouped by storage
    if (!out->tensors || !order) {
        free(order);
        return pt_error(e, "out of memory");
    }
    out->count = (int)es->n;
    for (size_t i = 0; i < es->n; i++) {
        const PvTensor *t = es->items[i].t;
        PtTensor *o = &out->tensors[i];
        o->name = es->items[i].name;
        es->items[i].name = NULL; // moved
        o->ndim = t->ndim;
        memcpy(o->shape, t->shape, sizeof o->shape);
        o->numel = t->numel;
        o->stored_dtype = t->storage->dtype;
        order[i] = &es->items[i];
    }
    qsort(order, es->n, sizeof *order, cmp_by_storage);
    int rc = 0;
    for (size_t lo = 0, hi; lo < es->n && rc == 0; lo = hi) {
        for (hi = lo + 1; hi < es->n && same_key(order[hi]->t->storage, order[lo]->t->storage);)
            hi++;
        rc = load_group(z, order + lo, hi - lo, out->tensors, es, e);
    }
    free(order);
    return rc;
}

/* Everything after the zip is open. */
static int load_zip(PtZip *z, PtFile *out, PtErr *e) {
    zip_uint64_t index;
    uint64_t size;
    if (pt_zip_find_root(z, &index, &size, e)) return -1;
    if (size > PT_MAX_PKL)
        return pt_error(e, "data.pkl is %llu bytes, more than the %d-byte limit",
                        (unsigned long long)size, PT_MAX_PKL);
    zip_uint64_t bo_index;
    uint64_t bo_size;
    int has_bo = pt_zip_entry(z, "byteorder", &bo_index, &bo_size, e);
    if (has_bo < 0) return -1;
    if (has_bo == 0) {
        char bo[8] = {0};
        if (bo_size > 7 || pt_zip_read(z, bo_index, "byteorder", bo, bo_size, e)) {
            return pt_error(e, "unreadable 'byteorder' entry");
        }
        if (strcmp(bo, "little") != 0)
            return pt_error(e, "big-endian checkpoints are not supported (byteorder '%s')", bo);
    }
    uint8_t *pkl = malloc(size ? size : 1); // (size,) the pickle stream
    if (!pkl) return pt_error(e, "out of memory");
    if (pt_zip_read(z, index, "data.pkl", pkl, size, e)) {
        free(pkl);
        return -1;
    }
    PvArena arena = {0};
    PtEntries es = {0};
    const char *kind = NULL;
    PyVal *root = pv_unpickle(pkl, size, "data.pkl", &arena, e);
    int rc = root ? pt_flatten(root, &es, &kind, e) : -1;
    if (rc == 0) {
        snprintf(out->kind, sizeof out->kind, "%s", kind);
        rc = materialize(z, &es, out, e);
    }
    pt_entries_free(&es);
    pv_arena_free(&arena);
    free(pkl);
    return rc;
}

static void set_hash(PtFile *out, const char *hex) {
    snprintf(out->sha256, sizeof out->sha256, "%s", hex);
    const char *rel = pt_known_release(hex);
    out->known_release = rel != NULL;
    snprintf(out->release_name, sizeof out->release_name, "%s", rel ? rel : "");
}

static int finish(PtFile *out, int rc) {
    if (rc != 0) pt_free(out);
    return rc;
}

int pt_load(const char *path, PtFile *out, char *err, size_t errlen) {
    PtErr e = {err, errlen, path, 0};
    if (err && errlen) err[0] = '\0';
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return pt_error(&e, "cannot open: %s", strerror(errno));
    uint8_t head[4];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (check_magic(head, n, &e)) return -1;
    char hex[65];
    if (drl_sha256_file(path, hex)) return pt_error(&e, "cannot read: %s", strerror(errno));
    set_hash(out, hex);
    PtZip z;
    if (pt_zip_open_file(&z, path, &e)) return finish(out, -1);
    int rc = load_zip(&z, out, &e);
    pt_zip_close(&z);
    return finish(out, rc);
}

int pt_load_memory(const void *buf, size_t len, const char *name, PtFile *out, char *err,
                   size_t errlen) {
    PtErr e = {err, errlen, name, 0};
    if (err && errlen) err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (check_magic(buf, len < 4 ? len : 4, &e)) return -1;
    char hex[65];
    drl_sha256_buffer(buf, len, hex);
    set_hash(out, hex);
    PtZip z;
    if (pt_zip_open_memory(&z, buf, len, &e)) return finish(out, -1);
    int rc = load_zip(&z, out, &e);
    pt_zip_close(&z);
    return finish(out, rc);
}

const PtTensor *pt_find(const PtFile *f, const char *name) {
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

void pt_free(PtFile *f) {
    for (int i = 0; f->tensors && i < f->count; i++) {
        free(f->tensors[i].name);
        free(f->tensors[i].data);
    }
    free(f->tensors);
    memset(f, 0, sizeof *f);
}
