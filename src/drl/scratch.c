/* Host scratch arena (drl/scratch.h). */
#include "drl/scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

void scratch_init(DrlScratch *s, size_t cap, const char *what) {
    s->cap = scratch_round(cap);
    s->base = s->cap ? mallocCheck(s->cap) : NULL;
    s->used = 0;
    s->what = what;
}

void scratch_attach(DrlScratch *s, void *base, size_t cap, const char *what) {
    s->base = base;
    s->cap = cap;
    s->used = 0;
    s->what = what;
}

void scratch_free(DrlScratch *s) {
    free(s->base);
    memset(s, 0, sizeof *s);
}

void *scratch_get(DrlScratch *s, size_t n) {
    const size_t r = scratch_round(n); /* 0 bytes: a pointer never dereferenced */
    if (s->used + r > s->cap) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: scratch of %zu bytes too small (needs %zu more)",
                 s->what ? s->what : "scratch", s->cap, s->used + r - s->cap);
        drl_fail(__FILE__, __LINE__, "scratch_get", msg, "an internal sizing error: report it");
    }
    void *p = s->base + s->used;
    s->used += r;
    return p;
}

void *scratch_zget(DrlScratch *s, size_t n) {
    void *p = scratch_get(s, n);
    memset(p, 0, n);
    return p;
}
