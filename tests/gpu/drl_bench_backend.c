#include "drl_bench_backend.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/check.h"
#ifdef DRL_HAVE_CUDA
#include "cuda/cuda_backend.h"
#include "cuda/cuda_heads.h"
#include "cuda/cuda_optim.h"
#endif

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int open_cuda(BenchBackend *b, const char *precision, char *why, size_t len) {
#ifdef DRL_HAVE_CUDA
    if (!drl_cuda_available(why, len)) return 77;
    DrlCudaPrecision p;
    if (!strcmp(precision, "bf16")) {
        p = DRL_CUDA_BF16;
    } else if (!strcmp(precision, "tf32")) {
        p = DRL_CUDA_TF32;
    } else if (!strcmp(precision, "fp32")) {
        p = DRL_CUDA_FP32;
    } else {
        snprintf(why, len, "--precision '%s': expected bf16, tf32 or fp32", precision);
        return 2;
    }
    b->ops = drl_cuda_ops();
    b->cuda = 1;
    drl_cuda_set_precision(p);
    snprintf(b->device, sizeof b->device, "%s", why);
    snprintf(b->precision, sizeof b->precision, "%s", drl_cuda_precision_name(p));
    b->rate_what = "cuBLASLt bf16 GEMM 8192^3, fp32 accumulation";
    b->memory_what = "allocated through the CUDA backend (parameters, gradients, moments, "
                     "activations, cuBLASLt workspace, scratch)";
    return 0;
#else
    (void)b, (void)precision;
    snprintf(why, len, "this build has no CUDA backend (nvcc was not found at configure time)");
    return 77;
#endif
}

int bench_backend_open(BenchBackend *b, const char *name, const char *precision, char *why,
                       size_t len) {
    memset(b, 0, sizeof *b);
    if (!strcmp(name, "cuda")) return open_cuda(b, precision, why, len);
    if (strcmp(name, "cpu") != 0) {
        snprintf(why, len, "--backend '%s': expected cpu or cuda", name);
        return 2;
    }
    if (strcmp(precision, "fp32") != 0) {
        snprintf(why, len, "--precision '%s': the CPU backend computes in fp32", precision);
        return 2;
    }
    b->ops = drl_cpu_ops();
    snprintf(b->device, sizeof b->device, "cpu, %d OpenMP threads", omp_get_max_threads());
    snprintf(b->precision, sizeof b->precision, "fp32");
    b->rate_what = "the CPU backend's fp32 matmul";
    b->memory_what = "peak resident set of the process";
    return 0;
}

/* Best of reps of the backend's matmul_fwd at n x n x n. */
static double cpu_matmul_tflops(const DrlOps *ops, int n, int reps) {
    const size_t nn = (size_t)n * n;
    float *a = ops->alloc(nn * sizeof(float)); // (n, n)
    float *w = ops->alloc(nn * sizeof(float)); // (n, n)
    float *c = ops->alloc(nn * sizeof(float)); // (n, n)
    for (size_t i = 0; i < nn; i++)
        a[i] = (float)(i % 7) * 0.1f, w[i] = (float)(i % 5) * 0.1f;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        ops->matmul_fwd(c, a, w, n, n, n);
        ops->sync();
        double el = now_s() - t0;
        if (el < best) best = el;
    }
    ops->free(a), ops->free(w), ops->free(c);
    return 2.0 * n * (double)nn / best / 1e12;
}

double bench_backend_matrix_tflops(const BenchBackend *b, int tiny) {
#ifdef DRL_HAVE_CUDA
    if (b->cuda) return drl_cuda_bf16_gemm_tflops(8192, 10);
#endif
    return cpu_matmul_tflops(b->ops, tiny ? 256 : 1024, 3);
}

void bench_backend_model_ready(BenchBackend *b, DrlModel *m) {
    if (!b->cuda) return;
#ifdef DRL_HAVE_CUDA
    drl_model_set_head_kernels(m, drl_cuda_head_kernels());
    if (drl_cuda_get_precision() == DRL_CUDA_BF16) {
        drl_cuda_register_param_shadow(m->pt.data, m->pt.total);
        b->shadow = 1;
    }
#else
    (void)m;
#endif
}

void bench_backend_optim_alloc(BenchBackend *b, const ParamTable *pt) {
    if (!b->cuda) return;
    b->m = b->ops->alloc(pt->total * sizeof(float)); // (total)
    b->v = b->ops->alloc(pt->total * sizeof(float)); // (total)
    b->ops->zero(b->m, pt->total * sizeof(float));
    b->ops->zero(b->v, pt->total * sizeof(float));
}

void bench_backend_optim_step(BenchBackend *b, BertAdam *opt, const ParamTable *pt) {
#ifdef DRL_HAVE_CUDA
    if (b->cuda) {
        drl_cuda_bertadam_step(opt, pt, pt->data, pt->grad, b->m, b->v);
        return;
    }
#endif
    bertadam_step(opt, pt, pt->data, pt->grad);
}

void bench_backend_mem_reset(const BenchBackend *b) {
#ifdef DRL_HAVE_CUDA
    if (b->cuda) drl_cuda_mem_reset_peak();
#else
    (void)b;
#endif
}

double bench_backend_peak_gib(const BenchBackend *b) {
#ifdef DRL_HAVE_CUDA
    if (b->cuda) {
        size_t cur = 0, peak = 0;
        drl_cuda_mem_stats(&cur, &peak);
        return (double)peak / 1073741824.0;
    }
#else
    (void)b;
#endif
    struct rusage u;
    sysCheck(getrusage(RUSAGE_SELF, &u) == 0, "getrusage");
    return (double)u.ru_maxrss / 1048576.0; /* KiB -> GiB */
}

void bench_backend_close(BenchBackend *b) {
#ifdef DRL_HAVE_CUDA
    if (b->shadow) drl_cuda_release_param_shadow();
#endif
    b->shadow = 0;
    if (b->m) b->ops->free(b->m);
    if (b->v) b->ops->free(b->v);
    b->m = b->v = NULL;
}
