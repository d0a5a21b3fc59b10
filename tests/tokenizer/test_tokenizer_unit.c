/* Unit tests of the tokenizer library: the model input (spec/model.md §2,
 * worked out by hand), decode(encode(x)) == x + " " for lower-case ASCII words,
 * ids fixed by the spec's vocabulary order, errors, and SHA-256 against the
 * FIPS 180-4 example vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "tokenizer/tokenizer.h"

static int setup(void **state) {
    const char *shared = getenv("DRL_SHARED_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/clip/bpe_simple_vocab_16e6.txt.gz",
             shared ? shared : "../shared");
    char err[512];
    Tokenizer *tok = tokenizer_load(path, err, sizeof(err));
    if (!tok) fprintf(stderr, "%s\n", err);
    *state = tok;
    return tok ? 0 : -1;
}

static int teardown(void **state) {
    tokenizer_free(*state);
    return 0;
}

static void test_model_input_truncates(void **state) {
    (void)state;
    const int32_t ids[5] = {10, 11, 12, 13, 14};
    int32_t out[4], mask[4]; // (L)
    assert_int_equal(tokenizer_model_input(ids, 5, 4, out, mask), 4);
    const int32_t want[4] = {DRL_TOKEN_SOT, 10, 11, DRL_TOKEN_EOT};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(out[i], want[i]);
        assert_int_equal(mask[i], 1);
    }
}

static void test_model_input_pads(void **state) {
    (void)state;
    const int32_t ids[2] = {320, 1125};
    int32_t out[8], mask[8]; // (L)
    assert_int_equal(tokenizer_model_input(ids, 2, 8, out, mask), 4);
    const int32_t want[8] = {DRL_TOKEN_SOT, 320, 1125, DRL_TOKEN_EOT, 0, 0, 0, 0};
    const int32_t want_mask[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(out[i], want[i]);
        assert_int_equal(mask[i], want_mask[i]);
    }
    // Exactly L-2 ids: no truncation, no padding; no ids: SOT EOT then zeros.
    const int32_t six[6] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(tokenizer_model_input(six, 6, 8, out, mask), 8);
    assert_int_equal(out[6], 6);
    assert_int_equal(out[7], DRL_TOKEN_EOT);
    assert_int_equal(tokenizer_model_input(NULL, 0, 8, out, mask), 2);
    assert_int_equal(out[1], DRL_TOKEN_EOT);
    assert_int_equal(out[2], 0);
    assert_int_equal(mask[2], 0);
    assert_int_equal(tokenizer_model_input(ids, 2, 1, out, mask), -1);
}

static void roundtrip(Tokenizer *tok, const char *text) {
    int32_t *ids = NULL;
    char err[256];
    int n = tokenizer_encode(tok, text, &ids, err, sizeof(err));
    assert_true(n > 0);
    char *back = tokenizer_decode(tok, ids, n);
    assert_non_null(back);
    // Every word ends in </w>, which decodes to a space.
    size_t len = strlen(text);
    assert_int_equal(strlen(back), len + 1);
    assert_memory_equal(back, text, len);
    assert_int_equal(back[len], ' ');
    free(back);
    free(ids);
}

static void test_decode_encode_roundtrip(void **state) {
    Tokenizer *tok = *state;
    roundtrip(tok, "a person is connecting something to system");
    roundtrip(tok, "the quick brown fox jumps over the lazy dog");
    roundtrip(tok, "zzxq qqqqqqqq pneumonoultramicroscopicsilicovolcanoconiosis");
    unsigned seed = 12345;
    char text[512];
    for (int s = 0; s < 200; s++) {
        size_t p = 0;
        int words = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
        for (int w = 0; w < words; w++) {
            if (w) text[p++] = ' ';
            int len = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 14;
            for (int k = 0; k < len; k++)
                text[p++] = (char)('a' + ((seed = seed * 1103515245u + 12345u) >> 16) % 26);
        }
        text[p] = 0;
        roundtrip(tok, text);
    }
}

static void test_vocabulary_order(void **state) {
    Tokenizer *tok = *state;
    // Byte 'a' (97) is the 65th printable byte (33..126 first): id 64; with </w>: 256 + 64.
    assert_int_equal(tokenizer_token_id(tok, "a"), 97 - 33);
    assert_int_equal(tokenizer_token_id(tok, "a</w>"), 256 + 97 - 33);
    // Byte 0 is the first non-printable byte: code point U+0100, id 256 - 68 = 188.
    assert_int_equal(tokenizer_token_id(tok, "\xc4\x80"), 188);
    // The first merge ("i n", file line 1) is id 512.
    assert_int_equal(tokenizer_token_id(tok, "in"), 512);
    assert_int_equal(tokenizer_token_id(tok, "<|endoftext|>"), DRL_TOKEN_EOT);
    int32_t *ids = NULL;
    char err[256];
    assert_int_equal(tokenizer_encode(tok, "<|startoftext|>a<|endoftext|>", &ids, err, sizeof(err)),
                     3);
    assert_int_equal(ids[0], DRL_TOKEN_SOT);
    assert_int_equal(ids[1], 256 + 97 - 33);
    assert_int_equal(ids[2], DRL_TOKEN_EOT);
    free(ids);
    assert_int_equal(tokenizer_encode(tok, " \t ", &ids, err, sizeof(err)), 0);
    assert_non_null(ids);
    free(ids);
}

static void test_errors(void **state) {
    Tokenizer *tok = *state;
    int32_t *ids = NULL;
    char err[256];
    assert_int_equal(tokenizer_encode(tok, "ab\xff", &ids, err, sizeof(err)), -1);
    assert_null(ids);
    assert_non_null(strstr(err, "invalid UTF-8 at byte 2"));
    assert_int_equal(tokenizer_encode_len(tok, "a\xed\xa0\x80", 4, &ids, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "byte 1")); // a surrogate
    const int32_t bad[2] = {320, DRL_VOCAB_SIZE};
    assert_null(tokenizer_decode(tok, bad, 2));
    assert_null(tokenizer_load("/nonexistent/vocab.gz", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/vocab.gz"));
}

static void test_mojibake_flag(void **state) {
    Tokenizer *tok = *state;
    int32_t *ids = NULL;
    char err[256];
    assert_true(tokenizer_encode(tok, "caf\xc3\x83\xc2\xa9", &ids, err, sizeof(err)) > 0); // cafÃ©
    free(ids);
    assert_int_equal(tokenizer_last_mojibake(tok), 1);
    assert_true(tokenizer_encode(tok, "caf\xc3\xa9 na\xc3\xafve", &ids, err, sizeof(err)) > 0);
    free(ids);
    assert_int_equal(tokenizer_last_mojibake(tok), 0);
}

static void sha_hex(const void *data, size_t n, const char *want) {
    char hex[65];
    drl_sha256_buffer(data, n, hex);
    assert_string_equal(hex, want);
}

static void test_sha256_vectors(void **state) {
    (void)state;
    sha_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000); // (1e6) bytes of 'a', fed in uneven pieces
    memset(a, 'a', 1000000);
    DrlSha256 c;
    unsigned char d[32];
    drl_sha256_init(&c);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 1000 + 1)
        drl_sha256_update(&c, a + off, off + step > 1000000 ? 1000000 - off : step);
    drl_sha256_final(&c, d);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_input_truncates),
        cmocka_unit_test(test_model_input_pads),
        cmocka_unit_test(test_decode_encode_roundtrip),
        cmocka_unit_test(test_vocabulary_order),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mojibake_flag),
        cmocka_unit_test(test_sha256_vectors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
