#include "model/clip_shape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int clip_shape_validate(const ClipShape *s, char *err, size_t errlen) {
    if (s->vision_width <= 0 || s->vision_layers <= 0 || s->patch <= 0 || s->grid <= 0 ||
        s->text_width <= 0 || s->text_layers <= 0 || s->vocab <= 0 || s->context_length <= 0 ||
        s->embed_dim <= 0) {
        snprintf(err, errlen, "CLIP shape: every size must be positive");
        return -1;
    }
    if (s->vision_width % 64 || s->text_width % 64) {
        snprintf(err, errlen,
                 "CLIP shape: widths must be multiples of 64 (heads are width/64); vision %d, "
                 "text %d",
                 s->vision_width, s->text_width);
        return -1;
    }
    if (s->resolution != s->patch * s->grid) {
        snprintf(err, errlen, "CLIP shape: resolution %d is not patch %d x grid %d", s->resolution,
                 s->patch, s->grid);
        return -1;
    }
    if (s->embed_dim != s->text_width) {
        snprintf(err, errlen,
                 "CLIP shape: the joint embedding width D = %d differs from the text width %d; "
                 "the DRL heads require D == text width (true for ViT-B/32, B/16, L/14)",
                 s->embed_dim, s->text_width);
        return -1;
    }
    return 0;
}

int clip_shape_from_config(ClipShape *s, const DrlClipShape *cfg, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->vision_width = cfg->vision_width;
    s->vision_layers = cfg->vision_layers;
    s->vision_heads = cfg->vision_width / 64;
    s->patch = cfg->vision_patch;
    s->resolution = cfg->image_resolution;
    s->grid = cfg->vision_patch > 0 ? cfg->image_resolution / cfg->vision_patch : 0;
    if (s->grid * s->patch != s->resolution) {
        snprintf(err, errlen,
                 "model.clip: image_resolution %d is not a multiple of vision_patch %d",
                 cfg->image_resolution, cfg->vision_patch);
        return -1;
    }
    s->text_width = cfg->text_width;
    s->text_layers = cfg->text_layers;
    s->text_heads = cfg->text_width / 64;
    s->vocab = cfg->vocab_size;
    s->context_length = cfg->context_length;
    s->embed_dim = cfg->embed_dim;
    return clip_shape_validate(s, err, errlen);
}

static const ClipTensorMeta *find(const ClipTensorMeta *t, int count, const char *prefix,
                                  const char *name) {
    size_t pl = strlen(prefix);
    for (int i = 0; i < count; i++)
        if (strncmp(t[i].name, prefix, pl) == 0 && strcmp(t[i].name + pl, name) == 0) return &t[i];
    return NULL;
}

static const ClipTensorMeta *need(const ClipTensorMeta *t, int count, const char *prefix,
                                  const char *name, int ndim, char *err, size_t errlen) {
    const ClipTensorMeta *m = find(t, count, prefix, name);
    if (!m) {
        snprintf(err, errlen, "CLIP checkpoint: tensor '%s%s' is missing", prefix, name);
        return NULL;
    }
    if (m->ndim != ndim) {
        snprintf(err, errlen, "CLIP checkpoint: tensor '%s' has %d dimensions, expected %d",
                 m->name, m->ndim, ndim);
        return NULL;
    }
    return m;
}

/* Number of distinct N in `<prefix><tower>resblocks.N.` names; -1 when the
 * indices are not 0..count-1. */
static int count_blocks(const ClipTensorMeta *t, int count, const char *prefix, const char *tower) {
    char head[160];
    snprintf(head, sizeof head, "%s%sresblocks.", prefix, tower);
    size_t hl = strlen(head);
    int maxn = -1;
    unsigned char seen[4096] = {0};
    for (int i = 0; i < count; i++) {
        if (strncmp(t[i].name, head, hl) != 0) continue;
        char *end = NULL;
        long n = strtol(t[i].name + hl, &end, 10);
        if (end == t[i].name + hl || *end != '.' || n < 0 || n >= 4096) return -2;
        seen[n] = 1;
        if (n > maxn) maxn = (int)n;
    }
    for (int n = 0; n <= maxn; n++)
        if (!seen[n]) return -1;
    return maxn + 1;
}

int clip_shape_from_tensors(ClipShape *s, const ClipTensorMeta *t, int count, const char *prefix,
                            char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    const ClipTensorMeta *conv = need(t, count, prefix, "visual.conv1.weight", 4, err, errlen);
    if (!conv) return -1;
    const ClipTensorMeta *vpos =
        need(t, count, prefix, "visual.positional_embedding", 2, err, errlen);
    if (!vpos) return -1;
    const ClipTensorMeta *tproj = need(t, count, prefix, "text_projection", 2, err, errlen);
    if (!tproj) return -1;
    const ClipTensorMeta *pos = need(t, count, prefix, "positional_embedding", 2, err, errlen);
    if (!pos) return -1;
    const ClipTensorMeta *tok = need(t, count, prefix, "token_embedding.weight", 2, err, errlen);
    if (!tok) return -1;
    const ClipTensorMeta *lnf = need(t, count, prefix, "ln_final.weight", 1, err, errlen);
    if (!lnf) return -1;

    s->vision_width = (int)conv->shape[0];
    s->vision_heads = s->vision_width / 64;
    s->patch = (int)conv->shape[3];
    if (conv->shape[1] != 3 || conv->shape[2] != conv->shape[3]) {
        snprintf(err, errlen,
                 "CLIP checkpoint: '%s' has shape [%lld, %lld, %lld, %lld], expected [W, 3, P, P]",
                 conv->name, (long long)conv->shape[0], (long long)conv->shape[1],
                 (long long)conv->shape[2], (long long)conv->shape[3]);
        return -1;
    }
    int64_t rows = vpos->shape[0];
    s->grid = (int)lround(sqrt((double)(rows - 1)));
    if ((int64_t)s->grid * s->grid + 1 != rows) {
        snprintf(err, errlen,
                 "CLIP checkpoint: '%s' has %lld rows, expected grid*grid + 1 for a square grid",
                 vpos->name, (long long)rows);
        return -1;
    }
    s->resolution = s->patch * s->grid;
    s->embed_dim = (int)tproj->shape[1];
    s->context_length = (int)pos->shape[0];
    s->vocab = (int)tok->shape[0];
    s->text_width = (int)lnf->shape[0];
    s->text_heads = s->text_width / 64;
    s->vision_layers = count_blocks(t, count, prefix, "visual.transformer.");
    s->text_layers = count_blocks(t, count, prefix, "transformer.");
    if (s->vision_layers <= 0 || s->text_layers <= 0) {
        snprintf(err, errlen,
                 "CLIP checkpoint: the %s tower's blocks '%s%sresblocks.N' are missing or not "
                 "numbered 0..layers-1",
                 s->vision_layers <= 0 ? "vision" : "text", prefix,
                 s->vision_layers <= 0 ? "visual.transformer." : "transformer.");
        return -1;
    }
    return clip_shape_validate(s, err, errlen);
}

void clip_shape_describe(const ClipShape *s, char *buf, size_t len) {
    snprintf(buf, len,
             "vision: width %d, %d layers, %d heads, patch %d, %dx%d grid, %d px; text: width %d, "
             "%d layers, %d heads, vocab %d, context %d; embed %d",
             s->vision_width, s->vision_layers, s->vision_heads, s->patch, s->grid, s->grid,
             s->resolution, s->text_width, s->text_layers, s->text_heads, s->vocab,
             s->context_length, s->embed_dim);
}
