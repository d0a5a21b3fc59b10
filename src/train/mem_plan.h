/* The memory plan printed at the start of a run (issue 7): the bytes of each
 * component in backend memory (device memory with CUDA, host memory on the
 * CPU), from the sizes actually allocated:
 * - CLIP activation arena: Clip.arena_bytes (model/clip.c);
 * - heads and other model buffers: what model_setup allocated in backend
 *   memory (measured, run_backend_bytes_in_use) less the arena, the
 *   parameters and the gradients;
 * - parameters and gradients: pt.total floats each; Adam moments: 2 x that
 *   (training only);
 * - bf16 parameter copy (CUDA, bf16): 2 bytes per parameter;
 * - cuBLASLt workspace (CUDA);
 * - batch staging (ids, masks, uint8 frames of one training batch). */
#ifndef DRL_TRAIN_MEM_PLAN_H
#define DRL_TRAIN_MEM_PLAN_H

#include <stddef.h>

#include "drl/drl_model.h"
#include "train/run_backend.h"

typedef struct {
    const char *where; /* "device" or "host" */
    size_t clip_arena, heads, params, grads, moments, shadow, workspace, staging;
} MemPlan;

/* model_bytes: backend bytes model_setup allocated (measured). */
void mem_plan_init(MemPlan *p, const RunBackend *be, const DrlModel *m, size_t model_bytes);
size_t mem_plan_total(const MemPlan *p);
/* Logs one line per component ("memory plan (...)" then "  <component> <bytes> bytes (x MiB)"). */
void mem_plan_log(const MemPlan *p);

#endif
