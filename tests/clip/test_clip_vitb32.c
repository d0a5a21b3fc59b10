/* Full-size check: a randomly initialised ViT-B/32-shaped CLIP saved as an
 * fp16 TorchScript archive (like OpenAI's ViT-B-32.pt) loads and matches
 * PyTorch's features on the reference helper's frames and captions. Reports
 * the peak resident memory of loading against the file size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "clip_fixture.h"
#include "common/check.h"

static double peak_rss_mb(void) {
    struct rusage ru;
    sysCheck(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
    return ru.ru_maxrss / 1024.0; /* kB on Linux */
}

static void test_vitb32_fp16_archive(void **state) {
    const DrlOps *ops = drl_cpu_ops();
    char dir[1024], golden[1100], path[1100];
    fixture_dir(dir, sizeof dir, "clip_vitb32");
    snprintf(golden, sizeof golden, "%s/clip_golden.h5", dir);
    snprintf(path, sizeof path, "%s/clip_fp16.pt", dir);
    int nd;
    int64_t dims[8];
    size_t n;
    float *frames_h = golden_read(golden, "frames", 0, &nd, dims, &n); // (N, 3, R, R)
    const int N = (int)dims[0];
    const size_t frame_floats = n;
    int32_t *ids_h = golden_read(golden, "text_ids", 1, &nd, dims, &n); // (B, L)
    const int B = (int)dims[0], L = (int)dims[1];

    struct stat st;
    sysCheck(stat(path, &st) == 0, "the ViT-B/32 fixture archive is missing");
    double before = peak_rss_mb();
    ClipModel m;
    clip_model_from_pt(&m, ops, path, N, B, L);
    double after = peak_rss_mb();
    double file_mb = st.st_size / 1048576.0;
    printf("loading %s (%.1f MB): peak RSS %.1f MB before, %.1f MB after (%.2f x the file; the "
           "float32 parameters alone are %.2f x)\n",
           path, file_mb, before, after, after / file_mb, m.pt.total * 4.0 / 1048576.0 / file_mb);
    assert_int_equal(m.clip.s.vision_width, 768);
    assert_int_equal(m.clip.s.vision_layers, 12);
    assert_int_equal(m.clip.s.patch, 32);
    assert_int_equal(m.clip.s.resolution, 224);
    assert_int_equal(m.clip.s.text_width, 512);
    assert_int_equal(m.clip.s.text_layers, 12);
    assert_int_equal(m.clip.s.embed_dim, 512);

    const int D = m.clip.s.embed_dim;
    float *frames = ops->alloc(frame_floats * sizeof(float)); // (N, 3, R, R)
    ops->to_device(frames, frames_h, frame_floats * sizeof(float));
    int32_t *ids = ops->alloc((size_t)B * L * sizeof(int32_t)); // (B, L)
    ops->to_device(ids, ids_h, (size_t)B * L * sizeof(int32_t));
    float *img = ops->alloc((size_t)N * D * sizeof(float));     // (N, D)
    float *txt = ops->alloc((size_t)B * L * D * sizeof(float)); // (B, L, D)
    clip_vision_fwd(&m.clip, ops, &m.pt, frames, N, img);
    clip_text_fwd(&m.clip, ops, &m.pt, ids, B, L, txt);
    float *img_h = mallocCheck((size_t)N * D * sizeof(float));
    float *txt_h = mallocCheck((size_t)B * L * D * sizeof(float));
    ops->to_host(img_h, img, (size_t)N * D * sizeof(float));
    ops->to_host(txt_h, txt, (size_t)B * L * D * sizeof(float));

    size_t gn;
    float *ref = golden_read(golden, "image_feat_fp16w", 0, &nd, dims, &gn);
    assert_int_equal(gn, (size_t)N * D);
    double e = rel_err(img_h, ref, gn);
    printf("ViT-B/32 image features vs PyTorch (same fp16-rounded weights): rel err %.3g\n", e);
    assert_true(e <= 1e-4);
    free(ref);
    ref = golden_read(golden, "text_feat_fp16w", 0, &nd, dims, &gn);
    assert_int_equal(gn, (size_t)B * L * D);
    e = rel_err(txt_h, ref, gn);
    printf("ViT-B/32 text features vs PyTorch (same fp16-rounded weights): rel err %.3g\n", e);
    assert_true(e <= 1e-4);
    free(ref);
    ref = golden_read(golden, "image_feat", 0, &nd, dims, &gn);
    e = rel_err(img_h, ref, gn);
    printf("ViT-B/32 image features vs PyTorch fp32 weights: rel err %.3g (fp16 rounding)\n", e);
    assert_true(e <= 2e-2);
    free(ref);

    ops->free(frames);
    ops->free(ids);
    ops->free(img);
    ops->free(txt);
    free(img_h);
    free(txt_h);
    free(frames_h);
    free(ids_h);
    clip_model_free(&m, ops);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vitb32_fp16_archive)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
