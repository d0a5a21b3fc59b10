#include "train/run_backend.h"

#include <malloc.h>
/* Under AddressSanitizer malloc is ASan's, and glibc's mallinfo2 sees none of
 * it: the byte count comes from the sanitizer's allocator instead. */
#if defined(__SANITIZE_ADDRESS__)
#define DRL_ASAN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DRL_ASAN_ALLOCATOR 1
#endif
#endif
#ifdef DRL_ASAN_ALLOCATOR
/* sanitizer/allocator_interface.h (not installed with every compiler) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "train/frames.h"
#ifdef DRL_HAVE_CUDA
#include "cuda/backend_select.h"
#include "cuda/cuda_backend.h"
#include "cuda/cuda_optim.h"
#include "cuda/nccl_comm.h"
#include "cuda/cuda_heads.h"
#endif

#ifdef DRL_HAVE_CUDA
static void cuda_normalise(float *out, const uint8_t *in, const int32_t *mask, int64_t N, int R) {
    drlCheck(N <= INT32_MAX, "frame normalisation: more than 2^31 frames in one batch");
    drl_cuda_normalise_frames_masked(out, in, mask, (int)N, R);
}

static DrlCudaPrecision cuda_precision(DrlPrecision p) {
    return p == DRL_PREC_FP32 ? DRL_CUDA_FP32 : p == DRL_PREC_TF32 ? DRL_CUDA_TF32 : DRL_CUDA_BF16;
}
#endif

/* run.precision on the CPU backend: auto and fp32 keep drl_cpu_ops() (fp32,
 * the reference numerics); bf16 selects drl_cpu_ops_bf16() (bf16 products,
 * fp32 accumulation, fp32 everywhere else) or fails when this build or CPU
 * has none; tf32 (a CUDA tensor-core format) runs as fp32, with a warning.
 * Returns 0, or -1 after logging the error. */
static int cpu_precision(RunBackend *b, DrlPrecision p) {
    if (p == DRL_PREC_TF32)
        log_warn("run.precision = \"tf32\" applies to CUDA only: the CPU backend computes in "
                 "fp32");
    if (p != DRL_PREC_BF16) return 0;
    char why[256] = "";
    const DrlOps *ops = drl_cpu_ops_bf16(why, sizeof why);
    if (!ops) {
        log_error("run.precision = \"bf16\" on the CPU: %s; use \"auto\" or \"fp32\"", why);
        return -1;
    }
    b->ops = ops;
    snprintf(b->precision, sizeof b->precision,
             "bf16 matrix products (fp32 accumulation), fp32 elsewhere (fp32 master weights)");
    return 0;
}

int run_backend_select(RunBackend *b, const DrlConfig *cfg, DrlComm *comm) {
    memset(b, 0, sizeof *b);
    const char *dev = config_enum_name("run.device", cfg->run.device);
    b->ops = drl_cpu_ops();
    b->normalise_frames = frames_normalise;
    snprintf(b->device_name, sizeof b->device_name, "CPU");
    snprintf(b->precision, sizeof b->precision, "fp32 (the CPU backend computes in fp32)");
#ifdef DRL_HAVE_CUDA
    char msg[512] = "";
    const DrlOps *ops = drl_select_backend(dev, msg, sizeof msg);
    if (!ops) {
        log_error("run.device = \"%s\": %s", dev, msg);
        return -1;
    }
    if (msg[0]) log_info("%s", msg);
    if (strcmp(ops->name, "cuda") == 0) {
        char why[256] = "";
        drl_cuda_available(why, sizeof why); /* "<name>, <SMs> SMs, <memory> GiB" */
        why[strcspn(why, ",")] = '\0';
        snprintf(b->device_name, sizeof b->device_name, "%s", why);
        b->ops = ops;
        b->is_cuda = 1;
        b->normalise_frames = cuda_normalise;
        const DrlCudaPrecision p = cuda_precision(cfg->run.precision);
        drl_cuda_set_precision(p);
        snprintf(b->precision, sizeof b->precision, "%s matrix products, fp32 elsewhere%s",
                 drl_cuda_precision_name(p),
                 p == DRL_CUDA_BF16 ? " (fp32 master weights, bf16 weight copy)" : "");
        /* NCCL first: it picks this rank's GPU (node-local rank) before the
         * backend's context (cuBLASLt, workspace) is created on the current one */
        if (comm->comm != MPI_COMM_NULL) {
            b->nccl = drl_nccl_init(comm->comm);
            drl_nccl_bind(comm, b->nccl);
        }
        b->workspace_bytes = drl_cuda_workspace_bytes();
    }
#else
    if (cfg->run.device == DRL_DEVICE_CUDA) {
        log_error("run.device = \"%s\": this build has no CUDA backend (nvcc was not found when "
                  "it was configured); use \"cpu\" or \"auto\"",
                  dev);
        return -1;
    }
#endif
    if (!b->is_cuda && cpu_precision(b, cfg->run.precision)) return -1;
    log_info("backend: %s, precision %s, backend-memory collectives over %s", b->ops->name,
             b->precision, comm_backend_name(comm));
    return 0;
}

void run_backend_model_ready(RunBackend *b, DrlModel *m) {
    (void)m;
    if (!b->is_cuda) return;
#ifdef DRL_HAVE_CUDA
    drl_model_set_head_kernels(m, drl_cuda_head_kernels());
    if (drl_cuda_get_precision() == DRL_CUDA_BF16) {
        drl_cuda_register_param_shadow(m->pt.data, m->pt.total);
        b->shadow_bytes = drl_cuda_param_shadow_bytes();
    }
#endif
}

void run_backend_params_changed(RunBackend *b, DrlModel *m) {
    if (!b->is_cuda || !b->shadow_bytes) return;
#ifdef DRL_HAVE_CUDA
    drl_cuda_register_param_shadow(m->pt.data, m->pt.total);
#else
    (void)m;
#endif
}

void run_backend_moments(RunBackend *b, BertAdam *opt, const ParamTable *pt, float **m, float **v) {
    if (!b->is_cuda) {
        *m = opt->m, *v = opt->v;
        return;
    }
    free(opt->m), free(opt->v); /* the device moments replace them */
    opt->m = opt->v = NULL;
    *m = b->ops->alloc(sizeof(float) * (pt->total ? pt->total : 1)); // (total) zero
    *v = b->ops->alloc(sizeof(float) * (pt->total ? pt->total : 1)); // (total) zero
}

void run_backend_free_moments(RunBackend *b, BertAdam *opt, float *m, float *v) {
    (void)opt;
    if (!b->is_cuda) return; /* bertadam_free releases opt->m / opt->v */
    b->ops->free(m);
    b->ops->free(v);
}

void run_backend_adam(RunBackend *b, BertAdam *opt, const ParamTable *pt, float *params,
                      float *grads, float *m, float *v) {
    if (!b->is_cuda) {
        drlCheck(m == opt->m && v == opt->v, "the CPU update keeps its moments in the optimiser");
        bertadam_step(opt, pt, params, grads);
        return;
    }
#ifdef DRL_HAVE_CUDA
    drl_cuda_bertadam_step(opt, pt, params, grads, m, v);
#endif
}

size_t run_backend_bytes_in_use(const RunBackend *b) {
#ifdef DRL_HAVE_CUDA
    if (b->is_cuda) {
        size_t cur = 0;
        drl_cuda_mem_stats(&cur, NULL);
        return cur;
    }
#endif
    (void)b;
#ifdef DRL_ASAN_ALLOCATOR
    return __sanitizer_get_current_allocated_bytes(); /* ASan's allocator: glibc's has nothing */
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

void run_backend_free(RunBackend *b, DrlComm *comm) {
#ifdef DRL_HAVE_CUDA
    if (b->shadow_bytes) {
        drl_cuda_release_param_shadow();
        b->shadow_bytes = 0;
    }
    if (b->nccl) {
        comm_use_device(comm, NULL);
        drl_nccl_free(b->nccl);
        b->nccl = NULL;
    }
#else
    (void)comm;
#endif
    (void)b;
}
