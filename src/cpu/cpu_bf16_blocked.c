/* fp32 -> bf16 rounding straight into oneDNN's blocked weights layout
 * BA16a64b2a (the layout its bf16 brgemm matmul reads B in), so that the
 * product's B operand costs one pass: no plain bf16 copy, no reorder. */
#include "cpu/cpu_bf16_gemm.h"
#include "cpu/cpu_internal.h"

/* Compiled for AVX-512, AVX2 and the baseline, chosen at load time. */
#define BLK_ISA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

#define BLK_K 32 /* rows of B (K) per block: 16 pairs */
#define BLK_N 64 /* columns of B (N) per block */

size_t cpu_bf16_ba16a64b2a_elems(int K, int N) {
    return (size_t)((K + BLK_K - 1) / BLK_K) * ((N + BLK_N - 1) / BLK_N) * BLK_K * BLK_N;
}

/* A full block from B row-major (element (k, n) at r0[n] for k even of the
 * pair, r1[n] for k + 1): out (16 pairs, 64 columns, 2) as 32-bit pairs. */
BLK_ISA_CLONES static void block_rows(uint32_t *restrict out, const float *restrict src,
                                      int64_t sk) {
    for (int kp = 0; kp < BLK_K / 2; kp++) {
        const float *r0 = src + (int64_t)(2 * kp) * sk, *r1 = r0 + sk; // (64) each
        uint32_t *o = out + kp * BLK_N;                                // (64) pairs
        for (int n = 0; n < BLK_N; n++)
            o[n] = (uint32_t)cpu_bf16_from_float(r0[n]) | (uint32_t)cpu_bf16_from_float(r1[n])
                                                              << 16;
    }
}

/* A full block from B stored transposed (element (k, n) at src[n * sn + k]). */
BLK_ISA_CLONES static void block_cols(uint32_t *restrict out, const float *restrict src,
                                      int64_t sn) {
    for (int n = 0; n < BLK_N; n++) {
        const float *col = src + (int64_t)n * sn; // (32) along k
        for (int kp = 0; kp < BLK_K / 2; kp++)
            out[kp * BLK_N + n] = (uint32_t)cpu_bf16_from_float(col[2 * kp]) |
                                  (uint32_t)cpu_bf16_from_float(col[2 * kp + 1]) << 16;
    }
}

void cpu_bf16_pack_ba16a64b2a(uint16_t *dst, const float *src, int K, int N, int64_t sk,
                              int64_t sn) {
    // dst (N/64, K/32, 16, 64, 2) rounded up, zero padded; src (K, N) with strides (sk, sn)
    const int kb_n = (K + BLK_K - 1) / BLK_K, nb_n = (N + BLK_N - 1) / BLK_N;
#pragma omp parallel for schedule(static) if ((size_t)K * N >= CPU_PARALLEL_MIN)
    for (int blk = 0; blk < nb_n * kb_n; blk++) {
        const int nb = blk / kb_n, kb = blk % kb_n, k0 = kb * BLK_K, n0 = nb * BLK_N;
        uint16_t *out = dst + (size_t)blk * BLK_K * BLK_N; // (16, 64, 2)
        const float *at = src + k0 * sk + n0 * sn;         // element (k0, n0)
        if (k0 + BLK_K <= K && n0 + BLK_N <= N && (sn == 1 || sk == 1)) {
            if (sn == 1)
                block_rows((uint32_t *)out, at, sk);
            else
                block_cols((uint32_t *)out, at, sn);
            continue;
        }
        for (int kp = 0; kp < BLK_K / 2; kp++) // an edge block: zeros beyond K and N
            for (int n = 0; n < BLK_N; n++)
                for (int t = 0; t < 2; t++) {
                    const int k = k0 + 2 * kp + t, nn = n0 + n;
                    out[(kp * BLK_N + n) * 2 + t] =
                        k < K && nn < N ? cpu_bf16_from_float(src[k * sk + nn * sn]) : 0;
                }
    }
}
