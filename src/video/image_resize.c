/* Pillow 9.4's ImagingResample with the BICUBIC filter (libImaging/Resample.c),
 * reproduced step by step so that the 8-bit result is identical, plus the
 * torchvision 0.9 shorter-side rule and centre crop (spec/data.md §2). */
#include "video/image_resize.h"

#include "common/check.h"

#include <math.h>
#include <string.h>

#define RESIZE_PRECISION_BITS 22 /* Pillow: 32 - 8 - 2 */

/* Pillow's bicubic kernel, a = -0.5. */
static double bicubic_filter(double x) {
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

/* Per output position: the first input index, the number of taps and the
 * quantised weights (Pillow's precompute_coeffs + normalize_coeffs_8bpc). */
typedef struct {
    int ksize;   /* taps reserved per output position */
    int *bounds; /* (out, 2): xmin, count */
    int *kk;     /* (out, ksize) weights with 22 fractional bits */
} ResampleCoeffs;

static void coeffs_compute(int in_size, int out_size, ResampleCoeffs *c) {
    const double filter_support = 2.0; /* BICUBIC */
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = filter_support * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    c->ksize = ksize;
    c->bounds = mallocCheck(sizeof(int) * 2 * (size_t)out_size);         // (out, 2)
    c->kk = mallocCheck(sizeof(int) * (size_t)ksize * (size_t)out_size); // (out, ksize)
    double *w = mallocCheck(sizeof(double) * (size_t)ksize);             // (ksize)
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) {
            w[x] = bicubic_filter((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        int *k = &c->kk[(size_t)xx * ksize];
        for (int x = 0; x < ksize; x++) {
            double v = 0.0;
            if (x < xmax) v = ww != 0.0 ? w[x] / ww : w[x];
            /* round half away from zero, as Pillow's normalize_coeffs_8bpc */
            k[x] = v < 0 ? (int)(-0.5 + v * (1 << RESIZE_PRECISION_BITS))
                         : (int)(0.5 + v * (1 << RESIZE_PRECISION_BITS));
        }
        c->bounds[2 * xx + 0] = xmin;
        c->bounds[2 * xx + 1] = xmax;
    }
    free(w);
}

static void coeffs_free(ResampleCoeffs *c) {
    free(c->bounds);
    free(c->kk);
}

static inline uint8_t clip8(int in) {
    if (in >= (1 << RESIZE_PRECISION_BITS << 8)) return 255;
    if (in <= 0) return 0;
    return (uint8_t)(in >> RESIZE_PRECISION_BITS);
}

/* Horizontal pass over input rows [y0, y0 + rows) and output columns
 * [x0, x0 + cw): src (h, w, 3) -> dst (rows, cw, 3). */
static void resample_horizontal(const uint8_t *src, int w, int y0, int rows, uint8_t *dst, int x0,
                                int cw, const ResampleCoeffs *c) {
    for (int yy = 0; yy < rows; yy++) {
        const uint8_t *row = src + (size_t)(y0 + yy) * w * 3;
        uint8_t *out = dst + (size_t)yy * cw * 3;
        for (int ox = 0; ox < cw; ox++) {
            int xx = x0 + ox;
            int xmin = c->bounds[2 * xx], xmax = c->bounds[2 * xx + 1];
            const int *k = &c->kk[(size_t)xx * c->ksize];
            int s0 = 1 << (RESIZE_PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int x = 0; x < xmax; x++) {
                const uint8_t *p = row + (size_t)(x + xmin) * 3;
                s0 += p[0] * k[x];
                s1 += p[1] * k[x];
                s2 += p[2] * k[x];
            }
            out[3 * ox + 0] = clip8(s0);
            out[3 * ox + 1] = clip8(s1);
            out[3 * ox + 2] = clip8(s2);
        }
    }
}

/* Vertical pass for output rows [y0, y0 + ch): src (rows, n / 3, 3) whose row 0
 * is input row src_y0 -> dst (ch, n / 3, 3). Integer sums, so accumulating
 * tap by tap over a row (vectorisable) equals Pillow's per-pixel order. */
static void resample_vertical(const uint8_t *src, int n, int src_y0, uint8_t *dst, int y0, int ch,
                              const ResampleCoeffs *c, int32_t *acc) {
    for (int oy = 0; oy < ch; oy++) {
        int yy = y0 + oy;
        int ymin = c->bounds[2 * yy] - src_y0, ymax = c->bounds[2 * yy + 1];
        const int *k = &c->kk[(size_t)yy * c->ksize];
        for (int i = 0; i < n; i++)
            acc[i] = 1 << (RESIZE_PRECISION_BITS - 1);
        for (int y = 0; y < ymax; y++) {
            const uint8_t *row = src + (size_t)(y + ymin) * n;
            int32_t ky = k[y];
            for (int i = 0; i < n; i++)
                acc[i] += row[i] * ky;
        }
        uint8_t *out = dst + (size_t)oy * n;
        for (int i = 0; i < n; i++)
            out[i] = clip8(acc[i]);
    }
}

/* The window [x0, x0 + cw) x [y0, y0 + ch) of Pillow's resize of src (h, w, 3)
 * to (oh, ow, 3): dst (ch, cw, 3). Each output pixel depends only on its own
 * coefficients, so the window equals the same crop of the full resize. */
static void resize_window(const uint8_t *src, int w, int h, int ow, int oh, int x0, int y0, int cw,
                          int ch, uint8_t *dst) {
    int need_h = ow != w, need_v = oh != h;
    ResampleCoeffs chz = {0}, cvt = {0};
    if (need_h) coeffs_compute(w, ow, &chz);
    if (need_v) coeffs_compute(h, oh, &cvt);
    if (!need_h && !need_v) {
        for (int y = 0; y < ch; y++)
            memcpy(dst + (size_t)y * cw * 3, src + ((size_t)(y + y0) * w + x0) * 3, (size_t)cw * 3);
    } else if (!need_v) {
        resample_horizontal(src, w, y0, ch, dst, x0, cw, &chz);
    } else {
        /* rows of the source the vertical pass reads (Pillow's ybox) */
        int y_first = cvt.bounds[2 * y0];
        int y_last = cvt.bounds[2 * (y0 + ch - 1)] + cvt.bounds[2 * (y0 + ch - 1) + 1];
        int rows = y_last - y_first;
        uint8_t *tmp = mallocCheck((size_t)rows * cw * 3); // (rows, cw, 3)
        if (need_h) {
            resample_horizontal(src, w, y_first, rows, tmp, x0, cw, &chz);
        } else {
            for (int y = 0; y < rows; y++)
                memcpy(tmp + (size_t)y * cw * 3, src + ((size_t)(y + y_first) * w + x0) * 3,
                       (size_t)cw * 3);
        }
        int32_t *acc = mallocCheck(sizeof(int32_t) * (size_t)cw * 3); // (cw * 3)
        resample_vertical(tmp, cw * 3, y_first, dst, y0, ch, &cvt, acc);
        free(acc);
        free(tmp);
    }
    if (need_h) coeffs_free(&chz);
    if (need_v) coeffs_free(&cvt);
}

void image_resize_bicubic(const uint8_t *src, int w, int h, uint8_t *dst, int ow, int oh) {
    drlCheck(w > 0 && h > 0 && ow > 0 && oh > 0, "image sizes must be positive");
    resize_window(src, w, h, ow, oh, 0, 0, ow, oh, dst);
}

void resize_shorter_side_size(int w, int h, int R, int *ow, int *oh) {
    if (w <= h) {
        *ow = R;
        *oh = w == R ? h : (int)((double)R * h / w);
    } else {
        *oh = R;
        *ow = h == R ? w : (int)((double)R * w / h);
    }
}

/* Python's int(round(x)) for a float: half to even (rint in the default mode). */
static int round_half_even(double x) {
    return (int)nearbyint(x);
}

void image_resize_crop(const uint8_t *src, int w, int h, int R, uint8_t *dst) {
    drlCheck(w > 0 && h > 0 && R > 0, "image sizes must be positive");
    int ow, oh;
    resize_shorter_side_size(w, h, R, &ow, &oh);
    int top = round_half_even((oh - R) / 2.0);
    int left = round_half_even((ow - R) / 2.0);
    resize_window(src, w, h, ow, oh, left, top, R, R, dst);
}
