/* Synthetic scenes: shapes, colours, motions, rendering and captions. */
#include "video/synth_scene.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const SHAPES[SYNTH_SHAPES] = {"circle",  "square", "triangle",
                                                 "diamond", "cross",  "ring"};
static const char *const COLOURS[SYNTH_COLOURS] = {"red",   "green",  "blue",   "yellow",
                                                   "white", "purple", "orange", "cyan"};
static const uint8_t COLOUR_RGB[SYNTH_COLOURS][3] = {
    {220, 30, 30},   {30, 180, 40},  {40, 70, 235},  {250, 230, 10},
    {245, 245, 245}, {150, 50, 200}, {250, 140, 20}, {30, 210, 220}};
static const char *const ACTIONS[SYNTH_ACTIONS] = {"left", "right",  "up",
                                                   "down", "appear", "change"};

uint64_t synth_rng_next(SynthRng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double synth_rng_uniform(SynthRng *r) {
    return (synth_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int synth_rng_below(SynthRng *r, int n) {
    return (int)(synth_rng_uniform(r) * n);
}

const char *synth_shape_name(int shape) {
    return SHAPES[shape];
}
const char *synth_colour_name(int colour) {
    return COLOURS[colour];
}
const char *synth_action_name(int action) {
    return ACTIONS[action];
}

void synth_scene_place(SynthScene *s, int w, int h, SynthRng *rng) {
    int m = w < h ? w : h;
    s->size = m * (0.16 + 0.06 * synth_rng_uniform(rng));
    double lo = s->size + 1, hix = w - s->size - 1, hiy = h - s->size - 1;
    double x = lo + (hix - lo) * synth_rng_uniform(rng);
    double y = lo + (hiy - lo) * synth_rng_uniform(rng);
    s->x0 = s->x1 = x;
    s->y0 = s->y1 = y;
    switch (s->action) {
    case ACT_LEFT:
        s->x0 = hix, s->x1 = lo;
        break;
    case ACT_RIGHT:
        s->x0 = lo, s->x1 = hix;
        break;
    case ACT_UP:
        s->y0 = hiy, s->y1 = lo;
        break;
    case ACT_DOWN:
        s->y0 = lo, s->y1 = hiy;
        break;
    default:
        break;
    }
    s->appear_at = 0.35 + 0.2 * synth_rng_uniform(rng);
    s->colour2 = s->colour;
    if (s->action == ACT_CHANGE) {
        s->colour2 = synth_rng_below(rng, SYNTH_COLOURS - 1);
        if (s->colour2 >= s->colour) s->colour2++;
    }
    s->striped = synth_rng_below(rng, 2);
}

/* Whether the pixel offset (dx, dy) from the centre is inside the shape. */
static int inside(int shape, double dx, double dy, double r) {
    double ax = fabs(dx), ay = fabs(dy), d2 = dx * dx + dy * dy;
    switch (shape) {
    case 0: /* circle */
        return d2 <= r * r;
    case 1: /* square */
        return ax <= 0.85 * r && ay <= 0.85 * r;
    case 2: /* triangle, apex up */
        return dy >= -r && dy <= r && ax <= (dy + r) / 2;
    case 3: /* diamond */
        return ax + ay <= r;
    case 4: /* cross */
        return (ax <= 0.3 * r && ay <= r) || (ay <= 0.3 * r && ax <= r);
    default: /* ring */
        return d2 <= r * r && d2 >= 0.3 * r * r;
    }
}

void synth_scene_render(const SynthScene *s, int t, int n, int w, int h, uint8_t *rgb) {
    double f = n > 1 ? (double)t / (n - 1) : 0.0;
    double cx = s->x0 + (s->x1 - s->x0) * f, cy = s->y0 + (s->y1 - s->y0) * f;
    int visible = !(s->action == ACT_APPEAR && f < s->appear_at);
    int col = s->action == ACT_CHANGE && f >= s->appear_at ? s->colour2 : s->colour;
    for (int y = 0; y < h; y++) {
        uint8_t bg = s->striped ? ((y / 4) % 2 ? 70 : 25) : 45;
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            if (visible && inside(s->shape, x + 0.5 - cx, y + 0.5 - cy, s->size)) {
                memcpy(p, COLOUR_RGB[col], 3);
            } else {
                p[0] = p[1] = p[2] = bg;
            }
        }
    }
}

static const char *const DIR_TO[4] = {"to the left", "to the right", "up", "down"};
static const char *const DIR_WARDS[4] = {"leftwards", "rightwards", "upwards", "downwards"};
static const char *const DIR_PLAIN[4] = {"left", "right", "up", "down"};

void synth_caption(const SynthScene *s, int variant, char *buf, size_t len) {
    const char *c = COLOURS[s->colour], *c2 = COLOURS[s->colour2], *sh = SHAPES[s->shape];
    const char *bg = s->striped ? "striped" : "plain dark";
    if (s->action <= ACT_DOWN) {
        int d = s->action;
        switch (variant) {
        case 0:
            snprintf(buf, len, "a %s %s moves %s", c, sh, DIR_TO[d]);
            break;
        case 1:
            snprintf(buf, len, "a %s, %s, slides %s", sh, c, DIR_WARDS[d]);
            break;
        case 2:
            snprintf(buf, len, "the %s %s travels %s across the screen", c, sh, DIR_TO[d]);
            break;
        case 3:
            snprintf(buf, len, "a %s %s is going %s on a %s background", c, sh, DIR_PLAIN[d], bg);
            break;
        default:
            snprintf(buf, len, "there is a %s in %s drifting %s", sh, c, DIR_WARDS[d]);
            break;
        }
    } else if (s->action == ACT_APPEAR) {
        switch (variant) {
        case 0:
            snprintf(buf, len, "a %s %s appears", c, sh);
            break;
        case 1:
            snprintf(buf, len, "a %s, %s, shows up", sh, c);
            break;
        case 2:
            snprintf(buf, len, "suddenly the %s %s pops up", c, sh);
            break;
        case 3:
            snprintf(buf, len, "a %s %s appears on a %s background", c, sh, bg);
            break;
        default:
            snprintf(buf, len, "there is a %s in %s that comes into view", sh, c);
            break;
        }
    } else {
        switch (variant) {
        case 0:
            snprintf(buf, len, "a %s %s turns %s", c, sh, c2);
            break;
        case 1:
            snprintf(buf, len, "a %s changes colour from %s to %s", sh, c, c2);
            break;
        case 2:
            snprintf(buf, len, "the %s %s becomes %s", c, sh, c2);
            break;
        case 3:
            snprintf(buf, len, "a %s %s on a %s background turns %s", c, sh, bg, c2);
            break;
        default:
            snprintf(buf, len, "there is a %s in %s that switches to %s", sh, c, c2);
            break;
        }
    }
}
