#include "preprocess/datasets/datasets.h"

#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*ReadFn)(const DatasetSources *, Annotations *, DatasetStats *, char *, size_t);

typedef struct {
    const char *name, *alias;
    ReadFn read;
    int defined[DS_NSPLITS]; /* train, val, test */
} DatasetEntry;

static const DatasetEntry k_datasets[] = {
    {"didemo", NULL, didemo_read, {1, 1, 1}},
    {"activitynet", "activity", activitynet_read, {1, 1, 0}},
    {"msvd", NULL, msvd_read, {1, 1, 1}},
    {"lsmdc", NULL, lsmdc_read, {1, 1, 1}},
    {"vatex", NULL, vatex_read, {1, 1, 0}},
};

static const DatasetEntry *find(const char *name) {
    for (size_t i = 0; i < sizeof k_datasets / sizeof k_datasets[0]; i++)
        if (strcmp(name, k_datasets[i].name) == 0 ||
            (k_datasets[i].alias && strcmp(name, k_datasets[i].alias) == 0))
            return &k_datasets[i];
    return NULL;
}

const char *dataset_canonical(const char *name) {
    const DatasetEntry *d = find(name);
    return d ? d->name : NULL;
}

int dataset_splits(const char *name, int defined[DS_NSPLITS]) {
    const DatasetEntry *d = find(name);
    if (!d) return -1;
    memcpy(defined, d->defined, sizeof d->defined);
    return 0;
}

int dataset_read(const char *name, const DatasetSources *src, Annotations *a, DatasetStats *st,
                 char *err, size_t errlen) {
    static const char *split_names[DS_NSPLITS] = {"train", "val", "test"};
    const DatasetEntry *d = find(name);
    memset(st, 0, sizeof *st);
    if (!d) {
        snprintf(err, errlen, "unknown dataset '%s'", name);
        return -1;
    }
    for (int s = 0; s < DS_NSPLITS; s++)
        if (src->want[s] && !d->defined[s]) {
            snprintf(err, errlen, "%s defines no %s split", d->name, split_names[s]);
            return -1;
        }
    return d->read(src, a, st, err, errlen);
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* dir/STEM.* with the glob characters of dir and STEM escaped. */
static int any_extension(const char *dir, const char *stem, size_t stem_len, char *out,
                         size_t outlen) {
    char pat[8192];
    size_t at = 0;
    const char *parts[2] = {dir, stem};
    size_t lens[2] = {strlen(dir), stem_len};
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; i < lens[p] && at + 4 < sizeof pat; i++) {
            char c = parts[p][i];
            if (c == '*' || c == '?' || c == '[' || c == '\\') pat[at++] = '\\';
            pat[at++] = c;
        }
        if (p == 0 && at + 4 < sizeof pat) pat[at++] = '/';
    }
    if (at + 3 >= sizeof pat) return -1;
    memcpy(pat + at, ".*", 3);
    glob_t g;
    int rc = -1;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && rc < 0; i++)
            if (is_file(g.gl_pathv[i]) && strlen(g.gl_pathv[i]) < outlen) {
                snprintf(out, outlen, "%s", g.gl_pathv[i]);
                rc = 0;
            }
        globfree(&g);
    }
    return rc;
}

int dataset_video_path(const char *dir, const char *file, char *out, size_t outlen) {
    char first[8192] = "";
    for (const char *alt = file; alt;) {
        const char *bar = strchr(alt, '|');
        size_t len = bar ? (size_t)(bar - alt) : strlen(alt);
        if (len >= 2 && alt[len - 2] == '.' && alt[len - 1] == '*') {
            if (any_extension(dir, alt, len - 2, out, outlen) == 0) return 0;
        } else {
            snprintf(out, outlen, "%s/%.*s", dir, (int)len, alt);
            if (is_file(out)) return 0;
        }
        if (!first[0]) snprintf(first, sizeof first, "%s/%.*s", dir, (int)len, alt);
        alt = bar ? bar + 1 : NULL;
    }
    snprintf(out, outlen, "%s", first);
    return -1;
}
