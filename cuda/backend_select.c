#include "cuda/backend_select.h"

#include <stdio.h>
#include <string.h>

#include "cuda/cuda_backend.h"

const DrlOps *drl_select_backend(const char *device, char *msg, size_t len) {
    char why[256] = "";
    if (len) msg[0] = '\0';
    if (!device || strcmp(device, "cpu") == 0) return drl_cpu_ops();
    if (strcmp(device, "cuda") == 0) {
        if (drl_cuda_available(why, sizeof why)) {
            snprintf(msg, len, "CUDA backend on %s", why);
            return drl_cuda_ops();
        }
        snprintf(msg, len,
                 "device = \"cuda\" but no usable CUDA device: %s (use device = \"cpu\" or "
                 "\"auto\")",
                 why);
        return NULL;
    }
    if (strcmp(device, "auto") == 0) {
        if (drl_cuda_available(why, sizeof why)) {
            snprintf(msg, len, "device = \"auto\": CUDA backend on %s", why);
            return drl_cuda_ops();
        }
        snprintf(msg, len, "device = \"auto\": no usable CUDA device (%s); using the CPU backend",
                 why);
        return drl_cpu_ops();
    }
    snprintf(msg, len, "device = \"%s\": expected \"cpu\", \"cuda\" or \"auto\"", device);
    return NULL;
}
