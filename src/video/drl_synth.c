/* drl_synth: writes the synthetic MSR-VTT-format dataset (see video/synth.h).
 *   drl_synth --out DIR [--videos N] [--test N] [--captions K] [--seed S]
 *             [--size WxH] [--seconds s] [--fps f] */
#include "video/mp4_write.h"
#include "video/synth.h"

#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f) {
    fprintf(f, "usage: drl_synth --out DIR [--videos N] [--test N] [--captions K] [--seed S]\n"
               "                 [--size WxH] [--seconds s] [--fps f]\n"
               "defaults: 240 videos, the last 40 for test, 4 captions each, seed 0, 64x48,\n"
               "5 s at 8 fps\n");
}

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "drl_synth: %s expects an integer in %ld..%ld, got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    SynthOptions o;
    synth_default_options(&o);
    av_log_set_level(AV_LOG_ERROR); /* no per-file encoder statistics */
    const char *out = NULL;
    int test_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "drl_synth: %s needs a value\n", a);
            usage(stderr);
            return 1;
        }
        const char *v = argv[++i];
        long n = 0;
        int rc = 0;
        if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--videos"))
            rc = parse_int(a, v, 2, 1000000, &n), o.videos = (int)n;
        else if (!strcmp(a, "--test"))
            rc = parse_int(a, v, 1, 1000000, &n), o.test_videos = (int)n, test_given = 1;
        else if (!strcmp(a, "--captions"))
            rc = parse_int(a, v, 2, 5, &n), o.captions_per_video = (int)n;
        else if (!strcmp(a, "--fps"))
            rc = parse_int(a, v, 1, 120, &n), o.fps = (int)n;
        else if (!strcmp(a, "--seed"))
            o.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--seconds"))
            o.seconds = atof(v);
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%dx%d", &o.width, &o.height) != 2) {
                fprintf(stderr, "drl_synth: --size expects WxH (e.g. 64x48), got '%s'\n", v);
                return 1;
            }
        } else {
            fprintf(stderr, "drl_synth: unknown option %s\n", a);
            usage(stderr);
            return 1;
        }
        if (rc < 0) return 1;
    }
    if (!out) {
        fprintf(stderr, "drl_synth: --out DIR is required\n");
        usage(stderr);
        return 1;
    }
    if (!test_given) o.test_videos = o.videos / 6 > 0 ? o.videos / 6 : 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[1024];
    if (synth_write_dataset(out, &o, err, sizeof err) != 0) {
        fprintf(stderr, "drl_synth: %s\n", err);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    printf("drl_synth: %d videos (%d train, %d test) %dx%d, %.3g s at %d fps, %d captions each, "
           "encoder %s, seed %llu -> %s in %.2f s\n",
           o.videos, o.videos - o.test_videos, o.test_videos, o.width, o.height, o.seconds, o.fps,
           o.captions_per_video, mp4_encoder_name(), (unsigned long long)o.seed, out, dt);
    return 0;
}
