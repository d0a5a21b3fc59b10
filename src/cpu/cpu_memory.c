/* Memory ops of the CPU backend: "device" memory is host memory. */
#include "cpu/cpu_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"

void *cpu_alloc(size_t bytes) {
    return callocCheck(bytes, 1); // (bytes) zero-filled
}

void cpu_free(void *p) {
    free(p);
}

void cpu_zero(void *p, size_t bytes) {
    if (bytes) memset(p, 0, bytes);
}

void cpu_to_device(void *dst, const void *src_host, size_t bytes) {
    if (bytes && dst != src_host) memcpy(dst, src_host, bytes);
}

void cpu_to_host(void *dst_host, const void *src, size_t bytes) {
    if (bytes && dst_host != src) memcpy(dst_host, src, bytes);
}

void cpu_copy(void *dst, const void *src, size_t bytes) {
    if (bytes && dst != src) memmove(dst, src, bytes);
}

void cpu_sync(void) {}
