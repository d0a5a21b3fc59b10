/* The CPU backend's op tables: fp32 (drl_cpu_ops) and the same with bf16
 * matrix products in linear, matmul and attention (drl_cpu_ops_bf16). */
#include "ops/ops.h"

#include "cpu/cpu_bf16_gemm.h"
#include "cpu/cpu_im2col.h"
#include "cpu/cpu_internal.h"

/* Every entry but linear, matmul and attention: the same in both tables. */
#define CPU_SHARED_OPS                                                                             \
    .name = "cpu", .alloc = cpu_alloc, .free = cpu_free, .zero = cpu_zero,                         \
    .to_device = cpu_to_device, .to_host = cpu_to_host, .copy = cpu_copy, .sync = cpu_sync,        \
    .layernorm_fwd = cpu_layernorm_fwd, .layernorm_bwd = cpu_layernorm_bwd,                        \
    .residual_layernorm_fwd = cpu_residual_layernorm_fwd, .quickgelu_fwd = cpu_quickgelu_fwd,      \
    .quickgelu_bwd = cpu_quickgelu_bwd, .relu_fwd = cpu_relu_fwd, .relu_bwd = cpu_relu_bwd,        \
    .add = cpu_add, .axpy = cpu_axpy, .scale = cpu_scale, .softmax_fwd = cpu_softmax_fwd,          \
    .softmax_bwd = cpu_softmax_bwd, .embedding_fwd = cpu_embedding_fwd,                            \
    .embedding_bwd = cpu_embedding_bwd, .l2norm_fwd = cpu_l2norm_fwd,                              \
    .l2norm_bwd = cpu_l2norm_bwd, .masked_mean_fwd = cpu_masked_mean_fwd,                          \
    .masked_mean_bwd = cpu_masked_mean_bwd, .rowmax_fwd = cpu_rowmax_fwd,                          \
    .rowmax_bwd = cpu_rowmax_bwd, .round_fp16 = cpu_round_fp16, .im2col = cpu_im2col,              \
    .attention_state_floats = cpu_attention_state_floats

static const DrlOps cpu_ops = {
    CPU_SHARED_OPS,
    .linear_fwd = cpu_linear_fwd,
    .linear_bwd = cpu_linear_bwd,
    .matmul_fwd = cpu_matmul_fwd,
    .matmul_bwd = cpu_matmul_bwd,
    .attention_fwd = cpu_attention_fwd,
    .attention_bwd = cpu_attention_bwd,
};

static const DrlOps cpu_ops_bf16 = {
    CPU_SHARED_OPS,
    .linear_fwd = cpu_linear_bf16_fwd,
    .linear_bwd = cpu_linear_bf16_bwd,
    .matmul_fwd = cpu_matmul_bf16_fwd,
    .matmul_bwd = cpu_matmul_bf16_bwd,
    .attention_fwd = cpu_attention_bf16_fwd,
    .attention_bwd = cpu_attention_bf16_bwd,
};

const DrlOps *drl_cpu_ops(void) {
    return &cpu_ops;
}

const DrlOps *drl_cpu_ops_bf16(char *why, size_t len) {
    return cpu_bf16_gemm_available(why, len) ? &cpu_ops_bf16 : NULL;
}

int drl_ops_is_cpu(const DrlOps *ops) {
    return ops == &cpu_ops || ops == &cpu_ops_bf16;
}
