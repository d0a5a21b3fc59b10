#include "viz/wti_picture.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "viz/draw.h"

static void normalised_copy(float *dst, const float *src, int D) {
    double s = 0.0;
    for (int d = 0; d < D; d++)
        s += (double)src[d] * src[d];
    double inv = s > 0.0 ? 1.0 / sqrt(s) : 0.0;
    for (int d = 0; d < D; d++)
        dst[d] = (float)(src[d] * inv);
}

void wti_picture_compute(WtiPicture *p, const float *tf, const int32_t *tm, const float *wt, int L,
                         const float *vf, const int32_t *vm, const float *wv, int T, int D,
                         const uint8_t *frames, int R, char *const *labels) {
    memset(p, 0, sizeof *p);
    p->D = D, p->R = R;
    for (int i = 0; i < L; i++)
        p->nt += tm[i] != 0;
    for (int j = 0; j < T; j++)
        p->nf += vm[j] != 0;
    const int nt = p->nt, nf = p->nf;
    p->tokens = callocCheck((size_t)nt + 1, sizeof(char *));
    p->wt = callocCheck((size_t)nt + 1, sizeof(float));         // (nt)
    p->t_best = callocCheck((size_t)nt + 1, sizeof(float));     // (nt)
    p->wv = callocCheck((size_t)nf + 1, sizeof(float));         // (nf)
    p->v_best = callocCheck((size_t)nf + 1, sizeof(float));     // (nf)
    p->S = callocCheck((size_t)nt * nf + 1, sizeof(float));     // (nt, nf)
    p->frames = callocCheck((size_t)nf * R * R * 3 + 1, 1);     // (nf, R, R, 3)
    float *tn = callocCheck((size_t)nt * D + 1, sizeof(float)); // (nt, D)
    float *vn = callocCheck((size_t)nf * D + 1, sizeof(float)); // (nf, D)
    for (int i = 0, a = 0; i < L; i++) {
        if (!tm[i]) continue;
        normalised_copy(tn + (size_t)a * D, tf + (size_t)i * D, D);
        p->wt[a] = wt[i];
        p->tokens[a++] = strdup(labels[i] ? labels[i] : "?");
    }
    for (int j = 0, b = 0; j < T; j++) {
        if (!vm[j]) continue;
        normalised_copy(vn + (size_t)b * D, vf + (size_t)j * D, D);
        p->wv[b] = wv[j];
        memcpy(p->frames + (size_t)b * R * R * 3, frames + (size_t)j * R * R * 3,
               (size_t)R * R * 3);
        b++;
    }
    for (int a = 0; a < nt; a++)
        for (int b = 0; b < nf; b++) {
            double s = 0.0;
            for (int d = 0; d < D; d++)
                s += (double)tn[(size_t)a * D + d] * vn[(size_t)b * D + d];
            p->S[a * nf + b] = (float)s;
        }
    p->t2v = p->v2t = 0.0;
    for (int a = 0; a < nt; a++) {
        float m = -INFINITY;
        for (int b = 0; b < nf; b++)
            m = fmaxf(m, p->S[a * nf + b]);
        /* the model's masked S holds 0 at padded frames (spec §4 quirk) */
        if (nf < T) m = fmaxf(m, 0.0f);
        p->t_best[a] = nf ? m : 0.0f;
        p->t2v += (double)p->wt[a] * p->t_best[a];
    }
    for (int b = 0; b < nf; b++) {
        float m = -INFINITY;
        for (int a = 0; a < nt; a++)
            m = fmaxf(m, p->S[a * nf + b]);
        if (nt < L) m = fmaxf(m, 0.0f);
        p->v_best[b] = nt ? m : 0.0f;
        p->v2t += (double)p->wv[b] * p->v_best[b];
    }
    p->score = (p->t2v + p->v2t) / 2.0;
    free(tn), free(vn);
}

void wti_picture_free(WtiPicture *p) {
    for (int a = 0; a < p->nt; a++)
        free(p->tokens[a]);
    free(p->tokens), free(p->wt), free(p->t_best), free(p->wv), free(p->v_best), free(p->S);
    free(p->frames);
    memset(p, 0, sizeof *p);
}

/* ---- layout ---------------------------------------------------------------- */
#define PIC_MARGIN    40.0
#define PIC_TOKEN_W   84.0
#define PIC_THUMB     112.0
#define PIC_FRAME_GAP 36.0
#define PIC_TITLE_H   86.0
#define PIC_TOKEN_Y   150.0 /* top of the token boxes */
#define PIC_TOKEN_H   30.0
#define PIC_LINES_H   300.0
#define PIC_LEGEND_H  70.0

static void set_rgb(cairo_t *cr, const double c[3], double alpha) {
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

/* A thumbnail (R, R, 3) scaled to size x size at (x, y). */
static void draw_thumb(cairo_t *cr, const uint8_t *rgb, int R, double x, double y, double size) {
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, R, R);
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < R; c++) {
            const uint8_t *px = rgb + ((size_t)r * R + c) * 3;
            uint32_t v = (uint32_t)px[0] << 16 | (uint32_t)px[1] << 8 | px[2];
            memcpy(data + (size_t)r * stride + (size_t)c * 4, &v, 4);
        }
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, size / R, size / R);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, R, R);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

static double span_x(int k, int n, double width, double cell) {
    double used = n * cell;
    return (width - used) / 2.0 + cell * (k + 0.5);
}

int wti_picture_draw(const WtiPicture *p, const char *path, char *err, size_t errlen) {
    const int nt = p->nt, nf = p->nf;
    const double frame_cell = PIC_THUMB + PIC_FRAME_GAP;
    double content = fmax(nt * PIC_TOKEN_W, nf * frame_cell);
    const double W = fmax(760.0, content + 2 * PIC_MARGIN);
    const double lines_top = PIC_TOKEN_Y + PIC_TOKEN_H + 44.0;
    const double thumbs_top = lines_top + PIC_LINES_H;
    const double H = thumbs_top + PIC_THUMB + 44.0 + PIC_LEGEND_H;
    int is_png = 1;
    cairo_surface_t *surf = draw_surface_for(path, (int)W, (int)H, &is_png, err, errlen);
    if (!surf) return -1;
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);

    /* title: the scores, then the caption and the video */
    char line[1024];
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, 20);
    snprintf(line, sizeof line, "%s  similarity %.4f   (t2v %.4f, v2t %.4f)",
             p->interaction ? p->interaction : "wti", p->score, p->t2v, p->v2t);
    draw_text_centered(cr, W / 2, 34, line);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 14);
    snprintf(line, sizeof line, "\"%s\"  vs  video %s", p->caption ? p->caption : "",
             p->video_id ? p->video_id : "");
    draw_text_centered(cr, W / 2, 60, line);

    /* similarity range of the valid pairs, for the colours */
    float smin = INFINITY, smax = -INFINITY;
    for (int k = 0; k < nt * nf; k++)
        smin = fminf(smin, p->S[k]), smax = fmaxf(smax, p->S[k]);
    if (!(smax > smin)) smax = smin + 1e-6f;
    float wtmax = 1e-12f, wvmax = 1e-12f;
    for (int a = 0; a < nt; a++)
        wtmax = fmaxf(wtmax, p->wt[a]);
    for (int b = 0; b < nf; b++)
        wvmax = fmaxf(wvmax, p->wv[b]);

    /* lines, weakest first so the strong ones are on top */
    int *order = callocCheck((size_t)nt * nf + 1, sizeof(int));
    for (int k = 0; k < nt * nf; k++)
        order[k] = k;
    for (int i = 1; i < nt * nf; i++) /* insertion sort by S */
        for (int k = i; k > 0 && p->S[order[k - 1]] > p->S[order[k]]; k--) {
            int t = order[k];
            order[k] = order[k - 1], order[k - 1] = t;
        }
    for (int k = 0; k < nt * nf; k++) {
        int a = order[k] / nf, b = order[k] % nf;
        double u = (p->S[order[k]] - smin) / (smax - smin), c[3];
        draw_colormap(u, c);
        set_rgb(cr, c, 0.25 + 0.75 * u * u);
        cairo_set_line_width(cr, 0.6 + 4.4 * u * u);
        cairo_move_to(cr, span_x(a, nt, W, PIC_TOKEN_W), lines_top);
        cairo_line_to(cr, span_x(b, nf, W, frame_cell), thumbs_top - 4);
        cairo_stroke(cr);
    }
    free(order);

    /* tokens: weight bar above, box with the token, weight and best score below */
    for (int a = 0; a < nt; a++) {
        double x = span_x(a, nt, W, PIC_TOKEN_W), bw = PIC_TOKEN_W - 8;
        double bar = 40.0 * p->wt[a] / wtmax;
        cairo_set_source_rgb(cr, 0.85, 0.45, 0.2);
        cairo_rectangle(cr, x - 10, PIC_TOKEN_Y - 6 - bar, 20, bar);
        cairo_fill(cr);
        double c[3];
        draw_colormap((p->t_best[a] - smin) / (smax - smin), c);
        set_rgb(cr, c, 0.25);
        cairo_rectangle(cr, x - bw / 2, PIC_TOKEN_Y, bw, PIC_TOKEN_H);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 14);
        draw_text_centered(cr, x, PIC_TOKEN_Y + 20, p->tokens[a]);
        cairo_set_font_size(cr, 11);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        snprintf(line, sizeof line, "w %.3f", p->wt[a]);
        draw_text_centered(cr, x, PIC_TOKEN_Y + PIC_TOKEN_H + 15, line);
        snprintf(line, sizeof line, "max %.3f", p->t_best[a]);
        draw_text_centered(cr, x, PIC_TOKEN_Y + PIC_TOKEN_H + 29, line);
    }
    cairo_set_font_size(cr, 12);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, PIC_MARGIN / 2, PIC_TOKEN_Y - 56);
    cairo_show_text(cr, "tokens (bar: weight; w: weight, max: best frame similarity)");

    /* frames: thumbnail, weight bar below, weight and best score */
    for (int b = 0; b < nf; b++) {
        double x = span_x(b, nf, W, frame_cell);
        draw_thumb(cr, p->frames + (size_t)b * p->R * p->R * 3, p->R, x - PIC_THUMB / 2, thumbs_top,
                   PIC_THUMB);
        double c[3];
        draw_colormap((p->v_best[b] - smin) / (smax - smin), c);
        set_rgb(cr, c, 1.0);
        cairo_set_line_width(cr, 3.0);
        cairo_rectangle(cr, x - PIC_THUMB / 2, thumbs_top, PIC_THUMB, PIC_THUMB);
        cairo_stroke(cr);
        double bar = (PIC_THUMB)*p->wv[b] / wvmax;
        cairo_set_source_rgb(cr, 0.85, 0.45, 0.2);
        cairo_rectangle(cr, x - PIC_THUMB / 2, thumbs_top + PIC_THUMB + 4, bar, 6);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        cairo_set_font_size(cr, 11);
        snprintf(line, sizeof line, "frame %d  w %.3f", b, p->wv[b]);
        draw_text_centered(cr, x, thumbs_top + PIC_THUMB + 24, line);
        snprintf(line, sizeof line, "max %.3f", p->v_best[b]);
        draw_text_centered(cr, x, thumbs_top + PIC_THUMB + 38, line);
    }

    /* colour bar of S */
    const double lx = W / 2 - 150, ly = H - PIC_LEGEND_H + 18, lw = 300, lh = 12;
    for (int k = 0; k < 150; k++) {
        double c[3];
        draw_colormap(k / 149.0, c);
        set_rgb(cr, c, 1.0);
        cairo_rectangle(cr, lx + lw * k / 150.0, ly, lw / 150.0 + 0.5, lh);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_font_size(cr, 11);
    snprintf(line, sizeof line, "%.3f", smin);
    draw_text_right(cr, lx - 6, ly + 10, line);
    snprintf(line, sizeof line, "%.3f", smax);
    cairo_move_to(cr, lx + lw + 6, ly + 10);
    cairo_show_text(cr, line);
    draw_text_centered(cr, W / 2, ly + lh + 16,
                       "token-frame cosine similarity S[i, j] (line colour and width)");

    cairo_destroy(cr);
    return draw_surface_finish(surf, path, is_png, err, errlen);
}
