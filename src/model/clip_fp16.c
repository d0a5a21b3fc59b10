/* The reference's GPU precision of the CLIP towers (spec/model.md §11),
 * emulated in fp32 by rounding to fp16 (src/ops/half.h via ops->round_fp16).
 *
 * What is emulated (see also transformer.c and optim.c):
 * - values: the fp16 tensors (clip_param_is_fp16) hold fp16 values; the
 *   optimiser stores them and their Adam moments as fp16 values;
 * - vision: the frames are rounded (image.type(fp16)); conv1's output; the
 *   class embedding and the position table are rounded before they are added
 *   (.to(x.dtype)), and the sum is rounded; ln_pre's output; the blocks;
 *   ln_post's output; the projection's output;
 * - text: the token embedding output and the position rows are rounded
 *   (.type(self.dtype)), their sum is rounded; the blocks; ln_final's output;
 *   the projection's output;
 * - features return to fp32 at the towers' outputs (.float()): their incoming
 *   gradient is rounded to fp16 (the backward of .float() is .half());
 * - LayerNorm computes in fp32 on the fp16 input and rounds its output.
 * Choices: the gradients of the fp32 tables (class/position/token embedding)
 * are summed over the batch in fp32 from fp16-valued terms (PyTorch reduces
 * them in fp16 and casts once); see transformer.c for the blocks' choices. */
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "model/clip.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int clip_param_is_fp16(const char *name) {
    if (strncmp(name, "clip.", 5) != 0) return 0;
    if (strcmp(name, "clip.visual.conv1.weight") == 0 || strcmp(name, "clip.visual.proj") == 0 ||
        strcmp(name, "clip.text_projection") == 0)
        return 1;
    if (!strstr(name, ".resblocks.")) return 0;
    static const char *const leaves[] = {".attn.in_proj_weight",  ".attn.in_proj_bias",
                                         ".attn.out_proj.weight", ".attn.out_proj.bias",
                                         ".mlp.c_fc.weight",      ".mlp.c_fc.bias",
                                         ".mlp.c_proj.weight",    ".mlp.c_proj.bias"};
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++)
        if (ends_with(name, leaves[i])) return 1;
    return 0;
}

void clip_set_fp16(Clip *c, const DrlOps *ops, const ParamTable *pt) {
    if (!ops->round_fp16) {
        fprintf(stderr,
                "error: model.clip_precision = \"fp16\" needs the op round_fp16, which the "
                "'%s' backend does not provide\n",
                ops->name);
        drl_die(1);
    }
    c->fp16 = 1;
    c->vis.fp16 = 1;
    c->txt.fp16 = 1;
    size_t n16 = 0;
    int tensors = 0;
    for (int i = c->first_param; i <= c->last_param; i++) {
        if (!clip_param_is_fp16(pt->info[i].name)) continue;
        ops->round_fp16(params_at(pt, pt->data, i), pt->info[i].numel);
        n16 += pt->info[i].numel;
        tensors++;
    }
    log_info("clip_precision fp16 (spec §11): %d CLIP tensors (%zu values) rounded to and kept in "
             "fp16; tower activations emulated in fp16",
             tensors, n16);
}
