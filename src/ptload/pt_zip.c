/* libzip access for the .pt reader. */
#include "ptload/pt_zip.h"

#include <stdio.h>
#include <string.h>

static int open_error(PtErr *e, int code) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, code);
    pt_error(e, "not a readable zip archive (%s); is the file complete?", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return -1;
}

int pt_zip_open_file(PtZip *z, const char *path, PtErr *e) {
    memset(z, 0, sizeof *z);
    int code = 0;
    z->za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!z->za) return open_error(e, code);
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        if (f) fclose(f);
        pt_zip_close(z);
        return pt_error(e, "cannot determine the file size");
    }
    long size = ftell(f);
    fclose(f);
    if (size < 0) {
        pt_zip_close(z);
        return pt_error(e, "cannot determine the file size");
    }
    z->archive_size = (uint64_t)size;
    return 0;
}

int pt_zip_open_memory(PtZip *z, const void *buf, size_t len, PtErr *e) {
    memset(z, 0, sizeof *z);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(buf, len, 0, &ze);
    if (!src) {
        pt_error(e, "cannot open the buffer as a zip source (%s)", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    z->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!z->za) {
        zip_source_free(src);
        pt_error(e, "not a readable zip archive (%s); is the file complete?",
                 zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    zip_error_fini(&ze);
    z->archive_size = len;
    return 0;
}

void pt_zip_close(PtZip *z) {
    if (z->za) zip_discard(z->za);
    z->za = NULL;
}

/* Size of an entry, rejecting sizes the archive cannot hold. */
static int stat_entry(PtZip *z, zip_uint64_t index, const char *name, uint64_t *size, PtErr *e) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z->za, index, 0, &st) != 0)
        return pt_error(e, "cannot stat zip entry '%s' (%s)", name, zip_strerror(z->za));
    const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if ((st.valid & need) != need) return pt_error(e, "zip entry '%s' has no size", name);
    if (st.comp_size > z->archive_size)
        return pt_error(e, "zip entry '%s' claims %llu compressed bytes in a %llu-byte file", name,
                        (unsigned long long)st.comp_size, (unsigned long long)z->archive_size);
    // deflate expands at most ~1032:1; stored entries not at all
    uint64_t max = st.comp_method == ZIP_CM_STORE ? st.comp_size : st.comp_size * 1032 + 1024;
    if (st.size > max)
        return pt_error(e, "zip entry '%s' claims %llu bytes from %llu compressed bytes", name,
                        (unsigned long long)st.size, (unsigned long long)st.comp_size);
    *size = st.size;
    return 0;
}

int pt_zip_find_root(PtZip *z, zip_uint64_t *index, uint64_t *size, PtErr *e) {
    zip_int64_t n = zip_get_num_entries(z->za, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name) continue;
        size_t len = strlen(name);
        const char *slash = strchr(name, '/');
        int top = strcmp(name, "data.pkl") == 0;
        int one_down = slash && strcmp(slash, "/data.pkl") == 0 && len - 9 < sizeof z->prefix - 1;
        if (!top && !one_down) continue;
        size_t plen = top ? 0 : len - 8; // keep the '/'
        memcpy(z->prefix, name, plen);
        z->prefix[plen] = '\0';
        *index = (zip_uint64_t)i;
        return stat_entry(z, *index, name, size, e);
    }
    return pt_error(e, "zip archive has no '<archive>/data.pkl' entry: not a PyTorch checkpoint");
}

int pt_zip_entry(PtZip *z, const char *rel, zip_uint64_t *index, uint64_t *size, PtErr *e) {
    char name[512];
    int n = snprintf(name, sizeof name, "%s%s", z->prefix, rel);
    if (n < 0 || (size_t)n >= sizeof name) return pt_error(e, "zip entry name too long");
    zip_int64_t i = zip_name_locate(z->za, name, ZIP_FL_ENC_RAW);
    if (i < 0) return 1;
    *index = (zip_uint64_t)i;
    return stat_entry(z, *index, name, size, e) ? -1 : 0;
}

int pt_zip_stream_open(PtZip *z, zip_uint64_t index, const char *rel, PtZipStream *s, PtErr *e) {
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s%s", z->prefix, rel);
    if (stat_entry(z, index, s->name, &s->size, e)) return -1;
    s->f = zip_fopen_index(z->za, index, 0);
    if (!s->f) return pt_error(e, "cannot open zip entry '%s' (%s)", s->name, zip_strerror(z->za));
    return 0;
}

int pt_zip_stream_read(PtZipStream *s, void *buf, uint64_t n, PtErr *e) {
    if (n > s->size - s->pos)
        return pt_error(e, "zip entry '%s' holds %llu bytes, %llu more are needed", s->name,
                        (unsigned long long)s->size, (unsigned long long)(s->pos + n - s->size));
    uint8_t scratch[4096]; // (4096,) skipped bytes
    uint64_t got = 0;
    while (got < n) {
        uint64_t want = n - got;
        uint8_t *dst = buf ? (uint8_t *)buf + got : scratch;
        if (!buf && want > sizeof scratch) want = sizeof scratch;
        zip_int64_t r = zip_fread(s->f, dst, want);
        if (r < 0)
            return pt_error(e, "cannot read zip entry '%s' (%s)", s->name, zip_file_strerror(s->f));
        if (r == 0)
            return pt_error(e, "zip entry '%s' ends after %llu of %llu bytes", s->name,
                            (unsigned long long)(s->pos + got), (unsigned long long)s->size);
        got += (uint64_t)r;
    }
    s->pos += n;
    return 0;
}

int pt_zip_stream_close(PtZipStream *s, PtErr *e) {
    int rc = 0;
    if (s->f && s->pos == s->size) { // at the end: one more read lets libzip check the CRC
        uint8_t extra;
        zip_int64_t r = zip_fread(s->f, &extra, 1);
        if (r < 0)
            rc = pt_error(e, "zip entry '%s' is corrupt (%s)", s->name, zip_file_strerror(s->f));
        else if (r > 0)
            rc = pt_error(e, "zip entry '%s' holds more bytes than its header says", s->name);
    }
    if (s->f && zip_fclose(s->f) != 0 && rc == 0)
        rc = pt_error(e, "zip entry '%s' is corrupt", s->name);
    s->f = NULL;
    return rc;
}

int pt_zip_read(PtZip *z, zip_uint64_t index, const char *rel, void *buf, uint64_t n, PtErr *e) {
    PtZipStream s;
    if (pt_zip_stream_open(z, index, rel, &s, e)) return -1;
    int rc = pt_zip_stream_read(&s, buf, n, e);
    int rc2 = pt_zip_stream_close(&s, e);
    return rc ? rc : rc2;
}
