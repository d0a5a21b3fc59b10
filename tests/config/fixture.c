#include "fixture.h"

#include "common/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && v[0] ? v : fallback;
}

/* mkdir -p of every folder in `path` before its last '/'. */
static void make_parents(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        sysCheck(mkdir(path, 0755) == 0 || errno == EEXIST, "cannot create a fixture folder");
        *p = '/';
    }
}

char *fixture_write(const char *dir, const char *file, const char *text) {
    const char *root = env_or("DRL_BINARY_DIR", "/tmp"); /* ctest sets it */
    size_t n = strlen(root) + strlen(dir) + strlen(file) + 64;
    char *path = mallocCheck(n);
    snprintf(path, n, "%s/config_fixtures/%s/%s", root, dir, file);
    make_parents(path);
    FILE *fp = fopen(path, "w");
    sysCheck(fp != NULL, "cannot write a fixture");
    fputs(text, fp);
    sysCheck(fclose(fp) == 0, "cannot write a fixture");
    return path;
}

char *fixture_source_path(const char *relative) {
    const char *root = env_or("DRL_SOURCE_DIR", "..");
    size_t n = strlen(root) + strlen(relative) + 2;
    char *path = mallocCheck(n);
    snprintf(path, n, "%s/%s", root, relative);
    return path;
}
