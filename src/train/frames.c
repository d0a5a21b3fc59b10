#include "train/frames.h"

#include <string.h>

void frames_normalise(float *out, const uint8_t *in, const int32_t *mask, int64_t N, int R) {
    const float mean[3] = {CLIP_MEAN_R, CLIP_MEAN_G, CLIP_MEAN_B};
    const float stdv[3] = {CLIP_STD_R, CLIP_STD_G, CLIP_STD_B};
    const int64_t P = (int64_t)R * R;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++) {
        float *o = out + n * 3 * P; // (3, R, R)
        if (mask && !mask[n]) {
            memset(o, 0, sizeof(float) * 3 * (size_t)P);
            continue;
        }
        const uint8_t *x = in + n * P * 3; // (R, R, 3)
        for (int c = 0; c < 3; c++) {
            /* (x / 255 - mean) / std, in float as torchvision computes it */
            for (int64_t p = 0; p < P; p++)
                o[c * P + p] = ((float)x[p * 3 + c] / 255.0f - mean[c]) / stdv[c];
        }
    }
}
