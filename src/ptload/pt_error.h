/* Error context of the .pt reader: the first error wins and is prefixed with
 * the file name, so every message says which file and what is wrong. */
#ifndef DRL_PTLOAD_PT_ERROR_H
#define DRL_PTLOAD_PT_ERROR_H

#include <stddef.h>

typedef struct {
    char *buf;        // caller's message buffer
    size_t len;       // its size
    const char *file; // file name used as prefix
    int set;          // 1 once a message has been written
} PtErr;

/* Writes "file: message" (if no earlier error) and returns -1. */
int pt_error(PtErr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies up to `max` bytes of s into out (size outlen) with non-printable bytes
 * shown as '?', for quoting untrusted names in messages. */
void pt_quote(const char *s, size_t slen, char *out, size_t outlen);

#endif
