/* Internal: collects error lines ("FILE:LINE: message") while loading. */
#ifndef DRL_CONFIG_ERRORS_H
#define DRL_CONFIG_ERRORS_H

#include <stddef.h>

typedef struct {
    char *text; /* all lines, '\n'-terminated; NULL while empty */
    size_t len;
    size_t cap;
    int count;
} CfgErrors;

/* Appends "file:line: message\n"; "file: message\n" when line <= 0. */
void cfg_error(CfgErrors *e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Copies the collected text into buf (truncated, NUL-terminated). */
void cfg_errors_copy(const CfgErrors *e, char *buf, size_t len);
void cfg_errors_free(CfgErrors *e);

#endif
