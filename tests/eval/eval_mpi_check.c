/* eval_similarity_distributed under mpirun: with a deterministic score
 * function, the gathered matrix equals the one computed on a single rank
 * bit for bit (rank 0 variant and every-rank variant), for default and tiny
 * chunk/round sizes (many gather rounds, ranks without rows), and a failing
 * score function on one rank makes every rank return -1 instead of hanging.
 * Usage: mpirun -np W eval_mpi_check NQ NV. Exit status 0 on success. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "common/check.h"
#include "eval/distributed.h"

typedef struct {
    int64_t nv;
    int64_t fail_row; /* -1: never */
    int64_t rows_scored;
} Ctx;

static int score(void *vctx, int64_t row0, int64_t nrows, float *out /* (nrows, nv) */) {
    Ctx *c = vctx;
    if (c->fail_row >= row0 && c->fail_row < row0 + nrows) return 3;
    for (int64_t i = 0; i < nrows; i++) {
        for (int64_t j = 0; j < c->nv; j++) {
            const double x = (double)((row0 + i) * 7919 + j * 104729 % 1000003);
            out[i * c->nv + j] = (float)(sin(x * 1e-3) + 1e-4 * (double)(row0 + i));
        }
    }
    c->rows_scored += nrows;
    return 0;
}

static int failures;

static void expect(int cond, int rank, const char *what) {
    if (!cond) {
        fprintf(stderr, "rank %d: FAILED: %s\n", rank, what);
        failures++;
    }
}

int main(int argc, char **argv) {
    mpiCheck(MPI_Init(&argc, &argv));
    DrlComm comm;
    comm_init_world(&comm);
    drlCheck(argc == 3, "usage: eval_mpi_check NQ NV");
    const int64_t nq = atoll(argv[1]), nv = atoll(argv[2]);
    const size_t bytes = (size_t)(nq * nv) * sizeof(float);
    float *want = mallocCheck(bytes); // (Nq, Nv) single-process matrix
    float *sim = mallocCheck(bytes);  // (Nq, Nv)
    Ctx ref = {nv, -1, 0};
    drlCheck(score(&ref, 0, nq, want) == 0, "reference scoring");

    const EvalGatherOptions opts[3] = {{0, 0}, {2, 1}, {5, 3}};
    char err[256];
    for (int k = 0; k < 3; k++) {
        for (int all = 0; all < 2; all++) {
            memset(sim, 0xff, bytes);
            Ctx ctx = {nv, -1, 0};
            float *dst = all || comm.rank == 0 ? sim : NULL;
            int rc = eval_similarity_distributed_opts(&comm, nq, nv, score, &ctx, dst, all,
                                                      &opts[k], err, sizeof err);
            expect(rc == 0, comm.rank, "distributed scoring returned an error");
            int64_t a, n;
            eval_row_block(nq, comm.world, comm.rank, &a, &n);
            expect(ctx.rows_scored == n, comm.rank, "each rank scores exactly its block");
            if (all || comm.rank == 0) {
                char what[128];
                snprintf(what, sizeof what, "matrix equals the single-rank one (opts %d, all %d)",
                         k, all);
                expect(memcmp(sim, want, bytes) == 0, comm.rank, what);
            }
        }
    }
    /* the public wrappers */
    Ctx ctx = {nv, -1, 0};
    memset(sim, 0, bytes);
    expect(eval_similarity_distributed(&comm, nq, nv, score, &ctx, comm.rank ? NULL : sim, err,
                                       sizeof err) == 0,
           comm.rank, "eval_similarity_distributed");
    if (comm.rank == 0) expect(memcmp(sim, want, bytes) == 0, 0, "wrapper matrix");
    memset(sim, 0, bytes);
    expect(eval_similarity_distributed_all(&comm, nq, nv, score, &ctx, sim, err, sizeof err) == 0,
           comm.rank, "eval_similarity_distributed_all");
    expect(memcmp(sim, want, bytes) == 0, comm.rank, "all-ranks wrapper matrix");

    /* the last row fails on the last rank that owns rows: everyone returns -1 */
    Ctx bad = {nv, nq - 1, 0};
    err[0] = 0;
    const int rc = eval_similarity_distributed(&comm, nq, nv, score, &bad, sim, err, sizeof err);
    expect(rc == -1, comm.rank, "a failing score function gives -1 on every rank");
    expect(strstr(err, "failed on rank") != NULL, comm.rank, "the error names the failing rank");

    int total = 0;
    mpiCheck(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    if (comm.rank == 0) {
        printf("%s: %d ranks, %lld x %lld: %d failure(s)\n", argv[0], comm.world, (long long)nq,
               (long long)nv, total);
    }
    free(want);
    free(sim);
    mpiCheck(MPI_Finalize());
    return total ? 1 : 0;
}
