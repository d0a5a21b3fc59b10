/* Benchmark (not a test): ViT-B/32 vision forward, frames per second, on the
 * CPU backend. usage: bench_clip_vision [frames=12] [repeats=3]
 * Threads: OMP_NUM_THREADS (and OPENBLAS_NUM_THREADS). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/check.h"
#include "model/clip.h"
#include "model/param_buffers.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const int F = argc > 1 ? atoi(argv[1]) : 12, reps = argc > 2 ? atoi(argv[2]) : 3;
    const DrlOps *ops = drl_cpu_ops();
    DrlClipShape cfg = {768, 12, 32, 224, 512, 12, 512, 49408, 77};
    ClipShape s;
    char err[512];
    if (clip_shape_from_config(&s, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
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
    size_t nf = (size_t)F * 3 * 224 * 224;
    float *host = mallocCheck(nf * sizeof(float)); // (F, 3, 224, 224)
    rng_normal(&rng, host, nf, 0, 1);
    float *frames = ops->alloc(nf * sizeof(float));
    ops->to_device(frames, host, nf * sizeof(float));
    float *out = ops->alloc((size_t)F * 512 * sizeof(float)); // (F, D)
    clip_vision_fwd(&clip, ops, &pt, frames, F, out);         /* warm-up */
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        clip_vision_fwd(&clip, ops, &pt, frames, F, out);
        ops->sync();
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("ours: ViT-B/32 vision forward, %d frames: best %.3f s = %.1f frames/s\n", F, best,
           F / best);
    free(host);
    ops->free(frames);
    ops->free(out);
    clip_free(&clip, ops);
    params_free_buffers(&pt, ops);
    params_free_table(&pt);
    return 0;
}
