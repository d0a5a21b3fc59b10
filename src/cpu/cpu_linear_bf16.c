/* Linear (W stored [OC, IC]) and matmul (M stored [IC, OC]) with bf16
 * products and fp32 accumulation (cpu_bf16_gemm.h): the entries of
 * drl_cpu_ops_bf16(). Bias, bias gradient and everything outside the products
 * stay fp32; backward passes accumulate (beta = 1). The forward adds the bias
 * inside the product (oneDNN's bias argument, no separate pass over out);
 * each backward rounds dout to bf16 once for both of its products, summing
 * the bias gradient in the same pass. */
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
    uint16_t *w16 = bf16_copy(w, OC, IC);    // (OC, IC)
    // (N, OC) = (N, IC) @ (OC, IC)^T + bias, the bias added by the product
    const int64_t nic = (int64_t)N * IC, oic = (int64_t)OC * IC, noc = (int64_t)N * OC;
    const CpuBf16Matmul v = {.batch = {1, 1},
                             .M = N,
                             .N = OC,
                             .K = IC,
                             .alpha = 1.0f,
                             .beta = 0.0f,
                             .A = inp16,
                             .a_str = {nic, nic, IC, 1},
                             .B = w16,
                             .b_str = {oic, oic, 1, IC},
                             .C = out,
                             .c_str = {noc, noc, OC, 1},
                             .bias = bias,
                             .b_blocked = N >= CPU_BF16_BLOCKED_B_MIN_M};
    cpu_bf16_matmul(&v);
    free(w16);
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
    if (dinp) {                                       // (N, IC) += (N, OC) @ (OC, IC)
        uint16_t *w16 = bf16_copy(w, OC, IC);         // (OC, IC)
        cpu_bf16_gemm_packed(0, 0, N, IC, OC, 1.0f, dout16, w16, 1.0f, dinp, IC);
        free(w16);
    }
    if (dw) {                                    // (OC, IC) += (N, OC)^T @ (N, IC)
        uint16_t *inp16 = bf16_copy(inp, N, IC); // (N, IC)
        cpu_bf16_gemm_packed(1, 0, OC, IC, N, 1.0f, dout16, inp16, 1.0f, dw, IC);
        free(inp16);
    }
    free(dout16);
}

void cpu_matmul_bf16_fwd(float *out, const float *inp, const float *m, int N, int IC, int OC) {
    // out (N, OC) = inp (N, IC) @ m (IC, OC); IC = 0 gives zeros
    if (N <= 0 || OC <= 0) return;
    cpu_bf16_gemm(0, 0, N, OC, IC, 1.0f, inp, IC, m, OC, 0.0f, out, OC);
}

void cpu_matmul_bf16_bwd(float *dinp, float *dm, const float *dout, const float *inp,
                         const float *m, int N, int IC, int OC) {
    // dinp (N, IC), dm (IC, OC), dout (N, OC), inp (N, IC), m (IC, OC)
    if (N <= 0 || OC <= 0 || IC <= 0 || (!dinp && !dm)) return;
    uint16_t *dout16 = bf16_copy(dout, N, OC); // (N, OC)
    if (dinp) {                                // (N, IC) += (N, OC) @ (IC, OC)^T
        uint16_t *m16 = bf16_copy(m, IC, OC);  // (IC, OC)
        cpu_bf16_gemm_packed(0, 1, N, IC, OC, 1.0f, dout16, m16, 1.0f, dinp, IC);
        free(m16);
    }
    if (dm) {                                    // (IC, OC) += (N, IC)^T @ (N, OC)
        uint16_t *inp16 = bf16_copy(inp, N, IC); // (N, IC)
        cpu_bf16_gemm_packed(1, 0, IC, OC, N, 1.0f, inp16, dout16, 1.0f, dm, OC);
        free(inp16);
    }
    free(dout16);
}
