/* libFuzzer target for the configuration loader: any text (libconfig syntax,
 * @include lines resolved against the repository's conf/ folder) must load
 * or fail with a message; never crash, hang or read out of bounds.
 * The first byte picks the world size (1..8) so the rank rules are reached. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz/common/fuzz_tmpfile.h"

#ifndef FUZZ_CONF_DIR
#define FUZZ_CONF_DIR "conf"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int world = 1 + data[0] % 8;
    char *text = malloc(size); // (size) NUL-terminated text without the first byte
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    DrlConfig *cfg = malloc(sizeof *cfg);
    char err[4096];
    err[0] = '\0';
    if (cfg) {
        int rc = config_load_string(text, "fuzz.cfg", FUZZ_CONF_DIR, world, cfg, err, sizeof err);
        if (rc != 0) {
            fuzz_check_err(err, sizeof err);
        } else {
            char *printed = config_to_string(cfg); // round trip must load again
            if (printed) {
                DrlConfig *again = malloc(sizeof *again);
                if (again && config_load_string(printed, "printed.cfg", FUZZ_CONF_DIR, world, again,
                                                err, sizeof err) == 0) {
                    if (!config_equal(cfg, again)) __builtin_trap();
                    config_free(again);
                }
                free(again);
                free(printed);
            }
        }
        config_free(cfg);
    }
    free(cfg);
    free(text);
    return 0;
}
