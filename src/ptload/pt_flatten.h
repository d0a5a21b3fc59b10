/* Unpickled module tree / state dict -> (dotted name, tensor) list in file
 * order, like PyTorch's state_dict(). Internal to src/ptload/. */
#ifndef DRL_PTLOAD_PT_FLATTEN_H
#define DRL_PTLOAD_PT_FLATTEN_H

#include "ptload/pt_pickle.h"

typedef struct {
    char *name;  // owned
    PvTensor *t; // owned by the arena
} PtEntry;

typedef struct {
    PtEntry *items; // (n,)
    size_t n, cap;
} PtEntries;

/* Flattens root (a TorchScript object, or a dict of tensors, possibly under a
 * "state_dict"/"model" key). Sets kind to "torchscript" or "state_dict".
 * Duplicate names are an error. */
int pt_flatten(const PyVal *root, PtEntries *out, const char **kind, PtErr *e);

void pt_entries_free(PtEntries *es);

#endif
