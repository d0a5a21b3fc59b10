/* Unit checks of drl_video against mathematics: the stride rule on exact
 * halves (Python's round is half to even), the torchvision shorter-side size
 * rule, resizing a constant image, the centre crop's offsets on an image whose
 * shorter side is already R, and the missing-file reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "video/image_resize.h"
#include "video/video_decode.h"

static void test_stride_half_even(void **state) {
    (void)state;
    assert_int_equal(video_sampling_stride(30000.0 / 1001.0, 1.0), 30); /* 29.97 */
    assert_int_equal(video_sampling_stride(25.0, 1.0), 25);
    assert_int_equal(video_sampling_stride(2.5, 1.0), 2);   /* tie -> even */
    assert_int_equal(video_sampling_stride(3.5, 1.0), 4);   /* tie -> even */
    assert_int_equal(video_sampling_stride(1.5, 1.0), 2);   /* tie -> even */
    assert_int_equal(video_sampling_stride(0.5, 1.0), 1);   /* 0 -> 1 */
    assert_int_equal(video_sampling_stride(0.2, 1.0), 1);   /* 0 -> 1 */
    assert_int_equal(video_sampling_stride(25.0, 2.0), 12); /* 12.5 -> 12 */
    assert_int_equal(video_sampling_stride(24.0, 5.0), 5);  /* 4.8 */
}

static void test_shorter_side_rule(void **state) {
    (void)state;
    int ow, oh;
    resize_shorter_side_size(320, 240, 224, &ow, &oh); /* 224 * 320 / 240 = 298.67 */
    assert_int_equal(ow, 298);
    assert_int_equal(oh, 224);
    resize_shorter_side_size(240, 320, 224, &ow, &oh);
    assert_int_equal(ow, 224);
    assert_int_equal(oh, 298);
    resize_shorter_side_size(150, 150, 224, &ow, &oh);
    assert_int_equal(ow, 224);
    assert_int_equal(oh, 224);
    resize_shorter_side_size(224, 300, 224, &ow, &oh); /* already R: unchanged */
    assert_int_equal(ow, 224);
    assert_int_equal(oh, 300);
    resize_shorter_side_size(500, 281, 224, &ow, &oh); /* 224 * 500 / 281 = 398.58 */
    assert_int_equal(ow, 398);
    assert_int_equal(oh, 224);
}

static void test_constant_image(void **state) {
    (void)state;
    const int w = 37, h = 23, ow = 91, oh = 11;
    uint8_t *src = malloc((size_t)w * h * 3);   // (h, w, 3)
    uint8_t *dst = malloc((size_t)ow * oh * 3); // (oh, ow, 3)
    for (int i = 0; i < w * h; i++) {
        src[3 * i] = 0;
        src[3 * i + 1] = 128;
        src[3 * i + 2] = 255;
    }
    image_resize_bicubic(src, w, h, dst, ow, oh);
    for (int i = 0; i < ow * oh; i++) {
        assert_int_equal(dst[3 * i], 0);
        assert_int_equal(dst[3 * i + 1], 128);
        assert_int_equal(dst[3 * i + 2], 255);
    }
    free(src);
    free(dst);
}

static void test_crop_offsets(void **state) {
    (void)state;
    /* 4 x 7 image, R = 4: no resize; top = round(1.5) = 2 (half to even). */
    const int w = 4, h = 7, R = 4;
    uint8_t src[7 * 4 * 3]; // (h, w, 3)
    uint8_t dst[4 * 4 * 3]; // (R, R, 3)
    for (int i = 0; i < w * h * 3; i++)
        src[i] = (uint8_t)(i / (w * 3)); /* value = row */
    image_resize_crop(src, w, h, R, dst);
    for (int y = 0; y < R; y++)
        assert_int_equal(dst[y * R * 3], y + 2);
    /* 4 x 9: top = round(2.5) = 2 */
    uint8_t src9[9 * 4 * 3];
    for (int i = 0; i < w * 9 * 3; i++)
        src9[i] = (uint8_t)(i / (w * 3));
    image_resize_crop(src9, w, 9, R, dst);
    for (int y = 0; y < R; y++)
        assert_int_equal(dst[y * R * 3], y + 2);
}

static void test_missing_file(void **state) {
    (void)state;
    DecodedVideo v;
    char err[256];
    int rc = video_decode_sampled("/nonexistent/dir/video0.mp4", 1.0, &v, err, sizeof err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "missing file"));
    assert_int_equal(v.count, 0);
    assert_null(v.rgb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stride_half_even), cmocka_unit_test(test_shorter_side_rule),
        cmocka_unit_test(test_constant_image),   cmocka_unit_test(test_crop_offsets),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
