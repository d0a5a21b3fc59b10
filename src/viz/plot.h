/* One line-chart panel with cairo: frame, ticks, axis labels, title, legend. */
#ifndef DRL_VIZ_PLOT_H
#define DRL_VIZ_PLOT_H

#include <cairo.h>

typedef struct {
    const double *x, *y; /* (n) */
    int n;
    double rgb[3];
    const char *label;
    int markers; /* 1: dots at the points */
} PlotSeries;

typedef struct {
    double x, y, w, h; /* the panel's box on the surface */
    const char *title, *xlabel, *ylabel;
    int log_y; /* unused scales stay linear; reserved */
} PlotPanel;

/* Draws the series into the panel (axes from the data range, padded). */
void plot_panel(cairo_t *cr, const PlotPanel *p, const PlotSeries *s, int ns);

#endif
