/* Runs linear and matmul, forward and backward, of drl_cpu_ops_bf16() on raw
 * float32 files written by bf16_linear_vs_torch.py:
 *   bf16_linear_driver DIR N IC OC
 * reads DIR/{x (N, IC), w (OC, IC), b (OC), m (IC, OC), dout (N, OC),
 * dx0 (N, IC), dw0 (OC, IC), db0 (OC), dm0 (IC, OC)}.f32 and writes
 * DIR/{lin_y (N, OC), lin_dx, lin_dw, lin_db, mm_y (N, OC), mm_dx, mm_dm}.f32
 * (the gradients accumulated onto the *0 values). */
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "ops/ops.h"

static float *load(const char *dir, const char *name, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *f = fopen(path, "rb");
    sysCheck(f != NULL, "bf16_linear_driver: the input files come from bf16_linear_vs_torch.py");
    float *x = mallocCheck(sizeof(float) * (n ? n : 1)); // (n)
    if (fread(x, sizeof(float), n, f) != n) {
        fprintf(stderr, "bf16_linear_driver: %s: expected %zu floats\n", path, n);
        exit(2);
    }
    fclose(f);
    return x;
}

static void save(const char *dir, const char *name, const float *x, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *f = fopen(path, "wb");
    sysCheck(f != NULL, "bf16_linear_driver: the output folder must be writable");
    sysCheck(fwrite(x, sizeof(float), n, f) == n && fclose(f) == 0, "bf16_linear_driver: write");
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bf16_linear_driver DIR N IC OC\n");
        return 2;
    }
    const char *dir = argv[1];
    const int N = atoi(argv[2]), IC = atoi(argv[3]), OC = atoi(argv[4]);
    drlCheck(N > 0 && IC > 0 && OC > 0, "bf16_linear_driver: N, IC and OC must be positive");
    char why[256] = "";
    const DrlOps *ops = drl_cpu_ops_bf16(why, sizeof why);
    if (!ops) {
        fprintf(stderr, "bf16_linear_driver: %s\n", why);
        return 1;
    }
    const size_t nx = (size_t)N * IC, nw = (size_t)OC * IC, ny = (size_t)N * OC;
    float *x = load(dir, "x", nx), *w = load(dir, "w", nw), *b = load(dir, "b", (size_t)OC);
    float *m = load(dir, "m", nw), *dout = load(dir, "dout", ny);
    float *y = mallocCheck(sizeof(float) * ny); // (N, OC)

    ops->linear_fwd(y, x, w, b, N, IC, OC);
    save(dir, "lin_y", y, ny);
    float *dx = load(dir, "dx0", nx), *dw = load(dir, "dw0", nw), *db = load(dir, "db0", OC);
    ops->linear_bwd(dx, dw, db, dout, x, w, N, IC, OC);
    save(dir, "lin_dx", dx, nx), save(dir, "lin_dw", dw, nw), save(dir, "lin_db", db, OC);
    free(dx), free(dw), free(db);

    /* no bias; a backward without dbias (dout rounded without its column sums) */
    ops->linear_fwd(y, x, w, NULL, N, IC, OC);
    save(dir, "lin_y_nob", y, ny);
    float *dxn = load(dir, "dx0", nx), *dwn = load(dir, "dw0", nw);
    ops->linear_bwd(dxn, dwn, NULL, dout, x, w, N, IC, OC);
    save(dir, "lin_dx_nob", dxn, nx), save(dir, "lin_dw_nob", dwn, nw);
    free(dxn), free(dwn);

    ops->matmul_fwd(y, x, m, N, IC, OC);
    save(dir, "mm_y", y, ny);
    float *dxm = load(dir, "dx0", nx), *dm = load(dir, "dm0", nw);
    ops->matmul_bwd(dxm, dm, dout, x, m, N, IC, OC);
    save(dir, "mm_dx", dxm, nx), save(dir, "mm_dm", dm, nw);
    free(dxm), free(dm);
    free(x), free(w), free(b), free(m), free(dout), free(y);
    return 0;
}
