/* fp32 <-> bf16 conversion for the bf16 matrix product (round to nearest even). */
#include "cpu/cpu_bf16_gemm.h"

#include "cpu/cpu_internal.h"

#include <stdlib.h>

#include "common/check.h"

/* Compiled for AVX-512, AVX2 and the baseline, chosen at load time. */
#define BF16_ISA_CLONES                                                                            \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

BF16_ISA_CLONES static void round_row(uint16_t *restrict d, const float *restrict s, int n) {
    // d (n) bf16, s (n) fp32
    for (int i = 0; i < n; i++)
        d[i] = cpu_bf16_from_float(s[i]);
}

/* (an exported function of its own: clang does not resolve calls from other
 * files to a target_clones function) */
void cpu_bf16_round_row(uint16_t *restrict d, const float *restrict s, int n) {
    round_row(d, s, n);
}

void cpu_bf16_pack(uint16_t *dst, const float *src, int rows, int cols, int ld) {
    // dst (rows, cols) bf16, src (rows, ld) fp32
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= CPU_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) // (cols) of row r
        cpu_bf16_round_row(dst + (size_t)r * cols, src + (size_t)r * ld, cols);
}

/* Rows converted and summed per OpenMP task in cpu_bf16_pack_colsum: a fixed
 * split, so that the sums do not depend on the number of threads. */
#define COLSUM_ROWS 64

/* d (n) = s (n) rounded; acc (n) += s. */
BF16_ISA_CLONES static void round_row_sum(uint16_t *restrict d, double *restrict acc,
                                          const float *restrict s, int n) {
    for (int i = 0; i < n; i++) {
        acc[i] += s[i];
        d[i] = cpu_bf16_from_float(s[i]);
    }
}

void cpu_bf16_pack_colsum(uint16_t *dst, float *colsum, const float *src, int rows, int cols) {
    // dst (rows, cols) bf16, colsum (cols) +=, src (rows, cols) fp32
    const int nchunks = (rows + COLSUM_ROWS - 1) / COLSUM_ROWS;
    double *part = callocCheck((size_t)nchunks * cols, sizeof(double)); // (nchunks, cols)
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= CPU_PARALLEL_MIN)
    for (int ch = 0; ch < nchunks; ch++) {
        const int r1 = (ch + 1) * COLSUM_ROWS < rows ? (ch + 1) * COLSUM_ROWS : rows;
        for (int r = ch * COLSUM_ROWS; r < r1; r++) // row r: (cols)
            round_row_sum(dst + (size_t)r * cols, part + (size_t)ch * cols, src + (size_t)r * cols,
                          cols);
    }
    for (int c = 0; c < cols; c++) { // the chunks' sums in chunk order
        double sum = 0.0;
        for (int ch = 0; ch < nchunks; ch++)
            sum += part[(size_t)ch * cols + c];
        colsum[c] += (float)sum;
    }
    free(part);
}
