/* xti's sequences in backend memory (spec/model.md §4): for P = Bt x Bv
 * pairs q = a * Bv + b, the sequence of 1 + T rows [EOT feature of text a;
 * frames of video b], plus the cross model's position table, its additive
 * key mask, and the training dropout. Built with the op table's gathers from
 * a small table of rows
 *     table (Bt + Bv*T, D) = [EOT rows (Bt); frames (Bv*T)] (+ positions),
 * and differentiated with one segmented-sum head kernel (xti_seq_bwd), so
 * the (P, 1+T, D) sequences never cross to the host. Index tables depend
 * only on (Bt, Bv) and are rebuilt when that shape changes. The dropout
 * multipliers come from the model's generator on the host, one bit each
 * (packed, uploaded, applied by the dropout_bits head kernel). */
#ifndef DRL_DRL_XTI_SEQ_H
#define DRL_DRL_XTI_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "drl/head_kernels.h"
#include "model/rng.h"
#include "ops/ops.h"

typedef struct {
    int max_rows, max_pairs, S, D; /* capacities: Bg + Bg*T rows, Bg*Bg pairs, 1+T */
    /* backend memory */
    float *table;       /* (max_rows, D) EOT rows then frames */
    float *table_pos;   /* (max_rows, D) table + the rows' positions */
    float *pos_rows;    /* (max_rows, D) the rows' positions */
    float *dtable;      /* (max_rows, D) gradient of table */
    float *dpos;        /* (S, D) gradient of the positions 0..S-1 */
    float *mask_table;  /* (Bg, S) one additive key mask per video */
    int32_t *eot_idx;   /* (Bg) training: row a*L + last token of text a in tf_g */
    int32_t *pos_idx;   /* (max_rows) position of each table row */
    int32_t *seq_idx;   /* (max_pairs * S) table row of each sequence row */
    int32_t *vid_idx;   /* (max_pairs) video of each pair */
    uint8_t *drop_bits; /* (max_pairs * S * D / 8) keep bits, or NULL without dropout */
    int idx_bt, idx_bv; /* the shape the index tables hold (0 = none yet) */
    /* host */
    int32_t *h_idx;  /* (max_pairs * S) staging of the index tables */
    float *h_mask;   /* (Bg, S) */
    uint8_t *h_bits; /* (max_pairs * S * D / 8) or NULL */
    float *h_rows;   /* (Bg, D) evaluation: EOT rows */
} DrlXtiSeq;

/* Buffers for Bg texts and Bg videos of T frames; returns the backend bytes. */
size_t xti_seq_alloc(DrlXtiSeq *s, const DrlOps *ops, int Bg, int T, int D, int dropout);
/* Host bytes it allocated. */
size_t xti_seq_host_bytes(const DrlXtiSeq *s);
void xti_seq_free(DrlXtiSeq *s, const DrlOps *ops);

/* Training: table = [tf_g's EOT rows (Bg); vf_g (Bg*T)] from backend memory;
 * tm_host (Bg, L) gives the EOT positions. */
void xti_seq_fill_device(DrlXtiSeq *s, const DrlOps *ops, const float *tf_g, const int32_t *tm_host,
                         const float *vf_g, int Bg, int L, int T);
/* Evaluation: table = [teot (Bt, D); vf (Bv, T, D)], host memory. */
void xti_seq_fill_host(DrlXtiSeq *s, const DrlOps *ops, const float *teot, int Bt, const float *vf,
                       int Bv, int T);

/* x (P, S, D) = the sequences (+ positions, times the dropout multipliers
 * drawn from rng when p > 0), mask (P, S) the key masks of vm_host (Bv, T);
 * pos (ctx, D) the cross position table (backend memory). */
void xti_seq_build(DrlXtiSeq *s, const DrlOps *ops, const DrlHeadKernels *hk, DrlRng *rng,
                   const float *pos, const int32_t *vm_host, int Bt, int Bv, int T, float p,
                   float *x, float *mask);
/* From dx (P, S, D) (multiplied in place by the same dropout multipliers):
 * s->dtable (Bt + Bv*T, D) and s->dpos (S, D) (=), then dpos_grad (S, D) +=
 * s->dpos (the position table's gradient rows). */
void xti_seq_backward(DrlXtiSeq *s, const DrlOps *ops, const DrlHeadKernels *hk, float *dx, int Bt,
                      int Bv, int T, float p, float *dpos_grad);
/* Training: d_tf_g's EOT rows += dtable's first Bg rows, d_vf_g (Bg, T, D) +=
 * the frame rows. */
void xti_seq_scatter_train(DrlXtiSeq *s, const DrlOps *ops, float *d_tf_g, float *d_vf_g, int Bg,
                           int T);

/* The CPU entries of the head kernels dropout_bits and xti_seq_bwd. */
void xti_dropout_bits_cpu(float *x, const uint8_t *bits, float keep, size_t n);
void xti_seq_bwd_cpu(float *dtable, float *dpos, const float *dx, int Bt, int Bv, int T, int D);

#endif
