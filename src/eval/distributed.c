/* Row blocks across ranks, gathered in rounds (see distributed.h). */
#include "eval/distributed.h"

#include <limits.h>
#include <stdio.h>

#include "common/check.h"

void eval_row_block(int64_t Nq, int world, int rank, int64_t *row0, int64_t *nrows) {
    const int64_t S = (Nq + world - 1) / world;
    int64_t a = (int64_t)rank * S, b = a + S;
    if (a > Nq) a = Nq;
    if (b > Nq) b = Nq;
    *row0 = a;
    *nrows = b - a;
}

/* Calls fn on [row0, row0 + nrows) in chunks; returns fn's first failure. */
static int score_block(EvalScoreRows fn, void *ctx, int64_t row0, int64_t nrows, int64_t Nv,
                       int64_t chunk, float *out /* (nrows, Nv) */, int64_t *bad_row) {
    for (int64_t r = 0; r < nrows; r += chunk) {
        const int64_t n = nrows - r < chunk ? nrows - r : chunk;
        const int rc = fn(ctx, row0 + r, n, out + r * Nv);
        if (rc != 0) {
            *bad_row = row0 + r;
            return rc;
        }
    }
    return 0;
}

int eval_similarity_distributed_opts(const DrlComm *c, int64_t Nq, int64_t Nv, EvalScoreRows fn,
                                     void *ctx, float *sim, int all_ranks,
                                     const EvalGatherOptions *o, char *err, size_t errlen) {
    drlCheck(Nq >= 1 && Nv >= 1, "the similarity matrix needs at least one row and one column");
    drlCheck(Nq <= INT_MAX && Nv <= INT_MAX, "similarity matrix sides must be below 2^31");
    const int64_t chunk = o && o->chunk_rows > 0 ? o->chunk_rows : 256;
    const int single = c->world == 1 || c->comm == MPI_COMM_NULL;
    const int world = single ? 1 : c->world;
    const int rank = single ? 0 : c->rank;
    const int holds = all_ranks || rank == 0; /* this rank receives the matrix */
    drlCheck(!holds || sim != NULL, "the similarity matrix buffer is NULL on a receiving rank");

    int64_t row0, nrows;
    eval_row_block(Nq, world, rank, &row0, &nrows);
    /* Receivers score straight into their place in sim (MPI_IN_PLACE). */
    float *local = holds ? sim + row0 * Nv : mallocCheck((size_t)(nrows * Nv) * sizeof(float));
    int64_t bad_row = -1;
    const int rc = score_block(fn, ctx, row0, nrows, Nv, chunk, local, &bad_row);

    /* Agree on failure before any gather: the first failing rank, or world. */
    int first_bad = rc != 0 ? rank : world;
    if (!single) {
        int in = first_bad;
        mpiCheck(MPI_Allreduce(&in, &first_bad, 1, MPI_INT, MPI_MIN, c->comm));
    }
    if (first_bad < world) {
        if (err && errlen) {
            if (rc != 0) {
                snprintf(err, errlen,
                         "scoring the similarity rows from %lld failed on rank %d "
                         "(the scoring function returned %d)",
                         (long long)bad_row, rank, rc);
            } else {
                snprintf(err, errlen, "scoring the similarity rows failed on rank %d", first_bad);
            }
        }
        if (!holds) free(local);
        return -1;
    }
    if (single) return 0;

    const int64_t S = (Nq + world - 1) / world;
    int64_t round = o && o->round_rows > 0 ? o->round_rows : ((int64_t)1 << 30) / (Nv * 4);
    if (round < 1) round = 1;
    if (round > S) round = S;
    MPI_Datatype row_t;
    mpiCheck(MPI_Type_contiguous((int)Nv, MPI_FLOAT, &row_t));
    mpiCheck(MPI_Type_commit(&row_t));
    int *counts = mallocCheck((size_t)world * sizeof(int)); // (world) rows per rank
    int *displs = mallocCheck((size_t)world * sizeof(int)); // (world) first row per rank
    for (int64_t t = 0; t * round < S; t++) {
        for (int r = 0; r < world; r++) {
            int64_t a, n;
            eval_row_block(Nq, world, r, &a, &n);
            int64_t lo = t * round, hi = lo + round;
            if (hi > n) hi = n;
            counts[r] = hi > lo ? (int)(hi - lo) : 0;
            displs[r] = hi > lo ? (int)(a + lo) : 0;
        }
        const float *send = local + (counts[rank] ? t * round * Nv : 0);
        if (all_ranks) {
            mpiCheck(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, sim, counts, displs, row_t,
                                    c->comm));
        } else if (rank == 0) {
            mpiCheck(MPI_Gatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, sim, counts, displs, row_t, 0,
                                 c->comm));
        } else {
            mpiCheck(MPI_Gatherv(send, counts[rank], row_t, NULL, NULL, NULL, row_t, 0, c->comm));
        }
    }
    mpiCheck(MPI_Type_free(&row_t));
    free(counts);
    free(displs);
    if (!holds) free(local);
    return 0;
}

int eval_similarity_distributed(const DrlComm *c, int64_t Nq, int64_t Nv, EvalScoreRows fn,
                                void *ctx, float *sim, char *err, size_t errlen) {
    return eval_similarity_distributed_opts(c, Nq, Nv, fn, ctx, sim, 0, NULL, err, errlen);
}

int eval_similarity_distributed_all(const DrlComm *c, int64_t Nq, int64_t Nv, EvalScoreRows fn,
                                    void *ctx, float *sim, char *err, size_t errlen) {
    return eval_similarity_distributed_opts(c, Nq, Nv, fn, ctx, sim, 1, NULL, err, errlen);
}
