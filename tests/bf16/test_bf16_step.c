/* run.precision on the CPU backend and whole training steps with bf16
 * products: "auto" and "fp32" select drl_cpu_ops(), "tf32" runs as fp32,
 * "bf16" selects drl_cpu_ops_bf16(); the demo model (conf/demo.cfg, random
 * weights, a synthetic batch of 4 pairs) then takes STEPS steps (forward,
 * backward, BertAdam update) and a last forward under each table. bf16 keeps
 * 8 significant bits (relative rounding 2^-9 = 2e-3 per operand), which
 * averages down over the sums of a product: the first loss must be finite and
 * within LOSS_RTOL of fp32's, the first gradient within GRAD_RTOL (relative
 * L2). Adam's first update moves every weight by about lr whatever the size
 * of its gradient, so the bf16 noise of the tiny gradients shows in full
 * after it: the loss after the updates is compared within AFTER_RTOL, and
 * both runs must have lowered it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "config/config.h"
#include "drl/drl_model.h"
#include "drl/optim.h"
#include "model/rng.h"
#include "train/model_setup.h"
#include "train/run_backend.h"

#define LOSS_RTOL  2e-3
#define AFTER_RTOL 5e-2
#define GRAD_RTOL  5e-2
#define BATCH      4
#define STEPS      2

typedef struct {
    double loss0, loss1; /* the first step's loss, and the loss after STEPS updates */
    float *grad;         /* (total) the step's gradient */
    size_t total;
} StepResult;

/* The demo configuration with run.precision = prec (NULL: the default). */
static void load_config(DrlConfig *cfg, const char *prec) {
    const char *src = getenv("DRL_SOURCE_DIR");
    assert_non_null(src);
    char dir[4096], text[512], err[4096];
    snprintf(dir, sizeof dir, "%s/conf", src);
    snprintf(text, sizeof text,
             "@include \"demo.cfg\"\nrun = { device = \"cpu\"; output_dir = \"/tmp\"; %s%s%s };\n",
             prec ? "precision = \"" : "", prec ? prec : "", prec ? "\";" : "");
    if (config_load_string(text, "bf16_step.cfg", dir, 1, cfg, err, sizeof err))
        fail_msg("config: %s", err);
}

/* The op table run_backend_select picks for run.precision = prec. */
static const DrlOps *selected(const char *prec) {
    DrlConfig cfg;
    load_config(&cfg, prec);
    DrlComm comm;
    comm_init_single(&comm);
    RunBackend b;
    assert_int_equal(run_backend_select(&b, &cfg, &comm), 0);
    config_free(&cfg);
    return b.ops;
}

static void test_selection(void **state) {
    (void)state;
    const DrlOps *bf16 = drl_cpu_ops_bf16(NULL, 0);
    assert_non_null(bf16);
    assert_ptr_equal(selected(NULL), drl_cpu_ops()); /* auto: fp32 on the CPU */
    assert_ptr_equal(selected("auto"), drl_cpu_ops());
    assert_ptr_equal(selected("fp32"), drl_cpu_ops());
    assert_ptr_equal(selected("tf32"), drl_cpu_ops());
    assert_ptr_equal(selected("bf16"), bf16);
}

static StepResult one_step(const char *prec) {
    DrlConfig cfg;
    load_config(&cfg, prec);
    DrlComm comm;
    comm_init_single(&comm);
    RunBackend be;
    assert_int_equal(run_backend_select(&be, &cfg, &comm), 0);
    DrlModel m;
    char err[4096];
    if (model_setup(&m, &cfg, be.ops, &comm, BATCH, err, sizeof err)) fail_msg("model: %s", err);
    BertAdam opt;
    AdamSettings as = adam_settings_from_config(&cfg, 10);
    bertadam_init(&opt, &m.pt, &as);
    for (int i = 0; i < m.pt.count; i++)
        opt.has_grad[i] = (uint8_t)drl_model_param_is_used(&m, i);

    const int B = BATCH, L = m.L, T = m.T, R = m.R;
    DrlRng rng;
    rng_init(&rng, 11);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)B * L); // (B, L)
    int32_t *tm = malloc(sizeof(int32_t) * (size_t)B * L);  // (B, L)
    int32_t *vm = malloc(sizeof(int32_t) * (size_t)B * T);  // (B, T)
    size_t nv = (size_t)B * T * 3 * R * R;
    float *video = malloc(sizeof(float) * nv); // (B, T, 3, R, R)
    assert_non_null(ids), assert_non_null(tm), assert_non_null(vm), assert_non_null(video);
    for (int b = 0; b < B; b++) {
        const int len = L - 3 * b; /* captions of different lengths */
        for (int i = 0; i < L; i++) {
            ids[b * L + i] = i == 0         ? 49406
                             : i == len - 1 ? 49407
                             : i < len      ? 1 + (int32_t)rng_below(&rng, 49000)
                                            : 0;
            tm[b * L + i] = i < len;
        }
        for (int t = 0; t < T; t++)
            vm[b * T + t] = t < T - b % 2; /* some videos one frame short */
    }
    rng_normal(&rng, video, nv, 0.0f, 1.0f);
    DrlBatch batch = {.B = B, .ids = ids, .text_mask = tm, .video = video, .video_mask = vm};

    StepResult r = {.total = m.pt.total};
    r.loss0 = drl_step(&m, &batch, 1).loss;
    r.grad = malloc(sizeof(float) * m.pt.total); // (total)
    assert_non_null(r.grad);
    memcpy(r.grad, m.pt.grad, sizeof(float) * m.pt.total);
    bertadam_step(&opt, &m.pt, m.pt.data, m.pt.grad);
    for (int s = 0; s < STEPS - 1; s++) { /* the warm-up starts at lr 0: more steps */
        drl_step(&m, &batch, 1);
        bertadam_step(&opt, &m.pt, m.pt.data, m.pt.grad);
    }
    r.loss1 = drl_step(&m, &batch, 0).loss;
    free(ids), free(tm), free(vm), free(video);
    bertadam_free(&opt);
    drl_model_free(&m);
    config_free(&cfg);
    return r;
}

static void test_step_close_to_fp32(void **state) {
    (void)state;
    StepResult f = one_step("fp32"), b = one_step("bf16");
    assert_int_equal(f.total, b.total);
    double d2 = 0.0, f2 = 0.0;
    for (size_t i = 0; i < f.total; i++) {
        assert_true(isfinite(b.grad[i]));
        d2 += ((double)b.grad[i] - f.grad[i]) * ((double)b.grad[i] - f.grad[i]);
        f2 += (double)f.grad[i] * f.grad[i];
    }
    const double grad_rel = sqrt(d2 / f2);
    printf("fp32 step: loss %.6f -> %.6f; bf16 step: loss %.6f -> %.6f; gradient relative L2 "
           "difference %.3g\n",
           f.loss0, f.loss1, b.loss0, b.loss1, grad_rel);
    assert_true(isfinite(b.loss0) && isfinite(b.loss1));
    assert_true(fabs(b.loss0 - f.loss0) <= LOSS_RTOL * fabs(f.loss0));
    assert_true(fabs(b.loss1 - f.loss1) <= AFTER_RTOL * fabs(f.loss1));
    assert_true(b.loss1 < b.loss0 && f.loss1 < f.loss0); /* both learn */
    assert_true(grad_rel <= GRAD_RTOL);
    assert_true(grad_rel > 0.0); /* the bf16 table did round */
    free(f.grad), free(b.grad);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_step_close_to_fp32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
