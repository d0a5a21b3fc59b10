/* The fixture store of the store tests: every value is a closed formula, so
 * the C check and the h5py side (store_roundtrip.py) compute it
 * independently. Keep in sync with store_roundtrip.py. */
#ifndef DRL_TESTS_STORE_FIXTURE_H
#define DRL_TESTS_STORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

#define FIX_R    8
#define FIX_V    5
#define FIX_C    7
#define FIX_HASH "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

static const int32_t fix_count[FIX_V] = {3, 0, 1, 4, 2};

static inline uint8_t fix_pixel(int v, int f, int y, int x, int c) {
    return (uint8_t)((v * 37 + f * 11 + y * 5 + x * 3 + c * 101) & 255);
}
static inline double fix_fps(int v) {
    return v == 2 ? 30000.0 / 1001.0 : 25.0 + 0.5 * v;
}
static inline const char *fix_status(int v) {
    return v == 1 ? "no frame decoded" : "ok";
}
static inline void fix_id(int v, char *buf, size_t n) {
    snprintf(buf, n, "video%d", v * 7);
}
static inline void fix_text(int c, char *buf, size_t n) {
    snprintf(buf, n, "caption %d: a \"caf\xc3\xa9\" \xe2\x80\x94 %d", c, c * c);
}
static inline int fix_video_of(int c) {
    return c % FIX_V;
}
static inline int fix_ntokens(int c) {
    return c % 4;
}
static inline int32_t fix_token(int c, int k) {
    return 1000 * c + k + 1;
}
/* train = even captions, test = odd captions */

#endif
