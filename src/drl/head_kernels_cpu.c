/* CPU implementation of the heads' kernels (drl/head_kernels.h): token-wise
 * scoring with maxima kept (one sgemm per text into the workspace, then the
 * max passes) and its backward (OpenMP over texts for dtn / dwt, over videos
 * for dvn / dwv; each output row is summed in a fixed order, no sgemm over
 * the sparse coefficient matrix). */
#include "drl/head_kernels.h"

#include <cblas.h>
#include <string.h>

#include "common/check.h"
#include "drl/loss.h"
#include "drl/lstm_agg.h"
#include "drl/xti_seq.h"

static size_t cpu_tokenwise_ws_bytes(int Bt, int Bv, int L, int T, int D) {
    (void)Bt, (void)D;
    return sizeof(float) * (size_t)L * Bv * T; // (L, Bv*T) one text's similarity block
}

/* Scores text a against Bv videos from its similarity block blk (L, Bv*T)
 * = tn[a] . vn^T: sim_row (Bv) and the per-(b, i) / per-(b, j) maxima. */
static void score_one_text(float *sim_row, const float *blk, const int32_t *tm_a, const int32_t *vm,
                           const float *wt_a, const float *wv, int Bv, int L, int T, float *t2v_max,
                           int16_t *t2v_arg, float *v2t_max, int16_t *v2t_arg) {
    const size_t row = (size_t)Bv * T;
    for (int b = 0; b < Bv; b++) {
        const int32_t *vm_b = vm + (size_t)b * T;
        double t2v = 0.0, v2t = 0.0;
        for (int i = 0; i < L; i++) {
            const float *s = blk + (size_t)i * row + (size_t)b * T;
            float mi = (float)tm_a[i];
            float best = s[0] * mi * (float)vm_b[0];
            int arg = 0;
            for (int j = 1; j < T; j++) {
                float v = s[j] * mi * (float)vm_b[j];
                if (v > best) best = v, arg = j;
            }
            t2v += (double)wt_a[i] * best;
            t2v_max[(size_t)b * L + i] = best, t2v_arg[(size_t)b * L + i] = (int16_t)arg;
        }
        for (int j = 0; j < T; j++) {
            float mj = (float)vm_b[j];
            float best = blk[(size_t)b * T + j] * (float)tm_a[0] * mj;
            int arg = 0;
            for (int i = 1; i < L; i++) {
                float v = blk[(size_t)i * row + (size_t)b * T + j] * (float)tm_a[i] * mj;
                if (v > best) best = v, arg = i;
            }
            v2t += (double)wv[(size_t)b * T + j] * best;
            v2t_max[(size_t)b * T + j] = best, v2t_arg[(size_t)b * T + j] = (int16_t)arg;
        }
        sim_row[b] = (float)((t2v + v2t) * 0.5);
    }
}

static void cpu_tokenwise_fwd(const DrlTokenwise *tw, float *sim) {
    const int Bt = tw->Bt, Bv = tw->Bv, L = tw->L, T = tw->T, D = tw->D;
    drlCheck(L < 32768 && T < 32768, "token-wise interaction: L and T must fit int16");
    float *blk = tw->ws; // (L, Bv*T)
    for (int a = 0; a < Bt; a++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, Bv * T, D, 1.0f,
                    tw->tn + (size_t)a * L * D, D, tw->vn, D, 0.0f, blk, Bv * T);
        score_one_text(sim + (size_t)a * Bv, blk, tw->tm + (size_t)a * L, tw->vm,
                       tw->wt + (size_t)a * L, tw->wv, Bv, L, T, tw->t2v_max + (size_t)a * Bv * L,
                       tw->t2v_arg + (size_t)a * Bv * L, tw->v2t_max + (size_t)a * Bv * T,
                       tw->v2t_arg + (size_t)a * Bv * T);
    }
}

/* y (D) += alpha * x (D) */
static void axpy_row(float *y, float alpha, const float *x, int D) {
    for (int d = 0; d < D; d++)
        y[d] += alpha * x[d];
}

static void cpu_tokenwise_bwd(const DrlTokenwise *tw, const float *dsim, float *dtn, float *dvn,
                              float *dwt, float *dwv) {
    const int Bt = tw->Bt, Bv = tw->Bv, L = tw->L, T = tw->T, D = tw->D;
    const float *tn = tw->tn, *vn = tw->vn, *wt = tw->wt, *wv = tw->wv;
    const int32_t *tm = tw->tm, *vm = tw->vm;
    /* text side: text a owns dtn[a] and dwt[a]; videos in order */
#pragma omp parallel for schedule(static)
    for (int a = 0; a < Bt; a++) {
        const int32_t *tm_a = tm + (size_t)a * L;
        float *dta = dtn + (size_t)a * L * D; // (L, D)
        for (int b = 0; b < Bv; b++) {
            const float g = 0.5f * dsim[(size_t)a * Bv + b];
            if (g == 0.0f) continue;
            const size_t ab = (size_t)a * Bv + b;
            const int32_t *vm_b = vm + (size_t)b * T;
            const float *vb = vn + (size_t)b * T * D; // (T, D)
            for (int i = 0; i < L; i++) {
                const int j = tw->t2v_arg[ab * L + i];
                if (dwt) dwt[(size_t)a * L + i] += g * tw->t2v_max[ab * L + i];
                if (tm_a[i] && vm_b[j])
                    axpy_row(dta + (size_t)i * D, g * wt[(size_t)a * L + i], vb + (size_t)j * D, D);
            }
            for (int j = 0; j < T; j++) {
                const int i = tw->v2t_arg[ab * T + j];
                if (tm_a[i] && vm_b[j])
                    axpy_row(dta + (size_t)i * D, g * wv[(size_t)b * T + j], vb + (size_t)j * D, D);
            }
        }
    }
    /* video side: video b owns dvn[b] and dwv[b]; texts in order */
#pragma omp parallel for schedule(static)
    for (int b = 0; b < Bv; b++) {
        const int32_t *vm_b = vm + (size_t)b * T;
        float *dvb = dvn + (size_t)b * T * D; // (T, D)
        for (int a = 0; a < Bt; a++) {
            const float g = 0.5f * dsim[(size_t)a * Bv + b];
            if (g == 0.0f) continue;
            const size_t ab = (size_t)a * Bv + b;
            const int32_t *tm_a = tm + (size_t)a * L;
            const float *ta = tn + (size_t)a * L * D; // (L, D)
            for (int j = 0; j < T; j++) {
                const int i = tw->v2t_arg[ab * T + j];
                if (dwv) dwv[(size_t)b * T + j] += g * tw->v2t_max[ab * T + j];
                if (tm_a[i] && vm_b[j])
                    axpy_row(dvb + (size_t)j * D, g * wv[(size_t)b * T + j], ta + (size_t)i * D, D);
            }
            for (int i = 0; i < L; i++) {
                const int j = tw->t2v_arg[ab * L + i];
                if (tm_a[i] && vm_b[j])
                    axpy_row(dvb + (size_t)j * D, g * wt[(size_t)a * L + i], ta + (size_t)i * D, D);
            }
        }
    }
}

static const DrlHeadKernels cpu_heads = {
    .name = "cpu",
    .tokenwise_ws_bytes = cpu_tokenwise_ws_bytes,
    .tokenwise_fwd = cpu_tokenwise_fwd,
    .tokenwise_bwd = cpu_tokenwise_bwd,
    .clip_loss_ws_bytes = clip_loss_ws_bytes_cpu,
    .clip_loss = clip_loss_cpu,
    .standardise_fwd = corr_standardise_fwd,
    .standardise_bwd = corr_standardise_bwd,
    .rows_scale = corr_rows_scale,
    .rows_dot_add = corr_rows_dot_add,
    .decorrelation = corr_decorrelation,
    .dropout_bits = xti_dropout_bits_cpu,
    .xti_seq_bwd = xti_seq_bwd_cpu,
    .lstm_cell_fwd = lstm_cell_fwd_cpu,
    .lstm_cell_bwd = lstm_cell_bwd_cpu,
    .lstm_out_fwd = lstm_out_fwd_cpu,
    .lstm_out_bwd = lstm_out_bwd_cpu,
};

const DrlHeadKernels *drl_cpu_head_kernels(void) {
    return &cpu_heads;
}
