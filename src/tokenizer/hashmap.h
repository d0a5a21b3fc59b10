/* Open-addressing hash maps (internal): byte strings -> int32 and
 * 64-bit keys -> int32. Keys are copied into the map's own pool. */
#ifndef DRL_TOKENIZER_HASHMAP_H
#define DRL_TOKENIZER_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t hash;
    uint32_t key_off, key_len; // into pool
    int32_t value;
    int32_t used;
} StrMapSlot;

typedef struct {
    StrMapSlot *slots; // (cap), cap a power of two
    size_t cap, count;
    char *pool; // (pool_cap) key bytes
    size_t pool_len, pool_cap;
} StrMap;

void strmap_init(StrMap *m, size_t expected);
void strmap_free(StrMap *m);
void strmap_clear(StrMap *m);
/* Sets key -> value; returns 0 if the key was new, 1 if it replaced a value. */
int strmap_put(StrMap *m, const void *key, size_t len, int32_t value);
/* The value, or -1 when absent. */
int32_t strmap_get(const StrMap *m, const void *key, size_t len);

typedef struct {
    uint64_t *keys;  // (cap), UINT64_MAX = empty
    int32_t *values; // (cap)
    size_t cap, count;
} PairMap;

void pairmap_init(PairMap *m, size_t expected);
void pairmap_free(PairMap *m);
void pairmap_put(PairMap *m, uint64_t key, int32_t value);
/* The value, or -1 when absent. */
int32_t pairmap_get(const PairMap *m, uint64_t key);

static inline uint64_t pair_key(int32_t a, int32_t b) {
    return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

#endif
