/* Loading: read a file, resolve its @includes (depth first, relative to the
 * including file's folder), parse each layer with libconfig, apply settings
 * over the defaults with per-setting type and range checks, then the
 * cross-field rules. Every error is collected; nothing is printed. */
#include "config/config_internal.h"
#include "config/config_table.h"

#include "common/check.h"

#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INCLUDE_DEPTH 16

typedef struct {
    CfgErrors errors;
    CfgSource *sources; /* (n_fields) where each setting was last set */
    char **files;       /* display paths, owned; sources point into them */
    size_t n_files;
    char *stack[MAX_INCLUDE_DEPTH + 1]; /* canonical paths of the open files */
    int depth;
    DrlConfig *cfg;
} Loader;

static const char *keep_file_name(Loader *L, const char *path) {
    char **grown = realloc(L->files, (L->n_files + 1) * sizeof *grown);
    sysCheck(grown != NULL, "out of memory");
    L->files = grown;
    L->files[L->n_files] = strdup(path);
    sysCheck(L->files[L->n_files] != NULL, "out of memory");
    return L->files[L->n_files++];
}

/* ---- values -------------------------------------------------------------- */

static const char *type_noun(int type) {
    switch (type) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "a value of unknown type";
    }
}

/* "an integer (5)", "a string ("abc")", "a group", ... */
static void describe_found(const config_setting_t *s, char *buf, size_t len) {
    int type = config_setting_type(s);
    const char *noun = type_noun(type);
    switch (type) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, len, "%s (%lld)", noun, config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        snprintf(buf, len, "%s (%g)", noun, config_setting_get_float(s));
        break;
    case CONFIG_TYPE_STRING:
        snprintf(buf, len, "%s (\"%.80s\")", noun, config_setting_get_string(s));
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(buf, len, "%s (%s)", noun, config_setting_get_bool(s) ? "true" : "false");
        break;
    default:
        snprintf(buf, len, "%s", noun);
    }
}

static void type_error(Loader *L, const char *file, int line, const char *full, const CfgField *f,
                       const config_setting_t *s) {
    char expected[512], found[256];
    cfg_describe_expected(f, expected, sizeof expected);
    describe_found(s, found, sizeof found);
    cfg_error(&L->errors, file, line, "setting '%s': expected %s, found %s", full, expected, found);
}

static void apply_value(Loader *L, int idx, const config_setting_t *s, const char *file) {
    const CfgField *f = &cfg_fields(&(size_t){0})[idx];
    int line = (int)config_setting_source_line(s);
    int type = config_setting_type(s);
    char full[160], expected[512];
    snprintf(full, sizeof full, "%s.%s", f->section, f->name);
    bool is_int = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
    switch (f->kind) {
    case CFG_INT: {
        if (!is_int) {
            type_error(L, file, line, full, f, s);
            return;
        }
        long long v = config_setting_get_int64(s);
        if (!cfg_in_range(f, (double)v)) {
            cfg_describe_expected(f, expected, sizeof expected);
            cfg_error(&L->errors, file, line, "setting '%s': expected %s, found %lld", full,
                      expected, v);
            return;
        }
        *(int *)cfg_ptr(L->cfg, f) = (int)v;
        break;
    }
    case CFG_FLOAT: {
        if (!is_int && type != CONFIG_TYPE_FLOAT) {
            type_error(L, file, line, full, f, s);
            return;
        }
        double v = is_int ? (double)config_setting_get_int64(s) : config_setting_get_float(s);
        if (!cfg_in_range(f, v)) {
            cfg_describe_expected(f, expected, sizeof expected);
            cfg_error(&L->errors, file, line, "setting '%s': expected %s, found %g", full, expected,
                      v);
            return;
        }
        *(double *)cfg_ptr(L->cfg, f) = v;
        break;
    }
    case CFG_BOOL:
        if (type != CONFIG_TYPE_BOOL) {
            type_error(L, file, line, full, f, s);
            return;
        }
        *(bool *)cfg_ptr(L->cfg, f) = config_setting_get_bool(s) != 0;
        break;
    case CFG_STRING: {
        if (type != CONFIG_TYPE_STRING) {
            type_error(L, file, line, full, f, s);
            return;
        }
        const char *v = config_setting_get_string(s);
        size_t n = strlen(v);
        if (n >= f->capacity || ((f->flags & CFG_NONEMPTY) && n == 0)) {
            cfg_describe_expected(f, expected, sizeof expected);
            cfg_error(&L->errors, file, line,
                      "setting '%s': expected %s, found a string of %zu characters", full, expected,
                      n);
            return;
        }
        memcpy(cfg_ptr(L->cfg, f), v, n + 1);
        break;
    }
    case CFG_ENUM: {
        if (type != CONFIG_TYPE_STRING) {
            type_error(L, file, line, full, f, s);
            return;
        }
        const char *v = config_setting_get_string(s);
        for (int i = 0; f->choices[i]; i++) {
            if (!strcmp(v, f->choices[i])) {
                *(int *)cfg_ptr(L->cfg, f) = i;
                L->sources[idx] = (CfgSource){file, line};
                return;
            }
        }
        cfg_describe_expected(f, expected, sizeof expected);
        cfg_error(&L->errors, file, line, "setting '%s': expected %s, found \"%.80s\"", full,
                  expected, v);
        return;
    }
    }
    L->sources[idx] = (CfgSource){file, line};
}

/* ---- unknown names ------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* A hint for an unknown setting `name` in section `section`. */
static void unknown_hint(const char *section, const char *name, char *buf, size_t len) {
    size_t n = 0;
    const CfgField *fields = cfg_fields(&n);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strcmp(fields[i].section, section) && !strcmp(fields[i].name, name)) {
            snprintf(buf, len, " ('%s' is a setting of section '%s')", name, fields[i].section);
            return;
        }
    }
    size_t best = 3;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(fields[i].section, section)) continue;
        size_t d = edit_distance(name, fields[i].name);
        if (d < best) {
            best = d;
            snprintf(buf, len, " (did you mean '%s'?)", fields[i].name);
        }
    }
}

static void section_list(char *buf, size_t len) {
    size_t n = 0, used = 0;
    const CfgSection *secs = cfg_sections(&n);
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        if (!secs[i].parent)
            used +=
                (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", secs[i].name);
}

/* ---- layers -------------------------------------------------------------- */

static void apply_group(Loader *L, const config_setting_t *group, const char *section,
                        const char *file) {
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        int line = (int)config_setting_source_line(s);
        char full[256], found[256];
        if (section)
            snprintf(full, sizeof full, "%s.%s", section, name);
        else
            snprintf(full, sizeof full, "%s", name);
        const CfgSection *sub = cfg_find_child_section(section, name);
        if (sub) {
            if (!config_setting_is_group(s)) {
                describe_found(s, found, sizeof found);
                cfg_error(&L->errors, file, line,
                          "setting '%s': expected a group { ... } (a section), found %s", full,
                          found);
            } else {
                apply_group(L, s, sub->path, file);
            }
            continue;
        }
        if (!section) {
            char list[128];
            section_list(list, sizeof list);
            char hint[128] = "";
            size_t ns = 0;
            const CfgSection *secs = cfg_sections(&ns);
            for (size_t k = 0; k < ns; k++)
                if (!secs[k].parent && edit_distance(name, secs[k].name) <= 2)
                    snprintf(hint, sizeof hint, " (did you mean '%s'?)", secs[k].name);
            cfg_error(&L->errors, file, line,
                      "setting '%s': expected a section (%s), found an unknown section%s", full,
                      list, hint);
            continue;
        }
        int idx = cfg_find_field(section, name);
        if (idx < 0) {
            char hint[256];
            unknown_hint(section, name, hint, sizeof hint);
            cfg_error(
                &L->errors, file, line,
                "setting '%s': expected a setting of section '%s', found an unknown setting%s",
                full, section, hint);
            continue;
        }
        apply_value(L, idx, s, file);
    }
}

static char *join_relative(const char *base_dir, const char *path) {
    size_t nb = base_dir ? strlen(base_dir) : 0;
    if (path[0] == '/' || nb == 0 || !strcmp(base_dir, ".")) return strdup(path);
    char *out = mallocCheck(nb + strlen(path) + 2);
    sprintf(out, "%s%s%s", base_dir, base_dir[nb - 1] == '/' ? "" : "/", path);
    return out;
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static char *read_text(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = mallocCheck(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            sysCheck(grown != NULL, "out of memory");
            buf = grown;
        }
    }
    fclose(fp);
    buf[len] = '\0';
    return buf;
}

static void load_file(Loader *L, const char *path, const char *from_file, int from_line);

/* Loads one layer from `text` (modified in place); `file` is its display
 * path, `dir` the folder its includes are relative to. */
static void load_text(Loader *L, char *text, const char *file, const char *dir) {
    size_t n_inc = 0;
    CfgInclude *incs = cfg_strip_includes(text, file, &n_inc, &L->errors);
    for (size_t i = 0; i < n_inc; i++) {
        char *inc_path = join_relative(dir, incs[i].path);
        load_file(L, inc_path, file, incs[i].line);
        free(inc_path);
    }
    cfg_includes_free(incs, n_inc);

    config_t lc;
    config_init(&lc);
    if (!config_read_string(&lc, text)) {
        cfg_error(&L->errors, file, config_error_line(&lc), "%s", config_error_text(&lc));
    } else {
        apply_group(L, config_root_setting(&lc), NULL, file);
    }
    config_destroy(&lc);
}

static void load_file(Loader *L, const char *path, const char *from_file, int from_line) {
    const char *file = keep_file_name(L, path);
    char *text = read_text(path);
    if (!text) {
        if (from_file)
            cfg_error(&L->errors, from_file, from_line, "@include \"%s\": cannot open %s: %s", path,
                      path, strerror(errno));
        else
            cfg_error(&L->errors, path, 0, "cannot open the configuration file: %s",
                      strerror(errno));
        return;
    }
    char *canon = realpath(path, NULL);
    for (int d = 0; d < L->depth; d++) {
        if (canon && L->stack[d] && !strcmp(canon, L->stack[d])) {
            cfg_error(&L->errors, from_file, from_line,
                      "@include \"%s\": expected no include cycle, found %s including itself", path,
                      path);
            free(canon);
            free(text);
            return;
        }
    }
    if (L->depth >= MAX_INCLUDE_DEPTH) {
        cfg_error(&L->errors, from_file, from_line,
                  "@include \"%s\": expected at most %d nested includes", path, MAX_INCLUDE_DEPTH);
        free(canon);
        free(text);
        return;
    }
    L->stack[L->depth++] = canon;
    char *dir = dir_of(path);
    load_text(L, text, file, dir);
    free(dir);
    L->depth--;
    free(canon);
    free(text);
}

/* ---- entry points ------------------------------------------------------- */

static void default_name(DrlConfig *cfg, const char *file) {
    if (cfg->run.name[0]) return;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".cfg")) n -= 4;
    if (n >= sizeof cfg->run.name) n = sizeof cfg->run.name - 1;
    memcpy(cfg->run.name, base, n);
    cfg->run.name[n] = '\0';
}

static int finish(Loader *L, const char *top, int world_size, char *err, size_t errlen) {
    if (L->errors.count == 0) cfg_validate(L->cfg, world_size, L->sources, top, &L->errors);
    if (L->errors.count == 0) default_name(L->cfg, top);
    int rc = L->errors.count ? DRL_CONFIG_EXIT : 0;
    cfg_errors_copy(&L->errors, err, errlen);
    if (!L->errors.count && err && errlen) err[0] = '\0';
    cfg_errors_free(&L->errors);
    for (size_t i = 0; i < L->n_files; i++)
        free(L->files[i]);
    free(L->files);
    free(L->sources);
    return rc;
}

static void start(Loader *L, DrlConfig *out) {
    memset(L, 0, sizeof *L);
    size_t n = 0;
    cfg_fields(&n);
    L->sources = callocCheck(n, sizeof *L->sources);
    L->cfg = out;
    config_defaults(out);
}

int config_load(const char *path, int world_size, DrlConfig *out, char *err, size_t errlen) {
    Loader L;
    start(&L, out);
    load_file(&L, path, NULL, 0);
    return finish(&L, path, world_size, err, errlen);
}

int config_load_string(const char *text, const char *display_name, const char *include_dir,
                       int world_size, DrlConfig *out, char *err, size_t errlen) {
    Loader L;
    start(&L, out);
    const char *file = keep_file_name(&L, display_name ? display_name : "<string>");
    char *copy = strdup(text);
    sysCheck(copy != NULL, "out of memory");
    load_text(&L, copy, file, include_dir ? include_dir : ".");
    free(copy);
    return finish(&L, file, world_size, err, errlen);
}
