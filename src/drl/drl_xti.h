/* xti: the cross-transformer interaction (spec/model.md §4): every
 * (text, video) pair as one sequence [EOT feature] ++ frames through 4 blocks,
 * pooled, scored by similarity_dense. In training the reference scores the
 * pairs twice (tV and vT) with independent dropout; with dropout off (or in
 * evaluation) vT = tV^T and one pass serves both. */
#ifndef DRL_DRL_DRL_XTI_H
#define DRL_DRL_DRL_XTI_H

#include "drl/drl_model.h"

/* Scores all Bg x Bg pairs of the gathered features (backend m->tf_g,
 * m->vf_g; host mirrors m->host.tm, vm) into m->host.sim (tV) and sim_vt
 * (vT), the scaled logits into m->host.logits_t2v / logits_v2t, and returns
 * L_sim. With backward: accumulates into m->d_tf_g's EOT rows and m->d_vf_g,
 * the xti parameter gradients and *dls. */
double xti_forward_backward(DrlModel *m, int Bg, float e, int backward, double *dls);

/* Evaluation scoring of texts tf (Bt, L, D) against videos vf (Bv, T, D):
 * sim (Bt, Bv). Every argument is host memory (any backend). Pairs are
 * processed in chunks that fit the model's buffers. */
void xti_score(DrlModel *m, const float *tf, const int32_t *tm, int Bt, const float *vf,
               const int32_t *vm, int Bv, float *sim);

#endif
