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

/* Horizontal pass over rows [y0, y0 + rows): src (h, w, 3) -> dst (rows, ow, 3). */
static void resample_horizontal(const uint8_t *src, int w, int y0, int rows, uint8_t *dst, int ow,
                                const ResampleCoeffs *c) {
    for (int yy = 0; yy < rows; yy++) {
        const uint8_t *row = src + (size_t)(y0 + yy) * w * 3;
        uint8_t *out = dst + (size_t)yy * ow * 3;
        for (int xx = 0; xx < ow; xx++) {
            int xmin = c->bounds[2 * xx], xmax = c->bounds[2 * xx + 1];
            const int *k = &c->kk[(size_t)xx * c->ksize];
            int s0 = 1 << (RESIZE_PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int x = 0; x < xmax; x++) {
                const uint8_t *p = row + (size_t)(x + xmin) * 3;
                s0 += p[0] * k[x];
                s1 += p[1] * k[x];
                s2 += p[2] * k[x];
            }
            out[3 * xx + 0] = clip8(s0);
            out[3 * xx + 1] = clip8(s1);
            out[3 * xx + 2] = clip8(s2);
        }
    }
}

/* Vertical pass: src (rows, w, 3) whose row 0 is input row y0 -> dst (oh, w, 3). */
static void resample_vertical(const uint8_t *src, int w, int y0, uint8_t *dst, int oh,
                              const ResampleCoeffs *c) {
    for (int yy = 0; yy < oh; yy++) {
        int ymin = c->bounds[2 * yy] - y0, ymax = c->bounds[2 * yy + 1];
        const int *k = &c->kk[(size_t)yy * c->ksize];
        uint8_t *out = dst + (size_t)yy * w * 3;
        for (int xx = 0; xx < w * 3; xx++) {
            int s = 1 << (RESIZE_PRECISION_BITS - 1);
            for (int y = 0; y < ymax; y++)
                s += src[(size_t)(y + ymin) * w * 3 + xx] * k[y];
            out[xx] = clip8(s);
        }
    }
}

void image_resize_bicubic(const uint8_t *src, int w, int h, uint8_t *dst, int ow, int oh) {
    drlCheck(w > 0 && h > 0 && ow > 0 && oh > 0, "image sizes must be positive");
    int need_h = ow != w, need_v = oh != h;
    if (!need_h && !need_v) {
        memcpy(dst, src, (size_t)w * h * 3);
        return;
    }
    ResampleCoeffs ch = {0}, cv = {0};
    if (need_h) coeffs_compute(w, ow, &ch);
    if (need_v) coeffs_compute(h, oh, &cv);
    if (need_h && !need_v) {
        resample_horizontal(src, w, 0, h, dst, ow, &ch);
    } else if (!need_h) {
        resample_vertical(src, w, 0, dst, oh, &cv);
    } else {
        /* Pillow only resamples the rows the vertical pass reads (ybox). */
        int y_first = cv.bounds[0];
        int y_last = cv.bounds[2 * oh - 2] + cv.bounds[2 * oh - 1];
        int rows = y_last - y_first;
        uint8_t *tmp = mallocCheck((size_t)rows * ow * 3); // (rows, ow, 3)
        resample_horizontal(src, w, y_first, rows, tmp, ow, &ch);
        resample_vertical(tmp, ow, y_first, dst, oh, &cv);
        free(tmp);
    }
    if (need_h) coeffs_free(&ch);
    if (need_v) coeffs_free(&cv);
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
    int ow, oh;
    resize_shorter_side_size(w, h, R, &ow, &oh);
    const uint8_t *img = src;
    uint8_t *resized = NULL;
    if (ow != w || oh != h) {
        resized = mallocCheck((size_t)ow * oh * 3); // (oh, ow, 3)
        image_resize_bicubic(src, w, h, resized, ow, oh);
        img = resized;
    }
    int top = round_half_even((oh - R) / 2.0);
    int left = round_half_even((ow - R) / 2.0);
    for (int y = 0; y < R; y++)
        memcpy(dst + (size_t)y * R * 3, img + ((size_t)(y + top) * ow + left) * 3, (size_t)R * 3);
    free(resized);
}
