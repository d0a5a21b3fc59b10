/* Device-side frame preparation: uint8 HWC frames to CLIP-normalised CHW
 * floats (spec/data.md §2 step 3), and conv1's patch extraction. */
#include "cuda/cuda_internal.cuh"

__constant__ float clip_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
__constant__ float clip_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};

__global__ void normalise_frames_kernel(float *out, const uint8_t *in, const int32_t *mask, int N,
                                        int R) {
    // out (N, 3, R, R), in (N, R, R, 3), mask (N) or NULL; t indexes out
    size_t plane = (size_t)R * R, total = (size_t)N * 3 * plane;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        size_t n = t / (3 * plane), rem = t % (3 * plane);
        if (mask && !mask[n]) { // a padded frame: zeros of the normalised input
            out[t] = 0.0f;
            continue;
        }
        int c = (int)(rem / plane);
        size_t yx = rem % plane;
        float x = (float)in[(n * plane + yx) * 3 + c] / 255.0f;
        out[t] = (x - clip_mean[c]) / clip_std[c];
    }
}

__global__ void im2col_kernel(float *patches, const float *frames, int F, int P, int G) {
    // patches (F*G*G, 3*P*P): row (f, gy, gx), column (c, ky, kx); frames (F, 3, R, R)
    const size_t K = 3 * (size_t)P * P, R = (size_t)P * G, total = (size_t)F * G * G * K;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total;
         t += (size_t)gridDim.x * blockDim.x) {
        size_t row = t / K, col = t % K;
        size_t f = row / ((size_t)G * G), g = row % ((size_t)G * G), gy = g / G, gx = g % G;
        size_t c = col / ((size_t)P * P), k = col % ((size_t)P * P), ky = k / P, kx = k % P;
        patches[t] = frames[((f * 3 + c) * R + gy * P + ky) * R + gx * P + kx];
    }
}

extern "C" void drl_cuda_normalise_frames_masked(float *out, const uint8_t *in, const int32_t *mask,
                                                 int N, int R) {
    size_t total = (size_t)N * 3 * R * R;
    if (total == 0) return;
    normalise_frames_kernel<<<cuda_grid(total, 256), 256>>>(out, in, mask, N, R);
    cudaCheckLaunch();
}

extern "C" void drl_cuda_normalise_frames(float *out, const uint8_t *in, int N, int R) {
    drl_cuda_normalise_frames_masked(out, in, NULL, N, R);
}

extern "C" void drl_cuda_im2col(float *patches, const float *frames, int F, int P, int G) {
    size_t total = (size_t)F * G * G * 3 * P * P;
    if (total == 0) return;
    im2col_kernel<<<cuda_grid(total, 256), 256>>>(patches, frames, F, P, G);
    cudaCheckLaunch();
}
