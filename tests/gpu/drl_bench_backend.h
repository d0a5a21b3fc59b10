/* The backend side of the DRL step benchmark (bench_drl_step.c): the op table
 * (CPU, or CUDA when the build has it), the optimizer update on that
 * backend's buffers, the measured dense matrix rate (the MFU denominator)
 * and the peak memory. One code path for both backends, so the benchmark's
 * plumbing runs on the CPU here and on the GPU of the device check. */
#ifndef DRL_TESTS_GPU_DRL_BENCH_BACKEND_H
#define DRL_TESTS_GPU_DRL_BENCH_BACKEND_H

#include <stddef.h>

#include "drl/drl_model.h"
#include "drl/optim.h"
#include "model/params.h"
#include "ops/ops.h"

typedef struct {
    const DrlOps *ops;
    int cuda;                /* 1: the CUDA backend */
    char device[256];        /* what the machine is ("cpu, 16 threads" or the GPU's words) */
    char precision[16];      /* matrix precision: "fp32" on the CPU; bf16 | tf32 | fp32 on CUDA */
    const char *rate_what;   /* what the matrix rate measured */
    const char *memory_what; /* what the peak memory counts */
    float *m, *v;            /* (total) Adam moments on the device (CUDA only) */
    int shadow;              /* 1: a bf16 parameter copy is registered */
} BenchBackend;

/* Opens "cpu" or "cuda" at a matrix precision ("bf16", "tf32", "fp32"; the
 * CPU backend is fp32 only). Returns 0; 77 with the reason in why when no
 * CUDA device is usable (or the build has no CUDA); 2 for a bad name. */
int bench_backend_open(BenchBackend *b, const char *name, const char *precision, char *why,
                       size_t len);

/* Measured dense matrix rate in TFLOP/s: cuBLASLt bf16 at 8192^3 on CUDA
 * (whatever the step's precision), the backend's fp32 matmul at n^3 on the
 * CPU (n = 256 for tiny runs, 1024 otherwise). */
double bench_backend_matrix_tflops(const BenchBackend *b, int tiny);

/* What the training run does once the model is built (train/run_backend.c):
 * on CUDA, the heads' device kernels (cuda/cuda_heads.h) and, at bf16, the
 * bf16 copy of the parameters that the matrix products read and the update
 * refreshes (drl_cuda_register_param_shadow). */
void bench_backend_model_ready(BenchBackend *b, DrlModel *m);

/* Zero-filled moments for the optimizer (CUDA: device buffers; the CPU
 * update keeps them in the BertAdam struct). */
void bench_backend_optim_alloc(BenchBackend *b, const ParamTable *pt);
/* One BertAdam update of pt->data from pt->grad on the backend. */
void bench_backend_optim_step(BenchBackend *b, BertAdam *opt, const ParamTable *pt);

/* Peak memory since the last reset in GiB: allocations through the backend
 * (parameters, moments, activations, scratch) on CUDA; the process's peak
 * resident set on the CPU (never reset: since start). */
void bench_backend_mem_reset(const BenchBackend *b);
double bench_backend_peak_gib(const BenchBackend *b);

void bench_backend_close(BenchBackend *b);

#endif
