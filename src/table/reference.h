/* The published numbers (results/reference_msrvtt.csv): one row per table row,
 * columns config, description, feature, gpus, t2v_R@1 ... t2v_MnR,
 * v2t_R@1 ... v2t_MnR, train_hours (empty = "-"). Plain comma-separated
 * values, no quoting. */
#ifndef DRL_TABLE_REFERENCE_H
#define DRL_TABLE_REFERENCE_H

#include "table/result.h"

typedef struct {
    table_result *rows; /* (n,) in file order; path = "reference" */
    int n;
} table_reference;

/* Returns 0, or -1 with "PATH:LINE: what was expected" in err. */
int table_reference_load(const char *path, table_reference *out, char *err, size_t err_len);
void table_reference_free(table_reference *ref);

/* The row of `config`, or NULL. */
const table_result *table_reference_find(const table_reference *ref, const char *config);

#endif
