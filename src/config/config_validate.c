/* Cross-field rules, checked on the merged configuration. Each error names the
 * position of the setting it blames (the one explicitly set, when the other
 * is a default). */
#include "config/config_internal.h"
#include "config/config_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const DrlConfig *cfg;
    const CfgSource *src;
    const char *top;
    CfgErrors *errors;
} Rules;

static int field(const char *section, const char *name) {
    return cfg_find_field(section, name);
}

static bool is_set(const Rules *R, int idx) {
    return R->src[idx].file != NULL;
}

/* "FILE:LINE: setting 'sec.name': <message>" at the setting's position. */
__attribute__((format(printf, 3, 4))) static void blame(Rules *R, int idx, const char *fmt, ...) {
    const CfgField *f = &cfg_fields(&(size_t){0})[idx];
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (is_set(R, idx))
        cfg_error(R->errors, R->src[idx].file, R->src[idx].line, "setting '%s.%s': %s", f->section,
                  f->name, body);
    else
        cfg_error(R->errors, R->top, 0, "setting '%s.%s' (default): %s", f->section, f->name, body);
}

/* Of two settings in conflict, the one to blame: `a` unless only `b` is set. */
static int pick(const Rules *R, int a, int b) {
    return (!is_set(R, a) && is_set(R, b)) ? b : a;
}

static void cdcr_rules(Rules *R) {
    const DrlModelConfig *m = &R->cfg->model;
    int i_cdcr = field("model", "cdcr"), i_inter = field("model", "interaction");
    const char *inter = config_enum_name("model.interaction", m->interaction);
    const char *why = NULL, *allowed = NULL;
    if (m->interaction == DRL_INTER_XTI && m->cdcr != 0) {
        why = "CDCR is not defined for xti";
        allowed = "0";
    } else if (m->cdcr == 3 && m->interaction == DRL_INTER_TI) {
        why = "cdcr 3 needs \"wti\"";
        allowed = "0..2";
    }
    if (!why) return;
    int who = pick(R, i_cdcr, i_inter);
    if (who == i_cdcr)
        blame(R, who, "expected %s with model.interaction = \"%s\" (%s), found %d", allowed, inter,
              why, m->cdcr);
    else
        blame(R, who, "expected an interaction that supports model.cdcr = %d (%s), found \"%s\"",
              m->cdcr, why, inter);
}

static void divisible(Rules *R, const char *section, const char *name, int value, int world) {
    if (world > 0 && value % world != 0)
        blame(R, field(section, name), "expected a multiple of the number of ranks (%d), found %d",
              world, value);
}

static void shape_rules(Rules *R) {
    const DrlConfig *c = R->cfg;
    const DrlClipShape *s = &c->model.clip;
    int ctx = s->context_length, i_ctx = field("model.clip", "context_length");
    int i_words = field("data", "max_words"), i_frames = field("data", "max_frames");
    if (c->data.max_words > ctx) {
        if (pick(R, i_words, i_ctx) == i_words)
            blame(R, i_words, "expected at most model.clip.context_length (%d), found %d", ctx,
                  c->data.max_words);
        else
            blame(R, i_ctx, "expected at least data.max_words (%d), found %d", c->data.max_words,
                  ctx);
    }
    bool xti = c->model.interaction == DRL_INTER_XTI;
    int frames_needed = c->data.max_frames + (xti ? 1 : 0);
    bool uses_table = c->model.agg_module != DRL_AGG_NONE || xti;
    if (uses_table && frames_needed > ctx) {
        if (pick(R, i_frames, i_ctx) == i_frames)
            blame(R, i_frames,
                  "expected at most %d (the frame position table has model.clip.context_length "
                  "rows%s), found %d",
                  xti ? ctx - 1 : ctx, xti ? ", xti adds one" : "", c->data.max_frames);
        else
            blame(R, i_ctx, "expected at least %d (data.max_frames%s), found %d", frames_needed,
                  xti ? " + 1 for xti" : "", ctx);
    }
    /* the shape comes from the checkpoint */
    if (c->model.pretrained_clip[0] || c->model.init_model[0]) return;
    const char *widths[] = {"vision_width", "text_width", "embed_dim"};
    const int values[] = {s->vision_width, s->text_width, s->embed_dim};
    for (int i = 0; i < 3; i++)
        if (values[i] % 64 != 0)
            blame(R, field("model.clip", widths[i]),
                  "expected a multiple of 64 (heads are width / 64), found %d", values[i]);
    int i_embed = field("model.clip", "embed_dim"), i_text = field("model.clip", "text_width");
    if (s->embed_dim != s->text_width) {
        if (pick(R, i_embed, i_text) == i_embed)
            blame(R, i_embed,
                  "expected model.clip.text_width (%d): the DRL heads assume D == text width, "
                  "found %d",
                  s->text_width, s->embed_dim);
        else
            blame(R, i_text,
                  "expected model.clip.embed_dim (%d): the DRL heads assume D == text width, "
                  "found %d",
                  s->embed_dim, s->text_width);
    }
    int i_res = field("data", "resolution"), i_patch = field("model.clip", "vision_patch");
    int i_img = field("model.clip", "image_resolution");
    if (c->data.resolution % s->vision_patch != 0) {
        if (pick(R, i_res, i_patch) == i_res)
            blame(R, i_res, "expected a multiple of model.clip.vision_patch (%d), found %d",
                  s->vision_patch, c->data.resolution);
        else
            blame(R, i_patch, "expected a divisor of data.resolution (%d), found %d",
                  c->data.resolution, s->vision_patch);
    } else if (c->data.resolution != s->image_resolution) {
        if (pick(R, i_res, i_img) == i_res)
            blame(R, i_res,
                  "expected model.clip.image_resolution (%d) for a CLIP built from scratch, "
                  "found %d",
                  s->image_resolution, c->data.resolution);
        else
            blame(R, i_img, "expected data.resolution (%d) for a CLIP built from scratch, found %d",
                  c->data.resolution, s->image_resolution);
    }
}

void cfg_validate(const DrlConfig *cfg, int world_size, const CfgSource *sources,
                  const char *top_file, CfgErrors *errors) {
    Rules R = {cfg, sources, top_file, errors};
    if (world_size < 1) {
        cfg_error(errors, top_file, 0, "the number of ranks must be >= 1, found %d", world_size);
        return;
    }
    cdcr_rules(&R);
    divisible(&R, "train", "batch_size", cfg->train.batch_size, world_size);
    divisible(&R, "eval", "batch_size_val", cfg->eval.batch_size_val, world_size);
    shape_rules(&R);
    if (cfg->train.do_train && cfg->train.epochs < 1)
        blame(&R, field("train", "epochs"),
              "expected an integer >= 1 when train.do_train is "
              "true, found %d",
              cfg->train.epochs);
    if (!cfg->train.do_train && !cfg->eval.do_eval)
        blame(&R, pick(&R, field("train", "do_train"), field("eval", "do_eval")),
              "expected train.do_train or eval.do_eval to be true (nothing to do), found both "
              "false");
}
