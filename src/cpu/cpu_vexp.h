/* A branch-free, vectorisable e^x for the CPU kernels (QuickGELU, the bf16
 * attention's softmax): Cephes' expf, range reduction by ln 2 split in two
 * parts, a degree-6 polynomial, the exponent written into the bits; within
 * 2 ulp of expf (tests/ops). The callers clamp (and handle NaN) first. */
#ifndef DRL_CPU_CPU_VEXP_H
#define DRL_CPU_CPU_VEXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x for x in [-87.3, 88.3] (the caller clamps). */
static inline float cpu_vexp_clamped(float x) {
    const float n = rintf(x * 1.44269504088896341f); /* |n| <= 127 */
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23; /* 2^n, n in [-126, 127] */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#endif
