#include "model/rng.h"

#include <math.h>

/* Philox4x32-10 (Salmon et al., SC'11), the constants of Random123. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void rng_philox_block(uint64_t key, uint64_t counter, uint32_t out[4]) {
    const uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), 0, 0};
    const uint32_t k[2] = {(uint32_t)key, (uint32_t)(key >> 32)};
    rng_philox4x32(ctr, k, out);
}

void rng_init(DrlRng *r, uint64_t seed) {
    r->key = splitmix64(seed);
    r->counter = 0;
}

DrlRng rng_split(const DrlRng *r, uint64_t stream) {
    DrlRng s = {splitmix64(r->key ^ splitmix64(stream + 0x5851F42D4C957F2Dull)), 0};
    return s;
}

uint32_t rng_u32(DrlRng *r) {
    uint32_t b[4];
    rng_philox_block(r->key, r->counter++, b);
    return b[0];
}

uint32_t rng_below(DrlRng *r, uint32_t n) {
    uint32_t b[4];
    rng_philox_block(r->key, r->counter++, b);
    uint64_t x = ((uint64_t)b[0] << 32) | b[1];
    return (uint32_t)(x % n);
}

void rng_uniform(DrlRng *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i += 4) {
        uint32_t b[4];
        rng_philox_block(r->key, r->counter++, b);
        for (size_t j = 0; j < 4 && i + j < n; j++)
            out[i + j] = (float)(b[j] >> 8) * (1.0f / 16777216.0f);
    }
}

void rng_normal(DrlRng *r, float *out, size_t n, float mean, float std) {
    const double two_pi = 6.283185307179586;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t b[4];
        rng_philox_block(r->key, r->counter++, b);
        for (int pair = 0; pair < 2; pair++) {
            /* u1 in (0, 1], u2 in [0, 1) */
            double u1 = ((double)b[2 * pair] + 1.0) * (1.0 / 4294967296.0);
            double u2 = (double)b[2 * pair + 1] * (1.0 / 4294967296.0);
            double rad = sqrt(-2.0 * log(u1));
            double z0 = rad * cos(two_pi * u2), z1 = rad * sin(two_pi * u2);
            size_t k = i + 2 * (size_t)pair;
            if (k < n) out[k] = mean + std * (float)z0;
            if (k + 1 < n) out[k + 1] = mean + std * (float)z1;
        }
    }
}
