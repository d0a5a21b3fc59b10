/* fp32 <-> bf16 conversion for the bf16 matrix product (round to nearest even). */
#include "cpu/cpu_bf16_gemm.h"

#include <string.h>

#include "cpu/cpu_internal.h"

uint16_t cpu_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* ties to even; the carry rounds up into the exponent */
    return (uint16_t)(u >> 16);
}

float cpu_bf16_to_float(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

void cpu_bf16_pack(uint16_t *dst, const float *src, int rows, int cols, int ld) {
    // dst (rows, cols) bf16, src (rows, ld) fp32
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= CPU_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) {
        const float *s = src + (size_t)r * ld; // (cols)
        uint16_t *d = dst + (size_t)r * cols;  // (cols)
        for (int c = 0; c < cols; c++)
            d[c] = cpu_bf16_from_float(s[c]);
    }
}

/* Columns converted and summed per OpenMP task in cpu_bf16_pack_colsum. */
#define COLSUM_BLOCK 64

void cpu_bf16_pack_colsum(uint16_t *dst, float *colsum, const float *src, int rows, int cols) {
    // dst (rows, cols) bf16, colsum (cols) +=, src (rows, cols) fp32
    const int nblocks = (cols + COLSUM_BLOCK - 1) / COLSUM_BLOCK;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= CPU_PARALLEL_MIN)
    for (int blk = 0; blk < nblocks; blk++) {
        const int c0 = blk * COLSUM_BLOCK;
        const int nc = cols - c0 < COLSUM_BLOCK ? cols - c0 : COLSUM_BLOCK;
        double acc[COLSUM_BLOCK] = {0}; // (nc) partial column sums, row order
        for (int r = 0; r < rows; r++) {
            const float *s = src + (size_t)r * cols + c0; // (nc)
            uint16_t *d = dst + (size_t)r * cols + c0;    // (nc)
            for (int c = 0; c < nc; c++) {
                acc[c] += s[c];
                d[c] = cpu_bf16_from_float(s[c]);
            }
        }
        for (int c = 0; c < nc; c++)
            colsum[c0 + c] += (float)acc[c];
    }
}
