/* Linear (W stored [OC, IC]) and matmul (M stored [IC, OC]) with bf16
 * products and fp32 accumulation (cpu_bf16_gemm.h): the entries of
 * drl_cpu_ops_bf16(). Bias, bias gradient and everything outside the products
 * stay fp32; backward passes accumulate (beta = 1). The forward adds the bias
 * inside the product (oneDNN's bias argument, no separate pass over out);
 * each backward rounds dout to bf16 once for both of its products, summing
 * the bias gradient in the same pass. The B operand of every product is
 * given in fp32 and rounded by the product (cpu_bf16_matmul's B32: straight
 * into oneDNN's blocked layout for large products). */
#include "cpu/cpu_bf16_gemm.h"
#include "cpu/cpu_internal.h"

#include <stdlib.h>

#include "common/check.h"

/* A new contiguous bf16 copy of x (rows, cols). */
static uint16_t *bf16_copy(const float *x, int rows, int cols) {
    uint16_t *h = mallocCheck(sizeof(uint16_t) * (size_t)rows * cols); // (rows, cols)
    cpu_bf16_pack(h, x, rows, cols, cols);
    return h;
}

/* A bf16 copy of dout (N, OC); dbias (OC) += its column sums in the same
 * pass when dbias is given. */
static uint16_t *dout_copy(const float *dout, float *dbias, int N, int OC) {
    uint16_t *h = mallocCheck(sizeof(uint16_t) * (size_t)N * OC); // (N, OC)
    if (dbias)
        cpu_bf16_pack_colsum(h, dbias, dout, N, OC);
    else
        cpu_bf16_pack(h, dout, N, OC, OC);
    return h;
}

/* C (M, N) = A B (+ bias) (beta 0) or C += A B (beta 1): A bf16 stored
 * (M, K), or (K, M) when trans_a; B fp32 stored (K, N), or (N, K) when
 * trans_b, rounded by the product itself (into oneDNN's blocked layout when
 * M is large); C contiguous fp32. */
static void product(int M, int N, int K, const uint16_t *A, int trans_a, const float *B32,
                    int trans_b, float beta, float *C, const float *bias) {
    const int64_t mk = (int64_t)M * K, kn = (int64_t)K * N, mn = (int64_t)M * N;
    CpuBf16Matmul v = {.batch = {1, 1}, .M = M, .N = N, .K = K, .alpha = 1.0f, .beta = beta};
    v.A = A, v.B32 = B32, v.C = C, v.bias = bias;
    v.b_blocked = M >= CPU_BF16_BLOCKED_B_MIN_M;
    const int64_t a_str[4] = {mk, mk, trans_a ? 1 : K, trans_a ? M : 1}; // (M, K) or (K, M)
    const int64_t b_str[4] = {kn, kn, trans_b ? 1 : N, trans_b ? K : 1}; // (K, N) or (N, K)
    const int64_t c_str[4] = {mn, mn, N, 1};
    for (int d = 0; d < 4; d++)
        v.a_str[d] = a_str[d], v.b_str[d] = b_str[d], v.c_str[d] = c_str[d];
    cpu_bf16_matmul(&v);
}

void cpu_linear_bf16_fwd(float *out, const float *inp, const float *w, const float *bias, int N,
                         int IC, int OC) {
    // out (N, OC), inp (N, IC), w (OC, IC), bias (OC) or NULL
    if (N <= 0 || OC <= 0) return;
    if (IC <= 0) { // no product: the bias (or zeros) in every row
        if (cpu_bias_rows(out, bias, N, OC) == 0.0f)
            for (size_t i = 0; i < (size_t)N * OC; i++)
                out[i] = 0.0f;
        return;
    }
    uint16_t *inp16 = bf16_copy(inp, N, IC); // (N, IC)
    // (N, OC) = (N, IC) @ (OC, IC)^T + bias, the bias added by the product
    product(N, OC, IC, inp16, 0, w, 1, 0.0f, out, bias);
    free(inp16);
}

void cpu_linear_bf16_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int N, int IC, int OC) {
    // dinp (N, IC), dw (OC, IC), dbias (OC), dout (N, OC), inp (N, IC), w (OC, IC)
    if (N <= 0 || OC <= 0) return;
    if (IC <= 0 || (!dinp && !dw)) {
        if (dbias) cpu_bias_grad(dbias, dout, N, OC);
        return;
    }
    uint16_t *dout16 = dout_copy(dout, dbias, N, OC); // (N, OC); dbias += column sums
    if (dinp)                                         // (N, IC) += (N, OC) @ (OC, IC)
        product(N, IC, OC, dout16, 0, w, 0, 1.0f, dinp, NULL);
    if (dw) // (OC, IC) += (N, OC)^T @ (N, IC)
        product(OC, IC, N, dout16, 1, inp, 0, 1.0f, dw, NULL);
    free(dout16);
}

void cpu_matmul_bf16_fwd(float *out, const float *inp, const float *m, int N, int IC, int OC) {
    // out (N, OC) = inp (N, IC) @ m (IC, OC); IC = 0 gives zeros
    if (N <= 0 || OC <= 0) return;
    if (IC <= 0) {
        for (size_t i = 0; i < (size_t)N * OC; i++)
            out[i] = 0.0f;
        return;
    }
    uint16_t *inp16 = bf16_copy(inp, N, IC); // (N, IC)
    product(N, OC, IC, inp16, 0, m, 0, 0.0f, out, NULL);
    free(inp16);
}

void cpu_matmul_bf16_bwd(float *dinp, float *dm, const float *dout, const float *inp,
                         const float *m, int N, int IC, int OC) {
    // dinp (N, IC), dm (IC, OC), dout (N, OC), inp (N, IC), m (IC, OC)
    if (N <= 0 || OC <= 0 || IC <= 0 || (!dinp && !dm)) return;
    if (dinp) {                                    // (N, IC) += (N, OC) @ (IC, OC)^T
        uint16_t *dout16 = bf16_copy(dout, N, OC); // (N, OC)
        product(N, IC, OC, dout16, 0, m, 1, 1.0f, dinp, NULL);
        free(dout16);
    }
    if (dm) {                                    // (IC, OC) += (N, IC)^T @ (N, OC)
        uint16_t *inp16 = bf16_copy(inp, N, IC); // (N, IC)
        product(IC, OC, N, inp16, 1, dout, 0, 1.0f, dm, NULL);
        free(inp16);
    }
}
