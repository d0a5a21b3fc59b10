/* Benchmark: CLIP vision tower forward (ViT-B/32 shapes unless tiny), frames/s.
 *   bench_vision [frames=48] [repeats=3] [vitb32|tiny] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "common/check.h"
#include "model/clip.h"
#include "model/param_buffers.h"

int main(int argc, char **argv) {
    const int F = argc > 1 ? atoi(argv[1]) : 48, reps = bench_reps(argc, argv, 2, 3);
    const int tiny = argc > 3 && !strcmp(argv[3], "tiny");
    drlCheck(F >= 1, "bench_vision: frames must be >= 1");
    const DrlOps *ops = drl_cpu_ops();
    DrlClipShape big = {768, 12, 32, 224, 512, 12, 512, 49408, 77};
    DrlClipShape small = {64, 2, 16, 64, 64, 2, 64, 49408, 32};
    ClipShape s;
    char err[512];
    if (clip_shape_from_config(&s, tiny ? &small : &big, err, sizeof err)) {
        fprintf(stderr, "bench_vision: %s\n", err);
        return 1;
    }
    ParamTable pt;
    params_init(&pt);
    Clip clip;
    clip_init(&clip, &pt, &s);
    params_alloc_buffers(&pt, ops);
    DrlRng rng;
    rng_init(&rng, 1);
    clip_init_random(&clip, &pt, ops, &rng);
    clip_alloc(&clip, ops, &pt, F, 0, 0);
    const int R = s.resolution;
    size_t nf = (size_t)F * 3 * R * R;
    float *frames = mallocCheck(nf * sizeof(float)); // (F, 3, R, R)
    rng_normal(&rng, frames, nf, 0, 1);
    float *out = mallocCheck((size_t)F * s.embed_dim * sizeof(float)); // (F, D)
    BenchTimes bt = {0};
    for (int r = -1; r < reps; r++) {
        double t0 = bench_now();
        clip_vision_fwd(&clip, ops, &pt, frames, F, out);
        if (r >= 0) bt.t[bt.n++] = bench_now() - t0;
    }
    double S = (double)s.grid * s.grid + 1, W = s.vision_width;
    double flop = 2.0 * F * (S - 1) * 3.0 * s.patch * s.patch * W +
                  s.vision_layers * (24.0 * F * S * W * W + 4.0 * F * S * S * W) +
                  2.0 * F * W * s.embed_dim;
    char extra[128];
    snprintf(extra, sizeof extra, "{\"frames\": %d, \"model\": \"%s\"}", F,
             tiny ? "tiny" : "vitb32");
    bench_emit("vision_fwd", &bt, (double)F, "frames", flop, extra);
    free(frames);
    free(out);
    clip_free(&clip, ops);
    params_free_buffers(&pt, ops);
    params_free_table(&pt);
    return 0;
}
