/* Configuration: defaults, conf/base.cfg and conf/demo.cfg, @include layering,
 * and the round trip config_to_string -> load. Expected values are the
 * reference's defaults as the issue and ../shared/seed/README-seed.md state
 * them, written out here, not read from the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config/config.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 8192

/* The reference defaults (README command + spec/model.md + the issue). */
static void assert_reference_defaults(const DrlConfig *c) {
    assert_int_equal(c->data.datatype, DRL_DATATYPE_MSRVTT);
    assert_string_equal(c->data.store, "");
    assert_string_equal(c->data.anno_path, "");
    assert_string_equal(c->data.train_split, "train");
    assert_string_equal(c->data.val_split, "test");
    assert_string_equal(c->data.test_split, "test");
    assert_int_equal(c->data.max_words, 32);
    assert_int_equal(c->data.max_frames, 12);
    assert_true(c->data.video_framerate == 1.0);
    assert_int_equal(c->data.resolution, 224);
    assert_int_equal(c->data.workers, 8);
    assert_false(c->data.multi_sentence);

    assert_int_equal(c->model.base_encoder, DRL_ENCODER_VIT_B32);
    assert_string_equal(c->model.pretrained_clip, "");
    assert_string_equal(c->model.init_model, "");
    assert_int_equal(c->model.agg_module, DRL_AGG_SEQTRANSF);
    assert_int_equal(c->model.interaction, DRL_INTER_WTI);
    assert_int_equal(c->model.wti_arch, 2);
    assert_int_equal(c->model.cdcr, 3);
    assert_true(c->model.cdcr_alpha1 == 0.11);
    assert_true(c->model.cdcr_alpha2 == 0.0);
    assert_true(c->model.cdcr_lambda == 0.001);
    assert_true(c->model.xti_dropout == 0.1);
    assert_int_equal(c->model.clip_precision, DRL_CLIP_FP32);
    assert_int_equal(c->model.agg_layers, 4);
    assert_int_equal(c->model.clip.vision_width, 768);
    assert_int_equal(c->model.clip.vision_layers, 12);
    assert_int_equal(c->model.clip.vision_patch, 32);
    assert_int_equal(c->model.clip.image_resolution, 224);
    assert_int_equal(c->model.clip.text_width, 512);
    assert_int_equal(c->model.clip.text_layers, 12);
    assert_int_equal(c->model.clip.embed_dim, 512);
    assert_int_equal(c->model.clip.vocab_size, 49408);
    assert_int_equal(c->model.clip.context_length, 77);

    assert_true(c->train.do_train);
    assert_int_equal(c->train.epochs, 5);
    assert_int_equal(c->train.batch_size, 128);
    assert_true(c->train.lr == 1e-4);
    assert_true(c->train.coef_lr == 1e-3);
    assert_true(c->train.warmup_proportion == 0.1);
    assert_true(c->train.weight_decay == 0.2);
    assert_int_equal(c->train.schedule, DRL_SCHED_WARMUP_COSINE);
    assert_true(c->train.b1 == 0.9);
    assert_true(c->train.b2 == 0.98);
    assert_true(c->train.eps == 1e-6);
    assert_true(c->train.max_grad_norm == 1.0);
    assert_int_equal(c->train.n_display, 50);
    assert_int_equal(c->train.seed, 42);
    assert_int_equal(c->train.checkpoint_interval, 0);
    assert_int_equal(c->train.on_nonfinite, DRL_NONFINITE_STOP);
    assert_int_equal(c->train.grad_scale_mode, DRL_GRADSCALE_REFERENCE);

    assert_false(c->eval.do_eval);
    assert_int_equal(c->eval.batch_size_val, 128);
    assert_int_equal(c->eval.eval_interval, 1);
    assert_false(c->eval.rerank_dsl);
    assert_false(c->eval.rerank_qbnorm);

    assert_string_equal(c->run.description, "");
    assert_string_equal(c->run.output_dir, "runs/default");
    assert_false(c->run.resume);
    assert_int_equal(c->run.device, DRL_DEVICE_AUTO);
    assert_int_equal(c->run.precision, DRL_PREC_AUTO);
    assert_int_equal(c->run.threads, 0);
}

static void test_defaults_match_reference(void **state) {
    (void)state;
    DrlConfig c;
    config_defaults(&c);
    assert_reference_defaults(&c);
    assert_string_equal(c.run.name, "");
}

static void test_enum_names(void **state) {
    (void)state;
    assert_string_equal(config_enum_name("model.interaction", DRL_INTER_XTI), "xti");
    assert_string_equal(config_enum_name("model.agg_module", DRL_AGG_NONE), "None");
    assert_string_equal(config_enum_name("train.schedule", DRL_SCHED_WARMUP_LINEAR),
                        "warmup_linear");
    assert_string_equal(config_enum_name("run.precision", DRL_PREC_TF32), "tf32");
    assert_null(config_enum_name("model.interaction", 4));
    assert_null(config_enum_name("model.cdcr", 0));
    assert_null(config_enum_name("nosuch.setting", 0));
}

static void test_base_cfg_is_the_defaults(void **state) {
    (void)state;
    char *path = fixture_source_path("conf/base.cfg");
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load(path, 1, &c, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_reference_defaults(&c);
    assert_string_equal(c.run.name, "base"); /* the file name without .cfg */
    DrlConfig d;
    config_defaults(&d);
    strcpy(d.run.name, "base");
    assert_true(config_equal(&c, &d));
    /* Also valid on 4 ranks (128 = 4 x 32). */
    assert_int_equal(config_load(path, 4, &c, err, sizeof err), 0);
    config_free(&c);
    free(path);
}

static void test_demo_cfg_loads(void **state) {
    (void)state;
    char *path = fixture_source_path("conf/demo.cfg");
    char err[ERRLEN];
    DrlConfig c;
    int rc = config_load(path, 1, &c, err, sizeof err);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    assert_string_equal(c.run.name, "demo");
    assert_int_equal(c.run.device, DRL_DEVICE_CPU);
    assert_int_equal(c.model.clip.vision_width, 64);
    assert_int_equal(c.model.clip.context_length, 32);
    assert_int_equal(c.model.interaction, DRL_INTER_WTI);
    assert_int_equal(c.model.cdcr, 3);
    assert_string_equal(c.model.pretrained_clip, "");
    assert_true(c.train.coef_lr == 1.0);
    /* inherited from base.cfg */
    assert_true(c.train.b2 == 0.98);
    assert_int_equal(c.model.clip.vocab_size, 49408);
    assert_true(c.model.cdcr_alpha1 == 0.11);
    free(path);
}

/* top.cfg includes parts/mid.cfg, which includes "leaf.cfg" from its own
 * folder (parts/). Later layers override earlier ones setting by setting. */
static void test_include_layers(void **state) {
    (void)state;
    char *leaf =
        fixture_write("layers/parts", "leaf.cfg",
                      "model = { cdcr = 1; wti_arch = 1; clip = { vision_layers = 3; }; };\n"
                      "train = { lr = 5e-5; };\n");
    char *mid = fixture_write("layers/parts", "mid.cfg",
                              "@include \"leaf.cfg\"\n"
                              "model = { cdcr = 2; clip = { text_layers = 4; }; };\n");
    char *top = fixture_write("layers", "top.cfg",
                              "# comment @include \"nothing.cfg\"\n"
                              "@include \"parts/mid.cfg\"\n"
                              "model = { interaction = \"ti\"; };\n"
                              "train = { epochs = 2; lr = 3; };\n");
    char err[ERRLEN];
    DrlConfig c;
    int rc = config_load(top, 1, &c, err, sizeof err);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    assert_int_equal(c.model.cdcr, 2);     /* mid overrides leaf */
    assert_int_equal(c.model.wti_arch, 1); /* from leaf */
    assert_int_equal(c.model.clip.vision_layers, 3);
    assert_int_equal(c.model.clip.text_layers, 4);
    assert_int_equal(c.model.clip.vision_width, 768); /* default */
    assert_int_equal(c.model.interaction, DRL_INTER_TI);
    assert_int_equal(c.train.epochs, 2);
    assert_true(c.train.lr == 3.0); /* an integer is accepted for a number */
    assert_string_equal(c.run.name, "top");
    free(leaf);
    free(mid);
    free(top);
}

static void assert_round_trip(const DrlConfig *c) {
    char *text = config_to_string(c);
    assert_non_null(text);
    char err[ERRLEN];
    DrlConfig back;
    int rc = config_load_string(text, "printed.cfg", NULL, 1, &back, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n%s", err, text);
    assert_int_equal(rc, 0);
    assert_true(config_equal(c, &back));
    /* Printing again gives the same text. */
    char *again = config_to_string(&back);
    assert_string_equal(text, again);
    free(text);
    free(again);
}

static void test_round_trip(void **state) {
    (void)state;
    DrlConfig c;
    config_defaults(&c);
    strcpy(c.run.name, "defaults");
    assert_round_trip(&c);

    /* Every kind of value changed, awkward floats and strings included. */
    char *path = fixture_write("roundtrip", "all.cfg",
                               "data = { datatype = \"vatex\"; store = \"a \\\"q\\\" \\\\ b.h5\";"
                               " max_words = 77; video_framerate = 0.3; multi_sentence = true;"
                               " workers = 0; train_split = \"t\\tab\"; };\n"
                               "model = { interaction = \"xti\"; cdcr = 0; agg_module = \"None\";"
                               " xti_dropout = 0.30000000000000004; cdcr_lambda = 1e-300;"
                               " clip_precision = \"fp16\"; base_encoder = \"ViT-L/14\";"
                               " pretrained_clip = \"/x/ViT-L-14.pt\"; cdcr_alpha2 = 2.5e10; };\n"
                               "train = { schedule = \"warmup_constant\"; lr = 0.1; eps = 1e-8;"
                               " b1 = 0.123456789012345678; seed = 2147483647;"
                               " on_nonfinite = \"skip\"; grad_scale_mode = \"single\"; };\n"
                               "eval = { do_eval = true; rerank_dsl = true; eval_interval = 3; };\n"
                               "run = { name = \"n\"; description = \"d\xc3\xa9j\xc3\xa0 vu\";"
                               " device = \"cuda\"; precision = \"tf32\"; resume = true;"
                               " threads = 7; };\n");
    char err[ERRLEN];
    int rc = config_load(path, 1, &c, err, sizeof err);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    assert_string_equal(c.data.store, "a \"q\" \\ b.h5");
    assert_string_equal(c.data.train_split, "t\tab");
    assert_true(c.model.xti_dropout == 0.1 + 0.2);
    assert_true(c.train.b1 == 0.123456789012345678);
    assert_round_trip(&c);
    free(path);
}

static void test_name_kept_when_given(void **state) {
    (void)state;
    char *path = fixture_write("named", "file_name.cfg", "run = { name = \"wti_cdcr\"; };\n");
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load(path, 1, &c, err, sizeof err), 0);
    assert_string_equal(c.run.name, "wti_cdcr");
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_reference), cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_base_cfg_is_the_defaults), cmocka_unit_test(test_demo_cfg_loads),
        cmocka_unit_test(test_include_layers),           cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_name_kept_when_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
