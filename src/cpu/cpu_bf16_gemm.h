/* The CPU backend's bf16 matrix product (run.precision = "bf16" on the CPU):
 *   C (M, N) = alpha * op(A) (M, K) op(B) (K, N) + beta * C
 * row-major, A and B given in fp32 (either transposed), each element rounded
 * to bf16 (round to nearest, ties to even; NaN stays NaN, overflow goes to
 * +-inf), products and sums in fp32 (oneDNN's matmul, VDPBF16PS where the CPU
 * has avx512_bf16). C is fp32; beta = 0 ignores C's previous contents.
 * Built only when oneDNN was found (DRL_HAVE_ONEDNN); otherwise
 * cpu_bf16_gemm_available() says why and cpu_bf16_gemm ends the run. */
#ifndef DRL_CPU_CPU_BF16_GEMM_H
#define DRL_CPU_CPU_BF16_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* 1 when this build and this CPU run bf16 products; else 0 and why (a
 * sentence) in why[len] (why may be NULL). */
int cpu_bf16_gemm_available(char *why, size_t len);

/* x rounded to the nearest bf16 (ties to even), as the upper half of a float
 * (NaN stays a quiet NaN; the carry of a round-up goes into the exponent, so
 * overflow gives +-inf). Branch-free, so that loops over it vectorise. */
static inline uint16_t cpu_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const uint32_t quiet_nan = (u >> 16) | 0x0040u;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

static inline float cpu_bf16_to_float(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* d (n) = s (n) rounded as cpu_bf16_from_float (vectorised for the CPU's ISA). */
void cpu_bf16_round_row(uint16_t *restrict d, const float *restrict s, int n);

/* dst (rows, cols) contiguous bf16 = src (rows, cols) with leading dimension
 * ld >= cols, rounded as cpu_bf16_from_float (OpenMP over rows). */
void cpu_bf16_pack(uint16_t *dst, const float *src, int rows, int cols, int ld);

/* A batched product on bf16 operands given by strides (in elements), over a
 * (batch[0], batch[1]) grid of independent products:
 *   C[i][j] (M, N) = alpha * (A[i][j] (M, K) B[i][j] (K, N) + bias) + beta * C[i][j]
 * a_str: strides of A's dims (batch0, batch1, M, K); b_str: of B's (batch0,
 * batch1, K, N); c_str: of C's (batch0, batch1, M, N), C fp32. Any strides
 * (a transpose is a swap of the last two); bias (N) fp32 or NULL; beta = 0
 * ignores C's previous contents. One oneDNN matmul for the whole grid. */
typedef struct CpuBf16Matmul {
    int batch[2], M, N, K;
    float alpha, beta;
    const uint16_t *A, *B;
    float *C;
    const float *bias;
    int64_t a_str[4], b_str[4], c_str[4];
    /* 1: B is first reordered into the layout oneDNN's kernel reads (one pass
     * over B into a scratch buffer) instead of the product copying blocks of
     * B once per block of rows of A; pays when M is large. */
    int b_blocked;
    /* Instead of B: fp32 B32 (one dense matrix, strides b_str), rounded by the
     * call itself, straight into oneDNN's blocked layout when b_blocked and
     * oneDNN reads B as BA16a64b2a (one pass over B32), else into a copy. */
    const float *B32;
} CpuBf16Matmul;
void cpu_bf16_matmul(const CpuBf16Matmul *v);

/* dst = src (K, N) fp32 with strides (sk, sn), rounded, in oneDNN's
 * BA16a64b2a layout: blocks of 32 rows x 64 columns, the column blocks
 * outermost, inside a block 16 row pairs x 64 columns x the pair; zeros pad
 * K and N up to whole blocks (cpu_bf16_ba16a64b2a_elems(K, N) elements). */
size_t cpu_bf16_ba16a64b2a_elems(int K, int N);
void cpu_bf16_pack_ba16a64b2a(uint16_t *dst, const float *src, int K, int N, int64_t sk,
                              int64_t sn);

/* cpu_bf16_gemm_packed reorders B (b_blocked) from this many rows M up. */
#define CPU_BF16_BLOCKED_B_MIN_M 256

/* cpu_bf16_pack of a contiguous src (rows, cols), and in the same pass
 * colsum (cols) += the sum over the rows of src (in double over fixed blocks
 * of rows, the blocks then summed in order, whatever the thread count; added
 * as a float: cpu_bias_grad's values up to the double sums' rounding). */
void cpu_bf16_pack_colsum(uint16_t *dst, float *colsum, const float *src, int rows, int cols);

/* C = alpha op(A) op(B) + beta C on operands already in bf16 (contiguous:
 * A stored (M, K), or (K, M) when trans_a; B stored (K, N), or (N, K) when
 * trans_b). ldc >= N. */
void cpu_bf16_gemm_packed(int trans_a, int trans_b, int M, int N, int K, float alpha,
                          const uint16_t *A, const uint16_t *B, float beta, float *C, int ldc);

/* The fp32 interface, cblas_sgemm's row-major arguments (trans as 0/1): A
 * stored (M, K) lda >= K, or (K, M) lda >= M when trans_a; B likewise. The
 * operands are rounded into scratch bf16 copies, then cpu_bf16_gemm_packed. */
void cpu_bf16_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
