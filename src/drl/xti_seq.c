/* xti's sequences in backend memory (xti_seq.h). */
#include "drl/xti_seq.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "drl/interaction.h"
#include "drl/drl_model.h"
#include "drl/interaction.h"
#include "drl/scratch.h"

size_t xti_seq_alloc(DrlXtiSeq *s, const DrlOps *ops, int Bg, int T, int D, int dropout) {
    memset(s, 0, sizeof *s);
    const size_t rows = (size_t)Bg + (size_t)Bg * T, P = (size_t)Bg * Bg, S = (size_t)T + 1;
    s->max_rows = (int)rows, s->max_pairs = (int)P, s->S = (int)S, s->D = D;
    size_t n = 0;
    const size_t rd = sizeof(float) * rows * D;
    s->table = drl_alloc_counted(ops, rd, &n);
    s->table_pos = drl_alloc_counted(ops, rd, &n);
    s->pos_rows = drl_alloc_counted(ops, rd, &n);
    s->dtable = drl_alloc_counted(ops, rd, &n);
    s->dpos = drl_alloc_counted(ops, sizeof(float) * S * D, &n);
    s->mask_table = drl_alloc_counted(ops, sizeof(float) * Bg * S, &n);
    s->eot_idx = drl_alloc_counted(ops, sizeof(int32_t) * Bg, &n);
    s->pos_idx = drl_alloc_counted(ops, sizeof(int32_t) * rows, &n);
    s->seq_idx = drl_alloc_counted(ops, sizeof(int32_t) * P * S, &n);
    s->vid_idx = drl_alloc_counted(ops, sizeof(int32_t) * P, &n);
    const size_t nbits = (P * S * D + 7) / 8;
    if (dropout) s->drop_bits = drl_alloc_counted(ops, nbits, &n);
    s->h_idx = callocCheck(P * S, sizeof(int32_t));
    s->h_mask = callocCheck((size_t)Bg * S, sizeof(float));
    s->h_bits = dropout ? callocCheck(nbits, 1) : NULL;
    s->h_rows = callocCheck((size_t)Bg * D, sizeof(float));
    return n;
}

size_t xti_seq_host_bytes(const DrlXtiSeq *s) {
    const size_t P = (size_t)s->max_pairs, S = (size_t)s->S, Bg = (size_t)s->max_rows / S;
    return sizeof(int32_t) * P * S + sizeof(float) * Bg * S +
           (s->h_bits ? (P * S * s->D + 7) / 8 : 0) + sizeof(float) * Bg * s->D;
}

void xti_seq_free(DrlXtiSeq *s, const DrlOps *ops) {
    void *dev[] = {s->table,   s->table_pos, s->pos_rows, s->dtable,  s->dpos,     s->mask_table,
                   s->eot_idx, s->pos_idx,   s->seq_idx,  s->vid_idx, s->drop_bits};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
        if (dev[i]) ops->free(dev[i]);
    free(s->h_idx), free(s->h_mask), free(s->h_bits), free(s->h_rows);
    memset(s, 0, sizeof *s);
}

void xti_seq_fill_device(DrlXtiSeq *s, const DrlOps *ops, const float *tf_g, const int32_t *tm_host,
                         const float *vf_g, int Bg, int L, int T) {
    const int D = s->D;
    drl_eot_rows(s->h_idx, tm_host, Bg, L); // (Bg) staging
    ops->to_device(s->eot_idx, s->h_idx, sizeof(int32_t) * (size_t)Bg);
    s->idx_bt = s->idx_bv = 0; /* the staging buffer was reused */
    ops->embedding_fwd(s->table, s->eot_idx, tf_g, Bg, D);
    ops->copy(s->table + (size_t)Bg * D, vf_g, sizeof(float) * (size_t)Bg * T * D);
}

void xti_seq_fill_host(DrlXtiSeq *s, const DrlOps *ops, const float *teot, int Bt, const float *vf,
                       int Bv, int T) {
    const size_t D = (size_t)s->D;
    drlCheck(Bt + (size_t)Bv * T <= (size_t)s->max_rows, "xti: more rows than allocated");
    ops->to_device(s->table, teot, sizeof(float) * Bt * D);
    ops->to_device(s->table + Bt * D, vf, sizeof(float) * Bv * T * D);
}

/* The index tables of (Bt, Bv): pos_idx (rows), seq_idx (P*S), vid_idx (P). */
static void build_indices(DrlXtiSeq *s, const DrlOps *ops, int Bt, int Bv, int T) {
    if (s->idx_bt == Bt && s->idx_bv == Bv) return;
    const int S = T + 1, rows = Bt + Bv * T, P = Bt * Bv;
    int32_t *h = s->h_idx;
    for (int a = 0; a < Bt; a++)
        h[a] = 0;
    for (int r = Bt; r < rows; r++)
        h[r] = 1 + (r - Bt) % T;
    ops->to_device(s->pos_idx, h, sizeof(int32_t) * (size_t)rows);
    for (int q = 0; q < P; q++) {
        const int a = q / Bv, b = q % Bv;
        int32_t *row = h + (size_t)q * S; // (S)
        row[0] = a;
        for (int j = 0; j < T; j++)
            row[1 + j] = Bt + b * T + j;
    }
    ops->to_device(s->seq_idx, h, sizeof(int32_t) * (size_t)P * S);
    for (int q = 0; q < P; q++)
        h[q] = q % Bv;
    ops->to_device(s->vid_idx, h, sizeof(int32_t) * (size_t)P);
    s->idx_bt = Bt, s->idx_bv = Bv;
}

/* s->h_bits (n bits) = u >= p for the next n uniforms of the generator, in
 * order: rng_uniform's stream (four 24-bit uniforms per Philox block), each
 * byte's two blocks computed directly from the counter, so the bytes are
 * independent (OpenMP) and the generator ends where rng_uniform(n) would. */
static void draw_bits(DrlXtiSeq *s, DrlRng *rng, size_t n, float p) {
    const size_t nbytes = (n + 7) / 8;
    const uint64_t key = rng->key, counter0 = rng->counter;
#pragma omp parallel for schedule(static) if (nbytes >= 65536)
    for (size_t k = 0; k < nbytes; k++) {
        uint32_t blk[8];
        rng_philox_block(key, counter0 + 2 * k, blk);
        rng_philox_block(key, counter0 + 2 * k + 1, blk + 4);
        uint8_t byte = 0;
        for (int j = 0; j < 8 && 8 * k + j < n; j++) {
            const float u = (float)(blk[j] >> 8) * (1.0f / 16777216.0f);
            if (!(u < p)) byte |= (uint8_t)(1u << j);
        }
        s->h_bits[k] = byte;
    }
    rng->counter = counter0 + (n + 3) / 4;
}

void xti_seq_build(DrlXtiSeq *s, const DrlOps *ops, const DrlHeadKernels *hk, DrlRng *rng,
                   const float *pos, const int32_t *vm_host, int Bt, int Bv, int T, float p,
                   float *x, float *mask) {
    const int D = s->D, S = T + 1, rows = Bt + Bv * T, P = Bt * Bv;
    drlCheck(P <= s->max_pairs && rows <= s->max_rows && S == s->S,
             "xti: more pairs than allocated");
    build_indices(s, ops, Bt, Bv, T);
    ops->embedding_fwd(s->pos_rows, s->pos_idx, pos, rows, D);
    ops->add(s->table_pos, s->table, s->pos_rows, (size_t)rows * D);
    ops->embedding_fwd(x, s->seq_idx, s->table_pos, P * S, D);
    for (int b = 0; b < Bv; b++) {
        float *mrow = s->h_mask + (size_t)b * S; // (S)
        mrow[0] = 0.0f;
        for (int j = 0; j < T; j++)
            mrow[1 + j] = (1.0f - (float)vm_host[(size_t)b * T + j]) * DRL_KEY_MASK_NEG;
    }
    ops->to_device(s->mask_table, s->h_mask, sizeof(float) * (size_t)Bv * S);
    ops->embedding_fwd(mask, s->vid_idx, s->mask_table, P, S);
    if (p > 0.0f) {
        drlCheck(s->drop_bits != NULL, "xti dropout without its mask buffer");
        const size_t n = (size_t)P * S * D;
        draw_bits(s, rng, n, p);
        ops->to_device(s->drop_bits, s->h_bits, (n + 7) / 8);
        hk->dropout_bits(x, s->drop_bits, 1.0f / (1.0f - p), n);
    }
}

void xti_seq_backward(DrlXtiSeq *s, const DrlOps *ops, const DrlHeadKernels *hk, float *dx, int Bt,
                      int Bv, int T, float p, float *dpos_grad) {
    const int D = s->D, S = T + 1;
    if (p > 0.0f) hk->dropout_bits(dx, s->drop_bits, 1.0f / (1.0f - p), (size_t)Bt * Bv * S * D);
    hk->xti_seq_bwd(s->dtable, s->dpos, dx, Bt, Bv, T, D);
    ops->add(dpos_grad, dpos_grad, s->dpos, (size_t)S * D);
}

void xti_seq_scatter_train(DrlXtiSeq *s, const DrlOps *ops, float *d_tf_g, float *d_vf_g, int Bg,
                           int T) {
    const size_t D = (size_t)s->D;
    ops->embedding_bwd(d_tf_g, s->dtable, s->eot_idx, Bg, (int)D);
    ops->add(d_vf_g, d_vf_g, s->dtable + (size_t)Bg * D, (size_t)Bg * T * D);
}

/* ---- the CPU entries of the head kernels ------------------------------------ */

void xti_dropout_bits_cpu(float *x, const uint8_t *bits, float keep, size_t n) {
    // x (n), bits (n / 8 rounded up)
    for (size_t i = 0; i < n; i++)
        x[i] *= (bits[i >> 3] >> (i & 7)) & 1u ? keep : 0.0f;
}

void xti_seq_bwd_cpu(float *dtable, float *dpos, const float *dx, int Bt, int Bv, int T, int D) {
    // dtable (Bt + Bv*T, D) =, dpos (1+T, D) =, dx (Bt*Bv, 1+T, D)
    const int S = T + 1;
    const size_t Dz = (size_t)D;
    memset(dtable, 0, sizeof(float) * ((size_t)Bt + (size_t)Bv * T) * Dz);
    memset(dpos, 0, sizeof(float) * (size_t)S * Dz);
    for (int a = 0; a < Bt; a++)
        for (int b = 0; b < Bv; b++) {
            const float *g = dx + ((size_t)a * Bv + b) * S * Dz; // (S, D)
            float *ta = dtable + (size_t)a * Dz;                 // (D)
            for (size_t d = 0; d < Dz; d++)
                ta[d] += g[d];
        }
    for (int b = 0; b < Bv; b++)
        for (int a = 0; a < Bt; a++) {
            const float *g = dx + ((size_t)a * Bv + b) * S * Dz;    // (S, D)
            float *vb = dtable + ((size_t)Bt + (size_t)b * T) * Dz; // (T, D)
            for (size_t k = 0; k < (size_t)T * Dz; k++)
                vb[k] += g[Dz + k];
        }
    for (int a = 0; a < Bt; a++)
        for (size_t d = 0; d < Dz; d++)
            dpos[d] += dtable[(size_t)a * Dz + d];
    for (int b = 0; b < Bv; b++)
        for (size_t k = 0; k < (size_t)T * Dz; k++)
            dpos[Dz + k] += dtable[((size_t)Bt + (size_t)b * T) * Dz + k];
}
