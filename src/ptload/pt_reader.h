/* Safe reader for PyTorch `.pt` files in the zip format (PyTorch >= 1.6):
 * TorchScript archives (OpenAI's CLIP files) and torch.save state dicts.
 *
 * The pickle stream is read by our own unpickler that knows only tensors and
 * containers; it never executes anything (an unknown global or opcode is an
 * error naming it). Every storage, stride, size and offset is checked against
 * the archive entries. Tensors come out converted to float32, contiguous,
 * row-major, with PyTorch state_dict names ("visual.conv1.weight", ...).
 * Peak memory: the float32 tensors plus one raw storage at a time. */
#ifndef DRL_PTLOAD_PT_READER_H
#define DRL_PTLOAD_PT_READER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PT_DTYPE_F32,
    PT_DTYPE_F16,
    PT_DTYPE_BF16,
    PT_DTYPE_F64,
    PT_DTYPE_I64,
    PT_DTYPE_I32,
    PT_DTYPE_U8,
    PT_DTYPE_BOOL
} PtDtype;

#define PT_MAX_DIMS 8

typedef struct {
    char *name; // dotted state_dict name
    int ndim;   // 0 for a scalar
    int64_t shape[PT_MAX_DIMS];
    float *data; // (numel,) converted to float32, contiguous row-major
    size_t numel;
    PtDtype stored_dtype; // dtype in the file
} PtTensor;

typedef struct {
    PtTensor *tensors; // (count,) in file order
    int count;
    char kind[32];         // "torchscript" or "state_dict"
    char sha256[65];       // of the whole file (or buffer)
    int known_release;     // 1 if sha256 matches a published OpenAI CLIP file
    char release_name[32]; // "ViT-B/32", ... or ""
} PtFile;

/* Loads a file. Returns 0, or -1 with a message in err naming the file and
 * what is wrong (out is then empty and needs no pt_free). */
int pt_load(const char *path, PtFile *out, char *err, size_t errlen);

/* The same from memory; `name` is used in messages. The buffer is not kept. */
int pt_load_memory(const void *buf, size_t len, const char *name, PtFile *out, char *err,
                   size_t errlen);

/* The tensor with this exact name, or NULL. */
const PtTensor *pt_find(const PtFile *f, const char *name);

void pt_free(PtFile *f);

/* "float32", "float16", "bfloat16", "float64", "int64", "int32", "uint8", "bool". */
const char *pt_dtype_name(PtDtype dtype);

/* Bytes per element of a stored dtype. */
size_t pt_dtype_size(PtDtype dtype);

/* The published CLIP file whose SHA-256 is `hex` ("ViT-B/32", ...), or NULL. */
const char *pt_known_release(const char *hex);

#endif
