#include "drl_bench_flops.h"

/* Forward FLOPs of a transformer: seqs sequences of S tokens, width W. Per
 * layer: in_proj 3, out_proj 1, MLP 8 W^2 multiply-adds per token (24 N W^2
 * FLOPs), plus q.k and p.v (4 S^2 W per sequence). */
static double transformer_flops(double seqs, double S, double W, double layers) {
    return layers * (24.0 * seqs * S * W * W + 4.0 * seqs * S * S * W);
}

double drl_step_model_flops(const DrlModel *m, int B, const int32_t *tm, const int32_t *vm) {
    const ClipShape *s = &m->shape;
    const double L = m->L, T = m->T, D = m->D, Bd = B;
    const double F = Bd * T, GG = (double)s->grid * s->grid, Wv = s->vision_width;
    const double Wt = s->text_width;
    double fwd = 2.0 * F * GG * 3.0 * s->patch * s->patch * Wv;                   // conv1
    fwd += transformer_flops(F, GG + 1, Wv, s->vision_layers) + 2.0 * F * Wv * D; // + proj
    fwd += transformer_flops(Bd, L, Wt, s->text_layers) + 2.0 * Bd * L * Wt * D;  // all L tokens
    if (m->h.agg == HEAD_AGG_SEQTRANSF) fwd += transformer_flops(Bd, T, D, m->h.agg_layers);
    if (m->h.interaction == HEAD_WTI) // Linear(D, D) hidden layers, then Linear(D, 1)
        fwd += Bd * (L + T) * (2.0 * D * D * (m->h.wti_arch - 1) + 2.0 * D);
    if (m->h.interaction == HEAD_WTI || m->h.interaction == HEAD_TI)
        fwd += 2.0 * Bd * Bd * L * T * D; // S (Bt, Bv, L, T)
    if (m->h.cdcr >= 2) {
        double nt = 0.0, nf = 0.0; // valid tokens, valid frames
        for (int k = 0; k < B * m->L; k++)
            nt += tm[k] != 0;
        for (int k = 0; k < B * m->T; k++)
            nf += vm[k] != 0;
        fwd += 2.0 * Bd * L * T * D;    // matched-pair S (B, L, T)
        fwd += 2.0 * (nt + nf) * D * D; // the two (D, D) correlations
    }
    return 3.0 * fwd;
}
