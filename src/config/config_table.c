/* The table of every setting: the one place that names a setting, its kind,
 * its range or choices and its default (the reference's, see
 * ../shared/seed/README-seed.md and ../shared/spec/model.md). */
#include "config/config_table.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(DrlInteraction) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(DrlDatatype) == sizeof(int), "enums are stored as int");

static const char *const k_datatypes[] = {"msrvtt",   "msvd",  "lsmdc",     "didemo",
                                          "activity", "vatex", "synthetic", NULL};
static const char *const k_encoders[] = {"ViT-B/32", "ViT-B/16", "ViT-L/14", NULL};
static const char *const k_aggs[] = {"None", "seqLSTM", "seqTransf", NULL};
static const char *const k_interactions[] = {"dp", "xti", "ti", "wti", NULL};
static const char *const k_clip_precisions[] = {"fp32", "fp16", NULL};
static const char *const k_schedules[] = {"warmup_cosine", "warmup_linear", "warmup_constant",
                                          NULL};
static const char *const k_nonfinite[] = {"stop", "skip", NULL};
static const char *const k_gradscale[] = {"reference", "single", NULL};
static const char *const k_devices[] = {"auto", "cpu", "cuda", NULL};
static const char *const k_precisions[] = {"bf16", "fp32", "tf32", "auto", NULL};
static const char *const k_recompute[] = {"outputs", "blocks", NULL};

#define OFF(member) offsetof(DrlConfig, member)
#define CAP(member) sizeof(((DrlConfig *)0)->member)
#define MIN_        CFG_HAS_MIN
#define MAX_        CFG_HAS_MAX
#define RANGE_      (CFG_HAS_MIN | CFG_HAS_MAX)

#define INT(sec, nm, member, fl, lo, hi, def, hlp)                                                 \
    { sec, nm, CFG_INT, OFF(member), 0, fl, lo, hi, NULL, def, NULL, hlp }
#define FLT(sec, nm, member, fl, lo, hi, def, hlp)                                                 \
    { sec, nm, CFG_FLOAT, OFF(member), 0, fl, lo, hi, NULL, def, NULL, hlp }
#define BOOL(sec, nm, member, def, hlp)                                                            \
    { sec, nm, CFG_BOOL, OFF(member), 0, 0, 0, 0, NULL, def, NULL, hlp }
#define STR(sec, nm, member, fl, def, hlp)                                                         \
    { sec, nm, CFG_STRING, OFF(member), CAP(member), fl, 0, 0, NULL, 0, def, hlp }
#define ENUM(sec, nm, member, choices, def, hlp)                                                   \
    { sec, nm, CFG_ENUM, OFF(member), 0, 0, 0, 0, choices, def, NULL, hlp }

static const CfgField k_fields[] = {
    /* ---- data ---- */
    ENUM("data", "datatype", data.datatype, k_datatypes, DRL_DATATYPE_MSRVTT,
         "annotation format of the store"),
    STR("data", "store", data.store, 0, "",
        "HDF5 store written by drl_preprocess (the reference's video_path)"),
    STR("data", "anno_path", data.anno_path, 0, "", "annotation folder (used by preprocessing)"),
    STR("data", "train_split", data.train_split, CFG_NONEMPTY, "train", "store split for training"),
    STR("data", "val_split", data.val_split, CFG_NONEMPTY, "test", "store split for validation"),
    STR("data", "test_split", data.test_split, CFG_NONEMPTY, "test", "store split for testing"),
    INT("data", "max_words", data.max_words, RANGE_, 3, 1024, 32,
        "text length L, SOT and EOT included"),
    INT("data", "max_frames", data.max_frames, RANGE_, 1, 1024, 12, "frames per video T"),
    FLT("data", "video_framerate", data.video_framerate, MIN_ | CFG_MIN_EXCLUSIVE, 0, 0, 1.0,
        "frames kept per second of video"),
    INT("data", "resolution", data.resolution, RANGE_, 1, 4096, 224, "side R of the stored frames"),
    INT("data", "workers", data.workers, RANGE_, 0, 1024, 8, "loader threads per rank"),
    BOOL("data", "multi_sentence", data.multi_sentence, 0,
         "several captions per video at evaluation (model.md section 10)"),
    /* ---- model ---- */
    ENUM("model", "base_encoder", model.base_encoder, k_encoders, DRL_ENCODER_VIT_B32,
         "CLIP variant"),
    STR("model", "pretrained_clip", model.pretrained_clip, 0, "",
        "OpenAI CLIP .pt; \"\" = from scratch with model.clip's shape"),
    STR("model", "init_model", model.init_model, 0, "",
        "initial weights: our HDF5 checkpoint or a reference .bin"),
    ENUM("model", "agg_module", model.agg_module, k_aggs, DRL_AGG_SEQTRANSF,
         "temporal aggregation: None | seqLSTM | seqTransf"),
    ENUM("model", "interaction", model.interaction, k_interactions, DRL_INTER_WTI,
         "similarity: dp | xti | ti | wti"),
    INT("model", "wti_arch", model.wti_arch, RANGE_, 1, 3, 2, "depth of the wti weight branch"),
    INT("model", "cdcr", model.cdcr, RANGE_, 0, 3, 3, "channel decorrelation variant, 0 = off"),
    FLT("model", "cdcr_alpha1", model.cdcr_alpha1, MIN_, 0, 0, 0.11, "CDCR diagonal weight"),
    FLT("model", "cdcr_alpha2", model.cdcr_alpha2, MIN_, 0, 0, 0.0, "CDCR off-diagonal weight"),
    FLT("model", "cdcr_lambda", model.cdcr_lambda, MIN_, 0, 0, 0.001, "weight of the CDCR loss"),
    FLT("model", "xti_dropout", model.xti_dropout, RANGE_ | CFG_MAX_EXCLUSIVE, 0, 1, 0.1,
        "dropout of the xti cross transformer"),
    ENUM("model", "clip_precision", model.clip_precision, k_clip_precisions, DRL_CLIP_FP32,
         "fp16 = the reference's GPU towers (model.md section 11)"),
    INT("model", "agg_layers", model.agg_layers, RANGE_, 1, 64, 4, "seqTransf blocks"),
    /* ---- model.clip: shape of a CLIP trained from scratch ---- */
    INT("model.clip", "vision_width", model.clip.vision_width, RANGE_, 64, 8192, 768,
        "vision width (multiple of 64; heads = width / 64)"),
    INT("model.clip", "vision_layers", model.clip.vision_layers, RANGE_, 1, 256, 12,
        "vision blocks"),
    INT("model.clip", "vision_patch", model.clip.vision_patch, RANGE_, 1, 1024, 32, "patch side P"),
    INT("model.clip", "image_resolution", model.clip.image_resolution, RANGE_, 1, 4096, 224,
        "input side R"),
    INT("model.clip", "text_width", model.clip.text_width, RANGE_, 64, 8192, 512,
        "text width (multiple of 64; heads = width / 64)"),
    INT("model.clip", "text_layers", model.clip.text_layers, RANGE_, 1, 256, 12, "text blocks"),
    INT("model.clip", "embed_dim", model.clip.embed_dim, RANGE_, 64, 8192, 512,
        "joint embedding width D (= text_width)"),
    INT("model.clip", "vocab_size", model.clip.vocab_size, RANGE_, 49408, 1 << 24, 49408,
        "token embedding rows (SOT/EOT are 49406/49407)"),
    INT("model.clip", "context_length", model.clip.context_length, RANGE_, 3, 4096, 77,
        "text positional table rows"),
    /* ---- train ---- */
    BOOL("train", "do_train", train.do_train, 1, "train"),
    INT("train", "epochs", train.epochs, RANGE_, 0, 1000000, 5, "passes over the training pairs"),
    INT("train", "batch_size", train.batch_size, RANGE_, 1, 1 << 24, 128,
        "global batch (divisible by the number of ranks)"),
    FLT("train", "lr", train.lr, MIN_, 0, 0, 1e-4, "learning rate of the DRL heads"),
    FLT("train", "coef_lr", train.coef_lr, MIN_, 0, 0, 1e-3, "CLIP towers use lr * coef_lr"),
    FLT("train", "warmup_proportion", train.warmup_proportion, RANGE_, 0, 1, 0.1,
        "warm-up fraction of all steps"),
    FLT("train", "weight_decay", train.weight_decay, MIN_, 0, 0, 0.2, "decoupled weight decay"),
    ENUM("train", "schedule", train.schedule, k_schedules, DRL_SCHED_WARMUP_COSINE,
         "warmup_cosine | warmup_linear | warmup_constant"),
    FLT("train", "b1", train.b1, RANGE_ | CFG_MAX_EXCLUSIVE, 0, 1, 0.9, "Adam beta1"),
    FLT("train", "b2", train.b2, RANGE_ | CFG_MAX_EXCLUSIVE, 0, 1, 0.98, "Adam beta2"),
    FLT("train", "eps", train.eps, MIN_ | CFG_MIN_EXCLUSIVE, 0, 0, 1e-6, "Adam epsilon"),
    FLT("train", "max_grad_norm", train.max_grad_norm, MIN_ | CFG_MIN_EXCLUSIVE, 0, 0, 1.0,
        "gradient clipping norm"),
    INT("train", "n_display", train.n_display, RANGE_, 1, 1 << 30, 50, "log every n steps"),
    INT("train", "seed", train.seed, RANGE_, 0, 2147483647.0, 42, "random seed"),
    INT("train", "checkpoint_interval", train.checkpoint_interval, RANGE_, 0, 1 << 30, 0,
        "steps between checkpoints; 0 = at the end of each epoch"),
    ENUM("train", "on_nonfinite", train.on_nonfinite, k_nonfinite, DRL_NONFINITE_STOP,
         "a NaN/Inf loss or gradient: stop | skip the step"),
    ENUM("train", "grad_scale_mode", train.grad_scale_mode, k_gradscale, DRL_GRADSCALE_REFERENCE,
         "reference = the reference's multi-rank gradients (model.md section 9); single = test "
         "knob"),
    /* ---- eval ---- */
    BOOL("eval", "do_eval", eval.do_eval, 0, "evaluate (after training when do_train)"),
    INT("eval", "batch_size_val", eval.batch_size_val, RANGE_, 1, 1 << 24, 128,
        "global evaluation batch (divisible by the number of ranks)"),
    INT("eval", "eval_interval", eval.eval_interval, RANGE_, 1, 1 << 30, 1,
        "epochs between evaluations"),
    BOOL("eval", "rerank_dsl", eval.rerank_dsl, 0, "dual softmax re-ranking at evaluation"),
    BOOL("eval", "rerank_qbnorm", eval.rerank_qbnorm, 0, "querybank normalisation at evaluation"),
    /* ---- run ---- */
    STR("run", "name", run.name, 0, "", "run name; \"\" = the file name without .cfg"),
    STR("run", "description", run.description, 0, "", "free text, stored with the results"),
    STR("run", "output_dir", run.output_dir, CFG_NONEMPTY, "runs/default",
        "log, checkpoints and results"),
    BOOL("run", "resume", run.resume, 0, "continue from the newest checkpoint in output_dir"),
    ENUM("run", "device", run.device, k_devices, DRL_DEVICE_AUTO, "auto | cpu | cuda"),
    ENUM("run", "precision", run.precision, k_precisions, DRL_PREC_AUTO,
         "matrix products: auto (CUDA bf16, CPU fp32) | bf16 (bf16 operands, fp32 accumulation; "
         "CPU needs oneDNN) | fp32 | tf32 (CUDA only)"),
    ENUM("run", "recompute", run.recompute, k_recompute, DRL_RECOMPUTE_OUTPUTS,
         "backward recomputation: outputs (LayerNorm, QuickGELU and attention outputs) | blocks "
         "(whole transformer blocks from their inputs: about one more forward, much less "
         "activation memory)"),
    INT("run", "threads", run.threads, RANGE_, 0, 4096, 0, "CPU threads; 0 = all cores"),
};

static const CfgSection k_sections[] = {
    {"data", NULL, "data"},   {"model", NULL, "model"}, {"model.clip", "model", "clip"},
    {"train", NULL, "train"}, {"eval", NULL, "eval"},   {"run", NULL, "run"},
};

const CfgField *cfg_fields(size_t *count) {
    *count = sizeof k_fields / sizeof k_fields[0];
    return k_fields;
}

const CfgSection *cfg_sections(size_t *count) {
    *count = sizeof k_sections / sizeof k_sections[0];
    return k_sections;
}

int cfg_find_field(const char *section, const char *name) {
    for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0]; i++)
        if (!strcmp(k_fields[i].section, section) && !strcmp(k_fields[i].name, name)) return (int)i;
    return -1;
}

const CfgSection *cfg_find_section(const char *path) {
    for (size_t i = 0; i < sizeof k_sections / sizeof k_sections[0]; i++)
        if (!strcmp(k_sections[i].path, path)) return &k_sections[i];
    return NULL;
}

const CfgSection *cfg_find_child_section(const char *parent, const char *name) {
    for (size_t i = 0; i < sizeof k_sections / sizeof k_sections[0]; i++) {
        const CfgSection *s = &k_sections[i];
        bool same_parent = parent ? (s->parent && !strcmp(s->parent, parent)) : !s->parent;
        if (same_parent && !strcmp(s->name, name)) return s;
    }
    return NULL;
}

int cfg_choice_count(const CfgField *f) {
    int n = 0;
    while (f->choices && f->choices[n])
        n++;
    return n;
}

bool cfg_in_range(const CfgField *f, double v) {
    if (f->flags & CFG_HAS_MIN) {
        if (f->flags & CFG_MIN_EXCLUSIVE ? !(v > f->min) : !(v >= f->min)) return false;
    }
    if (f->flags & CFG_HAS_MAX) {
        if (f->flags & CFG_MAX_EXCLUSIVE ? !(v < f->max) : !(v <= f->max)) return false;
    }
    return v == v; /* NaN is never in range */
}

void cfg_describe_expected(const CfgField *f, char *buf, size_t len) {
    size_t used = 0;
    switch (f->kind) {
    case CFG_BOOL:
        snprintf(buf, len, "a boolean (true or false)");
        return;
    case CFG_STRING:
        snprintf(buf, len, "a %sstring of at most %zu characters",
                 f->flags & CFG_NONEMPTY ? "non-empty " : "", f->capacity - 1);
        return;
    case CFG_ENUM:
        used = (size_t)snprintf(buf, len, "one of");
        for (int i = 0; f->choices[i] && used < len; i++)
            used +=
                (size_t)snprintf(buf + used, len - used, "%s \"%s\"", i ? "," : "", f->choices[i]);
        return;
    case CFG_INT:
    case CFG_FLOAT:
        break;
    }
    const char *what = f->kind == CFG_INT ? "an integer" : "a number";
    bool has_min = f->flags & CFG_HAS_MIN, has_max = f->flags & CFG_HAS_MAX;
    if (f->kind == CFG_INT && has_min && has_max)
        snprintf(buf, len, "%s in %.0f..%.0f", what, f->min, f->max);
    else if (has_min && has_max)
        snprintf(buf, len, "%s in %c%g, %g%c", what, f->flags & CFG_MIN_EXCLUSIVE ? '(' : '[',
                 f->min, f->max, f->flags & CFG_MAX_EXCLUSIVE ? ')' : ']');
    else if (has_min)
        snprintf(buf, len, "%s %s %g", what, f->flags & CFG_MIN_EXCLUSIVE ? ">" : ">=", f->min);
    else if (has_max)
        snprintf(buf, len, "%s %s %g", what, f->flags & CFG_MAX_EXCLUSIVE ? "<" : "<=", f->max);
    else
        snprintf(buf, len, "%s", what);
}
