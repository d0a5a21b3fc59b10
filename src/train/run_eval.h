/* Evaluation of the model on one split (spec/model.md §9-§10): every rank
 * encodes its shard of the split's pairs, the features are all-gathered, the
 * similarity rows are distributed over the ranks and gathered to rank 0,
 * which computes the metrics (plain, and re-ranked by DSL / QB-Norm when the
 * configuration asks). */
#ifndef DRL_TRAIN_RUN_EVAL_H
#define DRL_TRAIN_RUN_EVAL_H

#include "comm/comm.h"
#include "config/config.h"
#include "drl/drl_model.h"
#include "eval/metrics.h"
#include "store/store.h"
#include "train/run_backend.h"

typedef struct {
    RetrievalMetrics t2v, v2t;
    RetrievalMetrics dsl_t2v, dsl_v2t;
    int have_dsl;
    RetrievalMetrics qb_t2v, qb_v2t;
    int have_qbnorm;
    int64_t qb_bank; /* training pairs in the QB-Norm query bank */
    int64_t queries, videos;
    int64_t failed; /* pairs whose video failed preprocessing (scored as all-padding) */
    int multi_sentence;
    double seconds;
} EvalResult;

/* The model encodes in backend memory (be's ops); the features are copied
 * to the host, gathered over MPI and scored on the host (dp, ti, wti; the
 * wti weights by the model's weight branches in backend memory) or by the
 * model (xti: host arguments, the model stages them). Returns 0 (result valid on rank 0), or -1
 * with err. */
int run_evaluate(DrlModel *m, const RunBackend *be, const DrlConfig *cfg, const Store *store,
                 const char *split, const DrlComm *comm, EvalResult *out, char *err, size_t errlen);

#endif
