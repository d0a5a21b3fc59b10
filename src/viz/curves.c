#include "viz/curves.h"

#include <cairo.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "viz/draw.h"
#include "viz/plot.h"

typedef struct {
    double *v;
    int n, cap;
} Vec;

static void vec_push(Vec *a, double x) {
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = realloc(a->v, sizeof(double) * (size_t)a->cap);
        drlCheck(a->v != NULL, "out of memory reading metrics.jsonl");
    }
    a->v[a->n++] = x;
}

static int num(const cJSON *o, const char *key, double *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it)) return -1;
    *out = it->valuedouble;
    return 0;
}

typedef struct {
    Vec step, loss, lr, lr_clip; /* train lines */
    Vec epoch, r1_t2v, r1_v2t;   /* eval lines */
} Curves;

static void curves_free(Curves *c) {
    Vec *all[7] = {&c->step, &c->loss, &c->lr, &c->lr_clip, &c->epoch, &c->r1_t2v, &c->r1_v2t};
    for (int k = 0; k < 7; k++)
        free(all[k]->v);
}

static int read_metrics(const char *path, Curves *c, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open the metrics file", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        cJSON *o = cJSON_Parse(line);
        const cJSON *kind = o ? cJSON_GetObjectItemCaseSensitive(o, "kind") : NULL;
        double step, loss, lr, lr_clip = NAN, epoch, a, b;
        int ok = cJSON_IsString(kind);
        if (ok && !strcmp(kind->valuestring, "train")) {
            ok = !num(o, "step", &step) && !num(o, "loss", &loss) && !num(o, "lr", &lr);
            if (ok) {
                num(o, "lr_clip", &lr_clip);
                vec_push(&c->step, step), vec_push(&c->loss, loss), vec_push(&c->lr, lr);
                vec_push(&c->lr_clip, lr_clip);
            }
        } else if (ok && !strcmp(kind->valuestring, "eval")) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metrics");
            const cJSON *t2v = cJSON_GetObjectItemCaseSensitive(m, "t2v");
            const cJSON *v2t = cJSON_GetObjectItemCaseSensitive(m, "v2t");
            ok = !num(o, "epoch", &epoch) && !num(t2v, "R@1", &a) && !num(v2t, "R@1", &b);
            if (ok) vec_push(&c->epoch, epoch), vec_push(&c->r1_t2v, a), vec_push(&c->r1_v2t, b);
        }
        if (!ok)
            log_warn("%s:%ld: skipped: expected a JSON object with kind \"train\" (step, loss, "
                     "lr) or \"eval\" (epoch, metrics.t2v/v2t.R@1)",
                     path, lineno);
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    if (c->step.n == 0) {
        snprintf(err, errlen, "%s: no \"train\" line with step, loss and lr", path);
        return -1;
    }
    return 0;
}

int curves_write_png(const char *metrics_jsonl, const char *png_path, char *err, size_t errlen) {
    Curves c;
    memset(&c, 0, sizeof c);
    if (read_metrics(metrics_jsonl, &c, err, errlen)) {
        curves_free(&c);
        return -1;
    }
    int is_png = 1;
    cairo_surface_t *surf =
        draw_surface_for(png_path, CURVES_WIDTH, CURVES_HEIGHT, &is_png, err, errlen);
    if (!surf) {
        curves_free(&c);
        return -1;
    }
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    const double W = CURVES_WIDTH, H = CURVES_HEIGHT, top = 40, ph = (H - top) / 3.0;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 16);
    char title[1200];
    snprintf(title, sizeof title, "training curves: %s", metrics_jsonl);
    draw_text_centered(cr, W / 2, 26, title);

    PlotSeries loss = {c.step.v,           c.loss.v,        c.step.n,
                       {0.12, 0.47, 0.71}, "training loss", c.step.n < 40};
    PlotPanel p1 = {10, top, W - 20, ph, "loss per logged step", "step", "loss", 0};
    plot_panel(cr, &p1, &loss, 1);
    int have_clip = 0;
    for (int i = 0; i < c.lr_clip.n; i++)
        have_clip |= c.lr_clip.v[i] == c.lr_clip.v[i];
    PlotSeries lr[2] = {{c.step.v, c.lr.v, c.step.n, {0.85, 0.37, 0.01}, "lr (heads)", 0},
                        {c.step.v, c.lr_clip.v, c.step.n, {0.46, 0.44, 0.70}, "lr (CLIP)", 0}};
    PlotPanel p2 = {10, top + ph, W - 20, ph, "learning rate per step", "step", "learning rate", 0};
    plot_panel(cr, &p2, lr, have_clip ? 2 : 1);
    PlotSeries r1[2] = {
        {c.epoch.v, c.r1_t2v.v, c.epoch.n, {0.17, 0.63, 0.17}, "text-to-video R@1", 1},
        {c.epoch.v, c.r1_v2t.v, c.epoch.n, {0.84, 0.15, 0.16}, "video-to-text R@1", 1}};
    PlotPanel p3 = {10,
                    top + 2 * ph,
                    W - 20,
                    ph,
                    c.epoch.n ? "validation R@1 per epoch"
                              : "validation R@1 per epoch (no evaluation yet)",
                    "epoch",
                    "R@1 (%)",
                    0};
    plot_panel(cr, &p3, r1, 2);
    cairo_destroy(cr);
    curves_free(&c);
    return draw_surface_finish(surf, png_path, is_png, err, errlen);
}
