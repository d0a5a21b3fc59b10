/* The sizes of a CLIP model: from the configuration (from scratch) or read
 * from a checkpoint's tensor names and shapes (spec/model.md §1 "Sizes read
 * from a checkpoint"). */
#ifndef DRL_MODEL_CLIP_SHAPE_H
#define DRL_MODEL_CLIP_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef struct {
    int vision_width, vision_layers, vision_heads;
    int patch, grid, resolution; /* resolution = patch * grid */
    int text_width, text_layers, text_heads;
    int vocab, context_length;
    int embed_dim; /* D */
} ClipShape;

/* Name and shape of one tensor of a checkpoint (a view; nothing is owned). */
typedef struct {
    const char *name;
    int ndim;
    const int64_t *shape;
} ClipTensorMeta;

/* From the configuration's model.clip group; heads are width / 64. Returns 0,
 * or -1 with a message in err. */
int clip_shape_from_config(ClipShape *s, const DrlClipShape *cfg, char *err, size_t errlen);

/* From a checkpoint's tensors, whose names are `prefix` + the state_dict name
 * of OpenAI's CLIP ("visual.conv1.weight", ...; prefix "" for an OpenAI .pt,
 * "clip." for ours). Tensors with other names are ignored. Returns 0, or -1
 * with a message naming the tensor that is missing or malformed. */
int clip_shape_from_tensors(ClipShape *s, const ClipTensorMeta *tensors, int count,
                            const char *prefix, char *err, size_t errlen);

/* Consistency checks, including D == text width (the DRL heads need it). */
int clip_shape_validate(const ClipShape *s, char *err, size_t errlen);

/* "ViT: width 768, 12 layers, 12 heads, patch 32, 224 px; text: ..." */
void clip_shape_describe(const ClipShape *s, char *buf, size_t len);

#endif
