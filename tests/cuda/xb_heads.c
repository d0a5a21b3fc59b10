/* Cross-backend check of the heads' token-wise kernels (drl/head_kernels.h):
 * the same random problem through both tables; the similarities, the maxima
 * and argmaxima, and the accumulated gradients compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "xb_step.h"

/* int16 device array against a host reference, bit for bit. */
static void check_i16(Xb *x, const char *op, const int16_t *ref, const int16_t *dev, size_t n) {
    xb_check_exact(x, op, ref, dev, n, sizeof(int16_t));
}

static int16_t *dev_i16(Xb *x, size_t n) {
    return x->gpu->alloc((n ? n : 1) * sizeof(int16_t));
}

void xb_head_kernels(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, int Bt,
                     int Bv, int L, int T, int D) {
    char name[192];
    const size_t nt = (size_t)Bt * L * D, nv = (size_t)Bv * T * D;
    const size_t nl = (size_t)Bt * Bv * L, nT = (size_t)Bt * Bv * T, nb = (size_t)Bt * Bv;
    float *tn = xb_rand(x, nt, 1.0f), *vn = xb_rand(x, nv, 1.0f);
    int32_t *tm = xb_rand_int(x, (size_t)Bt * L, 0, 1), *vm = xb_rand_int(x, (size_t)Bv * T, 0, 1);
    for (int a = 0; a < Bt; a++)
        tm[(size_t)a * L] = 1;
    for (int b = 0; b < Bv; b++)
        vm[(size_t)b * T] = 1;
    if (Bt > 1)
        for (int i = 0; i < L; i++) // text 1 fully padded
            tm[L + i] = 0;
    if (T > 2) memcpy(vn + 2 * (size_t)D, vn, sizeof(float) * D);     // tie: frame 2 = frame 0
    if (L > 3) memcpy(tn + 3 * (size_t)D, tn + D, sizeof(float) * D); // tie: token 3 = token 1
    float *wt = xb_rand(x, (size_t)Bt * L, 1.0f), *wv = xb_rand(x, (size_t)Bv * T, 1.0f);
    float *dsim = xb_rand(x, nb, 1.0f);
    dsim[0] = 0.0f; // a skipped pair
    float *dtn = xb_rand(x, nt, 1.0f), *dvn = xb_rand(x, nv, 1.0f);
    float *dwt = xb_rand(x, (size_t)Bt * L, 1.0f), *dwv = xb_rand(x, (size_t)Bv * T, 1.0f);
    float *d_tn = xb_dev(x, tn, nt), *d_vn = xb_dev(x, vn, nv);
    int32_t *d_tm = xb_dev_int(x, tm, (size_t)Bt * L), *d_vm = xb_dev_int(x, vm, (size_t)Bv * T);
    float *d_wt = xb_dev(x, wt, (size_t)Bt * L), *d_wv = xb_dev(x, wv, (size_t)Bv * T);
    float *d_dsim = xb_dev(x, dsim, nb), *d_dtn = xb_dev(x, dtn, nt), *d_dvn = xb_dev(x, dvn, nv);
    float *d_dwt = xb_dev(x, dwt, (size_t)Bt * L), *d_dwv = xb_dev(x, dwv, (size_t)Bv * T);

    // CPU
    float *sim = mallocCheck(nb * sizeof(float)), *t2v_max = mallocCheck(nl * sizeof(float));
    float *v2t_max = mallocCheck(nT * sizeof(float));
    int16_t *t2v_arg = mallocCheck(nl * sizeof(int16_t)),
            *v2t_arg = mallocCheck(nT * sizeof(int16_t));
    void *ws = mallocCheck(cpu_k->tokenwise_ws_bytes(Bt, Bv, L, T, D) + 1);
    DrlTokenwise c = {.Bt = Bt,
                      .Bv = Bv,
                      .L = L,
                      .T = T,
                      .D = D,
                      .tn = tn,
                      .tm = tm,
                      .vn = vn,
                      .vm = vm,
                      .wt = wt,
                      .wv = wv,
                      .t2v_max = t2v_max,
                      .t2v_arg = t2v_arg,
                      .v2t_max = v2t_max,
                      .v2t_arg = v2t_arg,
                      .ws = ws};
    cpu_k->tokenwise_fwd(&c, sim);
    cpu_k->tokenwise_bwd(&c, dsim, dtn, dvn, dwt, dwv);

    // GPU
    const size_t gws = gpu_k->tokenwise_ws_bytes(Bt, Bv, L, T, D);
    float *g_sim = x->gpu->alloc(nb * sizeof(float)),
          *g_t2v_max = x->gpu->alloc(nl * sizeof(float));
    float *g_v2t_max = x->gpu->alloc(nT * sizeof(float));
    int16_t *g_t2v_arg = dev_i16(x, nl), *g_v2t_arg = dev_i16(x, nT);
    void *g_ws = x->gpu->alloc(gws ? gws : 1);
    DrlTokenwise g = {.Bt = Bt,
                      .Bv = Bv,
                      .L = L,
                      .T = T,
                      .D = D,
                      .tn = d_tn,
                      .tm = d_tm,
                      .vn = d_vn,
                      .vm = d_vm,
                      .wt = d_wt,
                      .wv = d_wv,
                      .t2v_max = g_t2v_max,
                      .t2v_arg = g_t2v_arg,
                      .v2t_max = g_v2t_max,
                      .v2t_arg = g_v2t_arg,
                      .ws = g_ws};
    gpu_k->tokenwise_fwd(&g, g_sim);
    gpu_k->tokenwise_bwd(&g, d_dsim, d_dtn, d_dvn, d_dwt, d_dwv);

    char shape[64];
    snprintf(shape, sizeof shape, "%dx%d L%d T%d D%d", Bt, Bv, L, T, D);
    snprintf(name, sizeof name, "heads tokenwise_fwd sim %s", shape);
    xb_check(x, name, sim, g_sim, nb, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_fwd t2v_max %s", shape);
    xb_check(x, name, t2v_max, g_t2v_max, nl, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_fwd v2t_max %s", shape);
    xb_check(x, name, v2t_max, g_v2t_max, nT, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_fwd t2v_arg %s", shape);
    check_i16(x, name, t2v_arg, g_t2v_arg, nl);
    snprintf(name, sizeof name, "heads tokenwise_fwd v2t_arg %s", shape);
    check_i16(x, name, v2t_arg, g_v2t_arg, nT);
    snprintf(name, sizeof name, "heads tokenwise_bwd dtn %s", shape);
    xb_check(x, name, dtn, d_dtn, nt, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_bwd dvn %s", shape);
    xb_check(x, name, dvn, d_dvn, nv, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_bwd dwt %s", shape);
    xb_check(x, name, dwt, d_dwt, (size_t)Bt * L, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_bwd dwv %s", shape);
    xb_check(x, name, dwv, d_dwv, (size_t)Bv * T, 1e-5);

    // dwt / dwv not asked for: the feature gradients accumulate again alone
    cpu_k->tokenwise_bwd(&c, dsim, dtn, dvn, NULL, NULL);
    gpu_k->tokenwise_bwd(&g, d_dsim, d_dtn, d_dvn, NULL, NULL);
    snprintf(name, sizeof name, "heads tokenwise_bwd dtn (NULL dw) %s", shape);
    xb_check(x, name, dtn, d_dtn, nt, 1e-5);
    snprintf(name, sizeof name, "heads tokenwise_bwd dwt untouched %s", shape);
    xb_check(x, name, dwt, d_dwt, (size_t)Bt * L, 0.0);

    xb_free_dev(x, d_tn, d_vn, d_tm, d_vm, d_wt, d_wv, d_dsim, d_dtn, d_dvn, d_dwt, d_dwv, g_sim,
                g_t2v_max, g_v2t_max, g_t2v_arg, g_v2t_arg, g_ws, NULL);
    free(tn), free(vn), free(tm), free(vm), free(wt), free(wv), free(dsim), free(dtn), free(dvn);
    free(dwt), free(dwv), free(sim), free(t2v_max), free(v2t_max), free(t2v_arg), free(v2t_arg);
    free(ws);
}
