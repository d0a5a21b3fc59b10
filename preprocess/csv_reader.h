/* A small RFC 4180 CSV reader: comma-separated fields, records ended by LF or
 * CRLF, double-quoted fields that may hold commas, quotes ("") and line
 * breaks, a UTF-8 byte-order mark skipped, the first record is the header. */
#ifndef DRL_PREPROCESS_CSV_READER_H
#define DRL_PREPROCESS_CSV_READER_H

#include <stddef.h>

typedef struct {
    int n_cols;
    char **header; // (n_cols)
    int n_rows;
    char ***rows;  // (n_rows, n_cols)
    int *row_line; // (n_rows) 1-based line where each record starts
} CsvTable;

/* NULL with "PATH:LINE: message" in err on failure (unreadable file, an
 * unterminated quote, a record with another number of fields than the header). */
CsvTable *csv_read(const char *path, char *err, size_t errlen);
/* Parses text already in memory (path only names it in messages). */
CsvTable *csv_parse(const char *text, size_t len, const char *path, char *err, size_t errlen);
void csv_free(CsvTable *t);
/* Column index of name in the header, -1 if absent. */
int csv_column(const CsvTable *t, const char *name);

#endif
