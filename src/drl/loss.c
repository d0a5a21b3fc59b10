#include "drl/loss.h"

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

void corr_standardise_fwd(float *z, float *sd_out, uint8_t *degen, const float *x, int N, int D) {
    // z (N, D), sd_out (D), degen (D), x (N, D)
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
        degen[d] = (uint8_t)bad;
        sd_out[d] = bad ? 1.0f : (float)sd;
        for (int n = 0; n < N; n++)
            z[(size_t)n * D + d] = (float)((x[(size_t)n * D + d] - mean) / sd_out[d]);
    }
}

void corr_standardise_bwd(float *dx, const float *dz, const float *z, const float *sd,
                          const uint8_t *degen, int N, int D) {
    // dx (N, D) +=, dz (N, D), z (N, D), sd (D), degen (D)
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

void corr_rows_scale(float *x, const float *w, int N, int D) {
    // x (N, D), w (N)
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++)
            x[(size_t)n * D + d] *= w[n];
}

void corr_rows_dot_add(float *out, const float *a, const float *b, int N, int D) {
    // out (N) +=, a (N, D), b (N, D)
    for (int n = 0; n < N; n++) {
        double acc = 0.0;
        for (int d = 0; d < D; d++)
            acc += (double)a[(size_t)n * D + d] * b[(size_t)n * D + d];
        out[n] += (float)acc;
    }
}

void corr_decorrelation(double *result, const float *C, int D, float alpha1, float alpha2,
                        float *dC, float gscale) {
    result[0] = decorrelation_loss(C, D, alpha1, alpha2, dC, gscale);
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

size_t clip_loss_ws_bytes_cpu(int B) {
    return sizeof(float) * (size_t)B * B; // dZ (B, B)
}

void clip_loss_cpu(const DrlClipLoss *cl) {
    const int B = cl->B;
    float *dZ = cl->ws; // (B, B)
    double dls = 0.0;
    double ce_t = scaled_ce_loss(cl->sim, cl->logits_t2v, dZ, cl->dsim, &dls, B, cl->e, 0.5f, 0);
    double ce_v = scaled_ce_loss(cl->sim, cl->logits_v2t, dZ, cl->dsim, &dls, B, cl->e, 0.5f, 1);
    for (int a = 0; a < B; a++)
        for (int b = 0; b < B; b++)
            cl->sim_vt[(size_t)b * B + a] = cl->sim[(size_t)a * B + b];
    cl->result[0] = ce_t + ce_v; /* each already weighted by 1/2 */
    cl->result[1] = dls;
}
