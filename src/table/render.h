/* The reference's MSR-VTT table layout: config, description, feature, GPUs,
 * text-to-video R@1 R@5 R@10 MdR MnR, video-to-text likewise, train time (h).
 * Numbers have one decimal; a missing train time is "-". With a reference row,
 * a Markdown/HTML cell reads "OURS (REFERENCE, OURS-REFERENCE)", e.g.
 * "46.9 (47.6, -0.7)"; CSV gets three columns X, X_ref, X_diff instead. */
#ifndef DRL_TABLE_RENDER_H
#define DRL_TABLE_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "table/result.h"

typedef enum { TABLE_MARKDOWN, TABLE_CSV, TABLE_HTML } table_format;

/* One row: our result and, when known, the published one (NULL otherwise). */
typedef struct {
    const table_result *ours;
    const table_result *ref;
} table_row;

/* Writes the whole table; `with_reference` adds the reference columns/cells
 * (rows without a reference row leave them empty). Returns 0 or -1 on a write
 * error. */
int table_render(FILE *out, table_format format, const table_row *rows, int n, bool with_reference);

#endif
