/* Configuration errors: each kind names the exact FILE:LINE, the setting,
 * what was expected and what was found; every error is reported; the status
 * is 2. The line numbers are those of the fixture texts written below. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config/config.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 16384

/* Loads `text` as <name>/bad.cfg for `world` ranks; expects status 2 and an
 * error line starting with "<path>:<where>" and containing `what`. */
static void expect_error(const char *name, const char *text, int world, const char *where,
                         const char *what) {
    char *path = fixture_write(name, "bad.cfg", text);
    char err[ERRLEN];
    DrlConfig c;
    int rc = config_load(path, world, &c, err, sizeof err);
    char head[2048];
    snprintf(head, sizeof head, "%s%s", path, where);
    bool found = false;
    for (char *line = err; *line;) {
        char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        char one[4096];
        snprintf(one, sizeof one, "%.*s", (int)n, line);
        if (!strncmp(one, head, strlen(head)) && strstr(one, what)) found = true;
        line += n + (eol ? 1 : 0);
    }
    if (rc != 2 || !found)
        fprintf(stderr, "wanted \"%s ... %s\" with status 2, got %d:\n%s", head, what, rc, err);
    assert_int_equal(rc, 2);
    assert_true(found);
    free(path);
}

static void test_typo_setting(void **state) {
    (void)state;
    expect_error("typo", "model = {\n  cdcr = 2;\n  interation = \"ti\";\n};\n", 1, ":3: ",
                 "setting 'model.interation': expected a setting of section 'model', found an "
                 "unknown setting (did you mean 'interaction'?)");
}

static void test_unknown_section(void **state) {
    (void)state;
    expect_error("section", "data = { max_words = 20; };\n\ntrian = { epochs = 1; };\n", 1, ":3: ",
                 "setting 'trian': expected a section (data, model, train, eval, run), found an "
                 "unknown section");
}

static void test_wrong_type(void **state) {
    (void)state;
    expect_error("type_str", "train = {\n  lr = \"1e-4\";\n};\n", 1,
                 ":2: ", "setting 'train.lr': expected a number >= 0, found a string (\"1e-4\")");
    expect_error("type_float", "train = { epochs = 2.0; };\n", 1, ":1: ",
                 "setting 'train.epochs': expected an integer in 0..1000000, found a float (2)");
    expect_error("type_bool", "eval = { do_eval = 1; };\n", 1, ":1: ",
                 "setting 'eval.do_eval': expected a boolean (true or false), found an integer "
                 "(1)");
    expect_error("type_group", "model = 3;\n", 1, ":1: ",
                 "setting 'model': expected a group { ... } (a section), found an integer (3)");
}

static void test_out_of_range(void **state) {
    (void)state;
    expect_error("range_int", "\nmodel = { wti_arch = 4; };\n", 1,
                 ":2: ", "setting 'model.wti_arch': expected an integer in 1..3, found 4");
    expect_error("range_float", "model = { xti_dropout = 1.0; };\n", 1,
                 ":1: ", "setting 'model.xti_dropout': expected a number in [0, 1), found 1");
    expect_error("range_eps", "train = { eps = 0; };\n", 1,
                 ":1: ", "setting 'train.eps': expected a number > 0, found 0");
    expect_error("range_empty", "run = { output_dir = \"\"; };\n", 1,
                 ":1: ", "setting 'run.output_dir': expected a non-empty string");
}

static void test_bad_enum(void **state) {
    (void)state;
    expect_error("enum", "model = {\n  agg_module = \"seqtransf\";\n};\n", 1, ":2: ",
                 "setting 'model.agg_module': expected one of \"None\", \"seqLSTM\", "
                 "\"seqTransf\", found \"seqtransf\"");
}

static void test_cdcr_rules(void **state) {
    (void)state;
    expect_error("cdcr3_ti", "model = {\n  interaction = \"ti\";\n  cdcr = 3;\n};\n", 1, ":3: ",
                 "setting 'model.cdcr': expected 0..2 with model.interaction = \"ti\" (cdcr 3 "
                 "needs \"wti\"), found 3");
    expect_error("cdcr_xti", "model = { interaction = \"xti\"; cdcr = 1; };\n", 1,
                 ":1: ", "setting 'model.cdcr': expected 0 with model.interaction = \"xti\"");
    /* spec/model.md §6: any cdcr != 0 with dp is the dp variant, so dp accepts 1..3. */
}

static void test_batch_not_divisible(void **state) {
    (void)state;
    expect_error("world3", "train = {\n  batch_size = 128;\n};\n", 3, ":2: ",
                 "setting 'train.batch_size': expected a multiple of the number of ranks (3), "
                 "found 128");
    /* A default that does not divide: named as a default of the top file. */
    expect_error("world3_default", "train = { batch_size = 126; };\n", 3, ": ",
                 "setting 'eval.batch_size_val' (default): expected a multiple of the number of "
                 "ranks (3), found 128");
}

static void test_other_cross_rules(void **state) {
    (void)state;
    expect_error("words", "data = { max_words = 78; };\n", 1, ":1: ",
                 "setting 'data.max_words': expected at most model.clip.context_length (77), "
                 "found 78");
    expect_error("patch", "data = { resolution = 100; };\n", 1, ":1: ",
                 "setting 'data.resolution': expected a multiple of model.clip.vision_patch "
                 "(32), found 100");
    expect_error("epochs", "train = { epochs = 0; };\n", 1, ":1: ",
                 "setting 'train.epochs': expected an integer >= 1 when train.do_train is true, "
                 "found 0");
    expect_error("nothing", "train = { do_train = false; };\n", 1, ":1: ",
                 "setting 'train.do_train': expected train.do_train or eval.do_eval to be true");
    expect_error("width", "model = { clip = { vision_width = 100; }; };\n", 1,
                 ":1: ", "setting 'model.clip.vision_width': expected a multiple of 64");
}

static void test_missing_include(void **state) {
    (void)state;
    expect_error("inc_missing", "# the base\n@include \"no_such_base.cfg\"\n", 1,
                 ":2: ", "@include \"");
    expect_error("inc_missing", "# the base\n@include \"no_such_base.cfg\"\n", 1,
                 ":2: ", "no_such_base.cfg: No such file or directory");
}

static void test_include_errors_name_the_included_file(void **state) {
    (void)state;
    char *base = fixture_write("inc_err", "inner.cfg", "model = {\n  cdcr = 7;\n};\n");
    char *top = fixture_write("inc_err", "outer.cfg", "@include \"inner.cfg\"\n");
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load(top, 1, &c, err, sizeof err), 2);
    char want[2048];
    snprintf(want, sizeof want, "%s:2: setting 'model.cdcr': expected an integer in 0..3, found 7",
             base);
    if (!strstr(err, want)) fprintf(stderr, "wanted %s\ngot %s", want, err);
    assert_non_null(strstr(err, want));
    free(base);
    free(top);
}

static void test_syntax_error(void **state) {
    (void)state;
    expect_error("syntax", "data = {\n  max_words = 20;\n  max_frames = ;\n};\n", 1,
                 ":3: ", "syntax error");
    /* In an included file: that file's name and line. */
    char *inner = fixture_write("syntax_inc", "inner.cfg", "\n\ntrain = { epochs = 1 ;; };\n");
    char *top = fixture_write("syntax_inc", "outer.cfg", "@include \"inner.cfg\"\n");
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load(top, 1, &c, err, sizeof err), 2);
    char want[2048];
    snprintf(want, sizeof want, "%s:3: syntax error", inner);
    if (!strstr(err, want)) fprintf(stderr, "wanted %s\ngot %s", want, err);
    assert_non_null(strstr(err, want));
    free(inner);
    free(top);
}

static void test_duplicate_in_one_file(void **state) {
    (void)state;
    expect_error("dup", "train = { epochs = 1; };\ntrain = { lr = 0.1; };\n", 1,
                 ":2: ", "duplicate setting name");
}

static void test_include_cycle_and_nesting(void **state) {
    (void)state;
    char *a = fixture_write("cycle", "a.cfg", "@include \"b.cfg\"\n");
    char *b = fixture_write("cycle", "b.cfg", "\n@include \"a.cfg\"\n");
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load(a, 1, &c, err, sizeof err), 2);
    char want[2048];
    snprintf(want, sizeof want, "%s:2: @include \"", b);
    if (!strstr(err, want) || !strstr(err, "include cycle")) fprintf(stderr, "%s", err);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "include cycle"));
    expect_error("nested", "model = {\n  @include \"x.cfg\"\n};\n", 1,
                 ":2: ", "@include: expected at the top level of the file");
    free(a);
    free(b);
}

static void test_all_errors_reported(void **state) {
    (void)state;
    char *path = fixture_write("many", "bad.cfg",
                               "data = { max_wrds = 3; };\n"
                               "model = { cdcr = 9; interaction = \"wt\"; };\n"
                               "train = { lr = true; };\n");
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load(path, 1, &c, err, sizeof err), 2);
    int lines = 0;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    assert_non_null(strstr(err, "'data.max_wrds'"));
    assert_non_null(strstr(err, "'model.cdcr'"));
    assert_non_null(strstr(err, "'model.interaction'"));
    assert_non_null(strstr(err, "'train.lr'"));
    free(path);
}

static void test_missing_file(void **state) {
    (void)state;
    char err[ERRLEN];
    DrlConfig c;
    assert_int_equal(config_load("/nonexistent/dir/x.cfg", 1, &c, err, sizeof err), 2);
    assert_string_equal(err,
                        "/nonexistent/dir/x.cfg: cannot open the configuration file: No such file "
                        "or directory\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typo_setting),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_bad_enum),
        cmocka_unit_test(test_cdcr_rules),
        cmocka_unit_test(test_batch_not_divisible),
        cmocka_unit_test(test_other_cross_rules),
        cmocka_unit_test(test_missing_include),
        cmocka_unit_test(test_include_errors_name_the_included_file),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_duplicate_in_one_file),
        cmocka_unit_test(test_include_cycle_and_nesting),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
