/* The run's backend (run.device, run.precision): the op table and the parts
 * of a step that are not ops, chosen together so that the run loop calls
 * one code path on both backends:
 * - frame normalisation of uint8 frames already in backend memory
 *   (train/frames.c on the CPU, cuda/cuda_frames.cu on the device);
 * - the BertAdam update over backend buffers (drl/optim.c bertadam_step on
 *   the CPU; cuda/cuda_optim.c drl_cuda_bertadam_step, with the fp16 mode
 *   of spec §11 and the bf16 weight copy, on the device);
 * - the collectives on backend memory (MPI on the CPU; NCCL with CUDA,
 *   bound to the run's DrlComm);
 * - the Adam moments (opt->m / opt->v on the CPU, device buffers with CUDA).
 * Only run_backend.c knows CUDA (DRL_HAVE_CUDA). */
#ifndef DRL_TRAIN_RUN_BACKEND_H
#define DRL_TRAIN_RUN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "comm/comm.h"
#include "config/config.h"
#include "drl/drl_model.h"
#include "drl/optim.h"

typedef struct {
    const DrlOps *ops;
    int is_cuda;
    char device_name[128]; /* "CPU" or the GPU's name */
    char precision[96];    /* what the matrix products compute in */
    /* out (N, 3, R, R) = normalised in (N, R, R, 3); frames with mask[n] == 0
     * are zeros (mask may be NULL). Every pointer is backend memory. */
    void (*normalise_frames)(float *out, const uint8_t *in, const int32_t *mask, int64_t N, int R);
    void *nccl;             /* DrlNccl* with CUDA, else NULL */
    size_t shadow_bytes;    /* the bf16 copy of the parameters (CUDA bf16), else 0 */
    size_t workspace_bytes; /* cuBLASLt workspace (CUDA), else 0 */
} RunBackend;

/* Chooses the backend for cfg->run.device and sets the precision; with CUDA
 * binds NCCL to comm (collective over comm's ranks). Logs the choice.
 * Returns 0, or -1 after logging the error (run.device = "cuda" without a
 * usable GPU, or a build without CUDA). */
int run_backend_select(RunBackend *b, const DrlConfig *cfg, DrlComm *comm);
/* After model_setup: the heads' device kernels and, in bf16, the bf16 copy
 * of the flat parameters (registered from the fp32 values). */
void run_backend_model_ready(RunBackend *b, DrlModel *m);
/* The fp32 parameters were overwritten outside the optimiser (a checkpoint
 * was loaded): refreshes the bf16 copy. */
void run_backend_params_changed(RunBackend *b, DrlModel *m);
/* Adam moments (pt->total each) in backend memory, zero: opt->m / opt->v on
 * the CPU; device buffers with CUDA (the host ones are released). */
void run_backend_moments(RunBackend *b, BertAdam *opt, const ParamTable *pt, float **m, float **v);
void run_backend_free_moments(RunBackend *b, BertAdam *opt, float *m, float *v);
/* One BertAdam update: params, grads, m, v backend memory (pt->total). */
void run_backend_adam(RunBackend *b, BertAdam *opt, const ParamTable *pt, float *params,
                      float *grads, float *m, float *v);
/* Bytes allocated in backend memory now: the CUDA allocation counter, or the
 * C library's allocated bytes on the CPU (glibc mallinfo2). */
size_t run_backend_bytes_in_use(const RunBackend *b);
/* Releases NCCL (collective) and detaches it from comm. */
void run_backend_free(RunBackend *b, DrlComm *comm);

#endif
