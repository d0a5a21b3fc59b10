/* DrlOps.im2col of the CPU backend against the direct definition of the
 * conv1 patch layout (src/ops/ops.h): every element, exactly; and the patch
 * product equals a direct strided convolution (conv1 as CLIP defines it:
 * kernel P, stride P, no bias) computed in double. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ops/ops.h"

static void im2col_case(int F, int P, int G) {
    const DrlOps *ops = drl_cpu_ops();
    const int R = P * G, K = 3 * P * P, OC = 5;
    const size_t nf = (size_t)F * 3 * R * R, np = (size_t)F * G * G * K;
    float *frames = malloc(nf * sizeof(float)); // (F, 3, R, R)
    for (size_t i = 0; i < nf; i++)
        frames[i] = (float)((i * 2654435761u) % 1000) / 100.0f - 5.0f;
    float *patches = malloc(np * sizeof(float)); // (F*G*G, K)
    for (size_t i = 0; i < np; i++)
        patches[i] = NAN; // every element must be written
    ops->im2col(patches, frames, F, P, G);
    for (int f = 0; f < F; f++)
        for (int gy = 0; gy < G; gy++)
            for (int gx = 0; gx < G; gx++)
                for (int c = 0; c < 3; c++)
                    for (int ky = 0; ky < P; ky++)
                        for (int kx = 0; kx < P; kx++) {
                            float want =
                                frames[(((size_t)f * 3 + c) * R + gy * P + ky) * R + gx * P + kx];
                            float got = patches[(((size_t)f * G + gy) * G + gx) * K +
                                                ((size_t)c * P + ky) * P + kx];
                            assert_true(got == want);
                        }
    // the conv1 product through the patches against a direct convolution
    float *w = malloc(sizeof(float) * OC * K); // (OC, 3, P, P)
    for (int i = 0; i < OC * K; i++)
        w[i] = (float)((i * 40503u) % 97) / 97.0f - 0.5f;
    float *out = malloc(sizeof(float) * F * G * G * OC); // (F*G*G, OC)
    ops->linear_fwd(out, patches, w, NULL, F * G * G, K, OC);
    for (int f = 0; f < F; f++)
        for (int gy = 0; gy < G; gy++)
            for (int gx = 0; gx < G; gx++)
                for (int o = 0; o < OC; o++) {
                    double acc = 0.0;
                    for (int c = 0; c < 3; c++)
                        for (int ky = 0; ky < P; ky++)
                            for (int kx = 0; kx < P; kx++)
                                acc += (double)w[((o * 3 + c) * P + ky) * P + kx] *
                                       frames[(((size_t)f * 3 + c) * R + gy * P + ky) * R + gx * P +
                                              kx];
                    float got = out[(((size_t)f * G + gy) * G + gx) * OC + o];
                    assert_true(fabs(got - acc) <= 1e-4 * (1.0 + fabs(acc)));
                }
    free(frames), free(patches), free(w), free(out);
}

static void test_im2col_clip_like(void **state) {
    (void)state;
    im2col_case(3, 8, 4); // 32 x 32 frames, 8 x 8 patches
}

static void test_im2col_odd(void **state) {
    (void)state;
    im2col_case(2, 5, 3); // 15 x 15 frames
    im2col_case(1, 1, 7); // P = 1: every pixel its own patch
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_im2col_clip_like),
        cmocka_unit_test(test_im2col_odd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
