/* The similarity matrix scored in row blocks across ranks and gathered
 * (spec/model.md §9, DESIGN.md "Distributed shape": each rank scores a block
 * of rows, the matrix is gathered to rank 0, which computes the metrics).
 *
 * Rows: rank r owns the contiguous block [r * S, min(Nq, (r + 1) * S)) with
 * S = ceil(Nq / world) (trailing ranks may own none). It calls fn on its
 * block in chunks of at most chunk_rows rows. The blocks are then gathered in
 * rounds (MPI_Gatherv / MPI_Allgatherv of a datatype of one row, so counts
 * and displacements are row numbers, never element numbers; each round moves
 * at most round_rows rows per rank, <= 1 GiB per message by default), so
 * matrices beyond 2^31 elements work. The result does not depend on world:
 * fn computes every row once, on exactly one rank. */
#ifndef DRL_EVAL_DISTRIBUTED_H
#define DRL_EVAL_DISTRIBUTED_H

#include <stddef.h>
#include <stdint.h>

#include "comm/comm.h"

/* Scores rows [row0, row0 + nrows) of the matrix into out (nrows, Nv).
 * Returns 0 on success, anything else on failure. */
typedef int (*EvalScoreRows)(void *ctx, int64_t row0, int64_t nrows, float *out);

typedef struct {
    int64_t chunk_rows; /* rows per fn call; <= 0: 256 */
    int64_t round_rows; /* rows per rank per gather round; <= 0: up to 1 GiB per message */
} EvalGatherOptions;

/* Fills sim (Nq, Nv) on rank 0 only (sim may be NULL on the other ranks).
 * Collective over c. Returns 0, or -1 on EVERY rank when fn failed on any
 * rank (err names the first failing rank; no rank is left waiting). */
int eval_similarity_distributed(const DrlComm *c, int64_t Nq, int64_t Nv, EvalScoreRows fn,
                                void *ctx, float *sim /* (Nq, Nv) on rank 0 */, char *err,
                                size_t errlen);
/* The same, with the whole matrix on every rank (sim required everywhere). */
int eval_similarity_distributed_all(const DrlComm *c, int64_t Nq, int64_t Nv, EvalScoreRows fn,
                                    void *ctx, float *sim /* (Nq, Nv) every rank */, char *err,
                                    size_t errlen);
/* Both, with explicit chunk/round sizes (all_ranks: 0 = rank 0, 1 = every
 * rank); o may be NULL for the defaults. */
int eval_similarity_distributed_opts(const DrlComm *c, int64_t Nq, int64_t Nv, EvalScoreRows fn,
                                     void *ctx, float *sim, int all_ranks,
                                     const EvalGatherOptions *o, char *err, size_t errlen);

/* Rank's row block: [*row0, *row0 + *nrows) (nrows may be 0). */
void eval_row_block(int64_t Nq, int world, int rank, int64_t *row0, int64_t *nrows);

#endif
