/* The cross-backend test: every op of the table, forward and backward, on
 * the GPU against the CPU backend on the same random inputs, per matrix
 * precision (fp32, tf32, bf16), plus the extra kernels (frames, im2col,
 * token-wise scoring, BertAdam), the heads' kernels (token-wise training
 * scoring forward and backward), the tiny CLIP towers, and one whole DRL
 * training step per configuration (every interaction, aggregation and CDCR
 * variant; xb_step.c). Prints PASS/FAIL
 * per check and "N passed, N failed". Without a usable GPU it prints
 * "not run: no CUDA device (<reason>)" and exits 77 (CTest: skipped).
 * Tolerances (max |gpu - cpu| / max |cpu|): fp32 1e-5 (1e-6 or exact where
 * the arithmetic is identical); matrix products tf32 5e-3, bf16 2e-2 (inputs
 * rounded to 8 mantissa bits, fp32 accumulation); tiny CLIP towers fp32 1e-4,
 * bf16 5e-2 forward / 1e-1 gradients; whole DRL step fp32 1e-4 losses and
 * similarities / 5e-4 gradients and updated parameters, bf16 5e-2 / 1e-1. */
#include <stdio.h>
#include <string.h>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_heads.h"
#include "xb_ops.h"
#include "xb_step.h"

#define SKIP_CODE 77

static void op_suite(Xb *x, double tol_mm) {
    xb_linear(x, 100, 768, 2304, 1, tol_mm); // a vision block's in_proj (2 frames)
    xb_linear(x, 37, 65, 33, 1, tol_mm);     // odd sizes
    xb_linear(x, 64, 512, 2048, 0, tol_mm);
    xb_matmul(x, 50, 768, 512, tol_mm);
    xb_matmul(x, 13, 33, 17, tol_mm);
}

int main(void) {
    char why[512];
    if (!drl_cuda_available(why, sizeof why)) {
        printf("not run: no CUDA device (%s)\n", why);
        return SKIP_CODE;
    }
    printf("CUDA device: %s\n", why);
    Xb x = {.cpu = drl_cpu_ops(), .gpu = drl_cuda_ops(), .rng = 0x9e3779b97f4a7c15ull};
    x.prec = "fp32";
    drl_cuda_set_precision(DRL_CUDA_FP32);
    op_suite(&x, 1e-5);
    xb_memory(&x);
    xb_layernorm(&x, 300, 768);
    xb_layernorm(&x, 7, 33);
    xb_residual_layernorm(&x, 300, 768);
    xb_residual_layernorm(&x, 7, 33);
    xb_attention(&x, 4, 50, 768, 12, 0, 0); // vision: T = 50
    xb_attention(&x, 3, 32, 512, 8, 1, 0);  // text: causal, T = 32
    xb_attention(&x, 3, 77, 512, 8, 1, 1);  // text context 77, causal + key mask
    xb_attention(&x, 5, 13, 64, 2, 0, 1);   // small, key mask with an empty batch
    xb_elementwise(&x, 100003);
    xb_softmax(&x, 64, 77);
    xb_softmax(&x, 5, 1000);
    xb_embedding(&x, 500, 96, 512);
    xb_l2norm(&x, 70, 512);
    xb_reduce(&x, 9, 12, 512);
    xb_frames(&x, 3, 224);
    xb_im2col(&x, 2, 32, 7);
    xb_tokenwise(&x, 16, 24, 32, 12, 512);
    xb_tokenwise(&x, 5, 3, 7, 5, 33);
    xb_adam(&x, 0);
    xb_adam(&x, 1);
    const DrlHeadKernels *cpu_k = drl_cpu_head_kernels(), *gpu_k = drl_cuda_head_kernels();
    xb_head_kernels(&x, cpu_k, gpu_k, 16, 24, 32, 12, 512);
    xb_head_kernels(&x, cpu_k, gpu_k, 5, 3, 7, 5, 33);
    xb_loss_kernels(&x, cpu_k, gpu_k);
    xb_clip_tiny(&x, 1e-4, 1e-4);
    xb_drl_steps(&x, cpu_k, gpu_k, 1e-4, 5e-4);
    x.prec = "tf32";
    drl_cuda_set_precision(DRL_CUDA_TF32);
    op_suite(&x, 5e-3);
    x.prec = "bf16";
    drl_cuda_set_precision(DRL_CUDA_BF16);
    op_suite(&x, 2e-2);
    xb_param_shadow(&x, 37, 65, 33);
    xb_clip_tiny(&x, 5e-2, 1e-1);
    xb_drl_steps(&x, cpu_k, gpu_k, 5e-2, 1e-1);
    printf("%d passed, %d failed\n", x.passed, x.failed);
    return x.failed ? 1 : 0;
}
