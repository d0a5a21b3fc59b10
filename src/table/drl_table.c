/* drl_table: the ablation table from runs' result.json files.
 *   drl_table [--csv | --html | --markdown] [--reference CSV] [--metrics plain|dsl|qbnorm]
 *             RESULT.json...
 * Bad files are named on stderr and skipped; exit 0 when at least one file was
 * good, 1 when none was, 2 on a usage error or an unreadable reference. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "table/reference.h"
#include "table/render.h"
#include "table/result.h"

/* Row order without --reference: the rows of the DRL README's MSR-VTT table. */
static const char *const default_order[] = {
    "clip4clip",         "zero_shot",         "dp_none",      "dp_seqtransf",
    "xti_none",          "xti_seqtransf",     "ti_seqtransf", "wti_seqtransf",
    "dp_seqtransf_cdcr", "ti_seqtransf_cdcr", "wti_cdcr"};

static void usage(FILE *out) {
    fputs("usage: drl_table [--markdown | --csv | --html] [--reference CSV]\n"
          "                 [--metrics plain|dsl|qbnorm] RESULT.json...\n"
          "\n"
          "Prints the MSR-VTT table of the DRL README (config, feature, GPUs, text-to-video\n"
          "and video-to-text R@1 R@5 R@10 MdR MnR, train time) from the result.json files of\n"
          "runs, e.g. `drl_table runs/*/result.json`. Rows follow the reference table's order\n"
          "(the reference CSV's order with --reference), other configs after, by name.\n"
          "\n"
          "  --markdown        Markdown (default)\n"
          "  --csv             comma-separated values\n"
          "  --html            an HTML table laid out like the README's\n"
          "  --reference CSV   add the published numbers beside ours with the difference\n"
          "                    (results/reference_msrvtt.csv)\n"
          "  --metrics KIND    plain (default), dsl (dual-softmax re-ranked) or qbnorm\n"
          "\n"
          "A malformed or partial file is named on stderr and skipped. Exit status 0 when\n"
          "at least one file was read, 1 when none was, 2 on a usage error.\n",
          out);
}

typedef struct {
    table_format format;
    const char *reference;
    const char *metrics_key;
    int first_file;
} table_args;

static int parse_args(int argc, char **argv, table_args *a) {
    a->format = TABLE_MARKDOWN;
    a->reference = NULL;
    a->metrics_key = "metrics";
    a->first_file = argc;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--") == 0) {
            a->first_file = i + 1;
            return 0;
        }
        if (s[0] != '-' || s[1] == '\0') {
            a->first_file = i;
            return 0;
        }
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(s, "--markdown") == 0) {
            a->format = TABLE_MARKDOWN;
        } else if (strcmp(s, "--csv") == 0) {
            a->format = TABLE_CSV;
        } else if (strcmp(s, "--html") == 0) {
            a->format = TABLE_HTML;
        } else if (strcmp(s, "--reference") == 0 || strcmp(s, "--metrics") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "drl_table: %s needs a value\n", s);
                return -1;
            }
            const char *v = argv[++i];
            if (s[2] == 'r') {
                a->reference = v;
            } else if (strcmp(v, "plain") == 0) {
                a->metrics_key = "metrics";
            } else if (strcmp(v, "dsl") == 0) {
                a->metrics_key = "metrics_dsl";
            } else if (strcmp(v, "qbnorm") == 0) {
                a->metrics_key = "metrics_qbnorm";
            } else {
                fprintf(stderr, "drl_table: --metrics: expected plain, dsl or qbnorm, found '%s'\n",
                        v);
                return -1;
            }
        } else {
            fprintf(stderr, "drl_table: unknown option '%s'\n", s);
            return -1;
        }
    }
    return 0;
}

/* Position of `config` in the order (reference rows or the default list);
 * unknown configs get `n` so they sort after. */
static int order_of(const char *config, const table_reference *ref) {
    if (ref) {
        for (int i = 0; i < ref->n; i++)
            if (strcmp(ref->rows[i].config, config) == 0) return i;
        return ref->n;
    }
    int n = (int)(sizeof default_order / sizeof default_order[0]);
    for (int i = 0; i < n; i++)
        if (strcmp(default_order[i], config) == 0) return i;
    return n;
}

typedef struct {
    table_result r;
    int order; /* row position */
    int input; /* argument position, keeps the sort stable */
} loaded;

static int compare_loaded(const void *pa, const void *pb) {
    const loaded *a = pa, *b = pb;
    if (a->order != b->order) return a->order < b->order ? -1 : 1;
    int by_name = strcmp(a->r.config, b->r.config);
    if (by_name) return by_name;
    return a->input < b->input ? -1 : a->input > b->input;
}

int main(int argc, char **argv) {
    table_args args;
    if (parse_args(argc, argv, &args)) {
        usage(stderr);
        return 2;
    }
    int n_files = argc - args.first_file;
    if (n_files <= 0) {
        fputs("drl_table: no result files given\n", stderr);
        usage(stderr);
        return 2;
    }
    char err[1536];
    table_reference ref = {0};
    if (args.reference && table_reference_load(args.reference, &ref, err, sizeof err)) {
        fprintf(stderr, "drl_table: %s\n", err);
        return 2;
    }
    loaded *all = callocCheck((size_t)n_files, sizeof *all); // (n_files,)
    int good = 0;
    for (int i = 0; i < n_files; i++) {
        const char *path = argv[args.first_file + i];
        if (table_result_load(path, args.metrics_key, &all[good].r, err, sizeof err)) {
            fprintf(stderr, "drl_table: skipped %s\n", err);
            continue;
        }
        all[good].order = order_of(all[good].r.config, args.reference ? &ref : NULL);
        all[good].input = i;
        good++;
    }
    int status = 1;
    if (good > 0) {
        qsort(all, (size_t)good, sizeof *all, compare_loaded);
        table_row *rows = callocCheck((size_t)good, sizeof *rows); // (good,)
        for (int i = 0; i < good; i++) {
            rows[i].ours = &all[i].r;
            rows[i].ref = args.reference ? table_reference_find(&ref, all[i].r.config) : NULL;
        }
        status = table_render(stdout, args.format, rows, good, args.reference != NULL) ? 2 : 0;
        if (status) fputs("drl_table: error writing the table\n", stderr);
        free(rows);
    } else {
        fprintf(stderr, "drl_table: none of the %d result files could be read\n", n_files);
    }
    if (good < n_files)
        fprintf(stderr, "drl_table: %d of %d result files skipped\n", n_files - good, n_files);
    free(all);
    table_reference_free(&ref);
    return status;
}
