#include "viz/draw.h"

#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void draw_colormap(double t, double rgb[3]) {
    static const double stops[5][3] = {{0.267, 0.005, 0.329},
                                       {0.229, 0.322, 0.546},
                                       {0.128, 0.567, 0.551},
                                       {0.369, 0.789, 0.383},
                                       {0.993, 0.906, 0.144}};
    if (!(t > 0.0)) t = 0.0;
    if (t > 1.0) t = 1.0;
    double f = t * 4.0;
    int k = f >= 4.0 ? 3 : (int)f;
    double u = f - k;
    for (int c = 0; c < 3; c++)
        rgb[c] = stops[k][c] * (1.0 - u) + stops[k + 1][c] * u;
}

void draw_text_centered(cairo_t *cr, double x, double y, const char *s) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, x - ext.x_advance / 2.0, y);
    cairo_show_text(cr, s);
}

void draw_text_right(cairo_t *cr, double x, double y, const char *s) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, x - ext.x_advance, y);
    cairo_show_text(cr, s);
}

int draw_nice_ticks(double lo, double hi, int want, double *ticks, int cap) {
    if (!(hi > lo)) hi = lo + 1.0;
    double raw = (hi - lo) / (want > 1 ? want : 1);
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p, step = (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
    int n = 0;
    for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9 && n < cap; v += step)
        ticks[n++] = fabs(v) < step * 1e-9 ? 0.0 : v;
    return n;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

cairo_surface_t *draw_surface_for(const char *path, int width, int height, int *is_png, char *err,
                                  size_t errlen) {
    cairo_surface_t *s = NULL;
    if (ends_with(path, ".png") || ends_with(path, ".PNG")) {
        *is_png = 1;
        s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    } else if (ends_with(path, ".svg") || ends_with(path, ".SVG")) {
        *is_png = 0;
        s = cairo_svg_surface_create(path, width, height);
    } else {
        snprintf(err, errlen, "%s: expected a file name ending in .png or .svg", path);
        return NULL;
    }
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s: cannot create the picture: %s", path,
                 cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

int draw_surface_finish(cairo_surface_t *s, const char *path, int is_png, char *err,
                        size_t errlen) {
    cairo_status_t st = CAIRO_STATUS_SUCCESS;
    if (is_png) {
        cairo_surface_flush(s);
        st = cairo_surface_write_to_png(s, path);
    } else {
        cairo_surface_finish(s);
        st = cairo_surface_status(s);
    }
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s: cannot write the picture: %s", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}
