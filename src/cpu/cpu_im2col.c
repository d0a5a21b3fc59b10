/* conv1 patch extraction on the CPU: rows of P pixels are contiguous in both
 * layouts, so each patch is 3*P copies of P floats; frames in parallel. */
#include "cpu/cpu_im2col.h"

#include <stddef.h>
#include <string.h>

void cpu_im2col(float *patches, const float *frames, int F, int P, int G) {
    // patches (F*G*G, 3*P*P); frames (F, 3, R, R), R = P*G
    const size_t R = (size_t)P * G, K = 3 * (size_t)P * P, row = (size_t)P * sizeof(float);
#pragma omp parallel for schedule(static)
    for (int f = 0; f < F; f++)
        for (int gy = 0; gy < G; gy++)
            for (int gx = 0; gx < G; gx++) {
                float *dst = patches + (((size_t)f * G + gy) * G + gx) * K; // (3, P, P)
                for (int ch = 0; ch < 3; ch++)
                    for (int ky = 0; ky < P; ky++) {
                        const float *src = frames +
                                           (((size_t)f * 3 + ch) * R + (size_t)gy * P + ky) * R +
                                           (size_t)gx * P; // (P)
                        memcpy(dst + ((size_t)ch * P + ky) * P, src, row);
                    }
            }
}
