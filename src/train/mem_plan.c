#include "train/mem_plan.h"

#include <string.h>

#include "common/log.h"

void mem_plan_init(MemPlan *p, const RunBackend *be, const DrlModel *m, size_t model_bytes) {
    memset(p, 0, sizeof *p);
    p->where = be->is_cuda ? "device" : "host";
    p->clip_arena = m->clip.arena_bytes;
    p->params = sizeof(float) * m->pt.total;
    p->grads = sizeof(float) * m->pt.total;
    const size_t known = p->clip_arena + p->params + p->grads;
    p->heads = model_bytes > known ? model_bytes - known : 0;
    p->shadow = be->shadow_bytes;
    p->workspace = be->workspace_bytes;
}

size_t mem_plan_total(const MemPlan *p) {
    return p->clip_arena + p->heads + p->params + p->grads + p->moments + p->shadow + p->workspace +
           p->staging;
}

static void row(const char *what, size_t bytes) {
    log_info("  %-42s %14zu bytes (%10.1f MiB)", what, bytes, (double)bytes / 1048576.0);
}

void mem_plan_log(const MemPlan *p) {
    log_info("memory plan (%s memory, per rank):", p->where);
    row("CLIP activation arena", p->clip_arena);
    row("heads and other model buffers", p->heads);
    row("parameters (fp32)", p->params);
    row("gradients (fp32)", p->grads);
    row("Adam moments (fp32 m, v)", p->moments);
    row("bf16 parameter copy", p->shadow);
    row("cuBLASLt workspace", p->workspace);
    row("batch staging (ids, masks, uint8 frames)", p->staging);
    row("total", mem_plan_total(p));
}
