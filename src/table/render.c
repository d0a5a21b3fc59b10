/* Markdown, CSV and HTML output of the table. */
#include "table/render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { NUM_COLS = 2 * TABLE_NMETRIC + 1, CELL = 320 }; /* metric columns + train time */

/* Value of numeric column c (0..10) of a row; false when absent ("-"). */
static bool column_value(const table_result *r, int c, double *v) {
    if (c < TABLE_NMETRIC) {
        *v = r->t2v[c];
        return !isnan(*v); /* NaN: not published (an empty reference cell) */
    }
    if (c < 2 * TABLE_NMETRIC) {
        *v = r->v2t[c - TABLE_NMETRIC];
        return !isnan(*v);
    }
    *v = r->train_hours;
    return r->train_hours > 0.0;
}

static void fmt_value(char *dst, size_t len, bool present, double v) {
    if (present)
        snprintf(dst, len, "%.1f", v);
    else
        snprintf(dst, len, "-");
}

static void fmt_gpus(char *dst, size_t len, const table_result *r) {
    if (r->on_gpu && r->gpus <= 0)
        snprintf(dst, len, "-"); /* not published */
    else if (r->on_gpu)
        snprintf(dst, len, "%d", r->gpus);
    else
        snprintf(dst, len, "CPU");
}

/* Text cells (Markdown/HTML) of one row: config, description, feature, GPUs, 11 numbers. */
static void text_cells(const table_row *row, char cells[4 + NUM_COLS][CELL]) {
    const table_result *o = row->ours, *r = row->ref;
    snprintf(cells[0], CELL, "%s", o->config);
    snprintf(cells[1], CELL, "%s", o->description);
    snprintf(cells[2], CELL, "%s", o->backbone[0] ? o->backbone : "-");
    char ours[32], ref[32];
    fmt_gpus(ours, sizeof ours, o);
    if (r) {
        fmt_gpus(ref, sizeof ref, r);
        snprintf(cells[3], CELL, "%s (%s)", ours, ref);
    } else {
        snprintf(cells[3], CELL, "%s", ours);
    }
    for (int c = 0; c < NUM_COLS; c++) {
        double vo = 0.0, vr = 0.0;
        bool po = column_value(o, c, &vo);
        fmt_value(ours, sizeof ours, po, vo);
        if (!r) {
            snprintf(cells[4 + c], CELL, "%s", ours);
            continue;
        }
        bool pr = column_value(r, c, &vr);
        fmt_value(ref, sizeof ref, pr, vr);
        if (po && pr)
            snprintf(cells[4 + c], CELL, "%s (%s, %+.1f)", ours, ref, vo - vr);
        else
            snprintf(cells[4 + c], CELL, "%s (%s)", ours, ref);
    }
}

static void put_md_text(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '|') fputc('\\', out);
        fputc(*s == '\n' ? ' ' : *s, out);
    }
}

static void put_html_text(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static void put_csv_text(FILE *out, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void render_markdown(FILE *out, const table_row *rows, int n, bool with_reference) {
    fputs("| config | description | feature | GPUs |", out);
    for (int d = 0; d < 2; d++)
        for (int m = 0; m < TABLE_NMETRIC; m++)
            fprintf(out, " %s %s |", d ? "V2T" : "T2V", table_metric_names[m]);
    fputs(" train time (h) |\n|", out);
    for (int c = 0; c < 4 + NUM_COLS; c++)
        fputs(c < 3 ? " --- |" : " ---: |", out);
    fputc('\n', out);
    char cells[4 + NUM_COLS][CELL];
    for (int i = 0; i < n; i++) {
        text_cells(&rows[i], cells);
        fputc('|', out);
        for (int c = 0; c < 4 + NUM_COLS; c++) {
            fputc(' ', out);
            put_md_text(out, cells[c]);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    if (with_reference)
        fputs("\nCells: ours (published, ours - published); the published numbers are the DRL "
              "README's.\n",
              out);
}

static void render_html(FILE *out, const table_row *rows, int n, bool with_reference) {
    fputs("<table>\n<thead>\n  <tr>\n    <th rowspan=\"2\">config</th>\n"
          "    <th rowspan=\"2\">description</th>\n    <th rowspan=\"2\">feature</th>\n"
          "    <th rowspan=\"2\">gpus</th>\n    <th colspan=\"5\">Text-Video</th>\n"
          "    <th colspan=\"5\">Video-Text</th>\n    <th rowspan=\"2\">train time (h)</th>\n"
          "  </tr>\n  <tr>\n",
          out);
    for (int d = 0; d < 2; d++)
        for (int m = 0; m < TABLE_NMETRIC; m++)
            fprintf(out, "    <th>%s</th>\n", table_metric_names[m]);
    fputs("  </tr>\n</thead>\n<tbody>\n", out);
    char cells[4 + NUM_COLS][CELL];
    for (int i = 0; i < n; i++) {
        text_cells(&rows[i], cells);
        fputs("  <tr>\n", out);
        for (int c = 0; c < 4 + NUM_COLS; c++) {
            fputs("    <td>", out);
            put_html_text(out, cells[c]);
            fputs("</td>\n", out);
        }
        fputs("  </tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    if (with_reference) fputs("<p>Cells: ours (published, ours - published).</p>\n", out);
}

static void csv_number(FILE *out, bool present, double v) {
    fputc(',', out);
    if (present) fprintf(out, "%.1f", v);
}

static void render_csv(FILE *out, const table_row *rows, int n, bool with_reference) {
    static const char *const dirs[2] = {"t2v", "v2t"};
    fputs("config,description,feature,gpus", out);
    if (with_reference) fputs(",gpus_ref", out);
    for (int c = 0; c < NUM_COLS; c++) {
        char name[32];
        if (c < 2 * TABLE_NMETRIC)
            snprintf(name, sizeof name, "%s_%s", dirs[c / TABLE_NMETRIC],
                     table_metric_names[c % TABLE_NMETRIC]);
        else
            snprintf(name, sizeof name, "train_hours");
        fprintf(out, ",%s", name);
        if (with_reference) fprintf(out, ",%s_ref,%s_diff", name, name);
    }
    fputc('\n', out);
    for (int i = 0; i < n; i++) {
        const table_result *o = rows[i].ours, *r = rows[i].ref;
        char gpus[32];
        put_csv_text(out, o->config);
        fputc(',', out);
        put_csv_text(out, o->description);
        fputc(',', out);
        put_csv_text(out, o->backbone);
        fmt_gpus(gpus, sizeof gpus, o);
        fprintf(out, ",%s", gpus);
        if (with_reference) {
            fputc(',', out);
            if (r) {
                fmt_gpus(gpus, sizeof gpus, r);
                fputs(gpus, out);
            }
        }
        for (int c = 0; c < NUM_COLS; c++) {
            double vo = 0.0, vr = 0.0;
            bool po = column_value(o, c, &vo);
            csv_number(out, po, vo);
            if (!with_reference) continue;
            bool pr = r && column_value(r, c, &vr);
            csv_number(out, pr, vr);
            csv_number(out, po && pr, vo - vr);
        }
        fputc('\n', out);
    }
}

int table_render(FILE *out, table_format format, const table_row *rows, int n,
                 bool with_reference) {
    switch (format) {
    case TABLE_MARKDOWN:
        render_markdown(out, rows, n, with_reference);
        break;
    case TABLE_CSV:
        render_csv(out, rows, n, with_reference);
        break;
    case TABLE_HTML:
        render_html(out, rows, n, with_reference);
        break;
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
