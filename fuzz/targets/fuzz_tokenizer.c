/* libFuzzer target for the BPE tokenizer: any byte string (valid UTF-8 or
 * not) must encode or fail with a message, and the ids must be in the
 * vocabulary. The real vocabulary ($DRL_SHARED_DIR/clip/...) is loaded once. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/common/fuzz_tmpfile.h"
#include "tokenizer/tokenizer.h"

#ifndef FUZZ_SHARED_DIR
#define FUZZ_SHARED_DIR "../shared"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tokenizer of the whole run (libFuzzer calls the target in one thread). */
static Tokenizer *fuzz_tokenizer(void) {
    static Tokenizer *tok;
    if (!tok) {
        const char *dir = getenv("DRL_SHARED_DIR");
        char path[2048], err[512];
        snprintf(path, sizeof path, "%s/clip/bpe_simple_vocab_16e6.txt.gz",
                 dir && dir[0] ? dir : FUZZ_SHARED_DIR);
        tok = tokenizer_load(path, err, sizeof err);
        if (!tok) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err);
            abort();
        }
    }
    return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Tokenizer *tok = fuzz_tokenizer();
    int32_t *ids = NULL;
    char err[512];
    err[0] = '\0';
    int n = tokenizer_encode_len(tok, (const char *)data, size, &ids, err, sizeof err);
    if (n < 0) {
        fuzz_check_err(err, sizeof err);
        free(ids);
        return 0;
    }
    char *text = tokenizer_decode(tok, ids, n); // every id must decode
    if (n > 0 && !text) __builtin_trap();
    free(text);
    int32_t input[77], mask[77]; // (L) model input and mask
    if (tokenizer_model_input(ids, n, 77, input, mask) < 2) __builtin_trap();
    free(ids);
    return 0;
}
