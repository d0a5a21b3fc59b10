/* seqLSTM temporal aggregation (spec/model.md §3): one unidirectional LSTM
 * layer (hidden D, gates i, f, g, o) over each video's valid frames (a
 * prefix); positions past a video's length are 0 up to the longest length in
 * the batch and the original features beyond it (quirk); then + F.
 *
 * In backend memory through the op table, batched over the videos: the
 * frames are permuted to time-major rows (embedding_fwd), the input
 * projection of every position is one linear (W_ih, b_ih), and each time
 * step is one linear of the previous hidden states (W_hh, b_hh; zeros before
 * the first step) followed by the lstm_cell_fwd head kernel, which leaves
 * rows past a video's length at zero. The backward runs the steps in reverse
 * with lstm_cell_bwd and linear_bwd, then one linear_bwd over every position
 * and the inverse permutation (embedding_bwd). Only the lengths cross from
 * the host. */
#ifndef DRL_DRL_LSTM_AGG_H
#define DRL_DRL_LSTM_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "drl/head_kernels.h"
#include "ops/ops.h"

typedef struct {
    int B, T, D;    /* capacity: B videos of T frames */
    int Bc;         /* videos of the last forward */
    int maxlen;     /* the longest length of the last forward */
    int perm_b;     /* the batch perm was built for (0 = none) */
    int32_t *len_h; /* (B) host: valid frames per video */
    /* backend memory */
    int32_t *len;     /* (B) */
    int32_t *perm;    /* (B*T) row t*Bc + b of the time-major arrays is frame row b*T + t */
    float *F_tm;      /* (T, B, D) the frames, time-major */
    float *gates;     /* (T, B, 4D) activated gates i, f, g, o */
    float *c, *tanhc; /* (T, B, D) cell states and tanh(c) */
    float *h;         /* (T, B, D) hidden states (0 past a video's length) */
    float *zero;      /* (B, D) the hidden state before the first step */
    float *rec;       /* (B, 4D) one step's recurrent projection */
    float *dgates;    /* (T, B, 4D) pre-activation gradients */
    float *dh_tm;     /* (T, B, D) the output's gradient on h */
    float *dh, *dc;   /* (B, D) carried hidden / cell gradients */
    float *dF_tm;     /* (T, B, D) */
} LstmCache;

/* Returns the backend bytes allocated. */
size_t lstm_cache_alloc(LstmCache *c, const DrlOps *ops, int B, int T, int D);
void lstm_cache_free(LstmCache *c, const DrlOps *ops);
/* out (B, T, D) from F (B, T, D) (backend), vm_host (B, T); w_ih, w_hh
 * (4D, D), b_ih, b_hh (4D) backend. */
void lstm_agg_forward(LstmCache *c, const DrlOps *ops, const DrlHeadKernels *hk, float *out,
                      const float *F, const int32_t *vm_host, int B, const float *w_ih,
                      const float *w_hh, const float *b_ih, const float *b_hh);
/* Backward of the last forward: accumulates dF (B, T, D) and the parameter
 * gradients from dout (B, T, D) (backend). */
void lstm_agg_backward(LstmCache *c, const DrlOps *ops, const DrlHeadKernels *hk, float *dF,
                       float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, const float *dout,
                       const float *w_ih, const float *w_hh);

/* The CPU entries of the head kernels (drl/head_kernels.h). */
void lstm_cell_fwd_cpu(float *g, float *c, float *tanhc, float *h, const float *c_prev,
                       const int32_t *len, int t, int B, int D);
void lstm_cell_bwd_cpu(float *dg, float *dc, const float *dh, const float *g, const float *tanhc,
                       const float *c_prev, const int32_t *len, int t, int B, int D);
void lstm_out_fwd_cpu(float *out, const float *F, const float *h_tm, const int32_t *len, int maxlen,
                      int B, int T, int D);
void lstm_out_bwd_cpu(float *dF, float *dh_tm, const float *dout, const int32_t *len, int maxlen,
                      int B, int T, int D);

#endif
