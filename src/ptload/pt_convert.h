/* Stored dtypes to float32, with strided gathers. Internal to src/ptload/. */
#ifndef DRL_PTLOAD_PT_CONVERT_H
#define DRL_PTLOAD_PT_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "ptload/pt_reader.h"

/* Exact IEEE half -> single (subnormals, infinities, NaN payloads kept). */
float pt_half_to_float(uint16_t h);

/* Exact bfloat16 -> single. */
float pt_bf16_to_float(uint16_t b);

/* out[i] = element at `offset + sum(idx_d * stride[d])` of the raw little-endian
 * storage, for every index of `shape` in row-major order. The caller has
 * checked that every element lies inside raw. */
void pt_gather(const uint8_t *raw, PtDtype dtype, int64_t offset, int ndim, const int64_t *shape,
               const int64_t *stride, float *out);

#endif
