/* drl_eval by hand: small matrices whose ranks are worked out in the
 * comments (spec/model.md §10), chance level, the text and JSON formats, DSL
 * and QB-Norm on cases with closed forms, NaN as an error, and the
 * single-rank path of the distributed scorer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eval/distributed.h"
#include "eval/metrics.h"
#include "eval/rerank.h"

#define EPS 1e-12

#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        const double a_ = (a), b_ = (b);                                                           \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);         \
    } while (0)

static void expect_metrics(const RetrievalMetrics *m, double r1, double r5, double r10, double mdr,
                           double mnr, int64_t entries, int64_t queries) {
    assert_near(m->r1, r1, EPS);
    assert_near(m->r5, r5, EPS);
    assert_near(m->r10, r10, EPS);
    assert_near(m->mdr, mdr, EPS);
    assert_near(m->mnr, mnr, EPS);
    assert_int_equal(m->entries, entries);
    assert_int_equal(m->queries, queries);
}

/* s = [[0.9, 0.1, 0.5],
 *      [0.8, 0.7, 0.7],
 *      [0.2, 0.6, 0.3]]
 * t2v: row 0 d=0.9 -> {0}; row 1 d=0.7, one greater (0.8), two equal -> {1, 2};
 *      row 2 d=0.3, one greater (0.6) -> {1}.  e = {0, 1, 2, 1}:
 *      R@1 = 25, R@5 = R@10 = 100, median {0,1,1,2} = 1 -> MdR 2, mean 1 -> MnR 2.
 * v2t: column 0 [0.9 0.8 0.2] d=0.9 -> {0}; column 1 [0.1 0.7 0.6] d=0.7 -> {0};
 *      column 2 [0.5 0.7 0.3] d=0.3 -> {2}.  e = {0, 0, 2}:
 *      R@1 = 200/3, MdR = 1, MnR = 2/3 + 1. */
static void test_one_per_video_by_hand(void **state) {
    (void)state;
    const float s[9] = {0.9f, 0.1f, 0.5f, 0.8f, 0.7f, 0.7f, 0.2f, 0.6f, 0.3f}; // (3, 3)
    RetrievalMetrics t2v, v2t;
    metrics_one_per_video(s, 3, &t2v, &v2t);
    expect_metrics(&t2v, 25.0, 100.0, 100.0, 2.0, 2.0, 4, 3);
    expect_metrics(&v2t, 200.0 / 3.0, 100.0, 100.0, 1.0, 2.0 / 3.0 + 1.0, 3, 3);
}

/* N = 1: one entry at 0. A constant 4x4 matrix: every row emits 0..3
 * (16 entries): R@1 = 25, median of {0x4,1x4,2x4,3x4} = (1+2)/2 -> MdR 2.5,
 * mean 1.5 -> MnR 2.5. */
static void test_degenerate(void **state) {
    (void)state;
    RetrievalMetrics t2v, v2t;
    const float one = 0.5f;
    metrics_one_per_video(&one, 1, &t2v, &v2t);
    expect_metrics(&t2v, 100.0, 100.0, 100.0, 1.0, 1.0, 1, 1);
    expect_metrics(&v2t, 100.0, 100.0, 100.0, 1.0, 1.0, 1, 1);
    float c[16]; // (4, 4)
    for (int k = 0; k < 16; k++)
        c[k] = -2.0f;
    metrics_one_per_video(c, 4, &t2v, &v2t);
    expect_metrics(&t2v, 25.0, 100.0, 100.0, 2.5, 2.5, 16, 4);
    expect_metrics(&v2t, 25.0, 100.0, 100.0, 2.5, 2.5, 16, 4);
}

/* 4 captions, 3 videos, caption_video = [0, 0, 1, 2];
 *        v0   v1   v2
 *   c0  0.2  0.5  0.1   (v0)
 *   c1  0.6  0.3  0.6   (v0)
 *   c2  0.4  0.4  0.0   (v1)
 *   c3  0.1  0.4  0.3   (v2)
 * t2v: c0 d=0.2, 0.5 above -> {1}; c1 d=0.6, tie with v2 -> {0, 1};
 *      c2 d=0.4, tie with v0 -> {0, 1}; c3 d=0.3, 0.4 above -> {1}.
 *      e = {1, 0, 1, 0, 1, 1}: R@1 = 100/3, median {0,0,1,1,1,1} = 1 -> MdR 2,
 *      mean 4/6 -> MnR 5/3.
 * v2t: v0 best own 0.6 (c1), column [0.2 0.6 0.4 0.1], nothing above, no other
 *      caption tied -> {0}; v1 own c2 0.4, column [0.5 0.3 0.4 0.4]: c0 above,
 *      c3 (other video) tied -> {1, 2}; v2 own c3 0.3, column [0.1 0.6 0.0 0.3]:
 *      c1 above -> {1}.  e = {0, 1, 2, 1}: R@1 = 25, MdR = 2, MnR = 2. */
static void test_multi_sentence_by_hand(void **state) {
    (void)state;
    const float s[12] = {0.2f, 0.5f, 0.1f, 0.6f, 0.3f, 0.6f,
                         0.4f, 0.4f, 0.0f, 0.1f, 0.4f, 0.3f}; // (4, 3)
    const int32_t cv[4] = {0, 0, 1, 2};
    RetrievalMetrics t2v, v2t;
    metrics_multi_sentence(s, 4, 3, cv, &t2v, &v2t);
    expect_metrics(&t2v, 100.0 / 3.0, 100.0, 100.0, 2.0, 5.0 / 3.0, 6, 4);
    expect_metrics(&v2t, 25.0, 100.0, 100.0, 2.0, 2.0, 4, 3);
}

static void test_chance(void **state) {
    (void)state;
    RetrievalMetrics m;
    metrics_chance(1000, &m);
    expect_metrics(&m, 0.1, 0.5, 1.0, 500.5, 500.5, 1000, 1000);
    metrics_chance(3, &m);
    expect_metrics(&m, 100.0 / 3.0, 100.0, 100.0, 2.0, 2.0, 3, 3);
}

static void test_formats(void **state) {
    (void)state;
    const RetrievalMetrics a = {44.84, 71.9, 81.26, 2.0, 13.04, 1000, 1000};
    const RetrievalMetrics b = {42.96, 70.01, 79.5, 2.0, 9.6, 1001, 1000};
    char line[256];
    metrics_format_line(line, sizeof line, &a);
    assert_string_equal(line, "R@1: 44.8 - R@5: 71.9 - R@10: 81.3 - Median R: 2.0 - Mean R: 13.0");
    metrics_format_row(line, sizeof line, 6, "DRL", &a, &b);
    assert_string_equal(line,
                        "DRL    | 44.8  71.9  81.3   2.0  13.0 | 43.0  70.0  79.5   2.0   9.6");
    metrics_format_header(line, sizeof line, 6);
    assert_string_equal(line, "       | R@1   R@5  R@10   MdR   MnR | R@1   R@5  R@10   MdR   MnR");

    cJSON *j = metrics_to_json(&a, &b);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    cJSON *p = cJSON_Parse(text);
    free(text);
    assert_non_null(p);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "t2v");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "v2t");
    assert_near(cJSON_GetObjectItemCaseSensitive(t, "R@10")->valuedouble, 81.26, 0.0);
    assert_near(cJSON_GetObjectItemCaseSensitive(t, "MnR")->valuedouble, 13.04, 0.0);
    assert_near(cJSON_GetObjectItemCaseSensitive(v, "R@1")->valuedouble, 42.96, 0.0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(v, "entries")->valueint, 1001);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(v, "queries")->valueint, 1000);
    cJSON_Delete(p);
}

/* DSL on one column [0, ln(3)/100] with temp 100: softmax weights 1/4, 3/4. */
static void test_dsl_closed_form(void **state) {
    (void)state;
    const float s[2] = {0.0f, (float)(log(3.0) / 100.0)}; // (2, 1)
    float out[2];
    rerank_dsl(s, 2, 1, 100.0f, out);
    const double w = exp(100.0 * (double)s[1]) / (1.0 + exp(100.0 * (double)s[1]));
    assert_float_equal(out[0], 0.0f, 0.0f);
    assert_float_equal(out[1], (float)((double)s[1] * w), 1e-9f);
    assert_float_equal(w, 0.75, 1e-6);
}

/* QB-Norm, beta 1: bank [[1, 0], [0.5, 0]] makes video 0 the only top-1 hit.
 * Query 0 [0.3, 0.1] has top-1 video 0 -> normalised:
 *   [e^0.3 / (e^1 + e^0.5), e^0.1 / (e^0 + e^0)];
 * query 1 [0.1, 0.3] has top-1 video 1 -> unchanged. */
static void test_qbnorm_closed_form(void **state) {
    (void)state;
    const float bank[4] = {1.0f, 0.0f, 0.5f, 0.0f}; // (2, 2)
    const float s[4] = {0.3f, 0.1f, 0.1f, 0.3f};    // (2, 2)
    float out[4];
    rerank_qbnorm(s, 2, 2, bank, 2, 1.0f, out);
    assert_float_equal(out[0], exp((double)0.3f) / (exp(1.0) + exp(0.5)), 1e-7);
    assert_float_equal(out[1], exp((double)0.1f) / 2.0, 1e-7);
    assert_true(out[2] == s[2] && out[3] == s[3]);
}

/* NaN anywhere ends the process with a message naming the element. */
static void test_nan_is_an_error(void **state) {
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        float s[9] = {1, 2, 3, 4, 5, NAN, 7, 8, 9}; // (3, 3)
        RetrievalMetrics t2v, v2t;
        metrics_one_per_video(s, 3, &t2v, &v2t);
        _exit(0);
    }
    close(fds[1]);
    char msg[1024] = {0};
    size_t got = 0;
    ssize_t r;
    while ((r = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    assert_non_null(strstr(msg, "NaN at row 1, column 2"));
}

/* Deterministic scores: s[i, j] = sin(0.37 i + 1.3 j) + 1e-3 i. */
typedef struct {
    int64_t nv;
    int64_t fail_row; /* fail a call that covers this row; -1: never */
    int calls;
} ScoreCtx;

static int score_rows(void *vctx, int64_t row0, int64_t nrows, float *out) {
    ScoreCtx *c = vctx;
    c->calls++;
    if (c->fail_row >= row0 && c->fail_row < row0 + nrows) return 7;
    for (int64_t i = 0; i < nrows; i++) {
        for (int64_t j = 0; j < c->nv; j++) {
            out[i * c->nv + j] = (float)(sin(0.37 * (double)(row0 + i) + 1.3 * (double)j) +
                                         1e-3 * (double)(row0 + i));
        }
    }
    return 0;
}

static void test_distributed_single_rank(void **state) {
    (void)state;
    DrlComm comm;
    comm_init_single(&comm);
    const int64_t nq = 11, nv = 5;
    float sim[55], want[55]; // (11, 5)
    ScoreCtx ctx = {nv, -1, 0};
    score_rows(&ctx, 0, nq, want);
    ctx.calls = 0;
    const EvalGatherOptions o = {3, 0};
    char err[256] = "";
    assert_int_equal(eval_similarity_distributed_opts(&comm, nq, nv, score_rows, &ctx, sim, 0, &o,
                                                      err, sizeof err),
                     0);
    assert_int_equal(ctx.calls, 4); /* 3 + 3 + 3 + 2 rows */
    assert_memory_equal(sim, want, sizeof want);

    ctx.fail_row = 7;
    assert_int_equal(
        eval_similarity_distributed(&comm, nq, nv, score_rows, &ctx, sim, err, sizeof err), -1);
    assert_non_null(strstr(err, "rank 0"));
    assert_non_null(strstr(err, "returned 7"));

    int64_t a, n;
    eval_row_block(10, 3, 2, &a, &n); /* S = 4: [8, 10) */
    assert_int_equal(a, 8);
    assert_int_equal(n, 2);
    eval_row_block(4, 3, 2, &a, &n); /* S = 2: rank 2 owns nothing */
    assert_int_equal(n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_per_video_by_hand),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_multi_sentence_by_hand),
        cmocka_unit_test(test_chance),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_dsl_closed_form),
        cmocka_unit_test(test_qbnorm_closed_form),
        cmocka_unit_test(test_nan_is_an_error),
        cmocka_unit_test(test_distributed_single_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
