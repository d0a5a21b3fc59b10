/* Reading the reference CSV. */
#include "table/reference.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REF_COLUMNS = 5 + 2 * TABLE_NMETRIC };

static const char *const ref_header =
    "config,description,feature,gpus,t2v_R@1,t2v_R@5,t2v_R@10,t2v_MdR,t2v_MnR,"
    "v2t_R@1,v2t_R@5,v2t_R@10,v2t_MdR,v2t_MnR,train_hours";

/* Splits `line` in place at commas into at most `max` fields; returns the count. */
static int split_csv(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return strchr(p, ',') ? max + 1 : n;
}

static int parse_number(const char *text, double *dst) {
    char *end = NULL;
    errno = 0;
    *dst = strtod(text, &end);
    return (end == text || *end != '\0' || errno) ? -1 : 0;
}

static int copy_field(char *dst, size_t dst_len, const char *src) {
    if (strlen(src) >= dst_len) return -1;
    strcpy(dst, src);
    return 0;
}

static int parse_row(char *line, table_result *row, const char *path, int lineno, char *err,
                     size_t err_len) {
    char *f[REF_COLUMNS + 1];
    int n = split_csv(line, f, REF_COLUMNS);
    if (n != REF_COLUMNS) {
        snprintf(err, err_len, "%s:%d: expected %d comma-separated columns, found %s%d", path,
                 lineno, REF_COLUMNS, n > REF_COLUMNS ? "more than " : "",
                 n > REF_COLUMNS ? REF_COLUMNS : n);
        return -1;
    }
    memset(row, 0, sizeof *row);
    snprintf(row->path, sizeof row->path, "%s:%d", path, lineno);
    if (f[0][0] == '\0' || copy_field(row->config, sizeof row->config, f[0]) ||
        copy_field(row->description, sizeof row->description, f[1]) ||
        copy_field(row->backbone, sizeof row->backbone, f[2])) {
        snprintf(err, err_len, "%s:%d: expected a config name and short description/feature", path,
                 lineno);
        return -1;
    }
    double gpus = 0.0;
    if (f[3][0] != '\0' && parse_number(f[3], &gpus)) {
        snprintf(err, err_len, "%s:%d: column 'gpus': expected a number, found '%s'", path, lineno,
                 f[3]);
        return -1;
    }
    row->gpus = row->ranks = (int)gpus;
    row->on_gpu = true;
    for (int c = 0; c < 2 * TABLE_NMETRIC; c++) {
        double *dst = c < TABLE_NMETRIC ? &row->t2v[c] : &row->v2t[c - TABLE_NMETRIC];
        if (f[4 + c][0] == '\0') { /* not published: shown as "-" */
            *dst = NAN;
            continue;
        }
        if (parse_number(f[4 + c], dst)) {
            snprintf(err, err_len, "%s:%d: column %d (%s_%s): expected a number, found '%s'", path,
                     lineno, 5 + c, c < TABLE_NMETRIC ? "t2v" : "v2t",
                     table_metric_names[c % TABLE_NMETRIC], f[4 + c]);
            return -1;
        }
    }
    const char *hours = f[4 + 2 * TABLE_NMETRIC];
    row->train_hours = -1.0;
    if (hours[0] != '\0' && strcmp(hours, "-") != 0) {
        if (parse_number(hours, &row->train_hours)) {
            snprintf(err, err_len,
                     "%s:%d: column 'train_hours': expected a number or empty, found '%s'", path,
                     lineno, hours);
            return -1;
        }
        if (row->train_hours <= 0.0) row->train_hours = -1.0;
    }
    return 0;
}

int table_reference_load(const char *path, table_reference *out, char *err, size_t err_len) {
    out->rows = NULL;
    out->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open the reference: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, cap = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno == 1) {
            if (strcmp(line, ref_header) != 0) {
                snprintf(err, err_len, "%s:1: expected the header '%s'", path, ref_header);
                rc = -1;
                break;
            }
            continue;
        }
        if (line[0] == '\0' || line[0] == '#') continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 16;
            table_result *grown = realloc(out->rows, (size_t)cap * sizeof *grown);
            if (!grown) {
                snprintf(err, err_len, "%s: out of memory", path);
                rc = -1;
                break;
            }
            out->rows = grown;
        }
        if (parse_row(line, &out->rows[out->n], path, lineno, err, err_len)) {
            rc = -1;
            break;
        }
        out->n++;
    }
    if (rc == 0 && lineno == 0) {
        snprintf(err, err_len, "%s: empty file, expected the header '%s'", path, ref_header);
        rc = -1;
    }
    fclose(f);
    if (rc) table_reference_free(out);
    return rc;
}

void table_reference_free(table_reference *ref) {
    free(ref->rows);
    ref->rows = NULL;
    ref->n = 0;
}

const table_result *table_reference_find(const table_reference *ref, const char *config) {
    for (int i = 0; i < ref->n; i++)
        if (strcmp(ref->rows[i].config, config) == 0) return &ref->rows[i];
    return NULL;
}
