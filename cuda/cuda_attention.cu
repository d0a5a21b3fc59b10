/* Multi-head self-attention core, fused per (batch, head): one block keeps
 * K and V (and for the backward Q, dY, P, dS) of its head in shared memory,
 * so the scores never leave the chip except as the probabilities the op
 * interface saves for the backward (B, H, T, T) — small for CLIP's T = 50
 * (vision) and T <= 77 (text). A flash-style variant that recomputes the
 * probabilities in the backward instead of saving them would need a change
 * of the op interface (no probs argument); noted as future work in the README.
 * Softmax numerics follow the CPU backend: the additive key mask and the max
 * subtraction in double, a row with no reachable key gives zeros.
 * Deterministic: every sum has a fixed order, no atomics. */
#include <math.h>

#include "cuda/cuda_internal.cuh"

#define ATT_THREADS 256
#define ATT_WARPS   (ATT_THREADS / 32)

static size_t fwd_smem_floats(int T, int dh) {
    return 2 * (size_t)T * (dh + 1) + (size_t)ATT_WARPS * (dh + T);
}
static size_t bwd_smem_floats(int T, int dh) {
    return 4 * (size_t)T * (dh + 1) + 2 * (size_t)T * T;
}

__global__ void attention_fwd_kernel(float *out, float *probs, const float *qkv,
                                     const float *keymask, int causal, int T, int W, int H,
                                     float scale) {
    extern __shared__ float sm[];
    const int bh = blockIdx.x, b = bh / H, h = bh % H, dh = W / H, ld = dh + 1;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float *Ks = sm, *Vs = Ks + (size_t)T * ld;                 // (T, dh+1) each
    float *qw = Vs + (size_t)T * ld + (size_t)warp * (dh + T); // (dh) this warp's query
    float *pw = qw + dh;                                       // (T) this warp's probabilities
    const float *base = qkv + (size_t)b * T * 3 * W + (size_t)h * dh; // (T, dh) stride 3W
    for (int t = threadIdx.x; t < T * dh; t += blockDim.x) {
        int j = t / dh, d = t % dh;
        Ks[j * ld + d] = base[(size_t)j * 3 * W + W + d];
        Vs[j * ld + d] = base[(size_t)j * 3 * W + 2 * W + d];
    }
    __syncthreads();
    const float *mask = keymask ? keymask + (size_t)b * T : NULL; // (T)
    for (int i = warp; i < T; i += ATT_WARPS) {
        for (int d = lane; d < dh; d += 32)
            qw[d] = base[(size_t)i * 3 * W + d];
        __syncwarp();
        const int nkeys = causal ? i + 1 : T;
        double mx = -INFINITY;
        for (int j = lane; j < nkeys; j += 32) {
            float s = 0.0f;
            for (int d = 0; d < dh; d++)
                s += qw[d] * Ks[j * ld + d];
            pw[j] = s * scale; // the scaled score; the mask is added in double
            mx = fmax(mx, (double)pw[j] + (mask ? (double)mask[j] : 0.0));
        }
        for (int o = 16; o > 0; o >>= 1)
            mx = fmax(mx, __shfl_xor_sync(0xffffffffu, mx, o));
        float sum = 0.0f;
        for (int j = lane; j < T; j += 32) {
            float e = 0.0f;
            if (j < nkeys && mx != -INFINITY)
                e = expf((float)((double)pw[j] + (mask ? (double)mask[j] : 0.0) - mx));
            pw[j] = e;
            sum += e;
        }
        sum = warp_sum(sum);
        float inv = (mx != -INFINITY && sum > 0.0f) ? 1.0f / sum : 0.0f;
        float *prow = probs + ((size_t)bh * T + i) * T; // (T)
        for (int j = lane; j < T; j += 32) {
            float p = pw[j] * inv;
            pw[j] = p;
            prow[j] = p;
        }
        __syncwarp();
        float *orow = out + ((size_t)b * T + i) * W + (size_t)h * dh; // (dh)
        for (int d = lane; d < dh; d += 32) {
            float acc = 0.0f;
            for (int j = 0; j < nkeys; j++)
                acc += pw[j] * Vs[j * ld + d];
            orow[d] = acc;
        }
        __syncwarp();
    }
}

__global__ void attention_bwd_kernel(float *dqkv, const float *dout, const float *qkv,
                                     const float *probs, int T, int W, int H, float scale) {
    extern __shared__ float sm[];
    const int bh = blockIdx.x, b = bh / H, h = bh % H, dh = W / H, ld = dh + 1;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float *Qs = sm, *Ks = Qs + (size_t)T * ld, *Vs = Ks + (size_t)T * ld; // (T, dh+1)
    float *dYs = Vs + (size_t)T * ld;                                     // (T, dh+1)
    float *Ps = dYs + (size_t)T * ld, *dS = Ps + (size_t)T * T;           // (T, T) each
    const size_t off = (size_t)b * T * 3 * W + (size_t)h * dh;
    const float *base = qkv + off;                               // stride 3W
    float *dbase = dqkv + off;                                   // stride 3W
    const float *dy = dout + (size_t)b * T * W + (size_t)h * dh; // (T, dh) stride W
    const float *P = probs + (size_t)bh * T * T;                 // (T, T)
    for (int t = threadIdx.x; t < T * dh; t += blockDim.x) {
        int j = t / dh, d = t % dh;
        Qs[j * ld + d] = base[(size_t)j * 3 * W + d];
        Ks[j * ld + d] = base[(size_t)j * 3 * W + W + d];
        Vs[j * ld + d] = base[(size_t)j * 3 * W + 2 * W + d];
        dYs[j * ld + d] = dy[(size_t)j * W + d];
    }
    for (int t = threadIdx.x; t < T * T; t += blockDim.x)
        Ps[t] = P[t];
    __syncthreads();
    // rows i: dp_j = dy_i . v_j ; dS_ij = scale p_ij (dp_j - sum_j p dp) ; dq_i += dS_i K
    for (int i = warp; i < T; i += ATT_WARPS) {
        float part = 0.0f;
        for (int j = lane; j < T; j += 32) {
            float dp = 0.0f;
            for (int d = 0; d < dh; d++)
                dp += dYs[i * ld + d] * Vs[j * ld + d];
            dS[i * T + j] = dp; // provisional
            part += Ps[i * T + j] * dp;
        }
        float s = warp_sum(part);
        for (int j = lane; j < T; j += 32)
            dS[i * T + j] = scale * Ps[i * T + j] * (dS[i * T + j] - s);
        __syncwarp();
        for (int d = lane; d < dh; d += 32) {
            float acc = 0.0f;
            for (int j = 0; j < T; j++)
                acc += dS[i * T + j] * Ks[j * ld + d];
            dbase[(size_t)i * 3 * W + d] += acc;
        }
    }
    __syncthreads();
    // key rows j: dk_j += sum_i dS_ij q_i ; dv_j += sum_i p_ij dy_i
    for (int j = warp; j < T; j += ATT_WARPS)
        for (int d = lane; d < dh; d += 32) {
            float ak = 0.0f, av = 0.0f;
            for (int i = 0; i < T; i++) {
                ak += dS[i * T + j] * Qs[i * ld + d];
                av += Ps[i * T + j] * dYs[i * ld + d];
            }
            dbase[(size_t)j * 3 * W + W + d] += ak;
            dbase[(size_t)j * 3 * W + 2 * W + d] += av;
        }
}

/* Checks the shared-memory need of a kernel against the device's opt-in limit. */
static void set_smem(const void *kernel, size_t bytes, const char *what) {
    CudaCtx *c = cuda_ctx();
    if (bytes > (size_t)c->smem_optin) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s needs %zu bytes of shared memory, the device allows %d", what,
                 bytes, c->smem_optin);
        drl_fail(__FILE__, __LINE__, "attention", msg,
                 "sequences this long need the tiled (flash-style) kernel; see cuda/README.md");
    }
    cudaCheck(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
}

extern "C" void cuda_attention_fwd(float *out, float *probs, const float *qkv, const float *keymask,
                                   int causal, int B, int T, int W, int H) {
    // out (B, T, W), probs (B, H, T, T), qkv (B, T, 3W), keymask (B, T) or NULL
    if (B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    cudaCheckCond(W % H == 0, "attention: the width must be a multiple of the number of heads");
    const int dh = W / H;
    size_t bytes = fwd_smem_floats(T, dh) * sizeof(float);
    set_smem((const void *)attention_fwd_kernel, bytes, "attention forward");
    attention_fwd_kernel<<<B * H, ATT_THREADS, bytes>>>(out, probs, qkv, keymask, causal, T, W, H,
                                                        1.0f / sqrtf((float)dh));
    cudaCheckLaunch();
}

extern "C" void cuda_attention_bwd(float *dqkv, const float *dout, const float *qkv,
                                   const float *probs, int B, int T, int W, int H) {
    // dqkv (B, T, 3W) +=, dout (B, T, W), qkv (B, T, 3W), probs (B, H, T, T)
    if (!dqkv || B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    cudaCheckCond(W % H == 0, "attention: the width must be a multiple of the number of heads");
    const int dh = W / H;
    size_t bytes = bwd_smem_floats(T, dh) * sizeof(float);
    set_smem((const void *)attention_bwd_kernel, bytes, "attention backward");
    attention_bwd_kernel<<<B * H, ATT_THREADS, bytes>>>(dqkv, dout, qkv, probs, T, W, H,
                                                        1.0f / sqrtf((float)dh));
    cudaCheckLaunch();
}
