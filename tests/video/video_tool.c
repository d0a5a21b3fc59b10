/* Test driver for drl_video, called by the Python reference tests:
 *   video_tool decode PATH TARGET_FPS OUT.raw   kept frames (count, h, w, 3) -> OUT.raw,
 *                                               one JSON line with the metadata
 *   video_tool resize IN.raw W H N R OUT.raw    N frames (N, H, W, 3) -> (N, R, R, 3)
 *   video_tool resize_to IN.raw W H N OW OH OUT.raw   plain bicubic resize
 *   video_tool stride FPS TARGET                FPS as a number or NUM/DEN
 * Prints throughput (frames/s) on stderr. Exit 2 with "error: reason" on a
 * decode failure. */
#include "common/check.h"
#include "video/image_resize.h"
#include "video/video_decode.h"

#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double parse_rate(const char *s) {
    const char *slash = strchr(s, '/');
    if (slash) return strtod(s, NULL) / strtod(slash + 1, NULL);
    return strtod(s, NULL);
}

static uint8_t *read_all(const char *path, size_t bytes) {
    FILE *f = fopen(path, "rb");
    sysCheck(f != NULL, "cannot open the raw input");
    uint8_t *buf = mallocCheck(bytes);
    drlCheck(fread(buf, 1, bytes, f) == bytes, "raw input shorter than W*H*3*N");
    fclose(f);
    return buf;
}

static void write_all(const char *path, const uint8_t *buf, size_t bytes) {
    FILE *f = fopen(path, "wb");
    sysCheck(f != NULL, "cannot create the raw output");
    drlCheck(fwrite(buf, 1, bytes, f) == bytes, "short write");
    fclose(f);
}

static int cmd_decode(const char *path, double target, const char *out_path) {
    DecodedVideo v;
    char err[512], warn[512];
    double t0 = now_s();
    int rc = video_decode_sampled_ex(path, target, &v, err, sizeof err, warn, sizeof warn);
    double dt = now_s() - t0;
    if (rc != 0) {
        printf("error: %s\n", err);
        return 2;
    }
    printf("{\"count\": %d, \"width\": %d, \"height\": %d, \"fps\": %.17g, \"total_frames\": %d, "
           "\"stride\": %d, \"warning\": \"%s\"}\n",
           v.count, v.width, v.height, v.fps, v.total_frames, v.stride, warn);
    fprintf(stderr, "decode: %d frames in %.3f s = %.1f frames/s\n", v.total_frames, dt,
            v.total_frames / dt);
    write_all(out_path, v.rgb, (size_t)v.count * v.width * v.height * 3);
    decoded_video_free(&v);
    return 0;
}

static int cmd_resize(int argc, char **argv, int crop) {
    int w = atoi(argv[3]), h = atoi(argv[4]), n = atoi(argv[5]);
    int ow, oh;
    const char *out_path;
    if (crop) {
        ow = oh = atoi(argv[6]);
        out_path = argv[7];
    } else {
        ow = atoi(argv[6]);
        oh = atoi(argv[7]);
        out_path = argv[8];
    }
    size_t in_bytes = (size_t)w * h * 3, out_bytes = (size_t)ow * oh * 3;
    uint8_t *src = read_all(argv[2], in_bytes * n); // (n, h, w, 3)
    uint8_t *dst = mallocCheck(out_bytes * n);      // (n, oh, ow, 3)
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (crop)
            image_resize_crop(src + i * in_bytes, w, h, ow, dst + i * out_bytes);
        else
            image_resize_bicubic(src + i * in_bytes, w, h, dst + i * out_bytes, ow, oh);
    }
    double dt = now_s() - t0;
    fprintf(stderr, "resize %dx%d -> %dx%d: %d frames in %.4f s = %.1f frames/s\n", w, h, ow, oh, n,
            dt, n / dt);
    write_all(out_path, dst, out_bytes * n);
    free(src);
    free(dst);
    (void)argc;
    return 0;
}

int main(int argc, char **argv) {
    av_log_set_level(AV_LOG_ERROR);
    if (argc >= 5 && !strcmp(argv[1], "decode")) return cmd_decode(argv[2], atof(argv[3]), argv[4]);
    if (argc >= 8 && !strcmp(argv[1], "resize")) return cmd_resize(argc, argv, 1);
    if (argc >= 9 && !strcmp(argv[1], "resize_to")) return cmd_resize(argc, argv, 0);
    if (argc >= 4 && !strcmp(argv[1], "stride")) {
        printf("%d\n", video_sampling_stride(parse_rate(argv[2]), parse_rate(argv[3])));
        return 0;
    }
    fprintf(stderr, "usage: video_tool decode PATH TARGET_FPS OUT.raw | resize IN W H N R OUT | "
                    "resize_to IN W H N OW OH OUT | stride FPS TARGET\n");
    return 1;
}
