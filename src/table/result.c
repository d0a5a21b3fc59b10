/* result.json -> table_result with cJSON, every item type-checked. */
#include "table/result.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const table_metric_names[TABLE_NMETRIC] = {"R@1", "R@5", "R@10", "MdR", "MnR"};

static const char *json_kind(const cJSON *item) {
    if (!item) return "nothing";
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "an invalid value";
}

/* Copies a string member; `required` makes absence an error. */
static int get_string(const cJSON *obj, const char *key, bool required, char *dst, size_t dst_len,
                      const char *path, char *err, size_t err_len) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (!item && !required) return 0;
    if (!cJSON_IsString(item) || !item->valuestring) {
        snprintf(err, err_len, "%s: '%s': expected a string, found %s", path, key, json_kind(item));
        return -1;
    }
    if (strlen(item->valuestring) >= dst_len) {
        snprintf(err, err_len, "%s: '%s': expected at most %zu characters, found %zu", path, key,
                 dst_len - 1, strlen(item->valuestring));
        return -1;
    }
    strcpy(dst, item->valuestring);
    return 0;
}

/* A number member; absent gives `fallback` unless required. */
static int get_number(const cJSON *obj, const char *key, bool required, double fallback,
                      double *dst, const char *where, const char *path, char *err, size_t err_len) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item && !required) {
        *dst = fallback;
        return 0;
    }
    if (!cJSON_IsNumber(item)) {
        snprintf(err, err_len, "%s: '%s%s': expected a number, found %s", path, where, key,
                 json_kind(item));
        return -1;
    }
    *dst = item->valuedouble;
    return 0;
}

static int get_direction(const cJSON *metrics, const char *metrics_key, const char *dir,
                         double *dst, const char *path, char *err, size_t err_len) {
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(metrics, dir);
    if (!cJSON_IsObject(block)) {
        snprintf(err, err_len,
                 "%s: '%s.%s': expected an object of R@1, R@5, R@10, MdR, MnR, found %s", path,
                 metrics_key, dir, json_kind(block));
        return -1;
    }
    char where[96];
    snprintf(where, sizeof where, "%s.%s.", metrics_key, dir);
    for (int m = 0; m < TABLE_NMETRIC; m++)
        if (get_number(block, table_metric_names[m], true, 0.0, &dst[m], where, path, err, err_len))
            return -1;
    return 0;
}

static int parse_root(const cJSON *root, const char *path, const char *metrics_key,
                      table_result *out, char *err, size_t err_len) {
    if (!cJSON_IsObject(root)) {
        snprintf(err, err_len, "%s: expected a JSON object at the top, found %s", path,
                 json_kind(root));
        return -1;
    }
    if (get_string(root, "config", true, out->config, sizeof out->config, path, err, err_len) ||
        get_string(root, "description", false, out->description, sizeof out->description, path, err,
                   err_len) ||
        get_string(root, "backbone", false, out->backbone, sizeof out->backbone, path, err,
                   err_len))
        return -1;

    double count = 0.0, ranks = 0.0;
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(root, "devices");
    out->on_gpu = false;
    if (devices) {
        if (!cJSON_IsObject(devices)) {
            snprintf(err, err_len, "%s: 'devices': expected an object, found %s", path,
                     json_kind(devices));
            return -1;
        }
        char kind[32];
        if (get_number(devices, "count", false, 0.0, &count, "devices.", path, err, err_len) ||
            get_string(devices, "kind", false, kind, sizeof kind, path, err, err_len))
            return -1;
        out->on_gpu = strcmp(kind, "cuda") == 0;
    }
    if (get_number(root, "ranks", false, count, &ranks, "", path, err, err_len)) return -1;
    out->gpus = out->on_gpu ? (int)count : 0;
    out->ranks = (int)ranks;

    double hours = 0.0;
    if (get_number(root, "train_hours", false, 0.0, &hours, "", path, err, err_len)) return -1;
    out->train_hours = hours > 0.0 ? hours : -1.0;

    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(root, metrics_key);
    if (!cJSON_IsObject(metrics)) {
        snprintf(err, err_len, "%s: '%s': expected an object with t2v and v2t, found %s", path,
                 metrics_key, json_kind(metrics));
        return -1;
    }
    if (get_direction(metrics, metrics_key, "t2v", out->t2v, path, err, err_len) ||
        get_direction(metrics, metrics_key, "v2t", out->v2t, path, err, err_len))
        return -1;
    return 0;
}

int table_result_parse(const char *text, size_t len, const char *path, const char *metrics_key,
                       table_result *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        size_t at = end ? (size_t)(end - text) : 0;
        snprintf(err, err_len, "%s: not valid JSON (error near byte %zu)", path, at);
        return -1;
    }
    int rc = parse_root(root, path, metrics_key, out, err, err_len);
    cJSON_Delete(root);
    return rc;
}

int table_result_load(const char *path, const char *metrics_key, table_result *out, char *err,
                      size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    enum { MAX_BYTES = 16 << 20 }; /* a result.json is a few hundred bytes */
    char *text = malloc(MAX_BYTES);
    if (!text) {
        fclose(f);
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    size_t len = fread(text, 1, MAX_BYTES, f);
    int read_error = ferror(f);
    int too_big = len == MAX_BYTES;
    fclose(f);
    int rc = -1;
    if (read_error)
        snprintf(err, err_len, "%s: read error", path);
    else if (too_big)
        snprintf(err, err_len, "%s: expected a result.json under 16 MiB", path);
    else
        rc = table_result_parse(text, len, path, metrics_key, out, err, err_len);
    free(text);
    return rc;
}
