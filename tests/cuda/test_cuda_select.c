/* Backend selection and device detection, on any machine: whether a GPU is
 * usable is decided independently of CUDA (the NVIDIA driver's /proc entry
 * and device node), then drl_cuda_available and drl_select_backend must
 * agree with it: device = "auto" without a GPU falls back to the CPU backend
 * with a note naming the reason, device = "cuda" without one is an error
 * naming the reason, and the CUDA op table used anyway ends the process
 * with a clear message instead of crashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cuda/backend_select.h"
#include "cuda/cuda_backend.h"

/* The driver is loaded and exposes a device: both are needed for CUDA. */
static int driver_has_gpu(void) {
    return access("/proc/driver/nvidia/version", R_OK) == 0 && access("/dev/nvidia0", F_OK) == 0;
}

static void test_available_matches_driver(void **state) {
    (void)state;
    char why[512] = "";
    int avail = drl_cuda_available(why, sizeof why);
    printf("# drl_cuda_available = %d: %s\n", avail, why);
    assert_true(strlen(why) > 0); // a reason or the device description, always
    if (!driver_has_gpu()) assert_int_equal(avail, 0);
    if (avail) assert_true(driver_has_gpu());
}

static void test_select(void **state) {
    (void)state;
    char why[512] = "", msg[1024];
    int avail = drl_cuda_available(why, sizeof why);
    const DrlOps *ops = drl_select_backend("cpu", msg, sizeof msg);
    assert_non_null(ops);
    assert_string_equal(ops->name, "cpu");
    ops = drl_select_backend("auto", msg, sizeof msg);
    printf("# auto: %s\n", msg);
    assert_non_null(ops);
    assert_string_equal(ops->name, avail ? "cuda" : "cpu");
    if (!avail) {
        assert_non_null(strstr(msg, "using the CPU backend"));
        assert_non_null(strstr(msg, why)); // the reason is named
    }
    ops = drl_select_backend("cuda", msg, sizeof msg);
    printf("# cuda: %s\n", msg);
    if (avail) {
        assert_non_null(ops);
        assert_string_equal(ops->name, "cuda");
    } else {
        assert_null(ops);
        assert_non_null(strstr(msg, "device = \"cuda\""));
        assert_non_null(strstr(msg, why));
    }
    ops = drl_select_backend("tpu", msg, sizeof msg);
    assert_null(ops);
    assert_non_null(strstr(msg, "expected \"cpu\", \"cuda\" or \"auto\""));
}

/* run.precision maps onto the backend's setting without touching a device
 * (the run sets it before the first op), with the configuration's names. */
static void test_precision_setting(void **state) {
    (void)state;
    const DrlCudaPrecision all[3] = {DRL_CUDA_FP32, DRL_CUDA_TF32, DRL_CUDA_BF16};
    const char *names[3] = {"fp32", "tf32", "bf16"};
    for (int i = 0; i < 3; i++) {
        drl_cuda_set_precision(all[i]);
        assert_int_equal(drl_cuda_get_precision(), all[i]);
        assert_string_equal(drl_cuda_precision_name(all[i]), names[i]);
    }
}

/* Without a device, the CUDA table's first use ends the process with status 1
 * and a message naming the reason and the way out. */
static void test_ops_without_device_die_clearly(void **state) {
    (void)state;
    char why[512];
    if (drl_cuda_available(why, sizeof why)) {
        printf("# a device is present: the table works (checked by test_cuda_cross_backend)\n");
        assert_string_equal(drl_cuda_ops()->name, "cuda");
        return;
    }
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        void *p = drl_cuda_ops()->alloc(64); // must not return
        (void)p;
        _exit(42);
    }
    close(fds[1]);
    char buf[4096] = "";
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    printf("# child stderr: %s", buf);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_non_null(strstr(buf, "drl_cuda_ops"));
    assert_non_null(strstr(buf, "device = \"cpu\""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_available_matches_driver),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_precision_setting),
        cmocka_unit_test(test_ops_without_device_die_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
