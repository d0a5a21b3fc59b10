/* Re-ranking of a similarity matrix before the metrics; the results are
 * reported BESIDE the plain metrics, never instead of them. Both functions
 * take a (Nq, Nv) matrix whose rows are the queries of one direction: for
 * t2v pass sim (captions x videos), for v2t pass its transpose (videos x
 * captions) and, for QB-Norm, a bank of video queries. Arithmetic is double,
 * the output float. out may not alias sim. A NaN or infinity in the input is an error. */
#ifndef DRL_EVAL_RERANK_H
#define DRL_EVAL_RERANK_H

#include <stdint.h>

/* Dual softmax (DSL, CAMoE; the `sim * softmax(sim * temp, dim=0)` of the
 * CLIP4Clip-family evaluation code), a softmax over the QUERY axis, i.e.
 * over each column:
 *   out[q, v] = sim[q, v] * exp(temp * sim[q, v]) / sum_{q'} exp(temp * sim[q', v])
 * computed as exp(temp * (sim[q, v] - max_{q'} sim[q', v])) / sum_{q'} (same)
 * so nothing overflows. The reference value of temp is 100. */
void rerank_dsl(const float *sim /* (Nq, Nv) */, int64_t Nq, int64_t Nv, float temp,
                float *out /* (Nq, Nv) */);
/* The video-to-text DSL kept in the (Nc, Nv) caption x video layout: the
 * softmax runs over each ROW (over the videos, the other direction's
 * queries), out[c, v] = sim[c, v] * exp(temp * sim[c, v]) / sum_{v'}
 * exp(temp * sim[c, v']), i.e. rerank_dsl(sim^T)^T. Use it for v2t: applying
 * rerank_dsl's column softmax and ranking down the columns would multiply a
 * whole column by one constant per entry and leave v2t almost unchanged. */
void rerank_dsl_v2t(const float *sim /* (Nc, Nv) */, int64_t Nc, int64_t Nv, float temp,
                    float *out /* (Nc, Nv) */);

/* QB-Norm with the dynamic inverted softmax (Bogolin et al., CVPR 2022;
 * the authors' dynamic_inverted_softmax.py with k = 1):
 * - activation set A = { argmax_v bank[b, v] : b in [0, Nb) }, the gallery
 *   items that are the top-1 of at least one bank query;
 * - a test query q is normalised iff its own top-1 gallery item
 *   argmax_v sim[q, v] is in A; then its WHOLE row becomes the inverted
 *   softmax over the bank:
 *     out[q, v] = exp(beta * sim[q, v]) / sum_{b} exp(beta * bank[b, v])
 *   (computed as exp(beta * (sim[q, v] - M_v)) / sum_b exp(beta * (bank[b, v]
 *   - M_v)) with M_v = max_b bank[b, v], the same value without overflow);
 * - every other row is copied unchanged (raw similarities, as the authors'
 *   code leaves them).
 * argmax ties go to the lowest index. The reference value of beta is 20;
 * the bank is typically training captions x test videos (t2v) or training
 * videos x test captions (v2t). */
void rerank_qbnorm(const float *sim /* (Nq, Nv) */, int64_t Nq, int64_t Nv,
                   const float *bank /* (Nb, Nv) */, int64_t Nb, float beta,
                   float *out /* (Nq, Nv) */);

#endif
