/* Multi-head self-attention core on packed q|k|v, one OpenMP task per
 * (batch, head). The products (QK^T, PV and their backward) are
 * OpenBLAS sgemm calls on strided views of qkv (leading dimension 3W); the
 * masks and the softmax are plain loops over the saved probabilities.
 * Each call is split into row blocks small enough (m*n*k <= 65536*4, OpenBLAS's
 * default GEMM_MULTITHREAD_THRESHOLD) that OpenBLAS runs it on the calling
 * OpenMP thread instead of its own thread pool. */
#include "cpu/cpu_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "common/check.h"

/* OpenBLAS runs a gemm on one thread when m*n*k is at most this. */
#define SGEMM_SERIAL_MNK (65536 * 4)

/* Row-major C (M, N) = alpha op(A) op(B) + beta C in row blocks of C, each
 * under SGEMM_SERIAL_MNK. */
static void sgemm_rows(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
                       const float *A, int lda, const float *B, int ldb, float beta, float *C,
                       int ldc) {
    int rows = SGEMM_SERIAL_MNK / (N * K > 0 ? N * K : 1);
    if (rows < 1) rows = 1;
    for (int m0 = 0; m0 < M; m0 += rows) {
        int mb = M - m0 < rows ? M - m0 : rows;
        // rows m0.. of op(A): rows of A, or columns of A when transposed
        const float *a = ta == CblasNoTrans ? A + (size_t)m0 * lda : A + m0;
        cblas_sgemm(CblasRowMajor, ta, tb, mb, N, K, alpha, a, lda, B, ldb, beta,
                    C + (size_t)m0 * ldc, ldc);
    }
}

/* One row of probabilities p (T), holding the scaled scores q.k on entry.
 * The mask is added and the maximum subtracted in double, so that a large
 * additive mask (-1e6) on every key still gives the softmax of the unmasked
 * scores; a row whose reachable keys are all -inf becomes all zeros. */
static void softmax_row(float *p, double *score, const float *keymask, int nkeys, int T) {
    // p (T), score (T) scratch, keymask (T) or NULL
    double mx = -INFINITY;
    for (int j = 0; j < nkeys; j++) {
        double s = (double)p[j];
        if (keymask) s += (double)keymask[j];
        score[j] = s;
        if (s > mx) mx = s;
    }
    if (mx == -INFINITY) nkeys = 0; // no key is reachable: zeros, not NaN
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < nkeys; j++) {
        float e = expf((float)(score[j] - mx));
        p[j] = e;
        sum += e;
    }
    float inv = nkeys > 0 ? 1.0f / sum : 0.0f;
    for (int j = 0; j < nkeys; j++)
        p[j] *= inv;
    for (int j = nkeys; j < T; j++)
        p[j] = 0.0f;
}

void cpu_attention_fwd(float *out, float *probs, const float *qkv, const float *keymask, int causal,
                       int B, int T, int W, int H) {
    // out (B, T, W), probs (B, H, T, T), qkv (B, T, 3W), keymask (B, T) or NULL
    if (B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    drlCheck(W % H == 0, "attention: the width must be a multiple of the number of heads");
    int dh = W / H, ld = 3 * W; // head width; leading dimension of qkv
    float scale = 1.0f / sqrtf((float)dh);
#pragma omp parallel if (B * H > 1 && (size_t)B * H * T * T * dh >= CPU_PARALLEL_MIN)
    {
        double *score = mallocCheck((size_t)T * sizeof(double)); // (T) scratch
#pragma omp for schedule(static)
        for (int bh = 0; bh < B * H; bh++) {
            int b = bh / H, h = bh % H;
            const float *q = qkv + (size_t)b * T * ld + (size_t)h * dh;   // (T, dh) stride ld
            const float *k = q + W, *v = q + 2 * W;                       // (T, dh) stride ld
            float *p = probs + (size_t)bh * T * T;                        // (T, T)
            float *o = out + (size_t)b * T * W + (size_t)h * dh;          // (T, dh) stride W
            const float *mask = keymask ? keymask + (size_t)b * T : NULL; // (T)
            // p = scale * q k^T
            sgemm_rows(CblasNoTrans, CblasTrans, T, T, dh, scale, q, ld, k, ld, 0.0f, p, T);
            for (int i = 0; i < T; i++)
                softmax_row(p + (size_t)i * T, score, mask, causal ? i + 1 : T, T);
            // o = p v
            sgemm_rows(CblasNoTrans, CblasNoTrans, T, dh, T, 1.0f, p, T, v, ld, 0.0f, o, W);
        }
        free(score);
    }
}

void cpu_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs, int B,
                       int T, int W, int H) {
    // dqkv (B, T, 3W) +=, dout (B, T, W), qkv (B, T, 3W), probs (B, H, T, T)
    if (!dqkv || B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    drlCheck(W % H == 0, "attention: the width must be a multiple of the number of heads");
    int dh = W / H, ld = 3 * W;
    float scale = 1.0f / sqrtf((float)dh);
#pragma omp parallel if (B * H > 1 && (size_t)B * H * T * T * dh >= CPU_PARALLEL_MIN)
    {
        float *ds = mallocCheck((size_t)T * T * sizeof(float)); // (T, T) dL/dp, then dL/dscore
#pragma omp for schedule(static)
        for (int bh = 0; bh < B * H; bh++) {
            int b = bh / H, h = bh % H;
            size_t off = (size_t)b * T * ld + (size_t)h * dh;
            const float *q = qkv + off, *k = q + W, *v = q + 2 * W;      // (T, dh) stride ld
            float *dq = dqkv + off, *dk = dq + W, *dv = dq + 2 * W;      // (T, dh) stride ld
            const float *p = probs + (size_t)bh * T * T;                 // (T, T)
            const float *dy = dout + (size_t)b * T * W + (size_t)h * dh; // (T, dh) stride W
            // dv += p^T dy
            sgemm_rows(CblasTrans, CblasNoTrans, T, dh, T, 1.0f, p, T, dy, W, 1.0f, dv, ld);
            // dp = dy v^T
            sgemm_rows(CblasNoTrans, CblasTrans, T, T, dh, 1.0f, dy, W, v, ld, 0.0f, ds, T);
            // dscore = scale * p * (dp - sum_j p dp), row by row
            for (int i = 0; i < T; i++) {
                const float *pi = p + (size_t)i * T; // (T)
                float *di = ds + (size_t)i * T;      // (T)
                float s = 0.0f;
                for (int j = 0; j < T; j++)
                    s += pi[j] * di[j];
                for (int j = 0; j < T; j++)
                    di[j] = scale * pi[j] * (di[j] - s);
            }
            // dq += dscore k ; dk += dscore^T q
            sgemm_rows(CblasNoTrans, CblasNoTrans, T, dh, T, 1.0f, ds, T, k, ld, 1.0f, dq, ld);
            sgemm_rows(CblasTrans, CblasNoTrans, T, dh, T, 1.0f, ds, T, q, ld, 1.0f, dk, ld);
        }
        free(ds);
    }
}

size_t cpu_attention_state_floats(int B, int T, int H) {
    return (size_t)B * H * T * T;
}
