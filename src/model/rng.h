/* A counter-based random generator (Philox4x32-10) with a saveable state.
 *
 * The whole state is two 64-bit words: the key (from the seed) and a block
 * counter. Every call consumes whole blocks of four 32-bit outputs, so the
 * stream depends only on (seed, counter): save both, restore both, and the
 * sequence continues bit-identically (checkpoint/resume). Independent streams
 * for different purposes (init, dropout, CDCR sampling, ...) come from
 * different seeds or from rng_split. No global state. */
#ifndef DRL_MODEL_RNG_H
#define DRL_MODEL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key;     /* from the seed; never changes */
    uint64_t counter; /* next block to generate */
} DrlRng;

void rng_init(DrlRng *r, uint64_t seed);

/* A new generator whose stream is independent of r's (keyed by r's key and
 * `stream`); r is not advanced. */
DrlRng rng_split(const DrlRng *r, uint64_t stream);

/* Philox4x32-10 itself (Random123's philox4x32_R(10, ctr, key)). */
void rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
/* One Philox block: out[4] for this counter value (pure function). */
void rng_philox_block(uint64_t key, uint64_t counter, uint32_t out[4]);

/* Next 32 random bits (consumes one block). */
uint32_t rng_u32(DrlRng *r);
/* Uniform integer in [0, n), n > 0 (consumes one block; 64-bit modulo, bias < 2^-32). */
uint32_t rng_below(DrlRng *r, uint32_t n);

/* out (n) uniform in [0, 1) with 24-bit resolution (four per block). */
void rng_uniform(DrlRng *r, float *out, size_t n);
/* out (n) normal(mean, std) by Box-Muller (four per block). */
void rng_normal(DrlRng *r, float *out, size_t n, float mean, float std);

#endif
