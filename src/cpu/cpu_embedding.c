/* Embedding lookup; the backward scatters and accumulates repeated ids. */
#include "cpu/cpu_internal.h"

#include <string.h>

#include "common/check.h"

/* Columns handled per OpenMP task in the backward scatter. */
#define EMB_BLOCK 128

void cpu_embedding_fwd(float *out, const int32_t *ids, const float *table, int N, int C) {
    // out (N, C), ids (N), table (V, C)
    if (N <= 0 || C <= 0) return;
    for (int n = 0; n < N; n++)
        drlCheck(ids[n] >= 0, "embedding: token ids must be >= 0");
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int n = 0; n < N; n++)
        memcpy(out + (size_t)n * C, table + (size_t)ids[n] * C, (size_t)C * sizeof(float));
}

void cpu_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int N, int C) {
    // dtable (V, C) +=, dout (N, C), ids (N). Threads split the columns, so
    // repeated ids never race and rows are summed in the order of n.
    if (!dtable || N <= 0 || C <= 0) return;
    for (int n = 0; n < N; n++)
        drlCheck(ids[n] >= 0, "embedding: token ids must be >= 0");
    int nblocks = (C + EMB_BLOCK - 1) / EMB_BLOCK;
#pragma omp parallel for if ((size_t)N * C >= CPU_PARALLEL_MIN)
    for (int blk = 0; blk < nblocks; blk++) {
        int c0 = blk * EMB_BLOCK, c1 = c0 + EMB_BLOCK < C ? c0 + EMB_BLOCK : C;
        for (int n = 0; n < N; n++) {
            float *dst = dtable + (size_t)ids[n] * C; // (C)
            const float *src = dout + (size_t)n * C;  // (C)
            for (int c = c0; c < c1; c++)
                dst[c] += src[c];
        }
    }
}
