/* Host mirrors of the DRL step: release and parameter transfers. */
#include "drl/drl_host.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"

void drl_host_free(DrlHost *h) {
    void *bufs[] = {h->vm_local, h->keymask, h->tm,        h->vm,         h->pick_t,
                    h->pick_v,   h->sim,     h->sim_vt,    h->logits_t2v, h->logits_v2t,
                    h->dZ,       h->dsim,    h->dsim2,     h->wt,         h->wv,
                    h->targ,     h->varg,    h->xti_score, h->gtmp};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    scratch_free(&h->cdcr);
    memset(h, 0, sizeof *h);
}

void drl_host_get_param(const DrlOps *ops, const ParamTable *pt, const float *flat, int index,
                        float *dst) {
    ops->to_host(dst, flat + pt->info[index].offset, sizeof(float) * pt->info[index].numel);
}

void drl_host_add_grad(DrlHost *h, const DrlOps *ops, const ParamTable *pt, int index,
                       const float *g) {
    const size_t n = pt->info[index].numel;
    drlCheck(n <= h->gtmp_n, "host gradient scratch smaller than a head tensor");
    float *dst = pt->grad + pt->info[index].offset;
    ops->to_host(h->gtmp, dst, sizeof(float) * n);
    for (size_t k = 0; k < n; k++)
        h->gtmp[k] += g[k];
    ops->to_device(dst, h->gtmp, sizeof(float) * n);
}
