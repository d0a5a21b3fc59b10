/* Progress display: lines mode prints one line per 10 % and a final line with
 * the total; bar mode redraws in place and ends with a newline; a disabled
 * display prints nothing. The time-based line interval is set out of reach so
 * the output does not depend on speed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "progress/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs 0..total updates into a temporary file; returns the text (malloc'ed). */
static char *run(ProgressMode mode, bool enabled, long long total) {
    FILE *out = tmpfile();
    assert_non_null(out);
    Progress p;
    progress_start_ex(&p, "encode videos", total, enabled, out, mode);
    p.interval_s = 1e9;
    for (long long i = 1; i <= total; i++)
        progress_update(&p, i);
    progress_finish(&p);
    progress_finish(&p); /* a second finish prints nothing */
    long len = ftell(out);
    assert_true(len >= 0);
    char *text = calloc((size_t)len + 1, 1);
    assert_non_null(text);
    rewind(out);
    assert_int_equal(fread(text, 1, (size_t)len, out), (size_t)len);
    fclose(out);
    return text;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_lines_mode(void **state) {
    (void)state;
    char *text = run(PROGRESS_LINES, true, 250);
    /* 10 % .. 90 %, then the final line. */
    assert_int_equal(count_lines(text), 10);
    assert_non_null(strstr(text, "encode videos: 25/250 (10%)"));
    assert_non_null(strstr(text, "encode videos: 225/250 (90%)"));
    const char *last = strstr(text, "encode videos: 250/250 (100%) in ");
    assert_non_null(last);
    assert_int_equal(count_lines(last), 1); /* it is the last line */
    assert_null(strchr(text, '\r'));
    free(text);
}

static void test_bar_mode(void **state) {
    (void)state;
    char *text = run(PROGRESS_BAR, true, 40);
    assert_int_equal(text[0], '\r');
    assert_non_null(strstr(text, "encode videos [##############################] 40/40 100%"));
    assert_int_equal(text[strlen(text) - 1], '\n');
    assert_int_equal(count_lines(text), 1);
    free(text);
}

static void test_disabled(void **state) {
    (void)state;
    char *text = run(PROGRESS_LINES, false, 100);
    assert_string_equal(text, "");
    free(text);
}

static void test_unknown_total(void **state) {
    (void)state;
    char *text = run(PROGRESS_LINES, true, 0);
    assert_non_null(strstr(text, "encode videos: 0 in "));
    free(text);
}

static void test_auto_mode_on_a_file_is_lines(void **state) {
    (void)state;
    FILE *out = tmpfile();
    assert_non_null(out);
    Progress p;
    progress_start_ex(&p, "x", 10, true, out, PROGRESS_AUTO);
    assert_int_equal(p.mode, PROGRESS_LINES);
    fclose(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_mode),
        cmocka_unit_test(test_bar_mode),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_unknown_total),
        cmocka_unit_test(test_auto_mode_on_a_file_is_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
