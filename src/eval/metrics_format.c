/* Text table and JSON of retrieval metrics (one decimal in text, as the
 * reference's table; full precision in JSON). */
#include "eval/metrics.h"

#include "common/check.h"

static const char *kCols = "R@1   R@5  R@10   MdR   MnR";

void metrics_format_header(char *buf, size_t len, int name_width) {
    snprintf(buf, len, "%-*s | %s | %s", name_width, "", kCols, kCols);
}

void metrics_format_row(char *buf, size_t len, int name_width, const char *name,
                        const RetrievalMetrics *t2v, const RetrievalMetrics *v2t) {
    snprintf(buf, len, "%-*s | %3.1f %5.1f %5.1f %5.1f %5.1f | %3.1f %5.1f %5.1f %5.1f %5.1f",
             name_width, name, t2v->r1, t2v->r5, t2v->r10, t2v->mdr, t2v->mnr, v2t->r1, v2t->r5,
             v2t->r10, v2t->mdr, v2t->mnr);
}

void metrics_format_line(char *buf, size_t len, const RetrievalMetrics *m) {
    snprintf(buf, len, "R@1: %.1f - R@5: %.1f - R@10: %.1f - Median R: %.1f - Mean R: %.1f", m->r1,
             m->r5, m->r10, m->mdr, m->mnr);
}

void metrics_print_table(FILE *f, int nrows, const char *const *names, const RetrievalMetrics *t2v,
                         const RetrievalMetrics *v2t) {
    int width = 4;
    for (int k = 0; k < nrows; k++) {
        int w = (int)strlen(names[k]);
        if (w > width) width = w;
    }
    char line[512];
    const int block = (int)strlen(kCols);
    fprintf(f, "%-*s | %-*s | %s\n", width, "", block, "Text-to-Video", "Video-to-Text");
    metrics_format_header(line, sizeof line, width);
    fprintf(f, "%s\n", line);
    for (int k = 0; k < nrows; k++) {
        metrics_format_row(line, sizeof line, width, names[k], &t2v[k], &v2t[k]);
        fprintf(f, "%s\n", line);
    }
}

cJSON *metrics_direction_json(const RetrievalMetrics *m) {
    cJSON *o = cJSON_CreateObject();
    drlCheck(o != NULL, "cJSON_CreateObject failed (out of memory)");
    drlCheck(cJSON_AddNumberToObject(o, "R@1", m->r1) != NULL, "cJSON out of memory");
    drlCheck(cJSON_AddNumberToObject(o, "R@5", m->r5) != NULL, "cJSON out of memory");
    drlCheck(cJSON_AddNumberToObject(o, "R@10", m->r10) != NULL, "cJSON out of memory");
    drlCheck(cJSON_AddNumberToObject(o, "MdR", m->mdr) != NULL, "cJSON out of memory");
    drlCheck(cJSON_AddNumberToObject(o, "MnR", m->mnr) != NULL, "cJSON out of memory");
    drlCheck(cJSON_AddNumberToObject(o, "entries", (double)m->entries) != NULL,
             "cJSON out of memory");
    drlCheck(cJSON_AddNumberToObject(o, "queries", (double)m->queries) != NULL,
             "cJSON out of memory");
    return o;
}

cJSON *metrics_to_json(const RetrievalMetrics *t2v, const RetrievalMetrics *v2t) {
    cJSON *o = cJSON_CreateObject();
    drlCheck(o != NULL, "cJSON_CreateObject failed (out of memory)");
    drlCheck(cJSON_AddItemToObject(o, "t2v", metrics_direction_json(t2v)), "cJSON out of memory");
    drlCheck(cJSON_AddItemToObject(o, "v2t", metrics_direction_json(v2t)), "cJSON out of memory");
    return o;
}
