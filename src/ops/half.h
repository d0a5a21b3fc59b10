/* IEEE binary16 ("half", fp16) <-> binary32 conversions, exact and portable
 * (bit manipulation, no compiler _Float16 or F16C needed): the emulation of
 * the reference's fp16 CLIP towers (spec/model.md §11) rounds float32 values
 * to the nearest fp16 value with these.
 *
 * - half_from_float: round to nearest, ties to even (IEEE default, what
 *   PyTorch's .half() and CUDA's __float2half_rn do); subnormal halves are
 *   produced (gradual underflow), magnitudes >= 65520 become +-inf, NaN stays
 *   NaN (quiet).
 * - half_to_float: exact.
 * - half_round(x) = half_to_float(half_from_float(x)).
 *
 * Header-only and in src/ops/ (the bottom layer) so that the CPU backend, the
 * model code and the optimiser share one implementation. */
#ifndef DRL_OPS_HALF_H
#define DRL_OPS_HALF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t half_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or NaN */
        return (uint16_t)(sign | 0x7c00u |
                          (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0u));
    if (ax >= 0x477ff000u) /* >= 65520 = max half + half an ulp: rounds to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) {                /* below 2^-14: subnormal half (or zero) */
        if (ax < 0x33000000u) return sign; /* < 2^-25: rounds to zero (2^-25 itself ties to 0) */
        const uint32_t e = ax >> 23;       /* 102..112 */
        const uint32_t mant = (ax & 0x7fffffu) | 0x800000u; /* 24-bit significand */
        const uint32_t shift = 126u - e; /* value = mant * 2^(e-150); half ulp 2^-24 */
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (h & 1u))) h++;
        return (uint16_t)(sign | h); /* h == 0x400 carries into the smallest normal: correct */
    }
    /* normal: rebias the exponent (127 -> 15), round 13 bits away */
    uint32_t h = ((ax - 0x38000000u) >> 13);
    const uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* a carry may reach inf: correct */
    return (uint16_t)(sign | h);
}

static inline float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) { /* zero or subnormal: man * 2^-24, exact in float32 */
        float f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, sizeof bits);
        bits |= sign;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline float half_round(float x) {
    return half_to_float(half_from_float(x));
}

#endif
