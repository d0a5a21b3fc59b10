/* A restricted unpickler: builds values for the opcodes torch emits and the
 * few globals tensors and containers need. It never executes anything; any
 * other global or opcode is an error naming it. Strings point into the pickle
 * buffer, which must outlive the values. Internal to src/ptload/. */
#ifndef DRL_PTLOAD_PT_PICKLE_H
#define DRL_PTLOAD_PT_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ptload/pt_error.h"
#include "ptload/pt_reader.h"

typedef enum {
    PV_NONE,
    PV_BOOL,
    PV_INT,
    PV_FLOAT,
    PV_STR, // also bytes
    PV_TUPLE,
    PV_LIST,
    PV_DICT,    // dict and collections.OrderedDict; items are (key, value) pairs
    PV_GLOBAL,  // an allowed global (see PvGlobal)
    PV_STORAGE, // a persistent-id storage reference
    PV_TENSOR,
    PV_OBJECT // a TorchScript module object: attributes as (key, value) pairs
} PvKind;

typedef enum {
    GL_REBUILD_TENSOR_V2,
    GL_REBUILD_PARAMETER,
    GL_REBUILD_PARAMETER_STATE,
    GL_ORDERED_DICT,
    GL_STORAGE_TYPE,
    GL_TS_CLASS,
    GL_JIT_LIST,
    GL_TYPE_TAG
} PvGlobal;

typedef struct PvTensor PvTensor;
typedef struct PyVal PyVal;

struct PyVal {
    PvKind kind;
    PvGlobal global; // PV_GLOBAL
    PtDtype dtype;   // PV_GLOBAL storage types, PV_STORAGE
    int64_t i;       // PV_BOOL, PV_INT; PV_STORAGE: numel
    double f;        // PV_FLOAT
    const char *s;   // PV_STR text, PV_STORAGE key, PV_GLOBAL/PV_OBJECT class name
    size_t slen;
    PyVal **items; // (n,) tuple/list items; dict/object: keys at even, values at odd
                   // positions (n even)
    size_t n, cap;
    PvTensor *tensor; // PV_TENSOR
};

struct PvTensor {
    PyVal *storage; // PV_STORAGE
    int64_t offset; // in elements
    int ndim;
    int64_t shape[PT_MAX_DIMS];
    int64_t stride[PT_MAX_DIMS]; // in elements, >= 0
    size_t numel;
};

/* Owns every value made by one unpickling. */
typedef struct {
    PyVal **blocks; // (nblocks,) each (PV_BLOCK,) values
    size_t nblocks, used, cap;
    size_t count; // values made
} PvArena;

/* Unpickles `len` bytes; `what` names the stream in messages ("data.pkl").
 * Returns the root value or NULL with e set. */
PyVal *pv_unpickle(const uint8_t *buf, size_t len, const char *what, PvArena *arena, PtErr *e);

void pv_arena_free(PvArena *arena);

#endif
