/* The run configuration: every hyperparameter, loaded from a libconfig file
 * that may `@include` others, defaults filled in, validated before any work.
 *
 * Sections: data, model (with the group model.clip), train, eval, run. The
 * names, defaults and rules are listed in conf/base.cfg (one line each) and in
 * config_table.c (the single table the loader, the printer and the defaults
 * use).
 *
 * Layering: `@include "other.cfg"` (a line of its own, at the top level of a
 * file, path relative to the including file's folder) loads that file first;
 * the settings of the including file then override it setting by setting
 * (libconfig itself rejects a group defined twice, so the loader resolves the
 * includes and merges the layers itself). Inside one file a setting may appear
 * once.
 *
 * Errors: every problem found is collected, one line each:
 *   FILE:LINE: setting 'section.name': expected ..., found ...
 * (FILE is the file the setting came from, also for an @include'd one). A
 * rule that involves a setting left at its default names the top-level file
 * without a line: `FILE: setting 'train.batch_size' (default): expected ...`.
 */
#ifndef DRL_CONFIG_CONFIG_H
#define DRL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define DRL_CONFIG_PATH_MAX 1024 /* capacity of path settings, NUL included */
#define DRL_CONFIG_NAME_MAX 128  /* capacity of short names (splits, run name) */
#define DRL_CONFIG_EXIT     2    /* exit status for a bad configuration or command line */

/* ---- enumerations (the index is the value; names in config_enum_name) ---- */
typedef enum {
    DRL_DATATYPE_MSRVTT,
    DRL_DATATYPE_MSVD,
    DRL_DATATYPE_LSMDC,
    DRL_DATATYPE_DIDEMO,
    DRL_DATATYPE_ACTIVITY,
    DRL_DATATYPE_VATEX,
    DRL_DATATYPE_SYNTHETIC,
} DrlDatatype;

typedef enum { DRL_ENCODER_VIT_B32, DRL_ENCODER_VIT_B16, DRL_ENCODER_VIT_L14 } DrlBaseEncoder;
typedef enum { DRL_AGG_NONE, DRL_AGG_SEQLSTM, DRL_AGG_SEQTRANSF } DrlAggModule;
typedef enum { DRL_INTER_DP, DRL_INTER_XTI, DRL_INTER_TI, DRL_INTER_WTI } DrlInteraction;
typedef enum { DRL_CLIP_FP32, DRL_CLIP_FP16 } DrlClipPrecision;
typedef enum {
    DRL_SCHED_WARMUP_COSINE,
    DRL_SCHED_WARMUP_LINEAR,
    DRL_SCHED_WARMUP_CONSTANT,
} DrlSchedule;
typedef enum { DRL_NONFINITE_STOP, DRL_NONFINITE_SKIP } DrlOnNonfinite;
typedef enum { DRL_GRADSCALE_REFERENCE, DRL_GRADSCALE_SINGLE } DrlGradScaleMode;
typedef enum { DRL_DEVICE_AUTO, DRL_DEVICE_CPU, DRL_DEVICE_CUDA } DrlDevice;
/* AUTO: bf16 on CUDA, fp32 on the CPU (the CPU's reference numerics). */
typedef enum { DRL_PREC_BF16, DRL_PREC_FP32, DRL_PREC_TF32, DRL_PREC_AUTO } DrlPrecision;
/* What the backward recomputes instead of keeping: OUTPUTS the LayerNorm,
 * QuickGELU and attention outputs (always); BLOCKS whole transformer blocks
 * (only each block's input is kept). */
typedef enum { DRL_RECOMPUTE_OUTPUTS, DRL_RECOMPUTE_BLOCKS } DrlRecompute;

/* ---- sections ------------------------------------------------------------ */
typedef struct {
    DrlDatatype datatype;                /* annotation format of the store */
    char store[DRL_CONFIG_PATH_MAX];     /* HDF5 store (the reference's video_path) */
    char anno_path[DRL_CONFIG_PATH_MAX]; /* annotation folder (preprocessing) */
    char train_split[DRL_CONFIG_NAME_MAX];
    char val_split[DRL_CONFIG_NAME_MAX];
    char test_split[DRL_CONFIG_NAME_MAX];
    int max_words;          /* L: text length incl. SOT and EOT */
    int max_frames;         /* T */
    double video_framerate; /* frames kept per second */
    int resolution;         /* R of the stored frames */
    int workers;            /* loader threads */
    bool multi_sentence;    /* several captions per video at evaluation */
} DrlDataConfig;

/* Shape of a CLIP built from scratch (ignored for sizes when pretrained_clip
 * is given: they are read from the checkpoint). Heads are width / 64. */
typedef struct {
    int vision_width;
    int vision_layers;
    int vision_patch;
    int image_resolution;
    int text_width;
    int text_layers;
    int embed_dim;
    int vocab_size;
    int context_length;
} DrlClipShape;

typedef struct {
    DrlBaseEncoder base_encoder;
    char pretrained_clip[DRL_CONFIG_PATH_MAX]; /* OpenAI CLIP .pt; "" = from scratch */
    char init_model[DRL_CONFIG_PATH_MAX];      /* our HDF5 checkpoint or a torch .bin */
    DrlAggModule agg_module;
    DrlInteraction interaction;
    int wti_arch; /* 1..3, only used by wti */
    int cdcr;     /* 0..3 */
    double cdcr_alpha1;
    double cdcr_alpha2;
    double cdcr_lambda;
    double xti_dropout;
    DrlClipPrecision clip_precision; /* spec/model.md section 11 */
    int agg_layers;                  /* seqTransf blocks */
    DrlClipShape clip;
} DrlModelConfig;

typedef struct {
    bool do_train;
    int epochs;
    int batch_size; /* global, over all ranks */
    double lr;
    double coef_lr;
    double warmup_proportion;
    double weight_decay;
    DrlSchedule schedule;
    double b1;
    double b2;
    double eps;
    double max_grad_norm;
    int n_display; /* log every n steps */
    int seed;
    int checkpoint_interval; /* steps; 0 = only at the end of an epoch */
    DrlOnNonfinite on_nonfinite;
    DrlGradScaleMode grad_scale_mode; /* test-only knob, spec/model.md section 9 */
} DrlTrainConfig;

typedef struct {
    bool do_eval;
    int batch_size_val; /* global, over all ranks */
    int eval_interval;  /* epochs */
    bool rerank_dsl;
    bool rerank_qbnorm;
} DrlEvalConfig;

typedef struct {
    char name[DRL_CONFIG_NAME_MAX]; /* default: the file's basename without .cfg */
    char description[DRL_CONFIG_PATH_MAX];
    char output_dir[DRL_CONFIG_PATH_MAX];
    bool resume;
    DrlDevice device;
    DrlPrecision precision; /* matrix-product precision (auto: CUDA bf16, CPU fp32) */
    DrlRecompute recompute; /* activation memory against compute */
    int threads;            /* 0 = all cores */
} DrlRunConfig;

typedef struct {
    DrlDataConfig data;
    DrlModelConfig model;
    DrlTrainConfig train;
    DrlEvalConfig eval;
    DrlRunConfig run;
} DrlConfig;

/* Fills every setting with its default (the reference's). run.name is "". */
void config_defaults(DrlConfig *cfg);

/* Loads `path` (and its @includes) over the defaults and validates the result
 * for `world_size` ranks. Returns 0 on success. On any error returns
 * DRL_CONFIG_EXIT (2) and writes every error message, one per line, into
 * `err` (truncated to errlen, always NUL-terminated); nothing is printed, the
 * caller prints `err` to stderr and exits with the returned status. `out` is
 * filled either way (defaults plus what could be read). */
int config_load(const char *path, int world_size, DrlConfig *out, char *err, size_t errlen);

/* Same, from text in memory; `display_name` is the file name used in messages
 * and for the default run.name; @include paths are relative to `include_dir`
 * (NULL = the current folder). */
int config_load_string(const char *text, const char *display_name, const char *include_dir,
                       int world_size, DrlConfig *out, char *err, size_t errlen);

/* Every setting as libconfig text (malloc'ed, caller frees), one group per
 * section. Loading it gives a configuration equal to `cfg`. */
char *config_to_string(const DrlConfig *cfg);

/* True when every setting of a and b is equal (strings by content). */
bool config_equal(const DrlConfig *a, const DrlConfig *b);

/* Releases what a configuration owns (nothing today: strings are inline);
 * call it anyway so owned memory can be added later. */
void config_free(DrlConfig *cfg);

/* The text of an enumerated setting's value, e.g.
 * config_enum_name("model.interaction", cfg.model.interaction) == "wti";
 * NULL for an unknown setting or value. */
const char *config_enum_name(const char *setting, int value);

#endif
