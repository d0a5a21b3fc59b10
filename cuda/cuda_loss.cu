/* The heads' loss kernels on the device (src/drl/head_kernels.h): the
 * symmetric InfoNCE of spec §5 over (B, B) and the pieces CDCR (§6) is made
 * of: the per-channel standardisation over rows and its backward, row
 * scaling and row dot products, the decorrelation loss. The CPU entries are
 * in src/drl/loss.c. Deterministic: every sum has a fixed order (a thread's
 * own loop, then a fixed shuffle / shared-memory tree), no atomics; sums in
 * double as on the CPU. */
#include <math.h>

#include "cuda/cuda_internal.cuh"

#define LOSS_THREADS 256

__device__ inline float block_max(float v, float *shm) {
    v = warp_max(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) shm[warp] = v;
    __syncthreads();
    float r = shm[0];
    for (int i = 1; i < nw; i++)
        r = fmaxf(r, shm[i]);
    return r;
}

/* ---- symmetric InfoNCE ---------------------------------------------------- */

/* One block per (direction, row a): direction 0 is text a's row of e * sim,
 * direction 1 video a's row of e * sim^T. Writes the logits (and sim^T),
 * the row's -log softmax at the diagonal, and with backward the row's
 * gradient g (B) = (softmax - onehot) / (2B) into dZ and sum_b g s. */
__global__ void clip_loss_rows_kernel(float *logits_t2v, float *logits_v2t, float *sim_vt,
                                      float *dZ, double *row_loss, double *row_dls,
                                      const float *sim, int B, float e, int backward) {
    __shared__ float fshm[32];
    __shared__ double dshm[32];
    const int dir = blockIdx.x / B, a = blockIdx.x % B;
    float *Z = (dir ? logits_v2t : logits_t2v) + (size_t)a * B; // (B) this row
    float mx = -INFINITY;
    for (int b = threadIdx.x; b < B; b += blockDim.x) {
        const float s = dir ? sim[(size_t)b * B + a] : sim[(size_t)a * B + b];
        const float z = e * s;
        Z[b] = z;
        if (dir) sim_vt[(size_t)a * B + b] = s;
        mx = fmaxf(mx, z);
    }
    mx = block_max(mx, fshm);
    double part = 0.0;
    for (int b = threadIdx.x; b < B; b += blockDim.x)
        part += exp((double)Z[b] - mx);
    const double lse = log(block_sum(part, dshm)) + mx;
    const float zaa = e * sim[(size_t)a * B + a];
    if (threadIdx.x == 0) row_loss[blockIdx.x] = lse - zaa;
    if (!backward) return;
    float *g = dZ + ((size_t)dir * B + a) * B; // (B)
    double acc = 0.0;
    for (int b = threadIdx.x; b < B; b += blockDim.x) {
        const double p = exp((double)Z[b] - lse);
        const float gb = (float)((p - (a == b ? 1.0 : 0.0)) * 0.5 / B);
        g[b] = gb;
        const float s = dir ? sim[(size_t)b * B + a] : sim[(size_t)a * B + b];
        acc += (double)gb * s;
    }
    acc = block_sum(acc, dshm);
    if (threadIdx.x == 0) row_dls[blockIdx.x] = acc;
}

/* dsim[a, b] += e g_t2v[a, b], then += e g_v2t[b, a] (the CPU's order). */
__global__ void clip_loss_dsim_kernel(float *dsim, const float *dZ, int B, float e) {
    const size_t n = (size_t)B * B;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const size_t a = i / B, b = i % B;
        float v = dsim[i] + e * dZ[i];
        dsim[i] = v + e * dZ[n + b * B + a];
    }
}

/* result = (mean row loss of each direction) / 2 summed; e * sum of row_dls. */
__global__ void clip_loss_total_kernel(double *result, const double *row_loss,
                                       const double *row_dls, int B, float e, int backward) {
    if (threadIdx.x != 0 || blockIdx.x != 0) return;
    double loss = 0.0, dls = 0.0;
    for (int dir = 0; dir < 2; dir++) {
        double tot = 0.0, acc = 0.0;
        for (int a = 0; a < B; a++) {
            tot += row_loss[dir * B + a];
            if (backward) acc += row_dls[dir * B + a];
        }
        loss += 0.5 * (tot / B);
        dls += acc * e;
    }
    result[0] = loss;
    result[1] = backward ? dls : 0.0;
}

static size_t align256(size_t n) {
    return (n + 255) & ~(size_t)255;
}

extern "C" size_t cuda_clip_loss_ws_bytes(int B) {
    const size_t b = (size_t)(B > 0 ? B : 1);
    return align256(2 * b * b * sizeof(float)) + 2 * align256(2 * b * sizeof(double));
}

extern "C" void cuda_clip_loss(const DrlClipLoss *cl) {
    const int B = cl->B;
    cudaCheckCond(B > 0, "the loss needs a batch of at least one pair");
    char *ws = (char *)cl->ws;
    float *dZ = (float *)ws;                                                         // (2, B, B)
    double *row_loss = (double *)(ws + align256(2 * (size_t)B * B * sizeof(float))); // (2B)
    double *row_dls = (double *)((char *)row_loss + align256(2 * (size_t)B * sizeof(double)));
    const int backward = cl->dsim != NULL;
    clip_loss_rows_kernel<<<2u * (unsigned int)B, LOSS_THREADS>>>(cl->logits_t2v, cl->logits_v2t,
                                                                  cl->sim_vt, dZ, row_loss, row_dls,
                                                                  cl->sim, B, cl->e, backward);
    cudaCheckLaunch();
    if (backward) {
        clip_loss_dsim_kernel<<<cuda_grid((size_t)B * B, LOSS_THREADS), LOSS_THREADS>>>(
            cl->dsim, dZ, B, cl->e);
        cudaCheckLaunch();
    }
    clip_loss_total_kernel<<<1, 32>>>(cl->result, row_loss, row_dls, B, cl->e, backward);
    cudaCheckLaunch();
}

/* ---- CDCR's pieces ---------------------------------------------------------- */

/* One thread per channel d (reads across threads are coalesced). */
__global__ void standardise_fwd_kernel(float *z, float *sd_out, uint8_t *degen, const float *x,
                                       int N, int D) {
    const int d = blockIdx.x * blockDim.x + threadIdx.x;
    if (d >= D) return;
    double mean = 0.0;
    for (int n = 0; n < N; n++)
        mean += x[(size_t)n * D + d];
    mean /= N;
    double ss = 0.0;
    for (int n = 0; n < N; n++) {
        const double e = x[(size_t)n * D + d] - mean;
        ss += e * e;
    }
    const double var = ss / (N > 1 ? N - 1 : 1);
    const int bad = !(var > 1e-12) || !isfinite(var);
    const float sd = bad ? 1.0f : (float)sqrt(var);
    degen[d] = (uint8_t)bad;
    sd_out[d] = sd;
    for (int n = 0; n < N; n++)
        z[(size_t)n * D + d] = (float)((x[(size_t)n * D + d] - mean) / sd);
}

__global__ void standardise_bwd_kernel(float *dx, const float *dz, const float *z, const float *sd,
                                       const uint8_t *degen, int N, int D) {
    const int d = blockIdx.x * blockDim.x + threadIdx.x;
    if (d >= D) return;
    double mdz = 0.0, zdz = 0.0;
    for (int n = 0; n < N; n++) {
        mdz += dz[(size_t)n * D + d];
        zdz += (double)dz[(size_t)n * D + d] * z[(size_t)n * D + d];
    }
    mdz /= N;
    const double k = !degen[d] ? zdz / (N > 1 ? N - 1 : 1) : 0.0;
    for (int n = 0; n < N; n++)
        dx[(size_t)n * D + d] +=
            (float)((dz[(size_t)n * D + d] - mdz - z[(size_t)n * D + d] * k) / sd[d]);
}

__global__ void rows_scale_kernel(float *x, const float *w, int N, int D) {
    const size_t n = (size_t)N * D;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] *= w[i / D];
}

/* One warp per row: lanes stride the channels, a fixed shuffle tree. */
__global__ void rows_dot_add_kernel(float *out, const float *a, const float *b, int N, int D) {
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= N) return;
    double acc = 0.0;
    for (int d = lane; d < D; d += 32)
        acc += (double)a[(size_t)row * D + d] * b[(size_t)row * D + d];
    acc = warp_sum(acc);
    if (lane == 0) out[row] += (float)acc;
}

__global__ void decorrelation_grad_kernel(float *dC, const float *C, int D, float alpha1,
                                          float alpha2, float gscale) {
    const size_t n = (size_t)D * D;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        const double c = C[k];
        const int diag = k / D == k % D;
        dC[k] += (float)(diag ? 2.0 * alpha1 * (c - 1.0) * gscale : 2.0 * alpha2 * c * gscale);
    }
}

/* One block: each thread sums its strided entries, then a fixed tree. */
__global__ void decorrelation_loss_kernel(double *result, const float *C, int D, float alpha1,
                                          float alpha2) {
    __shared__ double shm[32];
    const size_t n = (size_t)D * D;
    double on = 0.0, off = 0.0;
    for (size_t k = threadIdx.x; k < n; k += blockDim.x) {
        const double c = C[k];
        if (k / D == k % D)
            on += (c - 1.0) * (c - 1.0);
        else
            off += c * c;
    }
    on = block_sum(on, shm);
    off = block_sum(off, shm);
    if (threadIdx.x == 0) result[0] = alpha1 * on + alpha2 * off;
}

extern "C" void cuda_standardise_fwd(float *z, float *sd, uint8_t *degen, const float *x, int N,
                                     int D) {
    // z (N, D), sd (D), degen (D), x (N, D)
    if (D <= 0) return;
    standardise_fwd_kernel<<<(D + 127) / 128, 128>>>(z, sd, degen, x, N, D);
    cudaCheckLaunch();
}

extern "C" void cuda_standardise_bwd(float *dx, const float *dz, const float *z, const float *sd,
                                     const uint8_t *degen, int N, int D) {
    // dx (N, D) +=, dz (N, D), z (N, D), sd (D), degen (D)
    if (D <= 0 || N <= 0) return;
    standardise_bwd_kernel<<<(D + 127) / 128, 128>>>(dx, dz, z, sd, degen, N, D);
    cudaCheckLaunch();
}

extern "C" void cuda_rows_scale(float *x, const float *w, int N, int D) {
    // x (N, D), w (N)
    if (N <= 0 || D <= 0) return;
    rows_scale_kernel<<<cuda_grid((size_t)N * D, LOSS_THREADS), LOSS_THREADS>>>(x, w, N, D);
    cudaCheckLaunch();
}

extern "C" void cuda_rows_dot_add(float *out, const float *a, const float *b, int N, int D) {
    // out (N) +=, a (N, D), b (N, D)
    if (N <= 0) return;
    const int rows_per_block = LOSS_THREADS / 32;
    rows_dot_add_kernel<<<(N + rows_per_block - 1) / rows_per_block, LOSS_THREADS>>>(out, a, b, N,
                                                                                     D);
    cudaCheckLaunch();
}

extern "C" void cuda_decorrelation(double *result, const float *C, int D, float alpha1,
                                   float alpha2, float *dC, float gscale) {
    // result (1), C (D, D), dC (D, D) += or NULL
    if (dC && D > 0) {
        decorrelation_grad_kernel<<<cuda_grid((size_t)D * D, LOSS_THREADS), LOSS_THREADS>>>(
            dC, C, D, alpha1, alpha2, gscale);
        cudaCheckLaunch();
    }
    decorrelation_loss_kernel<<<1, 1024>>>(result, C, D, alpha1, alpha2);
    cudaCheckLaunch();
}
