/* Frame positions (NumPy linspace) and the seeded epoch permutation. */
#include "loader/loader.h"

int loader_frame_positions(int32_t count, int T, int32_t *pos) {
    if (count <= 0) return 0;
    if (count <= T) {
        for (int32_t i = 0; i < count; i++)
            pos[i] = i;
        return count;
    }
    if (T == 1) { /* linspace(0, c-1, 1) = [0] */
        pos[0] = 0;
        return 1;
    }
    double step = (double)(count - 1) / (double)(T - 1);
    for (int i = 0; i < T - 1; i++)
        pos[i] = (int32_t)((double)i * step);
    pos[T - 1] = count - 1;
    return T;
}

static uint64_t splitmix64_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, range) (Lemire 2019, with rejection: no bias). */
static uint64_t bounded(uint64_t *state, uint64_t range) {
    unsigned __int128 m = (unsigned __int128)splitmix64_next(state) * range;
    uint64_t low = (uint64_t)m;
    if (low < range) {
        uint64_t threshold = (0 - range) % range;
        while (low < threshold) {
            m = (unsigned __int128)splitmix64_next(state) * range;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void loader_epoch_permutation(uint64_t seed, int64_t epoch, int64_t n, int64_t *perm) {
    uint64_t state = seed ^ ((uint64_t)epoch * 0xD1B54A32D192ED03ull);
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)bounded(&state, (uint64_t)i + 1);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
