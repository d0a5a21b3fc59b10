/* seqLSTM's head kernels (src/drl/head_kernels.h; the CPU entries are in
 * src/drl/lstm_agg.c): one time step's gate activations and cell update,
 * its backward, and the output assembly with the reference's length quirk.
 * Elementwise over (video, channel): no reductions, deterministic. */
#include <math.h>

#include "cuda/cuda_internal.cuh"

#define LSTM_THREADS 256

__device__ inline float sigmoid_dev(float x) {
    return 1.0f / (1.0f + expf(-x));
}

__global__ void lstm_cell_fwd_kernel(float *g, float *c, float *tanhc, float *h,
                                     const float *c_prev, const int32_t *len, int t, int B, int D) {
    const size_t n = (size_t)B * D;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        const size_t b = k / D, d = k % D;
        float *gb = g + b * 4 * D;
        if (t >= len[b]) {
            gb[d] = gb[D + d] = gb[2 * D + d] = gb[3 * D + d] = 0.0f;
            c[k] = tanhc[k] = h[k] = 0.0f;
            continue;
        }
        const float gi = sigmoid_dev(gb[d]), gf = sigmoid_dev(gb[D + d]);
        const float gg = tanhf(gb[2 * D + d]), go = sigmoid_dev(gb[3 * D + d]);
        gb[d] = gi, gb[D + d] = gf, gb[2 * D + d] = gg, gb[3 * D + d] = go;
        const float cc = gf * (c_prev ? c_prev[k] : 0.0f) + gi * gg;
        const float tc = tanhf(cc);
        c[k] = cc, tanhc[k] = tc, h[k] = go * tc;
    }
}

__global__ void lstm_cell_bwd_kernel(float *dg, float *dc, const float *dh, const float *g,
                                     const float *tanhc, const float *c_prev, const int32_t *len,
                                     int t, int B, int D) {
    const size_t n = (size_t)B * D;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        const size_t b = k / D, d = k % D;
        float *dgb = dg + b * 4 * D;
        if (t >= len[b]) {
            dgb[d] = dgb[D + d] = dgb[2 * D + d] = dgb[3 * D + d] = 0.0f;
            continue;
        }
        const float *gb = g + b * 4 * D;
        const float gi = gb[d], gf = gb[D + d], gg = gb[2 * D + d], go = gb[3 * D + d];
        const float tc = tanhc[k], dhh = dh[k];
        const float dcc = dc[k] + dhh * go * (1.0f - tc * tc);
        dgb[3 * D + d] = dhh * tc * go * (1.0f - go);
        dgb[d] = dcc * gg * gi * (1.0f - gi);
        dgb[2 * D + d] = dcc * gi * (1.0f - gg * gg);
        dgb[D + d] = c_prev ? dcc * c_prev[k] * gf * (1.0f - gf) : 0.0f;
        dc[k] = dcc * gf;
    }
}

__global__ void lstm_out_fwd_kernel(float *out, const float *F, const float *h_tm,
                                    const int32_t *len, int maxlen, int B, int T, int D) {
    const size_t n = (size_t)B * T * D;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        const size_t d = k % D, bt = k / D, b = bt / T, t = bt % T;
        const float f = F[k];
        if ((int)t < len[b])
            out[k] = h_tm[(t * B + b) * D + d] + f;
        else if ((int)t < maxlen)
            out[k] = f;
        else
            out[k] = f + f;
    }
}

__global__ void lstm_out_bwd_kernel(float *dF, float *dh_tm, const float *dout, const int32_t *len,
                                    int maxlen, int B, int T, int D) {
    const size_t n = (size_t)B * T * D;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        const size_t d = k % D, bt = k / D, b = bt / T, t = bt % T;
        const float gk = dout[k];
        const float m = ((int)t >= maxlen && (int)t >= len[b]) ? 2.0f : 1.0f;
        dF[k] += m * gk;
        dh_tm[(t * B + b) * D + d] = (int)t < len[b] ? gk : 0.0f;
    }
}

extern "C" void cuda_lstm_cell_fwd(float *g, float *c, float *tanhc, float *h, const float *c_prev,
                                   const int32_t *len, int t, int B, int D) {
    // g (B, 4D), c / tanhc / h / c_prev (B, D), len (B)
    if (B <= 0 || D <= 0) return;
    lstm_cell_fwd_kernel<<<cuda_grid((size_t)B * D, LSTM_THREADS), LSTM_THREADS>>>(
        g, c, tanhc, h, c_prev, len, t, B, D);
    cudaCheckLaunch();
}

extern "C" void cuda_lstm_cell_bwd(float *dg, float *dc, const float *dh, const float *g,
                                   const float *tanhc, const float *c_prev, const int32_t *len,
                                   int t, int B, int D) {
    // dg (B, 4D) =, dc (B, D) in/out, dh (B, D), g (B, 4D), tanhc / c_prev (B, D)
    if (B <= 0 || D <= 0) return;
    lstm_cell_bwd_kernel<<<cuda_grid((size_t)B * D, LSTM_THREADS), LSTM_THREADS>>>(
        dg, dc, dh, g, tanhc, c_prev, len, t, B, D);
    cudaCheckLaunch();
}

extern "C" void cuda_lstm_out_fwd(float *out, const float *F, const float *h_tm, const int32_t *len,
                                  int maxlen, int B, int T, int D) {
    // out (B, T, D), F (B, T, D), h_tm (T, B, D)
    if (B <= 0 || T <= 0 || D <= 0) return;
    lstm_out_fwd_kernel<<<cuda_grid((size_t)B * T * D, LSTM_THREADS), LSTM_THREADS>>>(
        out, F, h_tm, len, maxlen, B, T, D);
    cudaCheckLaunch();
}

extern "C" void cuda_lstm_out_bwd(float *dF, float *dh_tm, const float *dout, const int32_t *len,
                                  int maxlen, int B, int T, int D) {
    // dF (B, T, D) +=, dh_tm (T, B, D) =, dout (B, T, D)
    if (B <= 0 || T <= 0 || D <= 0) return;
    lstm_out_bwd_kernel<<<cuda_grid((size_t)B * T * D, LSTM_THREADS), LSTM_THREADS>>>(
        dF, dh_tm, dout, len, maxlen, B, T, D);
    cudaCheckLaunch();
}
