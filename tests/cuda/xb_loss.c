/* Cross-backend check of the loss and CDCR head kernels
 * (drl/head_kernels.h): the symmetric InfoNCE (forward, and backward
 * accumulating onto a non-zero gradient), the per-channel standardisation
 * with a constant (degenerate) channel and its backward, row scaling, row
 * dot products and the decorrelation loss, on the same random inputs through
 * drl_cpu_head_kernels() and drl_cuda_head_kernels(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "xb_step.h"

/* A double the device wrote against the CPU's, relative tolerance. */
static void check_double(Xb *x, const char *op, double ref, const double *dev, double tol) {
    double got = 0.0;
    x->gpu->to_host(&got, dev, sizeof got);
    const double rel = fabs(got - ref) / (fabs(ref) > 1e-30 ? fabs(ref) : 1.0);
    const int ok = isfinite(got) && rel <= tol;
    printf("%s [%s] %-34s rel err %.2e (tol %.0e)  gpu %.10g cpu %.10g\n", ok ? "PASS" : "FAIL",
           x->prec, op, rel, tol, got, ref);
    if (ok)
        x->passed++;
    else
        x->failed++;
}

static void clip_loss_case(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, int B,
                           float e, int backward, double tol) {
    char name[128];
    const size_t BB = (size_t)B * B;
    float *sim = xb_rand(x, BB, 1.0f), *dsim = xb_rand(x, BB, 0.1f);
    float *lt = mallocCheck(BB * sizeof(float)), *lv = mallocCheck(BB * sizeof(float));
    float *svt = mallocCheck(BB * sizeof(float));
    void *ws = mallocCheck(cpu_k->clip_loss_ws_bytes(B) + 1);
    double res[2];
    float *d_sim = xb_dev(x, sim, BB), *d_dsim = xb_dev(x, dsim, BB);
    float *d_lt = x->gpu->alloc(BB * sizeof(float)), *d_lv = x->gpu->alloc(BB * sizeof(float));
    float *d_svt = x->gpu->alloc(BB * sizeof(float));
    void *d_ws = x->gpu->alloc(gpu_k->clip_loss_ws_bytes(B) + 1);
    double *d_res = x->gpu->alloc(2 * sizeof(double));
    DrlClipLoss c = {B, e, sim, lt, lv, svt, backward ? dsim : NULL, res, ws};
    DrlClipLoss g = {B, e, d_sim, d_lt, d_lv, d_svt, backward ? d_dsim : NULL, d_res, d_ws};
    cpu_k->clip_loss(&c);
    gpu_k->clip_loss(&g);
    const char *mode = backward ? "fwd+bwd" : "fwd";
    snprintf(name, sizeof name, "heads clip_loss %s loss B%d", mode, B);
    check_double(x, name, res[0], d_res, tol);
    snprintf(name, sizeof name, "heads clip_loss %s logits_t2v B%d", mode, B);
    xb_check(x, name, lt, d_lt, BB, tol);
    snprintf(name, sizeof name, "heads clip_loss %s logits_v2t B%d", mode, B);
    xb_check(x, name, lv, d_lv, BB, tol);
    snprintf(name, sizeof name, "heads clip_loss %s sim_vt B%d", mode, B);
    xb_check_exact(x, name, svt, d_svt, BB, sizeof(float));
    if (backward) {
        snprintf(name, sizeof name, "heads clip_loss dsim B%d", B);
        xb_check(x, name, dsim, d_dsim, BB, tol);
        snprintf(name, sizeof name, "heads clip_loss dlogit_scale B%d", B);
        check_double(x, name, res[1], d_res + 1, tol);
    }
    free(sim), free(dsim), free(lt), free(lv), free(svt), free(ws);
    xb_free_dev(x, d_sim, d_dsim, d_lt, d_lv, d_svt, d_ws, d_res, NULL);
}

static void cdcr_pieces_case(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, int N,
                             int D, double tol) {
    char name[128];
    const size_t ND = (size_t)N * D;
    float *xs = xb_rand(x, ND, 2.0f);
    for (int n = 0; n < N; n++) // channel 1: constant (degenerate)
        xs[(size_t)n * D + 1] = 0.25f;
    float *z = mallocCheck(ND * sizeof(float)), *sd = mallocCheck((size_t)D * sizeof(float));
    uint8_t *dg = mallocCheck((size_t)D);
    float *d_x = xb_dev(x, xs, ND), *d_z = x->gpu->alloc(ND * sizeof(float));
    float *d_sd = x->gpu->alloc((size_t)D * sizeof(float));
    uint8_t *d_dg = x->gpu->alloc((size_t)D);
    cpu_k->standardise_fwd(z, sd, dg, xs, N, D);
    gpu_k->standardise_fwd(d_z, d_sd, d_dg, d_x, N, D);
    snprintf(name, sizeof name, "heads standardise_fwd z N%d D%d", N, D);
    xb_check(x, name, z, d_z, ND, tol);
    snprintf(name, sizeof name, "heads standardise_fwd sd N%d D%d", N, D);
    xb_check(x, name, sd, d_sd, (size_t)D, tol);
    snprintf(name, sizeof name, "heads standardise_fwd degen N%d D%d", N, D);
    xb_check_exact(x, name, dg, d_dg, (size_t)D, 1);

    float *dz = xb_rand(x, ND, 1.0f), *dx = xb_rand(x, ND, 1.0f);
    float *d_dz = xb_dev(x, dz, ND), *d_dx = xb_dev(x, dx, ND);
    cpu_k->standardise_bwd(dx, dz, z, sd, dg, N, D);
    gpu_k->standardise_bwd(d_dx, d_dz, d_z, d_sd, d_dg, N, D);
    snprintf(name, sizeof name, "heads standardise_bwd N%d D%d", N, D);
    xb_check(x, name, dx, d_dx, ND, tol);

    float *w = xb_rand(x, (size_t)N, 1.0f), *out = xb_rand(x, (size_t)N, 1.0f);
    float *d_w = xb_dev(x, w, (size_t)N), *d_out = xb_dev(x, out, (size_t)N);
    cpu_k->rows_dot_add(out, z, dz, N, D);
    gpu_k->rows_dot_add(d_out, d_z, d_dz, N, D);
    snprintf(name, sizeof name, "heads rows_dot_add N%d D%d", N, D);
    xb_check(x, name, out, d_out, (size_t)N, tol);
    cpu_k->rows_scale(dz, w, N, D);
    gpu_k->rows_scale(d_dz, d_w, N, D);
    snprintf(name, sizeof name, "heads rows_scale N%d D%d", N, D);
    xb_check(x, name, dz, d_dz, ND, tol);

    /* the decorrelation of a near-identity (D, D) */
    const size_t DD = (size_t)D * D;
    float *C = xb_rand(x, DD, 0.3f), *dC = xb_rand(x, DD, 0.1f);
    for (int i = 0; i < D; i++)
        C[(size_t)i * D + i] += 1.0f;
    float *d_C = xb_dev(x, C, DD), *d_dC = xb_dev(x, dC, DD);
    double *d_res = x->gpu->alloc(sizeof(double));
    double res = 0.0;
    cpu_k->decorrelation(&res, C, D, 1.0f, 0.0039f, dC, 0.001f);
    gpu_k->decorrelation(d_res, d_C, D, 1.0f, 0.0039f, d_dC, 0.001f);
    snprintf(name, sizeof name, "heads decorrelation loss D%d", D);
    check_double(x, name, res, d_res, tol);
    snprintf(name, sizeof name, "heads decorrelation dC D%d", D);
    xb_check(x, name, dC, d_dC, DD, tol);

    free(xs), free(z), free(sd), free(dg), free(dz), free(dx), free(w), free(out), free(C),
        free(dC);
    xb_free_dev(x, d_x, d_z, d_sd, d_dg, d_dz, d_dx, d_w, d_out, d_C, d_dC, d_res, NULL);
}

/* xti's sequence kernels: the dropout multipliers from bits, and the
 * segmented sums back to the table rows and positions. */
static void xti_case(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, int Bt,
                     int Bv, int T, int D, double tol) {
    char name[128];
    const int S = T + 1, rows = Bt + Bv * T;
    const size_t n = (size_t)Bt * Bv * S * D, nbytes = (n + 7) / 8;
    float *dx = xb_rand(x, n, 1.0f);
    int32_t *rb = xb_rand_int(x, nbytes, 0, 255);
    uint8_t *bits = mallocCheck(nbytes);
    for (size_t i = 0; i < nbytes; i++)
        bits[i] = (uint8_t)rb[i];
    float *d_dx = xb_dev(x, dx, n);
    uint8_t *d_bits = x->gpu->alloc(nbytes);
    x->gpu->to_device(d_bits, bits, nbytes);
    cpu_k->dropout_bits(dx, bits, 1.0f / 0.9f, n);
    gpu_k->dropout_bits(d_dx, d_bits, 1.0f / 0.9f, n);
    snprintf(name, sizeof name, "heads dropout_bits n%zu", n);
    xb_check_exact(x, name, dx, d_dx, n, sizeof(float));
    float *dtable = mallocCheck(sizeof(float) * (size_t)rows * D);
    float *dpos = mallocCheck(sizeof(float) * (size_t)S * D);
    float *d_dtable = x->gpu->alloc(sizeof(float) * (size_t)rows * D);
    float *d_dpos = x->gpu->alloc(sizeof(float) * (size_t)S * D);
    cpu_k->xti_seq_bwd(dtable, dpos, dx, Bt, Bv, T, D);
    gpu_k->xti_seq_bwd(d_dtable, d_dpos, d_dx, Bt, Bv, T, D);
    snprintf(name, sizeof name, "heads xti_seq_bwd dtable %dx%d T%d D%d", Bt, Bv, T, D);
    xb_check(x, name, dtable, d_dtable, (size_t)rows * D, tol);
    snprintf(name, sizeof name, "heads xti_seq_bwd dpos %dx%d T%d D%d", Bt, Bv, T, D);
    xb_check(x, name, dpos, d_dpos, (size_t)S * D, tol);
    free(dx), free(rb), free(bits), free(dtable), free(dpos);
    xb_free_dev(x, d_dx, d_bits, d_dtable, d_dpos, NULL);
}

/* seqLSTM's kernels: one step at t (forward and backward) with lengths 0..T
 * (rows past their length), and the output assembly with its quirk. */
static void lstm_case(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k, int B, int T,
                      int D, int t, double tol) {
    char name[128];
    const size_t BD = (size_t)B * D, BG = 4 * BD, BTD = (size_t)B * T * D;
    int32_t *len = xb_rand_int(x, (size_t)B, 0, T);
    len[0] = T, len[B - 1] = 0;
    int maxlen = 0;
    for (int b = 0; b < B; b++)
        maxlen = len[b] > maxlen ? len[b] : maxlen;
    int32_t *d_len = xb_dev_int(x, len, (size_t)B);
    float *g = xb_rand(x, BG, 3.0f), *cp = xb_rand(x, BD, 1.0f);
    float *c = mallocCheck(BD * sizeof(float)), *tc = mallocCheck(BD * sizeof(float));
    float *h = mallocCheck(BD * sizeof(float));
    float *d_g = xb_dev(x, g, BG), *d_cp = xb_dev(x, cp, BD);
    float *d_c = x->gpu->alloc(BD * sizeof(float)), *d_tc = x->gpu->alloc(BD * sizeof(float));
    float *d_h = x->gpu->alloc(BD * sizeof(float));
    cpu_k->lstm_cell_fwd(g, c, tc, h, t > 0 ? cp : NULL, len, t, B, D);
    gpu_k->lstm_cell_fwd(d_g, d_c, d_tc, d_h, t > 0 ? d_cp : NULL, d_len, t, B, D);
    snprintf(name, sizeof name, "heads lstm_cell_fwd gates t%d", t);
    xb_check(x, name, g, d_g, BG, tol);
    snprintf(name, sizeof name, "heads lstm_cell_fwd c t%d", t);
    xb_check(x, name, c, d_c, BD, tol);
    snprintf(name, sizeof name, "heads lstm_cell_fwd h t%d", t);
    xb_check(x, name, h, d_h, BD, tol);
    float *dh = xb_rand(x, BD, 1.0f), *dc = xb_rand(x, BD, 1.0f);
    float *dg = mallocCheck(BG * sizeof(float));
    float *d_dh = xb_dev(x, dh, BD), *d_dc = xb_dev(x, dc, BD);
    float *d_dg = x->gpu->alloc(BG * sizeof(float));
    cpu_k->lstm_cell_bwd(dg, dc, dh, g, tc, t > 0 ? cp : NULL, len, t, B, D);
    gpu_k->lstm_cell_bwd(d_dg, d_dc, d_dh, d_g, d_tc, t > 0 ? d_cp : NULL, d_len, t, B, D);
    snprintf(name, sizeof name, "heads lstm_cell_bwd dg t%d", t);
    xb_check(x, name, dg, d_dg, BG, tol);
    snprintf(name, sizeof name, "heads lstm_cell_bwd dc t%d", t);
    xb_check(x, name, dc, d_dc, BD, tol);
    float *F = xb_rand(x, BTD, 1.0f), *htm = xb_rand(x, BTD, 1.0f), *dout = xb_rand(x, BTD, 1.0f);
    float *out = mallocCheck(BTD * sizeof(float)), *dF = xb_rand(x, BTD, 1.0f);
    float *dhtm = mallocCheck(BTD * sizeof(float));
    float *d_F = xb_dev(x, F, BTD), *d_htm = xb_dev(x, htm, BTD), *d_dout = xb_dev(x, dout, BTD);
    float *d_out = x->gpu->alloc(BTD * sizeof(float)), *d_dF = xb_dev(x, dF, BTD);
    float *d_dhtm = x->gpu->alloc(BTD * sizeof(float));
    cpu_k->lstm_out_fwd(out, F, htm, len, maxlen, B, T, D);
    gpu_k->lstm_out_fwd(d_out, d_F, d_htm, d_len, maxlen, B, T, D);
    xb_check_exact(x, "heads lstm_out_fwd", out, d_out, BTD, sizeof(float));
    cpu_k->lstm_out_bwd(dF, dhtm, dout, len, maxlen, B, T, D);
    gpu_k->lstm_out_bwd(d_dF, d_dhtm, d_dout, d_len, maxlen, B, T, D);
    xb_check_exact(x, "heads lstm_out_bwd dF", dF, d_dF, BTD, sizeof(float));
    xb_check_exact(x, "heads lstm_out_bwd dh", dhtm, d_dhtm, BTD, sizeof(float));
    free(len), free(g), free(cp), free(c), free(tc), free(h), free(dh), free(dc), free(dg);
    free(F), free(htm), free(dout), free(out), free(dF), free(dhtm);
    xb_free_dev(x, d_len, d_g, d_cp, d_c, d_tc, d_h, d_dh, d_dc, d_dg, d_F, d_htm, d_dout, d_out,
                d_dF, d_dhtm, NULL);
}

void xb_loss_kernels(Xb *x, const DrlHeadKernels *cpu_k, const DrlHeadKernels *gpu_k) {
    /* no products: every entry is fp32 / double on both backends */
    const double tol = 1e-5;
    clip_loss_case(x, cpu_k, gpu_k, 128, 100.0f, 1, tol);
    clip_loss_case(x, cpu_k, gpu_k, 5, 1.0f, 1, tol);
    clip_loss_case(x, cpu_k, gpu_k, 300, 30.0f, 0, tol);
    cdcr_pieces_case(x, cpu_k, gpu_k, 4096, 512, tol);
    cdcr_pieces_case(x, cpu_k, gpu_k, 7, 33, tol);
    cdcr_pieces_case(x, cpu_k, gpu_k, 1, 16, tol); // one row: every channel degenerate
    xti_case(x, cpu_k, gpu_k, 16, 16, 12, 512, tol);
    xti_case(x, cpu_k, gpu_k, 3, 5, 4, 33, tol);
    lstm_case(x, cpu_k, gpu_k, 7, 12, 512, 0, tol);
    lstm_case(x, cpu_k, gpu_k, 5, 6, 33, 3, tol);
}
