/* seqLSTM temporal aggregation (spec/model.md §3): one unidirectional LSTM
 * layer (hidden D, gates i, f, g, o) over each video's valid frames (a
 * prefix); positions past a video's length are 0 up to the longest length in
 * the batch and the original features beyond it (quirk); then + F. */
#ifndef DRL_DRL_LSTM_AGG_H
#define DRL_DRL_LSTM_AGG_H

#include <stdint.h>

typedef struct {
    int B, T, D;
    int *len; /* (B) valid frames per video */
    int maxlen;
    float *gates;   /* (B, T, 4D) activated gates i, f, g, o */
    float *c;       /* (B, T, D) cell states */
    float *h;       /* (B, T, D) hidden states */
    float *tanhc;   /* (B, T, D) tanh(c) */
    float *dgates;  /* (B, T, 4D) backward scratch: pre-activation gradients */
    float *dh, *dc; /* (D), (D) backward scratch: carried hidden / cell gradients */
} LstmCache;

void lstm_cache_alloc(LstmCache *c, int B, int T, int D);
void lstm_cache_free(LstmCache *c);
/* out (B, T, D) from F (B, T, D); w_ih, w_hh (4D, D), b_ih, b_hh (4D). */
void lstm_agg_forward(LstmCache *c, float *out, const float *F, const int32_t *vm,
                      const float *w_ih, const float *w_hh, const float *b_ih, const float *b_hh);
/* Host memory (a host island of the step). Accumulates dF (B, T, D) and the parameter gradients
 * from dout (B, T, D). */
void lstm_agg_backward(const LstmCache *c, float *dF, float *dw_ih, float *dw_hh, float *db_ih,
                       float *db_hh, const float *dout, const float *F, const float *w_ih,
                       const float *w_hh);

#endif
