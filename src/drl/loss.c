#include "drl/loss.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"

double cross_entropy_diag(const float *Z, float *dZ, int B, float gscale) {
    double total = 0.0;
    for (int a = 0; a < B; a++) {
        const float *z = Z + (size_t)a * B;
        float mx = z[0];
        for (int b = 1; b < B; b++)
            mx = z[b] > mx ? z[b] : mx;
        double sum = 0.0;
        for (int b = 0; b < B; b++)
            sum += exp((double)z[b] - mx);
        double lse = log(sum) + mx;
        total += lse - z[a];
        if (dZ) {
            float *g = dZ + (size_t)a * B;
            for (int b = 0; b < B; b++) {
                double p = exp((double)z[b] - lse);
                g[b] += (float)((p - (a == b ? 1.0 : 0.0)) * gscale / B);
            }
        }
    }
    return total / B;
}

static void standardise(float *z, float *sd_out, unsigned char *degen, const float *x, int N,
                        int D) {
    for (int d = 0; d < D; d++) {
        double mean = 0.0;
        for (int n = 0; n < N; n++)
            mean += x[(size_t)n * D + d];
        mean /= N;
        double ss = 0.0;
        for (int n = 0; n < N; n++) {
            double e = x[(size_t)n * D + d] - mean;
            ss += e * e;
        }
        /* variance over max(N - 1, 1); a channel with variance <= 1e-12 is
         * constant: divided by 1, no gradient through its sd
         * (tests/reference/README.md) */
        double var = ss / (N > 1 ? N - 1 : 1);
        int bad = !(var > 1e-12) || !isfinite(var);
        double sd = bad ? 1.0 : sqrt(var);
        degen[d] = (unsigned char)bad;
        sd_out[d] = bad ? 1.0f : (float)sd;
        for (int n = 0; n < N; n++)
            z[(size_t)n * D + d] = (float)((x[(size_t)n * D + d] - mean) / sd_out[d]);
    }
}

size_t corr_scratch_bytes(int N, int D) {
    const size_t ND = sizeof(float) * (size_t)N * D, Df = sizeof(float) * (size_t)D;
    return 5 * scratch_round(ND) + 2 * scratch_round(Df) + 2 * scratch_round((size_t)D) +
           scratch_round(Df * (size_t)D);
}

void corr_forward(CorrCache *c, DrlScratch *s, const float *A, const float *Bm, const float *w,
                  int N, int D, float divisor) {
    memset(c, 0, sizeof *c);
    c->N = N, c->D = D, c->divisor = divisor, c->w = w;
    c->za = scratch_get(s, sizeof(float) * (size_t)N * D);
    c->zb = scratch_get(s, sizeof(float) * (size_t)N * D);
    c->sda = scratch_get(s, sizeof(float) * D);
    c->sdb = scratch_get(s, sizeof(float) * D);
    c->degen_a = scratch_get(s, (size_t)D);
    c->degen_b = scratch_get(s, (size_t)D);
    c->C = scratch_get(s, sizeof(float) * (size_t)D * D);
    standardise(c->za, c->sda, c->degen_a, A, N, D);
    standardise(c->zb, c->sdb, c->degen_b, Bm, N, D);
    const float *zb = c->zb;
    float *wzb = NULL; // (N, D) w_r * zb_r
    if (w) {
        wzb = scratch_get(s, sizeof(float) * (size_t)N * D);
        for (int n = 0; n < N; n++)
            for (int d = 0; d < D; d++)
                wzb[(size_t)n * D + d] = w[n] * c->zb[(size_t)n * D + d];
        zb = wzb;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, D, D, N, 1.0f / divisor, c->za, D, zb, D,
                0.0f, c->C, D);
}

/* dx (N, D) += standardisation backward of dz for z = (x - mean) / sd. */
static void standardise_bwd(float *dx, const float *dz, const float *z, const float *sd,
                            const unsigned char *degen, int N, int D) {
    for (int d = 0; d < D; d++) {
        double mdz = 0.0, zdz = 0.0;
        for (int n = 0; n < N; n++) {
            mdz += dz[(size_t)n * D + d];
            zdz += (double)dz[(size_t)n * D + d] * z[(size_t)n * D + d];
        }
        mdz /= N;
        double k = !degen[d] ? zdz / (N > 1 ? N - 1 : 1) : 0.0;
        for (int n = 0; n < N; n++)
            dx[(size_t)n * D + d] +=
                (float)((dz[(size_t)n * D + d] - mdz - z[(size_t)n * D + d] * k) / sd[d]);
    }
}

void corr_backward(const CorrCache *c, DrlScratch *ws, const float *dC, float *dA, float *dB,
                   float *dw) {
    const int N = c->N, D = c->D;
    float *dza = scratch_get(ws, sizeof(float) * (size_t)N * D); // (N, D) written by the sgemm
    float *dzb = scratch_get(ws, sizeof(float) * (size_t)N * D); // (N, D)
    const float s = 1.0f / c->divisor;
    /* unweighted: dza = zb dC^T / div ; dzb = za dC / div ; weighted rows scale by w_r */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, D, D, s, c->zb, D, dC, D, 0.0f, dza, D);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, D, D, s, c->za, D, dC, D, 0.0f, dzb,
                D);
    if (c->w) {
        for (int n = 0; n < N; n++) {
            if (dw) {
                /* dw_n = za_n . (dC zb_n) / div = sum_p za_np dzb'_np with dzb' = zb dC^T... use
                 * dza: dza_n = zb_n dC^T / div, so za_n . dza_n = sum_pq za_np dC_pq zb_nq / div.
                 */
                double acc = 0.0;
                for (int d = 0; d < D; d++)
                    acc += (double)c->za[(size_t)n * D + d] * dza[(size_t)n * D + d];
                dw[n] += (float)acc;
            }
            for (int d = 0; d < D; d++) {
                dza[(size_t)n * D + d] *= c->w[n];
                dzb[(size_t)n * D + d] *= c->w[n];
            }
        }
    }
    if (dA) standardise_bwd(dA, dza, c->za, c->sda, c->degen_a, N, D);
    if (dB) standardise_bwd(dB, dzb, c->zb, c->sdb, c->degen_b, N, D);
}

double decorrelation_loss(const float *C, int D, float alpha1, float alpha2, float *dC,
                          float gscale) {
    double on = 0.0, off = 0.0;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double c = C[(size_t)i * D + j];
            if (i == j) {
                on += (c - 1.0) * (c - 1.0);
                if (dC) dC[(size_t)i * D + j] += (float)(2.0 * alpha1 * (c - 1.0) * gscale);
            } else {
                off += c * c;
                if (dC) dC[(size_t)i * D + j] += (float)(2.0 * alpha2 * c * gscale);
            }
        }
    return alpha1 * on + alpha2 * off;
}

double scaled_ce_loss(const float *s, float *Z, float *dZ, float *ds, double *dls, int B, float e,
                      float weight, int transpose_in) {
    for (int a = 0; a < B; a++)
        for (int b = 0; b < B; b++)
            Z[(size_t)a * B + b] = e * (transpose_in ? s[(size_t)b * B + a] : s[(size_t)a * B + b]);
    if (!ds) return weight * cross_entropy_diag(Z, NULL, B, weight);
    memset(dZ, 0, sizeof(float) * (size_t)B * B);
    double ce = cross_entropy_diag(Z, dZ, B, weight);
    double acc = 0.0;
    for (int a = 0; a < B; a++)
        for (int b = 0; b < B; b++) {
            size_t src = transpose_in ? (size_t)b * B + a : (size_t)a * B + b;
            float g = dZ[(size_t)a * B + b];
            ds[src] += e * g;
            acc += (double)g * s[src];
        }
    *dls += acc * e;
    return weight * ce;
}
