/* Embedding lookup; the backward accumulates repeated ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"
#include "ops_check.h"

typedef struct EmbCtx {
    int N, C;
    const int32_t *ids;
} EmbCtx;

/* in[0] table (V, C); out (N, C) */
static void ref_embedding(const void *vctx, double *const *in, double *out) {
    const EmbCtx *c = vctx;
    for (int n = 0; n < c->N; n++)
        for (int i = 0; i < c->C; i++)
            out[n * c->C + i] = in[0][c->ids[n] * c->C + i];
}

static void embedding_case(int V, int N, int C, const int32_t *ids, size_t step, uint64_t seed) {
    const DrlOps *ops = drl_cpu_ops();
    TRng r = trng(seed);
    EmbCtx ctx = {N, C, ids};
    size_t nt = (size_t)V * C, ny = (size_t)N * C;
    float *table = fvec_rand(nt, -1, 1, &r); // (V, C)
    float *y = fvec_nan(ny);                 // (N, C)
    ops->embedding_fwd(y, ids, table, N, C);
    double *in[1] = {dvec_of(table, nt)};
    double *yref = dvec(ny);
    ref_embedding(&ctx, in, yref);
    check_close("embedding_fwd", y, yref, ny, 0, 0);

    float *dout = fvec_rand(ny, -1, 1, &r);
    double *wts = dvec_of(dout, ny);
    GradBuf g = gbuf(nt, &r);
    for (int call = 0; call < 2; call++) {
        ops->embedding_bwd(g.g, dout, ids, N, C);
        if (call == 0) gbuf_mark(&g);
    }
    ops->embedding_bwd(NULL, dout, ids, N, C);
    double *fd = dvec(nt);
    fd_grad(ref_embedding, &ctx, in, 0, nt, ny, wts, step, fd);
    gbuf_check("embedding_bwd dtable", &g, fd);
    gbuf_free(&g);
    free(in[0]), free(table), free(y), free(yref), free(dout), free(wts), free(fd);
}

static void test_embedding_duplicates(void **state) {
    (void)state;
    int32_t ids[] = {2, 0, 2, 4, 2};
    embedding_case(5, 5, 7, ids, 1, 1);
    int32_t one[] = {3};
    embedding_case(4, 1, 3, one, 1, 2);
}

static void test_embedding_parallel_sizes(void **state) {
    (void)state;
    int N = 77 * 3, V = 101, C = 512; // a few captions of CLIP's context length
    int32_t *ids = ivec((size_t)N);
    TRng r = trng(3);
    for (int n = 0; n < N; n++)
        ids[n] = (int32_t)trng_uniform(&r, 0, 20); // many repeats
    ids[N - 1] = V - 1;
    embedding_case(V, N, C, ids, 131, 4);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedding_duplicates),
        cmocka_unit_test(test_embedding_parallel_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
