/* Restricted unpickler for torch's data.pkl (protocol 2, plus the protocol-4
 * framing opcodes). Iterative, bounded, allocation-checked. */
#include "ptload/pt_pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PV_BLOCK = 1024,         // values per arena block
    PV_MAX_VALUES = 1 << 22, // values per stream
    PV_MAX_MARKS = 4096,     // nested MARKs
    PV_MAX_STACK = 1 << 22   // stack entries
};

typedef struct {
    const uint8_t *p; // (len,) the pickle stream
    size_t len, pos;
    size_t op_pos; // offset of the current opcode
    const char *what;
    PvArena *arena;
    PtErr *e;
    PyVal **stack; // (sp,)
    size_t sp, scap;
    size_t *marks; // (nmarks,) stack heights
    size_t nmarks, mcap;
    PyVal **memo; // (memocap,) NULL where unset
    size_t memocap;
    size_t memo_count; // entries set (Python's len(memo))
    size_t ops;        // opcodes read
} Unpickler;

static int fail(Unpickler *u, const char *msg) {
    return pt_error(u->e, "%s offset %zu: %s", u->what, u->op_pos, msg);
}

static const char *kind_name(PvKind k) {
    static const char *names[] = {"None", "bool", "int",    "float",   "str",    "tuple",
                                  "list", "dict", "global", "storage", "tensor", "object"};
    return names[k];
}

/* ---- arena ------------------------------------------------------------ */

static PyVal *new_val(Unpickler *u, PvKind kind) {
    PvArena *a = u->arena;
    if (a->count >= PV_MAX_VALUES) {
        fail(u, "too many pickle values (limit 4194304)");
        return NULL;
    }
    if (a->nblocks == 0 || a->used == PV_BLOCK) {
        if (a->nblocks == a->cap) {
            size_t cap = a->cap ? 2 * a->cap : 16;
            PyVal **b = realloc(a->blocks, cap * sizeof *b);
            if (!b) {
                fail(u, "out of memory");
                return NULL;
            }
            a->blocks = b;
            a->cap = cap;
        }
        PyVal *blk = calloc(PV_BLOCK, sizeof *blk); // (PV_BLOCK,) values
        if (!blk) {
            fail(u, "out of memory");
            return NULL;
        }
        a->blocks[a->nblocks++] = blk;
        a->used = 0;
    }
    PyVal *v = &a->blocks[a->nblocks - 1][a->used++];
    a->count++;
    v->kind = kind;
    return v;
}

void pv_arena_free(PvArena *a) {
    for (size_t b = 0; b < a->nblocks; b++) {
        size_t n = (b + 1 == a->nblocks) ? a->used : PV_BLOCK;
        for (size_t i = 0; i < n; i++) {
            free(a->blocks[b][i].items);
            free(a->blocks[b][i].tensor);
        }
        free(a->blocks[b]);
    }
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

static int add_item(Unpickler *u, PyVal *c, PyVal *item) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4;
        PyVal **it = realloc(c->items, cap * sizeof *it);
        if (!it) return fail(u, "out of memory");
        c->items = it;
        c->cap = cap;
    }
    c->items[c->n++] = item;
    return 0;
}

/* ---- stack ------------------------------------------------------------ */

static int push(Unpickler *u, PyVal *v) {
    if (!v) return -1;
    if (u->sp == u->scap) {
        if (u->scap >= PV_MAX_STACK) return fail(u, "pickle stack too deep");
        size_t cap = u->scap ? 2 * u->scap : 64;
        PyVal **s = realloc(u->stack, cap * sizeof *s);
        if (!s) return fail(u, "out of memory");
        u->stack = s;
        u->scap = cap;
    }
    u->stack[u->sp++] = v;
    return 0;
}

static size_t floor_sp(const Unpickler *u) {
    return u->nmarks ? u->marks[u->nmarks - 1] : 0;
}

static PyVal *pop(Unpickler *u) {
    if (u->sp <= floor_sp(u)) {
        fail(u, "pickle stack underflow");
        return NULL;
    }
    return u->stack[--u->sp];
}

static PyVal *top(Unpickler *u) {
    if (u->sp <= floor_sp(u)) {
        fail(u, "pickle stack underflow");
        return NULL;
    }
    return u->stack[u->sp - 1];
}

/* Pops to the last MARK; the items are stack[*from .. sp). */
static int pop_mark(Unpickler *u, size_t *from) {
    if (u->nmarks == 0) return fail(u, "pickle MARK expected but none is open");
    *from = u->marks[--u->nmarks];
    return 0;
}

/* ---- reading ---------------------------------------------------------- */

static int need(Unpickler *u, size_t n) {
    if (u->len - u->pos < n) return fail(u, "pickle stream is truncated");
    return 0;
}

static uint64_t read_le(Unpickler *u, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)u->p[u->pos + i] << (8 * i);
    u->pos += n;
    return v;
}

static PyVal *make_str(Unpickler *u, size_t n) {
    if (n > u->len - u->pos) {
        fail(u, "pickle string runs past the end of the stream");
        return NULL;
    }
    PyVal *v = new_val(u, PV_STR);
    if (!v) return NULL;
    v->s = (const char *)u->p + u->pos;
    v->slen = n;
    u->pos += n;
    return v;
}

static PyVal *make_int(Unpickler *u, int64_t x) {
    PyVal *v = new_val(u, PV_INT);
    if (v) v->i = x;
    return v;
}

/* ---- globals ---------------------------------------------------------- */

static int str_is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static PyVal *resolve_global(Unpickler *u, const char *mod, size_t ml, const char *name,
                             size_t nl) {
    static const struct {
        const char *name;
        PtDtype dtype;
    } storages[] = {{"FloatStorage", PT_DTYPE_F32},     {"HalfStorage", PT_DTYPE_F16},
                    {"BFloat16Storage", PT_DTYPE_BF16}, {"DoubleStorage", PT_DTYPE_F64},
                    {"LongStorage", PT_DTYPE_I64},      {"IntStorage", PT_DTYPE_I32},
                    {"ByteStorage", PT_DTYPE_U8},       {"BoolStorage", PT_DTYPE_BOOL}};
    static const char *jit_lists[] = {"build_intlist", "build_tensorlist", "build_doublelist",
                                      "build_boollist", "build_genlist"};
    PyVal *v = new_val(u, PV_GLOBAL);
    if (!v) return NULL;
    v->s = name;
    v->slen = nl;
    if (str_is(mod, ml, "torch._utils") && str_is(name, nl, "_rebuild_tensor_v2")) {
        v->global = GL_REBUILD_TENSOR_V2;
        return v;
    }
    if (str_is(mod, ml, "torch._utils") && str_is(name, nl, "_rebuild_parameter")) {
        v->global = GL_REBUILD_PARAMETER;
        return v;
    }
    if (str_is(mod, ml, "torch._utils") && str_is(name, nl, "_rebuild_parameter_with_state")) {
        v->global = GL_REBUILD_PARAMETER_STATE;
        return v;
    }
    if (str_is(mod, ml, "collections") && str_is(name, nl, "OrderedDict")) {
        v->global = GL_ORDERED_DICT;
        return v;
    }
    if (str_is(mod, ml, "torch")) {
        for (size_t i = 0; i < sizeof storages / sizeof storages[0]; i++)
            if (str_is(name, nl, storages[i].name)) {
                v->global = GL_STORAGE_TYPE;
                v->dtype = storages[i].dtype;
                return v;
            }
    }
    if (str_is(mod, ml, "torch.jit._pickle")) {
        for (size_t i = 0; i < sizeof jit_lists / sizeof jit_lists[0]; i++)
            if (str_is(name, nl, jit_lists[i])) {
                v->global = GL_JIT_LIST;
                return v;
            }
        if (str_is(name, nl, "restore_type_tag")) {
            v->global = GL_TYPE_TAG;
            return v;
        }
    }
    if (str_is(mod, ml, "__torch__") || (ml > 10 && memcmp(mod, "__torch__.", 10) == 0)) {
        v->global = GL_TS_CLASS;
        return v;
    }
    char qm[128], qn[128];
    pt_quote(mod, ml, qm, sizeof qm);
    pt_quote(name, nl, qn, sizeof qn);
    pt_error(u->e,
             "pickle global '%s.%s' is not allowed (%s offset %zu: only tensors and "
             "containers are read, nothing is executed)",
             qm, qn, u->what, u->op_pos);
    return NULL;
}

/* GLOBAL: "module\nname\n". */
static PyVal *op_global(Unpickler *u) {
    const char *line[2];
    size_t ll[2];
    for (int k = 0; k < 2; k++) {
        const uint8_t *start = u->p + u->pos;
        const uint8_t *nl = memchr(start, '\n', u->len - u->pos);
        if (!nl) {
            fail(u, "pickle GLOBAL name is not terminated");
            return NULL;
        }
        line[k] = (const char *)start;
        ll[k] = (size_t)(nl - start);
        u->pos += ll[k] + 1;
    }
    return resolve_global(u, line[0], ll[0], line[1], ll[1]);
}

/* ---- reductions ------------------------------------------------------- */

static int as_int(const PyVal *v, int64_t *out) {
    if (!v || (v->kind != PV_INT && v->kind != PV_BOOL)) return -1;
    *out = v->i;
    return 0;
}

static PyVal *rebuild_tensor(Unpickler *u, PyVal *args) {
    if (args->n < 4) {
        fail(u, "_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
        return NULL;
    }
    PyVal *st = args->items[0], *size = args->items[2], *stride = args->items[3];
    int64_t offset;
    if (st->kind != PV_STORAGE) {
        fail(u, "_rebuild_tensor_v2: first argument is not a storage");
        return NULL;
    }
    if (as_int(args->items[1], &offset) || offset < 0) {
        fail(u, "_rebuild_tensor_v2: storage offset is not a non-negative integer");
        return NULL;
    }
    if (size->kind != PV_TUPLE || stride->kind != PV_TUPLE || size->n != stride->n) {
        fail(u, "_rebuild_tensor_v2: size and stride must be tuples of equal length");
        return NULL;
    }
    if (size->n > PT_MAX_DIMS) {
        fail(u, "_rebuild_tensor_v2: more than 8 dimensions");
        return NULL;
    }
    PvTensor *t = calloc(1, sizeof *t);
    if (!t) {
        fail(u, "out of memory");
        return NULL;
    }
    PyVal *v = new_val(u, PV_TENSOR);
    if (!v) {
        free(t);
        return NULL;
    }
    v->tensor = t;
    t->storage = st;
    t->offset = offset;
    t->ndim = (int)size->n;
    // numel and the last element reached must fit in the storage
    uint64_t numel = 1, last = (uint64_t)offset;
    const uint64_t cap = (uint64_t)1 << 62;
    for (int d = 0; d < t->ndim; d++) {
        int64_t n, s;
        if (as_int(size->items[d], &n) || as_int(stride->items[d], &s) || n < 0 || s < 0) {
            fail(u, "_rebuild_tensor_v2: sizes and strides must be non-negative integers");
            return NULL;
        }
        t->shape[d] = n;
        t->stride[d] = s;
        if (n == 0)
            numel = 0;
        else if (numel && (uint64_t)n > cap / numel) {
            fail(u, "_rebuild_tensor_v2: tensor size overflows");
            return NULL;
        } else
            numel *= (uint64_t)n;
    }
    if (numel > 0) {
        for (int d = 0; d < t->ndim; d++) {
            uint64_t n1 = (uint64_t)t->shape[d] - 1, s = (uint64_t)t->stride[d];
            if (s && n1 > (cap - last) / s) {
                fail(u, "_rebuild_tensor_v2: stride times size overflows");
                return NULL;
            }
            last += n1 * s;
        }
        if (last >= (uint64_t)st->i) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "tensor reaches element %llu of a storage holding %lld elements",
                     (unsigned long long)last, (long long)st->i);
            fail(u, msg);
            return NULL;
        }
    }
    t->numel = (size_t)numel;
    return v;
}

static PyVal *reduce(Unpickler *u, PyVal *fn, PyVal *args) {
    if (fn->kind != PV_GLOBAL) {
        char msg[96];
        snprintf(msg, sizeof msg, "REDUCE on a %s, not a global", kind_name(fn->kind));
        fail(u, msg);
        return NULL;
    }
    if (args->kind != PV_TUPLE) {
        fail(u, "REDUCE arguments are not a tuple");
        return NULL;
    }
    switch (fn->global) {
    case GL_REBUILD_TENSOR_V2:
        return rebuild_tensor(u, args);
    case GL_REBUILD_PARAMETER:
    case GL_REBUILD_PARAMETER_STATE:
        if (args->n < 1 || args->items[0]->kind != PV_TENSOR) {
            fail(u, "_rebuild_parameter: first argument is not a tensor");
            return NULL;
        }
        return args->items[0];
    case GL_ORDERED_DICT:
        if (args->n != 0) {
            fail(u, "OrderedDict() with arguments is not supported");
            return NULL;
        }
        return new_val(u, PV_DICT);
    case GL_JIT_LIST:
        if (args->n != 1 || args->items[0]->kind != PV_LIST) {
            fail(u, "torch.jit._pickle list builder needs one list");
            return NULL;
        }
        return args->items[0];
    case GL_TYPE_TAG:
        if (args->n < 1) {
            fail(u, "restore_type_tag needs a value");
            return NULL;
        }
        return args->items[0];
    default: {
        char q[128], msg[200];
        pt_quote(fn->s, fn->slen, q, sizeof q);
        snprintf(msg, sizeof msg, "global '%s' cannot be called", q);
        fail(u, msg);
        return NULL;
    }
    }
}

/* ('storage', torch.XStorage, key, location, numel) */
static PyVal *persistent_load(Unpickler *u, PyVal *pid) {
    if (pid->kind != PV_TUPLE || pid->n != 5 || pid->items[0]->kind != PV_STR ||
        !str_is(pid->items[0]->s, pid->items[0]->slen, "storage")) {
        fail(u, "persistent id is not ('storage', type, key, location, numel)");
        return NULL;
    }
    PyVal *type = pid->items[1], *key = pid->items[2];
    int64_t numel;
    if (type->kind != PV_GLOBAL || type->global != GL_STORAGE_TYPE) {
        fail(u, "persistent id: storage type is not a torch.*Storage");
        return NULL;
    }
    if (key->kind != PV_STR || key->slen == 0 || key->slen > 64) {
        fail(u, "persistent id: storage key is not a short string");
        return NULL;
    }
    for (size_t i = 0; i < key->slen; i++) {
        char c = key->s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_')) {
            fail(u, "persistent id: storage key has characters other than [A-Za-z0-9_]");
            return NULL;
        }
    }
    if (as_int(pid->items[4], &numel) || numel < 0 || numel > ((int64_t)1 << 60)) {
        fail(u, "persistent id: storage size is not a plausible non-negative integer");
        return NULL;
    }
    PyVal *v = new_val(u, PV_STORAGE);
    if (!v) return NULL;
    v->dtype = type->dtype;
    v->s = key->s;
    v->slen = key->slen;
    v->i = numel;
    return v;
}

static int build(Unpickler *u) {
    PyVal *state = pop(u);
    PyVal *obj = state ? top(u) : NULL;
    if (!obj) return -1;
    if (obj->kind == PV_OBJECT) {
        if (state->kind != PV_DICT) return fail(u, "BUILD of a TorchScript object needs a dict");
        for (size_t i = 0; i < state->n; i++)
            if (add_item(u, obj, state->items[i])) return -1;
        return 0;
    }
    if (obj->kind == PV_DICT || obj->kind == PV_TENSOR) return 0; // metadata, hooks: ignored
    char msg[96];
    snprintf(msg, sizeof msg, "BUILD on a %s is not supported", kind_name(obj->kind));
    return fail(u, msg);
}

/* ---- the opcode loop -------------------------------------------------- */

/* Items stack[from..sp) into a new container of `kind`, popping them. */
static PyVal *collect(Unpickler *u, PvKind kind, size_t from) {
    PyVal *c = new_val(u, kind);
    if (!c) return NULL;
    if (kind == PV_DICT && (u->sp - from) % 2) {
        fail(u, "DICT with an odd number of items");
        return NULL;
    }
    for (size_t i = from; i < u->sp; i++)
        if (add_item(u, c, u->stack[i])) return NULL;
    u->sp = from;
    return c;
}

static int memo_put(Unpickler *u, uint64_t idx) {
    PyVal *v = top(u);
    if (!v) return -1;
    if (idx > u->ops) // indices are handed out in order, at most one per opcode
        return fail(u, "memo index larger than the number of opcodes so far");
    if (idx >= u->memocap) {
        size_t cap = u->memocap ? u->memocap : 64;
        while (cap <= idx)
            cap *= 2;
        PyVal **m = realloc(u->memo, cap * sizeof *m);
        if (!m) return fail(u, "out of memory");
        memset(m + u->memocap, 0, (cap - u->memocap) * sizeof *m);
        u->memo = m;
        u->memocap = cap;
    }
    if (!u->memo[idx]) u->memo_count++;
    u->memo[idx] = v;
    return 0;
}

static int memo_get(Unpickler *u, uint64_t idx) {
    if (idx >= u->memocap || !u->memo[idx]) {
        char msg[80];
        snprintf(msg, sizeof msg, "memo entry %llu is not set", (unsigned long long)idx);
        return fail(u, msg);
    }
    return push(u, u->memo[idx]);
}

/* The container just below stack[from], which must be above the mark floor. */
static PyVal *container_below(Unpickler *u, size_t from) {
    if (from == 0 || from - 1 < floor_sp(u)) {
        fail(u, "pickle stack underflow");
        return NULL;
    }
    return u->stack[from - 1];
}

static int set_items(Unpickler *u, size_t from) {
    if ((u->sp - from) % 2) return fail(u, "SETITEMS with an odd number of items");
    PyVal *d = container_below(u, from);
    if (!d) return -1;
    if (d->kind != PV_DICT) return fail(u, "SETITEM(S) on something that is not a dict");
    for (size_t i = from; i < u->sp; i++)
        if (add_item(u, d, u->stack[i])) return -1;
    u->sp = from;
    return 0;
}

static int append_items(Unpickler *u, size_t from) {
    PyVal *l = container_below(u, from);
    if (!l) return -1;
    if (l->kind != PV_LIST) return fail(u, "APPEND(S) on something that is not a list");
    for (size_t i = from; i < u->sp; i++)
        if (add_item(u, l, u->stack[i])) return -1;
    u->sp = from;
    return 0;
}

/* One opcode; returns 1 at STOP, 0 to continue, -1 on error. */
static int step(Unpickler *u, PyVal **result) {
    if (u->pos >= u->len) return fail(u, "pickle stream ends without STOP (truncated?)");
    u->op_pos = u->pos;
    uint8_t op = u->p[u->pos++];
    u->ops++;
    size_t from = 0;
    PyVal *a, *b, *c;
    switch (op) {
    case 0x80: // PROTO
        if (need(u, 1)) return -1;
        if (u->p[u->pos] > 5) return fail(u, "unsupported pickle protocol");
        u->pos++;
        return 0;
    case 0x95: // FRAME
        if (need(u, 8)) return -1;
        u->pos += 8;
        return 0;
    case '.': // STOP
        *result = pop(u);
        if (!*result) return -1;
        if (u->sp != 0 || u->nmarks != 0) return fail(u, "STOP with items left on the stack");
        return 1;
    case 'c':
        return push(u, op_global(u));
    case 0x93: // STACK_GLOBAL
        b = pop(u);
        a = b ? pop(u) : NULL;
        if (!a) return -1;
        if (a->kind != PV_STR || b->kind != PV_STR)
            return fail(u, "STACK_GLOBAL needs two strings");
        return push(u, resolve_global(u, a->s, a->slen, b->s, b->slen));
    case 'q': // BINPUT
        if (need(u, 1)) return -1;
        return memo_put(u, read_le(u, 1));
    case 'r': // LONG_BINPUT
        if (need(u, 4)) return -1;
        return memo_put(u, read_le(u, 4));
    case 0x94: // MEMOIZE
        return memo_put(u, u->memo_count);
    case 'h': // BINGET
        if (need(u, 1)) return -1;
        return memo_get(u, read_le(u, 1));
    case 'j': // LONG_BINGET
        if (need(u, 4)) return -1;
        return memo_get(u, read_le(u, 4));
    case '}':
        return push(u, new_val(u, PV_DICT));
    case ']':
        return push(u, new_val(u, PV_LIST));
    case ')':
        return push(u, new_val(u, PV_TUPLE));
    case '(': // MARK
        if (u->nmarks == PV_MAX_MARKS) return fail(u, "pickle MARKs nested too deeply");
        if (u->nmarks == u->mcap) {
            size_t cap = u->mcap ? 2 * u->mcap : 32;
            size_t *m = realloc(u->marks, cap * sizeof *m);
            if (!m) return fail(u, "out of memory");
            u->marks = m;
            u->mcap = cap;
        }
        u->marks[u->nmarks++] = u->sp;
        return 0;
    case 'd':
        return pop_mark(u, &from) ? -1 : push(u, collect(u, PV_DICT, from));
    case 'l':
        return pop_mark(u, &from) ? -1 : push(u, collect(u, PV_LIST, from));
    case 't':
        return pop_mark(u, &from) ? -1 : push(u, collect(u, PV_TUPLE, from));
    case 0x85:   // TUPLE1
    case 0x86:   // TUPLE2
    case 0x87: { // TUPLE3
        size_t n = (size_t)(op - 0x84);
        if (u->sp - floor_sp(u) < n) return fail(u, "pickle stack underflow");
        return push(u, collect(u, PV_TUPLE, u->sp - n));
    }
    case '0':
        return pop(u) ? 0 : -1; // POP
    case '1':                   // POP_MARK
        if (pop_mark(u, &from)) return -1;
        u->sp = from;
        return 0;
    case '2': // DUP
        a = top(u);
        return a ? push(u, a) : -1;
    case 's': // SETITEM
        if (u->sp - floor_sp(u) < 2) return fail(u, "pickle stack underflow");
        return set_items(u, u->sp - 2);
    case 'u':
        return pop_mark(u, &from) ? -1 : set_items(u, from);
    case 'a': // APPEND
        if (u->sp - floor_sp(u) < 1) return fail(u, "pickle stack underflow");
        return append_items(u, u->sp - 1);
    case 'e':
        return pop_mark(u, &from) ? -1 : append_items(u, from);
    case 'J': // BININT
        if (need(u, 4)) return -1;
        return push(u, make_int(u, (int32_t)(uint32_t)read_le(u, 4)));
    case 'K': // BININT1
        if (need(u, 1)) return -1;
        return push(u, make_int(u, (int64_t)read_le(u, 1)));
    case 'M': // BININT2
        if (need(u, 2)) return -1;
        return push(u, make_int(u, (int64_t)read_le(u, 2)));
    case 0x8a: { // LONG1
        if (need(u, 1)) return -1;
        size_t n = (size_t)read_le(u, 1);
        if (n > 8) return fail(u, "integer wider than 64 bits");
        if (need(u, n)) return -1;
        uint64_t x = read_le(u, n);
        if (n > 0 && n < 8 && (x >> (8 * n - 1)) & 1) x |= ~(uint64_t)0 << (8 * n); // sign
        return push(u, make_int(u, (int64_t)x));
    }
    case 'G': { // BINFLOAT, big-endian
        if (need(u, 8)) return -1;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits = bits << 8 | u->p[u->pos++];
        a = new_val(u, PV_FLOAT);
        if (a) memcpy(&a->f, &bits, sizeof a->f);
        return push(u, a);
    }
    case 0x88: // NEWTRUE
    case 0x89: // NEWFALSE
        a = new_val(u, PV_BOOL);
        if (a) a->i = op == 0x88;
        return push(u, a);
    case 'N':
        return push(u, new_val(u, PV_NONE));
    case 0x8c: // SHORT_BINUNICODE
    case 'C':  // SHORT_BINBYTES
        if (need(u, 1)) return -1;
        return push(u, make_str(u, (size_t)read_le(u, 1)));
    case 'X': // BINUNICODE
    case 'B': // BINBYTES
        if (need(u, 4)) return -1;
        return push(u, make_str(u, (size_t)read_le(u, 4)));
    case 0x8d: // BINUNICODE8
    case 0x8e: // BINBYTES8
        if (need(u, 8)) return -1;
        return push(u, make_str(u, (size_t)read_le(u, 8)));
    case 'Q': // BINPERSID
        a = pop(u);
        return a ? push(u, persistent_load(u, a)) : -1;
    case 'R': // REDUCE
        b = pop(u);
        a = b ? pop(u) : NULL;
        return a ? push(u, reduce(u, a, b)) : -1;
    case 0x81: // NEWOBJ
        b = pop(u);
        a = b ? pop(u) : NULL;
        if (!a) return -1;
        if (a->kind != PV_GLOBAL || a->global != GL_TS_CLASS || b->kind != PV_TUPLE)
            return fail(u, "NEWOBJ is only supported for TorchScript (__torch__) classes");
        c = new_val(u, PV_OBJECT);
        if (c) {
            c->s = a->s;
            c->slen = a->slen;
        }
        return push(u, c);
    case 'b':
        return build(u);
    default: {
        char msg[80];
        snprintf(msg, sizeof msg, "unsupported pickle opcode 0x%02x", op);
        return fail(u, msg);
    }
    }
}

PyVal *pv_unpickle(const uint8_t *buf, size_t len, const char *what, PvArena *arena, PtErr *e) {
    Unpickler u = {.p = buf, .len = len, .what = what, .arena = arena, .e = e};
    PyVal *result = NULL;
    int rc;
    while ((rc = step(&u, &result)) == 0) {
    }
    free(u.stack);
    free(u.marks);
    free(u.memo);
    return rc == 1 ? result : NULL;
}
