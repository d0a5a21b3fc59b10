/* A host scratch arena allocated once: bump allocations (64-byte aligned)
 * that live until the next reset, so a step's temporary buffers cost no
 * malloc / free. */
#ifndef DRL_DRL_SCRATCH_H
#define DRL_DRL_SCRATCH_H

#include <stddef.h>

#include "ops/ops.h"

typedef struct {
    char *base; /* (cap) bytes */
    size_t cap, used;
    const char *what; /* named in the error when a request does not fit */
} DrlScratch;

void scratch_init(DrlScratch *s, size_t cap, const char *what);
void scratch_free(DrlScratch *s);
/* An arena over memory the caller allocated and frees (backend memory: only
 * scratch_get, which never touches the bytes, may be used on it). */
void scratch_attach(DrlScratch *s, void *base, size_t cap, const char *what);
static inline void scratch_reset(DrlScratch *s) {
    s->used = 0;
}
/* n bytes (uninitialised / zeroed); dies naming s->what when the arena is full. */
void *scratch_get(DrlScratch *s, size_t n);
void *scratch_zget(DrlScratch *s, size_t n);
/* bytes of backend memory from ops (zero-filled, at least 1 byte), added to
 * *acc: the heads' allocations, counted for the memory plan. */
static inline void *drl_alloc_counted(const DrlOps *ops, size_t bytes, size_t *acc) {
    *acc += bytes;
    return ops->alloc(bytes > 0 ? bytes : 1);
}

/* Bytes an arena needs for requests of these sizes (alignment included). */
static inline size_t scratch_round(size_t n) {
    return (n + 63) & ~(size_t)63;
}

#endif
