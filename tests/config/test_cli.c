/* drl_hpc's command line: every mode, the step-dump fields, and usage errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "app/cli.h"

#include <stdio.h>
#include <string.h>

#define PARSE(opt, err, ...)                                                                       \
    cli_parse((int)(sizeof((char *[]){"drl_hpc", __VA_ARGS__}) / sizeof(char *)),                  \
              (char *[]){"drl_hpc", __VA_ARGS__}, opt, err, sizeof err)

static void test_modes(void **state) {
    (void)state;
    CliOptions o;
    char err[512];
    assert_int_equal(PARSE(&o, err, "conf/wti.cfg"), 0);
    assert_int_equal(o.mode, CLI_RUN);
    assert_string_equal(o.config_path, "conf/wti.cfg");
    assert_int_equal(PARSE(&o, err, "--print-config", "conf/demo.cfg"), 0);
    assert_int_equal(o.mode, CLI_PRINT_CONFIG);
    assert_string_equal(o.config_path, "conf/demo.cfg");
    assert_int_equal(PARSE(&o, err, "conf/demo.cfg", "--print-config"), 0);
    assert_int_equal(o.mode, CLI_PRINT_CONFIG);
    assert_int_equal(PARSE(&o, err, "--help"), 0);
    assert_int_equal(o.mode, CLI_HELP);
    assert_int_equal(PARSE(&o, err, "-h", "--bogus"), 0); /* help wins */
    assert_int_equal(o.mode, CLI_HELP);
    assert_int_equal(PARSE(&o, err, "--version"), 0);
    assert_int_equal(o.mode, CLI_VERSION);
}

static void test_step_dump(void **state) {
    (void)state;
    CliOptions o;
    char err[512];
    assert_int_equal(PARSE(&o, err, "--step-dump", "b.h5", "--steps", "3", "--total-steps", "10",
                           "--out", "o.h5", "c.cfg"),
                     0);
    assert_int_equal(o.mode, CLI_STEP_DUMP);
    assert_string_equal(o.batch_path, "b.h5");
    assert_int_equal(o.steps, 3);
    assert_int_equal(o.total_steps, 10);
    assert_string_equal(o.out_path, "o.h5");
    assert_string_equal(o.config_path, "c.cfg");
    /* '=' forms; total defaults to steps. */
    assert_int_equal(PARSE(&o, err, "c.cfg", "--step-dump=b.h5", "--steps=2", "--out=o.h5"), 0);
    assert_int_equal(o.steps, 2);
    assert_int_equal(o.total_steps, 2);
}

static void expect_usage_error(int rc, const char *err, const char *what) {
    assert_int_equal(rc, 2);
    if (!strstr(err, what)) fprintf(stderr, "wanted '%s' in '%s'\n", what, err);
    assert_non_null(strstr(err, what));
}

static void test_usage_errors(void **state) {
    (void)state;
    CliOptions o;
    char err[512];
    expect_usage_error(PARSE(&o, err, "--bogus", "c.cfg"), err, "unknown option '--bogus'");
    expect_usage_error(PARSE(&o, err, "--print-config"), err, "expected a configuration file");
    expect_usage_error(PARSE(&o, err, "a.cfg", "b.cfg"), err, "expected one configuration file");
    expect_usage_error(PARSE(&o, err, "--step-dump", "b.h5", "--out", "o.h5", "c.cfg"), err,
                       "--step-dump needs --steps N");
    expect_usage_error(PARSE(&o, err, "--step-dump", "b.h5", "--steps", "-1", "--out", "o", "c"),
                       err, "--steps: expected an integer >= 0 (0 = forward only), found '-1'");
    expect_usage_error(PARSE(&o, err, "--step-dump", "b.h5", "--steps", "2x", "--out", "o", "c"),
                       err, "found '2x'");
    expect_usage_error(PARSE(&o, err, "--step-dump", "b.h5", "--steps", "2", "c.cfg"), err,
                       "--step-dump needs --out");
    expect_usage_error(PARSE(&o, err, "--steps", "2", "c.cfg"), err, "go with --step-dump");
    expect_usage_error(PARSE(&o, err, "c.cfg", "--out"), err, "option '--out' expects a value");
    expect_usage_error(
        PARSE(&o, err, "--print-config", "--step-dump", "b", "--steps", "1", "--out", "o", "c"),
        err, "cannot be combined");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_step_dump),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
