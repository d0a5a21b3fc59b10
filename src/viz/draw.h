/* Small cairo helpers shared by the pictures: the colour map, centred text,
 * nice axis ticks, and the PNG/SVG choice by file extension. */
#ifndef DRL_VIZ_DRAW_H
#define DRL_VIZ_DRAW_H

#include <cairo.h>
#include <stddef.h>

/* Viridis-like colour of t in [0, 1] (clamped): rgb (3). */
void draw_colormap(double t, double rgb[3]);
/* Text centred horizontally at x with its baseline at y. */
void draw_text_centered(cairo_t *cr, double x, double y, const char *s);
/* Text right-aligned at x. */
void draw_text_right(cairo_t *cr, double x, double y, const char *s);
/* Ticks covering [lo, hi]: about `want` values at a 1/2/5 x 10^k step.
 * Returns the count written to ticks (at most cap). */
int draw_nice_ticks(double lo, double hi, int want, double *ticks, int cap);

/* A surface for path by its extension (.png or .svg), width x height points.
 * NULL with err for another extension or a cairo failure. */
cairo_surface_t *draw_surface_for(const char *path, int width, int height, int *is_png, char *err,
                                  size_t errlen);
/* Finishes the surface: writes the PNG (or flushes the SVG) and destroys it. */
int draw_surface_finish(cairo_surface_t *s, const char *path, int is_png, char *err, size_t errlen);

#endif
