/* The CUDA backend's op table. */
#include "cuda/cuda_internal.cuh"

static const DrlOps cuda_ops_table = {
    .name = "cuda",
    .alloc = cuda_alloc,
    .free = cuda_free,
    .zero = cuda_zero,
    .to_device = cuda_to_device,
    .to_host = cuda_to_host,
    .copy = cuda_copy,
    .sync = cuda_sync,
    .linear_fwd = cuda_linear_fwd,
    .linear_bwd = cuda_linear_bwd,
    .matmul_fwd = cuda_matmul_fwd,
    .matmul_bwd = cuda_matmul_bwd,
    .layernorm_fwd = cuda_layernorm_fwd,
    .layernorm_bwd = cuda_layernorm_bwd,
    .residual_layernorm_fwd = cuda_residual_layernorm_fwd,
    .attention_fwd = cuda_attention_fwd,
    .attention_bwd = cuda_attention_bwd,
    .quickgelu_fwd = cuda_quickgelu_fwd,
    .quickgelu_bwd = cuda_quickgelu_bwd,
    .relu_fwd = cuda_relu_fwd,
    .relu_bwd = cuda_relu_bwd,
    .add = cuda_add,
    .axpy = cuda_axpy,
    .scale = cuda_scale,
    .softmax_fwd = cuda_softmax_fwd,
    .softmax_bwd = cuda_softmax_bwd,
    .embedding_fwd = cuda_embedding_fwd,
    .embedding_bwd = cuda_embedding_bwd,
    .l2norm_fwd = cuda_l2norm_fwd,
    .l2norm_bwd = cuda_l2norm_bwd,
    .masked_mean_fwd = cuda_masked_mean_fwd,
    .masked_mean_bwd = cuda_masked_mean_bwd,
    .rowmax_fwd = cuda_rowmax_fwd,
    .rowmax_bwd = cuda_rowmax_bwd,
    .round_fp16 = cuda_round_fp16,
    .im2col = drl_cuda_im2col,
    .attention_state_floats = cuda_attention_state_floats,
};

extern "C" const DrlOps *drl_cuda_ops(void) {
    return &cuda_ops_table;
}
