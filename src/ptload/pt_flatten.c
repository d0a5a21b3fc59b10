/* Dotted names for every tensor reachable from the root, depth- and
 * visit-bounded so a cyclic or exponentially shared pickle cannot hang us. */
#include "ptload/pt_flatten.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FL_MAX_DEPTH = 64, FL_MAX_VISITS = 1 << 20, FL_MAX_NAME = 1024, FL_MAX_TENSORS = 1 << 18 };

typedef struct {
    PtEntries *out;
    PtErr *e;
    size_t visits;
    char name[FL_MAX_NAME]; // current dotted prefix
} Flattener;

static int add_entry(Flattener *f, PvTensor *t) {
    PtEntries *o = f->out;
    if (o->n == FL_MAX_TENSORS) return pt_error(f->e, "more than %d tensors", FL_MAX_TENSORS);
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        PtEntry *it = realloc(o->items, cap * sizeof *it);
        if (!it) return pt_error(f->e, "out of memory");
        o->items = it;
        o->cap = cap;
    }
    char *name = strdup(f->name[0] ? f->name : "tensor");
    if (!name) return pt_error(f->e, "out of memory");
    o->items[o->n++] = (PtEntry){name, t};
    return 0;
}

/* Appends ".key" (or "key" at the root) to the name; returns the old length. */
static int push_key(Flattener *f, const PyVal *key, size_t *old) {
    char buf[64];
    const char *s;
    size_t n;
    if (key->kind == PV_STR) {
        s = key->s;
        n = key->slen;
        if (memchr(s, '\0', n)) return pt_error(f->e, "a dict key contains a NUL byte");
    } else if (key->kind == PV_INT) {
        n = (size_t)snprintf(buf, sizeof buf, "%" PRId64, key->i);
        s = buf;
    } else
        return pt_error(f->e, "dict key is not a string or an integer");
    *old = strlen(f->name);
    size_t dot = *old ? 1 : 0;
    if (*old + dot + n >= FL_MAX_NAME)
        return pt_error(f->e, "tensor name longer than %d characters", FL_MAX_NAME - 1);
    if (dot) f->name[*old] = '.';
    memcpy(f->name + *old + dot, s, n);
    f->name[*old + dot + n] = '\0';
    return 0;
}

static int walk(Flattener *f, const PyVal *v, int depth) {
    if (++f->visits > FL_MAX_VISITS)
        return pt_error(f->e, "pickle object graph too large (over %d visits)", FL_MAX_VISITS);
    if (depth > FL_MAX_DEPTH)
        return pt_error(f->e, "containers nested deeper than %d (a cycle?) at '%s'", FL_MAX_DEPTH,
                        f->name);
    switch (v->kind) {
    case PV_TENSOR:
        return add_entry(f, v->tensor);
    case PV_DICT:
    case PV_OBJECT:
        for (size_t i = 0; i + 1 < v->n; i += 2) {
            size_t old;
            if (push_key(f, v->items[i], &old)) return -1;
            int rc = walk(f, v->items[i + 1], depth + 1);
            f->name[old] = '\0';
            if (rc) return -1;
        }
        return 0;
    case PV_LIST:
    case PV_TUPLE:
        for (size_t i = 0; i < v->n; i++) {
            PyVal idx = {.kind = PV_INT, .i = (int64_t)i};
            size_t old;
            if (push_key(f, &idx, &old)) return -1;
            int rc = walk(f, v->items[i], depth + 1);
            f->name[old] = '\0';
            if (rc) return -1;
        }
        return 0;
    default:
        return 0; // numbers, strings, None, ...: not tensors
    }
}

/* A dict holding its tensors under "state_dict" or "model": that sub-dict. */
static const PyVal *unwrap(const PyVal *root) {
    static const char *keys[] = {"state_dict", "model", "model_state_dict"};
    if (root->kind != PV_DICT) return root;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        for (size_t i = 0; i + 1 < root->n; i += 2) {
            const PyVal *key = root->items[i], *val = root->items[i + 1];
            if (key->kind == PV_STR && key->slen == strlen(keys[k]) &&
                memcmp(key->s, keys[k], key->slen) == 0 &&
                (val->kind == PV_DICT || val->kind == PV_OBJECT))
                return val;
        }
    return root;
}

static int cmp_entry_name(const void *a, const void *b) {
    const PtEntry *x = *(const PtEntry *const *)a, *y = *(const PtEntry *const *)b;
    return strcmp(x->name, y->name);
}

int pt_flatten(const PyVal *root, PtEntries *out, const char **kind, PtErr *e) {
    memset(out, 0, sizeof *out);
    if (root->kind == PV_OBJECT)
        *kind = "torchscript";
    else if (root->kind == PV_DICT)
        *kind = "state_dict";
    else
        return pt_error(e, "data.pkl holds neither a TorchScript module nor a dict of tensors");
    Flattener *f = calloc(1, sizeof *f);
    if (!f) return pt_error(e, "out of memory");
    f->out = out;
    f->e = e;
    int rc = walk(f, unwrap(root), 0);
    free(f);
    if (rc == 0 && out->n > 1) {                          // duplicate names
        PtEntry **order = malloc(out->n * sizeof *order); // (n,) sorted by name
        if (!order) rc = pt_error(e, "out of memory");
        for (size_t i = 0; order && i < out->n; i++)
            order[i] = &out->items[i];
        if (order) qsort(order, out->n, sizeof *order, cmp_entry_name);
        for (size_t i = 1; order && i < out->n && rc == 0; i++)
            if (strcmp(order[i - 1]->name, order[i]->name) == 0)
                rc = pt_error(e, "tensor name '%s' appears twice", order[i]->name);
        free(order);
    }
    if (rc) pt_entries_free(out);
    return rc;
}

void pt_entries_free(PtEntries *es) {
    for (size_t i = 0; i < es->n; i++)
        free(es->items[i].name);
    free(es->items);
    memset(es, 0, sizeof *es);
}
