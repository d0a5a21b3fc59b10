/* Multi-head self-attention core, fused per (batch, head), flash-style: one
 * block keeps K and V (and for the backward Q, dY and its head's P and dS) in
 * shared memory, so no T x T matrix ever reaches global memory. The forward
 * saves, per query row, the softmax maximum and 1/sum, plus the key mask and
 * the causal flag (the op's `probs` state, cuda_attention_state_floats:
 * 3 B H T + B T + 16 floats instead of the CPU backend's B H T T); the
 * backward recomputes the scores with the forward's arithmetic (same products
 * in the same order) and the probabilities from the saved statistics.
 * Softmax numerics follow the CPU backend: the additive key mask and the max
 * subtraction in double, a row with no reachable key gives zeros.
 * Deterministic: every sum has a fixed order, no atomics. */
#include <math.h>

#include "cuda/cuda_internal.cuh"

#define ATT_THREADS 256
#define ATT_WARPS   (ATT_THREADS / 32)

/* The saved state: rowmax_hi, rowmax_lo, rowinv (B*H*T each) | keymask (B*T)
 * | flags (flags[0] = causal, flags[1] = 1 when a key mask was given). The
 * row maximum is a double (score + mask): kept as hi + lo floats, so a row
 * whose keys all carry a large finite mask (-1e6: an all-padded video)
 * recomputes the forward's probabilities, not ones off by exp(rounding). */
struct AttState {
    float *rowmax, *rowmax_lo, *rowinv, *mask, *flags;
};
__host__ __device__ static inline AttState att_state(float *base, int B, int T, int H) {
    AttState a;
    a.rowmax = base;
    a.rowmax_lo = a.rowmax + (size_t)B * H * T;
    a.rowinv = a.rowmax_lo + (size_t)B * H * T;
    a.mask = a.rowinv + (size_t)B * H * T;
    a.flags = a.mask + (size_t)B * T;
    return a;
}

extern "C" size_t cuda_attention_state_floats(int B, int T, int H) {
    return 3 * (size_t)B * H * T + (size_t)B * T + 16;
}

static size_t fwd_smem_floats(int T, int dh) {
    return 2 * (size_t)T * (dh + 1) + (size_t)ATT_WARPS * (dh + T);
}
static size_t bwd_smem_floats(int T, int dh) {
    return 4 * (size_t)T * (dh + 1) + 2 * (size_t)T * T;
}

__global__ void attention_fwd_kernel(float *out, AttState st, const float *qkv,
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
    const float *mask = keymask ? keymask + (size_t)b * T : NULL; // (T)
    if (h == 0) // the backward's copy of the key mask
        for (int j = threadIdx.x; j < T; j += blockDim.x)
            st.mask[(size_t)b * T + j] = mask ? mask[j] : 0.0f;
    if (bh == 0 && threadIdx.x == 0) st.flags[0] = (float)causal, st.flags[1] = mask ? 1.0f : 0.0f;
    __syncthreads();
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
        if (lane == 0) {
            const float hi = mx == -INFINITY ? 0.0f : (float)mx;
            st.rowmax[(size_t)bh * T + i] = hi;
            st.rowmax_lo[(size_t)bh * T + i] = mx == -INFINITY ? 0.0f : (float)(mx - (double)hi);
            st.rowinv[(size_t)bh * T + i] = inv;
        }
        for (int j = lane; j < T; j += 32)
            pw[j] *= inv;
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
                                     AttState st, int T, int W, int H, float scale) {
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
    const float *mask = st.mask + (size_t)b * T;                 // (T)
    const int causal = st.flags[0] != 0.0f, has_mask = st.flags[1] != 0.0f;
    for (int t = threadIdx.x; t < T * dh; t += blockDim.x) {
        int j = t / dh, d = t % dh;
        Qs[j * ld + d] = base[(size_t)j * 3 * W + d];
        Ks[j * ld + d] = base[(size_t)j * 3 * W + W + d];
        Vs[j * ld + d] = base[(size_t)j * 3 * W + 2 * W + d];
        dYs[j * ld + d] = dy[(size_t)j * W + d];
    }
    __syncthreads();
    // P recomputed: the forward's scaled score (same products, same order),
    // the mask added and the row maximum subtracted in double, times 1/sum
    for (int t = threadIdx.x; t < T * T; t += blockDim.x) {
        const int i = t / T, j = t % T;
        float p = 0.0f;
        const float inv = st.rowinv[(size_t)bh * T + i];
        if ((!causal || j <= i) && inv != 0.0f) {
            float sc = 0.0f;
            for (int d = 0; d < dh; d++)
                sc += Qs[i * ld + d] * Ks[j * ld + d];
            sc *= scale;
            const double z = (double)sc + (has_mask ? (double)mask[j] : 0.0) -
                             (double)st.rowmax[(size_t)bh * T + i] -
                             (double)st.rowmax_lo[(size_t)bh * T + i];
            p = expf((float)z) * inv;
        }
        Ps[t] = p;
    }
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
    // out (B, T, W), probs: the state (cuda_attention_state_floats), qkv (B, T, 3W),
    // keymask (B, T) or NULL
    if (B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    cudaCheckCond(W % H == 0, "attention: the width must be a multiple of the number of heads");
    const int dh = W / H;
    size_t bytes = fwd_smem_floats(T, dh) * sizeof(float);
    set_smem((const void *)attention_fwd_kernel, bytes, "attention forward");
    AttState st = att_state(probs, B, T, H);
    attention_fwd_kernel<<<B * H, ATT_THREADS, bytes>>>(out, st, qkv, keymask, causal, T, W, H,
                                                        1.0f / sqrtf((float)dh));
    cudaCheckLaunch();
}

extern "C" void cuda_attention_bwd(float *dqkv, const float *dout, const float *qkv,
                                   const float *probs, int B, int T, int W, int H) {
    // dqkv (B, T, 3W) +=, dout (B, T, W), qkv (B, T, 3W), probs: the forward's state
    if (!dqkv || B <= 0 || T <= 0 || W <= 0 || H <= 0) return;
    cudaCheckCond(W % H == 0, "attention: the width must be a multiple of the number of heads");
    const int dh = W / H;
    size_t bytes = bwd_smem_floats(T, dh) * sizeof(float);
    set_smem((const void *)attention_bwd_kernel, bytes, "attention backward");
    AttState st = att_state((float *)probs, B, T, H);
    attention_bwd_kernel<<<B * H, ATT_THREADS, bytes>>>(dqkv, dout, qkv, st, T, W, H,
                                                        1.0f / sqrtf((float)dh));
    cudaCheckLaunch();
}
