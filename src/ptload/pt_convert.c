/* Stored dtypes to float32: exact for f16/bf16/bool/u8, rounded for f64/i64/i32. */
#include "ptload/pt_convert.h"

#include <string.h>

float pt_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0 && man == 0)
        bits = sign;
    else if (exp == 0) { // subnormal: man * 2^-24, exact in float32
        float f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, sizeof bits);
        bits |= sign;
    } else if (exp == 31)
        bits = sign | 0x7f800000u | (man << 13);
    else
        bits = sign | ((exp + 112) << 23) | (man << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float pt_bf16_to_float(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* n elements starting at element `start`, `step` elements apart. */
static void convert_run(const uint8_t *raw, PtDtype dtype, int64_t start, int64_t step, int64_t n,
                        float *out) {
    for (int64_t i = 0; i < n; i++) {
        size_t e = (size_t)(start + i * step);
        switch (dtype) {
        case PT_DTYPE_F32:
            memcpy(&out[i], raw + 4 * e, 4);
            break;
        case PT_DTYPE_F16: {
            uint16_t h;
            memcpy(&h, raw + 2 * e, 2);
            out[i] = pt_half_to_float(h);
            break;
        }
        case PT_DTYPE_BF16: {
            uint16_t h;
            memcpy(&h, raw + 2 * e, 2);
            out[i] = pt_bf16_to_float(h);
            break;
        }
        case PT_DTYPE_F64: {
            double d;
            memcpy(&d, raw + 8 * e, 8);
            out[i] = (float)d;
            break;
        }
        case PT_DTYPE_I64: {
            int64_t v;
            memcpy(&v, raw + 8 * e, 8);
            out[i] = (float)v;
            break;
        }
        case PT_DTYPE_I32: {
            int32_t v;
            memcpy(&v, raw + 4 * e, 4);
            out[i] = (float)v;
            break;
        }
        case PT_DTYPE_U8:
            out[i] = (float)raw[e];
            break;
        case PT_DTYPE_BOOL:
            out[i] = raw[e] ? 1.0f : 0.0f;
            break;
        }
    }
}

void pt_gather(const uint8_t *raw, PtDtype dtype, int64_t offset, int ndim, const int64_t *shape,
               const int64_t *stride, float *out) {
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= shape[d];
    if (numel == 0) return;
    if (ndim == 0) {
        convert_run(raw, dtype, offset, 1, 1, out);
        return;
    }
    // contiguous row-major: one run
    int contiguous = 1;
    int64_t expect = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        if (shape[d] != 1 && stride[d] != expect) contiguous = 0;
        expect *= shape[d];
    }
    if (contiguous) {
        convert_run(raw, dtype, offset, 1, numel, out);
        return;
    }
    // general: runs along the last dimension, odometer over the others
    int64_t idx[PT_MAX_DIMS] = {0};
    int64_t inner = shape[ndim - 1];
    for (int64_t done = 0; done < numel; done += inner) {
        int64_t start = offset;
        for (int d = 0; d < ndim - 1; d++)
            start += idx[d] * stride[d];
        convert_run(raw, dtype, start, stride[ndim - 1], inner, out + done);
        for (int d = ndim - 2; d >= 0; d--) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}
