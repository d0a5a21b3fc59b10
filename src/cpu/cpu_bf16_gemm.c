/* The bf16 matrix product on oneDNN's matmul primitive: bf16 source and
 * weights, fp32 destination, alpha as the output scale, beta as a sum
 * post-op. An engine and a stream are made per call (a few microseconds);
 * oneDNN's own primitive cache keeps the JIT-compiled kernels between calls,
 * so this file holds no state of its own. */
#include "cpu/cpu_bf16_gemm.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"

#ifdef DRL_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>

/* oneDNN call: any status other than dnnl_success ends the run. */
#define dnnlCheck(call)                                                                            \
    do {                                                                                           \
        dnnl_status_t dnnl_st_ = (call);                                                           \
        if (dnnl_st_ != dnnl_success) {                                                            \
            char dnnl_msg_[64];                                                                    \
            snprintf(dnnl_msg_, sizeof dnnl_msg_, "oneDNN status %d", (int)dnnl_st_);              \
            drl_fail(__FILE__, __LINE__, #call, dnnl_msg_,                                         \
                     "the bf16 matrix product needs oneDNN's bf16 matmul (an AVX-512 CPU); "       \
                     "use run.precision = \"fp32\"");                                              \
        }                                                                                          \
    } while (0)

/* 2 when v has no batch (oneDNN's 2-D matmul), else 4. */
static int plain_ndims(const CpuBf16Matmul *v) {
    return v->batch[0] == 1 && v->batch[1] == 1 ? 2 : 4;
}

/* The matmul's primitive descriptor for v (see cpu_bf16_gemm.h); NULL with
 * *status when oneDNN has no implementation. */
static dnnl_primitive_desc_t make_pd(dnnl_engine_t eng, const CpuBf16Matmul *v,
                                     dnnl_status_t *status) {
    const int nd = plain_ndims(v), o = 4 - nd; // without the batch dims when there is no batch
    const dnnl_dims_t a_dims = {v->batch[0], v->batch[1], v->M, v->K};
    const dnnl_dims_t b_dims = {v->batch[0], v->batch[1], v->K, v->N};
    const dnnl_dims_t c_dims = {v->batch[0], v->batch[1], v->M, v->N};
    const dnnl_dims_t bias_dims = {1, 1, 1, v->N};
    dnnl_dims_t a_str, b_str, c_str;
    for (int d = 0; d < 4; d++)
        a_str[d] = v->a_str[d], b_str[d] = v->b_str[d], c_str[d] = v->c_str[d];
    dnnl_memory_desc_t a_md, b_md, c_md, bias_md;
    dnnlCheck(dnnl_memory_desc_init_by_strides(&a_md, nd, a_dims + o, dnnl_bf16, a_str + o));
    if (v->b_blocked) // the product's own layout, chosen by oneDNN
        dnnlCheck(
            dnnl_memory_desc_init_by_tag(&b_md, nd, b_dims + o, dnnl_bf16, dnnl_format_tag_any));
    else
        dnnlCheck(dnnl_memory_desc_init_by_strides(&b_md, nd, b_dims + o, dnnl_bf16, b_str + o));
    dnnlCheck(dnnl_memory_desc_init_by_strides(&c_md, nd, c_dims + o, dnnl_f32, c_str + o));
    dnnlCheck(dnnl_memory_desc_init_by_tag(&bias_md, nd, bias_dims + o, dnnl_f32,
                                           nd == 2 ? dnnl_ab : dnnl_abcd));
    dnnl_matmul_desc_t desc;
    dnnlCheck(dnnl_matmul_desc_init(&desc, &a_md, &b_md, v->bias ? &bias_md : NULL, &c_md));
    dnnl_primitive_attr_t attr;
    dnnlCheck(dnnl_primitive_attr_create(&attr));
    if (v->alpha != 1.0f) dnnlCheck(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &v->alpha));
    if (v->beta != 0.0f) {
        dnnl_post_ops_t po;
        dnnlCheck(dnnl_post_ops_create(&po));
        dnnlCheck(dnnl_post_ops_append_sum(po, v->beta));
        dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnlCheck(dnnl_post_ops_destroy(po));
    }
    dnnl_primitive_desc_t pd = NULL;
    *status = dnnl_primitive_desc_create(&pd, &desc, attr, eng, NULL);
    dnnlCheck(dnnl_primitive_attr_destroy(attr));
    return *status == dnnl_success ? pd : NULL;
}

int cpu_bf16_gemm_available(char *why, size_t len) {
    dnnl_engine_t eng;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success) {
        if (why) snprintf(why, len, "oneDNN could not create a CPU engine");
        return 0;
    }
    const CpuBf16Matmul v = {.batch = {1, 1},
                             .M = 16,
                             .N = 16,
                             .K = 16,
                             .alpha = 1.0f,
                             .beta = 1.0f,
                             .a_str = {256, 256, 16, 1},
                             .b_str = {256, 256, 16, 1},
                             .c_str = {256, 256, 16, 1}};
    dnnl_status_t st;
    dnnl_primitive_desc_t pd = make_pd(eng, &v, &st);
    if (pd) dnnlCheck(dnnl_primitive_desc_destroy(pd));
    dnnlCheck(dnnl_engine_destroy(eng));
    if (!pd && why)
        snprintf(why, len,
                 "oneDNN has no bf16 matmul for this CPU (status %d; it needs AVX-512, "
                 "avx512_bf16 for full speed)",
                 (int)st);
    return pd != NULL;
}

/* A new 64-byte aligned buffer of at least bytes. */
static void *alignedCheck(size_t bytes) {
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    sysCheck(p != NULL, "cpu_bf16_matmul: out of memory for an operand's blocked copy");
    return p;
}

/* 1 when b_md is oneDNN's BA16a64b2a layout of a (K, N) B. */
static int is_ba16a64b2a(const dnnl_memory_desc_t *b_md, int K, int N) {
    const dnnl_dims_t dims = {K, N};
    dnnl_memory_desc_t md;
    dnnlCheck(dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_bf16, dnnl_BA16a64b2a));
    return dnnl_memory_desc_equal(&md, b_md);
}

/* A new bf16 copy of v->B32 with the same (dense) strides v->b_str. */
static uint16_t *plain_copy(const CpuBf16Matmul *v) {
    const int64_t n = (int64_t)v->batch[0] * v->batch[1] * v->K * v->N;
    uint16_t *h = mallocCheck(sizeof(uint16_t) * (size_t)n);        // like B32
    const int rows_major = v->b_str[2] == v->N && v->b_str[3] == 1; // (K, N) rows
    const int cols_major = v->b_str[2] == 1 && v->b_str[3] == v->K; // stored (N, K)
    drlCheck(v->batch[0] == 1 && v->batch[1] == 1 && (rows_major || cols_major),
             "cpu_bf16_matmul: B32 must be one dense (K, N) or (N, K) matrix");
    if (rows_major)
        cpu_bf16_pack(h, v->B32, v->K, v->N, v->N);
    else
        cpu_bf16_pack(h, v->B32, v->N, v->K, v->K);
    return h;
}

/* A new buffer holding v's B (bf16, v->b_str) in the layout b_md (oneDNN's
 * choice for the product), or NULL when that is B's own layout. */
static void *reorder_b(dnnl_engine_t eng, dnnl_stream_t stream, const CpuBf16Matmul *v,
                       const dnnl_memory_desc_t *b_md) {
    const dnnl_dims_t b_dims = {v->batch[0], v->batch[1], v->K, v->N};
    dnnl_dims_t b_str;
    for (int d = 0; d < 4; d++)
        b_str[d] = v->b_str[d];
    const int nd = plain_ndims(v), o = 4 - nd;
    dnnl_memory_desc_t plain_md;
    dnnlCheck(dnnl_memory_desc_init_by_strides(&plain_md, nd, b_dims + o, dnnl_bf16, b_str + o));
    if (dnnl_memory_desc_equal(&plain_md, b_md)) return NULL;
    void *buf = alignedCheck(dnnl_memory_desc_get_size(b_md)); // B in b_md's layout
    dnnl_memory_t from, to;
    dnnlCheck(dnnl_memory_create(&from, &plain_md, eng, (void *)v->B));
    dnnlCheck(dnnl_memory_create(&to, b_md, eng, buf));
    dnnl_primitive_desc_t rpd;
    dnnlCheck(dnnl_reorder_primitive_desc_create(&rpd, &plain_md, eng, b_md, eng, NULL));
    dnnl_primitive_t reorder;
    dnnlCheck(dnnl_primitive_create(&reorder, rpd));
    const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    dnnlCheck(dnnl_primitive_execute(reorder, stream, 2, args));
    dnnlCheck(dnnl_stream_wait(stream));
    dnnlCheck(dnnl_primitive_destroy(reorder));
    dnnlCheck(dnnl_primitive_desc_destroy(rpd));
    dnnlCheck(dnnl_memory_destroy(from));
    dnnlCheck(dnnl_memory_destroy(to));
    return buf;
}

void cpu_bf16_matmul(const CpuBf16Matmul *v) {
    drlCheck(v->batch[0] > 0 && v->batch[1] > 0 && v->M > 0 && v->N > 0 && v->K > 0,
             "cpu_bf16_matmul: empty shape");
    dnnl_engine_t eng;
    dnnlCheck(dnnl_engine_create(&eng, dnnl_cpu, 0));
    dnnl_stream_t stream;
    dnnlCheck(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
    dnnl_status_t st;
    dnnl_primitive_desc_t pd = make_pd(eng, v, &st);
    dnnlCheck(st);
    dnnl_primitive_t prim;
    dnnlCheck(dnnl_primitive_create(&prim, pd));
    const dnnl_memory_desc_t *a_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *b_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *c_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_memory_t mem[4];
    dnnlCheck(dnnl_memory_create(&mem[0], a_md, eng, (void *)v->A));
    void *b32_copy = NULL; // B32 rounded, plain (strides b_str), when not written blocked
    void *b_buf = NULL;    // B in b_md's layout when that is not B's own
    CpuBf16Matmul u = *v;
    if (v->B32 && v->b_blocked && is_ba16a64b2a(b_md, v->K, v->N)) {
        b_buf = alignedCheck(sizeof(uint16_t) * cpu_bf16_ba16a64b2a_elems(v->K, v->N));
        cpu_bf16_pack_ba16a64b2a(b_buf, v->B32, v->K, v->N, v->b_str[2], v->b_str[3]);
    } else {
        if (v->B32) u.B = b32_copy = plain_copy(v);
        if (u.b_blocked) b_buf = reorder_b(eng, stream, &u, b_md);
    }
    dnnlCheck(dnnl_memory_create(&mem[1], b_md, eng, b_buf ? b_buf : (void *)u.B));
    dnnlCheck(dnnl_memory_create(&mem[2], c_md, eng, v->C));
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, mem[0]}, {DNNL_ARG_WEIGHTS, mem[1]}, {DNNL_ARG_DST, mem[2]}};
    int nargs = 3;
    if (v->bias) {
        const dnnl_memory_desc_t *bias_md =
            dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
        dnnlCheck(dnnl_memory_create(&mem[3], bias_md, eng, (void *)v->bias));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mem[3]};
    }
    dnnlCheck(dnnl_primitive_execute(prim, stream, nargs, args));
    dnnlCheck(dnnl_stream_wait(stream));
    for (int i = 0; i < nargs; i++)
        dnnlCheck(dnnl_memory_destroy(mem[i]));
    free(b_buf);
    free(b32_copy);
    dnnlCheck(dnnl_primitive_destroy(prim));
    dnnlCheck(dnnl_primitive_desc_destroy(pd));
    dnnlCheck(dnnl_stream_destroy(stream));
    dnnlCheck(dnnl_engine_destroy(eng));
}

#else /* no oneDNN in this build */

int cpu_bf16_gemm_available(char *why, size_t len) {
    if (why)
        snprintf(why, len,
                 "this build has no bf16 CPU matrix product (oneDNN, Debian's libdnnl-dev, "
                 "was not found when it was configured, or DRL_ONEDNN=OFF)");
    return 0;
}

void cpu_bf16_matmul(const CpuBf16Matmul *v) {
    (void)v;
    drl_fail(__FILE__, __LINE__, "cpu_bf16_matmul", "built without oneDNN",
             "install libdnnl-dev and reconfigure, or use run.precision = \"fp32\"");
}

#endif

/* C (M, N) = beta * C (the product of an empty K). */
static void scale_c(float *C, int M, int N, int ldc, float beta) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++)
            C[(size_t)m * ldc + n] = beta == 0.0f ? 0.0f : beta * C[(size_t)m * ldc + n];
}

void cpu_bf16_gemm_packed(int trans_a, int trans_b, int M, int N, int K, float alpha,
                          const uint16_t *A, const uint16_t *B, float beta, float *C, int ldc) {
    // A (M, K) or (K, M), B (K, N) or (N, K), C (M, ldc)
    drlCheck(M > 0 && N > 0 && K > 0 && ldc >= N, "cpu_bf16_gemm_packed: empty or bad shape");
    const int64_t mk = (int64_t)M * K, kn = (int64_t)K * N, mn = (int64_t)M * ldc;
    const CpuBf16Matmul v = {
        .batch = {1, 1},
        .M = M,
        .N = N,
        .K = K,
        .alpha = alpha,
        .beta = beta,
        .A = A,
        .a_str = {mk, mk, trans_a ? 1 : K, trans_a ? M : 1}, // (M, K) or (K, M)
        .B = B,
        .b_str = {kn, kn, trans_b ? 1 : N, trans_b ? K : 1}, // (K, N) or (N, K)
        .C = C,
        .c_str = {mn, mn, ldc, 1},
        .b_blocked = M >= CPU_BF16_BLOCKED_B_MIN_M};
    cpu_bf16_matmul(&v);
}

void cpu_bf16_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    // A (M, K) or (K, M) with lda; B (K, N) or (N, K) with ldb; C (M, ldc)
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(C, M, N, ldc, beta);
        return;
    }
    uint16_t *a16 = mallocCheck(sizeof(uint16_t) * (size_t)M * K); // stored like A, contiguous
    uint16_t *b16 = mallocCheck(sizeof(uint16_t) * (size_t)K * N); // stored like B, contiguous
    if (trans_a)
        cpu_bf16_pack(a16, A, K, M, lda);
    else
        cpu_bf16_pack(a16, A, M, K, lda);
    if (trans_b)
        cpu_bf16_pack(b16, B, N, K, ldb);
    else
        cpu_bf16_pack(b16, B, K, N, ldb);
    cpu_bf16_gemm_packed(trans_a, trans_b, M, N, K, alpha, a16, b16, beta, C, ldc);
    free(b16);
    free(a16);
}
