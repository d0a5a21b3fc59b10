/* One synthetic video's content and its captions (internal to synth). */
#ifndef DRL_VIDEO_SYNTH_SCENE_H
#define DRL_VIDEO_SYNTH_SCENE_H

#include <stddef.h>
#include <stdint.h>

enum { SYNTH_SHAPES = 6, SYNTH_COLOURS = 8, SYNTH_ACTIONS = 6, SYNTH_TEMPLATES = 5 };
enum { ACT_LEFT, ACT_RIGHT, ACT_UP, ACT_DOWN, ACT_APPEAR, ACT_CHANGE };

typedef struct {
    int shape, colour, colour2, action, striped;
    double size;           /* half extent in pixels */
    double x0, y0, x1, y1; /* centre at the first and last frame */
    double appear_at;      /* fraction of the clip (ACT_APPEAR / ACT_CHANGE) */
} SynthScene;

/* A small deterministic generator (splitmix64). */
typedef struct {
    uint64_t s;
} SynthRng;
uint64_t synth_rng_next(SynthRng *r);
double synth_rng_uniform(SynthRng *r); /* [0, 1) */
int synth_rng_below(SynthRng *r, int n);

const char *synth_shape_name(int shape);
const char *synth_colour_name(int colour);
const char *synth_action_name(int action);

/* Fills positions, size and timings for a scene whose shape/colour/action are set. */
void synth_scene_place(SynthScene *s, int w, int h, SynthRng *rng);

/* Frame t of n: rgb (h, w, 3). */
void synth_scene_render(const SynthScene *s, int t, int n, int w, int h, uint8_t *rgb);

/* Caption number `variant` (0 .. SYNTH_TEMPLATES-1) of the scene. */
void synth_caption(const SynthScene *s, int variant, char *buf, size_t len);

#endif
