/* Temp-file helpers shared by the libFuzzer targets that read files (HDF5
 * store and checkpoint, MSR-VTT annotations): the input bytes are written to
 * a per-process file under $TMPDIR (or /tmp) and opened by path. */
#ifndef DRL_FUZZ_TMPFILE_H
#define DRL_FUZZ_TMPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* "<TMPDIR>/drl_fuzz_<pid>_<tag>" into path (len bytes). */
static inline void fuzz_tmp_path(char *path, size_t len, const char *tag) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/drl_fuzz_%ld_%s", dir && dir[0] ? dir : "/tmp", (long)getpid(), tag);
}

/* Writes data (size) to path; 0 or -1. */
static inline int fuzz_write_file(const char *path, const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    int rc = fclose(f);
    return (n == size && rc == 0) ? 0 : -1;
}

/* An error must come with a NUL-terminated, non-empty message. */
static inline void fuzz_check_err(const char *err, size_t len) {
    size_t n = 0;
    while (n < len && err[n])
        n++;
    if (n == 0 || n == len) __builtin_trap();
}

#endif
