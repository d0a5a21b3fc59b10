#include "tokenizer/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"

static uint64_t hash_bytes(const void *p, size_t n) {
    const unsigned char *s = p; // FNV-1a, then a 64-bit finaliser
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_u64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static size_t pow2_at_least(size_t n) {
    size_t c = 16;
    while (c < n)
        c *= 2;
    return c;
}

void strmap_init(StrMap *m, size_t expected) {
    memset(m, 0, sizeof(*m));
    m->cap = pow2_at_least(expected * 2);
    m->slots = callocCheck(m->cap, sizeof(StrMapSlot));
}

void strmap_free(StrMap *m) {
    free(m->slots);
    free(m->pool);
    memset(m, 0, sizeof(*m));
}

void strmap_clear(StrMap *m) {
    memset(m->slots, 0, m->cap * sizeof(StrMapSlot));
    m->count = 0;
    m->pool_len = 0;
}

static size_t strmap_find(const StrMap *m, uint64_t h, const void *key, size_t len) {
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    while (m->slots[i].used) {
        const StrMapSlot *s = &m->slots[i];
        if (s->hash == h && s->key_len == len && memcmp(m->pool + s->key_off, key, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static void strmap_grow(StrMap *m) {
    StrMapSlot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap *= 2;
    m->slots = callocCheck(m->cap, sizeof(StrMapSlot));
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].used) continue;
        size_t j = (size_t)old[i].hash & (m->cap - 1);
        while (m->slots[j].used)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

int strmap_put(StrMap *m, const void *key, size_t len, int32_t value) {
    if ((m->count + 1) * 2 > m->cap) strmap_grow(m);
    uint64_t h = hash_bytes(key, len);
    size_t i = strmap_find(m, h, key, len);
    if (m->slots[i].used) {
        m->slots[i].value = value;
        return 1;
    }
    if (m->pool_len + len > m->pool_cap) {
        size_t ncap = m->pool_cap ? m->pool_cap : 4096;
        while (ncap < m->pool_len + len)
            ncap *= 2;
        char *np = realloc(m->pool, ncap);
        drlCheck(np != NULL, "out of memory growing a hash map's key pool");
        m->pool = np;
        m->pool_cap = ncap;
    }
    drlCheck(m->pool_len + len <= UINT32_MAX, "hash map key pool over 4 GiB");
    if (len) memcpy(m->pool + m->pool_len, key, len);
    m->slots[i] = (StrMapSlot){h, (uint32_t)m->pool_len, (uint32_t)len, value, 1};
    m->pool_len += len;
    m->count++;
    return 0;
}

int32_t strmap_get(const StrMap *m, const void *key, size_t len) {
    size_t i = strmap_find(m, hash_bytes(key, len), key, len);
    return m->slots[i].used ? m->slots[i].value : -1;
}

void pairmap_init(PairMap *m, size_t expected) {
    m->cap = pow2_at_least(expected * 2);
    m->count = 0;
    m->keys = mallocCheck(m->cap * sizeof(uint64_t));
    memset(m->keys, 0xFF, m->cap * sizeof(uint64_t));
    m->values = mallocCheck(m->cap * sizeof(int32_t));
}

void pairmap_free(PairMap *m) {
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof(*m));
}

void pairmap_put(PairMap *m, uint64_t key, int32_t value) {
    drlCheck((m->count + 1) * 2 <= m->cap, "pair map sized too small");
    size_t mask = m->cap - 1, i = (size_t)hash_u64(key) & mask;
    while (m->keys[i] != UINT64_MAX && m->keys[i] != key)
        i = (i + 1) & mask;
    if (m->keys[i] == UINT64_MAX) m->count++;
    m->keys[i] = key;
    m->values[i] = value;
}

int32_t pairmap_get(const PairMap *m, uint64_t key) {
    size_t mask = m->cap - 1, i = (size_t)hash_u64(key) & mask;
    while (m->keys[i] != UINT64_MAX) {
        if (m->keys[i] == key) return m->values[i];
        i = (i + 1) & mask;
    }
    return -1;
}
