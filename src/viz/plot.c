#include "viz/plot.h"

#include <math.h>
#include <stdio.h>

#include "viz/draw.h"

static void format_tick(double v, double step, char *buf, size_t n) {
    double a = fabs(step);
    if (v != 0.0 && (fabs(v) < 1e-3 || fabs(v) >= 1e5))
        snprintf(buf, n, "%.1e", v);
    else if (a >= 1.0)
        snprintf(buf, n, "%.0f", v);
    else if (a >= 0.1)
        snprintf(buf, n, "%.1f", v);
    else if (a >= 0.01)
        snprintf(buf, n, "%.2f", v);
    else
        snprintf(buf, n, "%.3f", v);
}

void plot_panel(cairo_t *cr, const PlotPanel *p, const PlotSeries *s, int ns) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i])) continue;
            x0 = fmin(x0, s[k].x[i]), x1 = fmax(x1, s[k].x[i]);
            y0 = fmin(y0, s[k].y[i]), y1 = fmax(y1, s[k].y[i]);
        }
    if (!isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 <= x0) x0 -= 0.5, x1 += 0.5;
    if (y1 <= y0) y0 -= fabs(y0) * 0.1 + 0.5, y1 += fabs(y1) * 0.1 + 0.5;
    double pad = 0.06 * (y1 - y0);
    y0 -= pad, y1 += pad;
    /* plot area inside the panel box */
    const double L = p->x + 70, R = p->x + p->w - 16, T = p->y + 30, B = p->y + p->h - 46;
#define PX(v) (L + ((v)-x0) / (x1 - x0) * (R - L))
#define PY(v) (B - ((v)-y0) / (y1 - y0) * (B - T))
    cairo_set_source_rgb(cr, 0.98, 0.98, 0.98);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_fill(cr);
    /* ticks and grid */
    double ticks[32];
    char buf[64];
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    int nx = draw_nice_ticks(x0, x1, 6, ticks, 32);
    for (int i = 0; i < nx; i++) {
        double X = PX(ticks[i]);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_set_line_width(cr, 1.0);
        cairo_move_to(cr, X, T), cairo_line_to(cr, X, B), cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, X, B), cairo_line_to(cr, X, B + 5), cairo_stroke(cr);
        format_tick(ticks[i], nx > 1 ? ticks[1] - ticks[0] : 1.0, buf, sizeof buf);
        draw_text_centered(cr, X, B + 18, buf);
    }
    int ny = draw_nice_ticks(y0, y1, 5, ticks, 32);
    for (int i = 0; i < ny; i++) {
        double Y = PY(ticks[i]);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, L, Y), cairo_line_to(cr, R, Y), cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, L - 5, Y), cairo_line_to(cr, L, Y), cairo_stroke(cr);
        format_tick(ticks[i], ny > 1 ? ticks[1] - ticks[0] : 1.0, buf, sizeof buf);
        draw_text_right(cr, L - 8, Y + 4, buf);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_stroke(cr);
    /* series, clipped to the plot area */
    cairo_save(cr);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_clip(cr);
    for (int k = 0; k < ns; k++) {
        cairo_set_source_rgb(cr, s[k].rgb[0], s[k].rgb[1], s[k].rgb[2]);
        cairo_set_line_width(cr, 2.0);
        int started = 0;
        for (int i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].y[i])) continue;
            if (!started)
                cairo_move_to(cr, PX(s[k].x[i]), PY(s[k].y[i]));
            else
                cairo_line_to(cr, PX(s[k].x[i]), PY(s[k].y[i]));
            started = 1;
        }
        cairo_stroke(cr);
        if (s[k].markers)
            for (int i = 0; i < s[k].n; i++) {
                if (!isfinite(s[k].y[i])) continue;
                cairo_arc(cr, PX(s[k].x[i]), PY(s[k].y[i]), 3.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
    }
    cairo_restore(cr);
    /* title, axis labels */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 14);
    draw_text_centered(cr, (L + R) / 2, p->y + 20, p->title);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    draw_text_centered(cr, (L + R) / 2, B + 36, p->xlabel);
    cairo_save(cr);
    cairo_translate(cr, p->x + 16, (T + B) / 2);
    cairo_rotate(cr, -M_PI / 2);
    draw_text_centered(cr, 0, 0, p->ylabel);
    cairo_restore(cr);
    /* legend, top right inside the plot area */
    double lw = 0;
    for (int k = 0; k < ns; k++) {
        cairo_text_extents_t ext;
        cairo_text_extents(cr, s[k].label, &ext);
        lw = fmax(lw, ext.x_advance);
    }
    const double bx = R - lw - 48, by = T + 8;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, lw + 40, 18.0 * ns + 6);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    for (int k = 0; k < ns; k++) {
        double ly = by + 14 + 18.0 * k;
        cairo_set_source_rgb(cr, s[k].rgb[0], s[k].rgb[1], s[k].rgb[2]);
        cairo_set_line_width(cr, 2.5);
        cairo_move_to(cr, bx + 6, ly - 4), cairo_line_to(cr, bx + 28, ly - 4), cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, bx + 34, ly);
        cairo_show_text(cr, s[k].label);
    }
#undef PX
#undef PY
}
