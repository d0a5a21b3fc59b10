/* The tokenizer object: loading (zlib, SHA-256), encode (normalise, split
 * with PCRE2, BPE with a per-word cache), decode and the model input. */
#include "tokenizer/tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/check.h"
#include "tokenizer/bpe.h"
#include "tokenizer/mojibake.h"
#include "tokenizer/normalize.h"
#include "common/sha256.h"

/* spec/data.md §1 word pattern, PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS.
 * Where PCRE2's Unicode handling differs from Python's regex module, ours is
 * PCRE2's (both tested in tests/tokenizer/test_tokenizer.py):
 * - U+0345 (COMBINING GREEK YPOGEGRAMMENI) is matched by the last alternative
 *   and kept as a word, where regex (caseless, so U+0345 ~ U+03B9) matches it
 *   with no alternative and drops it;
 * - U+180E (MONGOLIAN VOWEL SEPARATOR) is \s for PCRE2 and dropped, where
 *   regex keeps it as a word.
 * 60,000 random captions over all assigned code points found no other
 * difference. */
static const char WORD_PATTERN[] =
    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|"
    "[^\\s\\p{L}\\p{N}]+";

#define CACHE_MAX_IDS (1u << 22) // the per-word cache is emptied beyond this

struct Tokenizer {
    BpeVocab vocab;
    char hash[65];
    pcre2_code *re;
    pcre2_match_data *md;
    StrMap cache;        // word bytes -> entry index
    I32Buf cache_entry;  // (entries, 2): offset, count into cache_ids
    I32Buf cache_ids;    // ids of cached words
    I32Buf sym, word;    // BPE scratch
    CpBuf cps, norm;     // caption code points, normalised text
    ByteBuf bytes;       // normalised text, UTF-8
    NormScratch scratch; // normalisation buffers
    int last_mojibake;
};

static int read_file(const char *path, unsigned char **data, size_t *len, char *err,
                     size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    ByteBuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        bytebuf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        bytebuf_free(&b);
        return -1;
    }
    *data = (unsigned char *)b.v;
    *len = b.n;
    return 0;
}

static int gunzip(const char *path, const unsigned char *in, size_t len, ByteBuf *out, char *err,
                  size_t errlen) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        snprintf(err, errlen, "%s: zlib inflateInit2 failed", path);
        return -1;
    }
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)len;
    int rc;
    do {
        if (out->cap - out->n < (1 << 16) + 1) bytebuf_reserve(out, out->n + (1 << 20));
        zs.next_out = (unsigned char *)out->v + out->n;
        zs.avail_out = (uInt)(out->cap - out->n - 1);
        rc = inflate(&zs, Z_NO_FLUSH);
        out->n = out->cap - 1 - zs.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        snprintf(err, errlen, "%s: not a complete gzip file (zlib: %s)", path,
                 zs.msg ? zs.msg : "truncated");
        return -1;
    }
    return 0;
}

Tokenizer *tokenizer_load(const char *vocab_gz_path, char *err, size_t errlen) {
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (read_file(vocab_gz_path, &raw, &raw_len, err, errlen) != 0) return NULL;
    Tokenizer *tok = callocCheck(1, sizeof(Tokenizer));
    drl_sha256_buffer(raw, raw_len, tok->hash);
    ByteBuf text = {0};
    int rc = gunzip(vocab_gz_path, raw, raw_len, &text, err, errlen);
    free(raw);
    if (rc == 0) {
        char why[256];
        rc = bpe_vocab_build(&tok->vocab, text.v, text.n, why, sizeof(why));
        if (rc != 0) snprintf(err, errlen, "%s: %s", vocab_gz_path, why);
    }
    bytebuf_free(&text);
    if (rc != 0) {
        free(tok);
        return NULL;
    }
    int errcode;
    PCRE2_SIZE erroff;
    tok->re = pcre2_compile((PCRE2_SPTR)WORD_PATTERN, PCRE2_ZERO_TERMINATED,
                            PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &errcode, &erroff, NULL);
    drlCheck(tok->re != NULL, "PCRE2 rejected the word pattern: is libpcre2 built with Unicode?");
    (void)pcre2_jit_compile(tok->re, PCRE2_JIT_COMPLETE); // the interpreter serves if JIT fails
    tok->md = pcre2_match_data_create_from_pattern(tok->re, NULL);
    drlCheck(tok->md != NULL, "out of memory creating PCRE2 match data");
    strmap_init(&tok->cache, 4096);
    return tok;
}

void tokenizer_free(Tokenizer *tok) {
    if (!tok) return;
    bpe_vocab_free(&tok->vocab);
    pcre2_match_data_free(tok->md);
    pcre2_code_free(tok->re);
    strmap_free(&tok->cache);
    i32buf_free(&tok->cache_entry);
    i32buf_free(&tok->cache_ids);
    i32buf_free(&tok->sym);
    i32buf_free(&tok->word);
    cpbuf_free(&tok->cps);
    cpbuf_free(&tok->norm);
    bytebuf_free(&tok->bytes);
    norm_scratch_free(&tok->scratch);
    free(tok);
}

/* Normalises text into tok->bytes (UTF-8, NUL-terminated). */
static int normalize_into(Tokenizer *tok, const char *text, size_t len, char *err, size_t errlen) {
    size_t bad = 0;
    if (utf8_decode(text, len, &tok->cps, &bad) != 0) {
        snprintf(err, errlen, "invalid UTF-8 at byte %zu", bad);
        return -1;
    }
    tok->last_mojibake = looks_mojibake(tok->cps.v, tok->cps.n);
    normalize_text(tok->cps.v, tok->cps.n, &tok->scratch, &tok->norm);
    tok->bytes.n = 0;
    utf8_encode(tok->norm.v, tok->norm.n, &tok->bytes);
    bytebuf_terminate(&tok->bytes);
    return 0;
}

/* Appends the ids of one word, through the cache. */
static void encode_word(Tokenizer *tok, const unsigned char *w, size_t n, I32Buf *out) {
    int32_t e = strmap_get(&tok->cache, w, n);
    if (e >= 0) {
        int32_t off = tok->cache_entry.v[2 * e], cnt = tok->cache_entry.v[2 * e + 1];
        for (int32_t i = 0; i < cnt; i++)
            i32buf_push(out, tok->cache_ids.v[off + i]);
        return;
    }
    tok->word.n = 0;
    bpe_word(&tok->vocab, w, n, &tok->sym, &tok->word);
    if (tok->cache_ids.n + tok->word.n > CACHE_MAX_IDS) {
        strmap_clear(&tok->cache);
        tok->cache_entry.n = 0;
        tok->cache_ids.n = 0;
    }
    strmap_put(&tok->cache, w, n, (int32_t)(tok->cache_entry.n / 2));
    i32buf_push(&tok->cache_entry, (int32_t)tok->cache_ids.n);
    i32buf_push(&tok->cache_entry, (int32_t)tok->word.n);
    for (size_t i = 0; i < tok->word.n; i++) {
        i32buf_push(&tok->cache_ids, tok->word.v[i]);
        i32buf_push(out, tok->word.v[i]);
    }
}

int tokenizer_encode_len(Tokenizer *tok, const char *text, size_t len, int32_t **ids_out, char *err,
                         size_t errlen) {
    *ids_out = NULL;
    if (normalize_into(tok, text, len, err, errlen) != 0) return -1;
    I32Buf out = {0};
    const unsigned char *s = (const unsigned char *)tok->bytes.v;
    size_t n = tok->bytes.n, pos = 0;
    while (pos < n) {
        int rc = pcre2_match(tok->re, s, n, pos, PCRE2_NO_UTF_CHECK, tok->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        drlCheck(rc > 0, "PCRE2 match failed on normalised text");
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tok->md);
        size_t a = ov[0], b = ov[1];
        drlCheck(b > a, "the word pattern matched an empty string");
        if (b - a == 15 && memcmp(s + a, "<|startoftext|>", 15) == 0)
            i32buf_push(&out, DRL_TOKEN_SOT);
        else if (b - a == 13 && memcmp(s + a, "<|endoftext|>", 13) == 0)
            i32buf_push(&out, DRL_TOKEN_EOT);
        else
            encode_word(tok, s + a, b - a, &out);
        pos = b;
    }
    if (out.v == NULL) out.v = mallocCheck(sizeof(int32_t)); // malloc'ed even for no ids
    *ids_out = out.v;
    return (int)out.n;
}

int tokenizer_encode(Tokenizer *tok, const char *text, int32_t **ids_out, char *err,
                     size_t errlen) {
    return tokenizer_encode_len(tok, text, strlen(text), ids_out, err, errlen);
}

long tokenizer_normalize(Tokenizer *tok, const char *text, size_t len, char **out, char *err,
                         size_t errlen) {
    *out = NULL;
    if (normalize_into(tok, text, len, err, errlen) != 0) return -1;
    *out = mallocCheck(tok->bytes.n + 1);
    memcpy(*out, tok->bytes.v, tok->bytes.n + 1);
    return (long)tok->bytes.n;
}

char *tokenizer_decode(const Tokenizer *tok, const int32_t *ids, int n) {
    ByteBuf raw = {0};
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= DRL_VOCAB_SIZE) {
            bytebuf_free(&raw);
            return NULL;
        }
        const BpeVocab *v = &tok->vocab;
        bytebuf_append(&raw, v->token_bytes + v->token_off[ids[i]],
                       v->token_off[ids[i] + 1] - v->token_off[ids[i]]);
    }
    CpBuf cps = {0};
    utf8_decode_replace((const unsigned char *)raw.v, raw.n, &cps);
    ByteBuf text = {0};
    utf8_encode(cps.v, cps.n, &text);
    bytebuf_terminate(&text);
    cpbuf_free(&cps);
    bytebuf_free(&raw);
    // "</w>" -> " ", left to right (as str.replace).
    size_t w = 0;
    for (size_t r = 0; r < text.n;) {
        if (r + 4 <= text.n && memcmp(text.v + r, "</w>", 4) == 0) {
            text.v[w++] = ' ';
            r += 4;
        } else {
            text.v[w++] = text.v[r++];
        }
    }
    text.v[w] = 0;
    return text.v;
}

int tokenizer_model_input(const int32_t *ids, int n, int L, int32_t *out, int32_t *mask) {
    if (L < 2 || n < 0) return -1;
    int k = n < L - 2 ? n : L - 2;
    out[0] = DRL_TOKEN_SOT;
    for (int i = 0; i < k; i++)
        out[1 + i] = ids[i];
    out[k + 1] = DRL_TOKEN_EOT;
    for (int i = k + 2; i < L; i++)
        out[i] = 0;
    for (int i = 0; i < L; i++)
        mask[i] = i < k + 2;
    return k + 2;
}

const char *tokenizer_vocab_hash(const Tokenizer *tok) {
    return tok->hash;
}

int tokenizer_last_mojibake(const Tokenizer *tok) {
    return tok->last_mojibake;
}

int32_t tokenizer_token_id(const Tokenizer *tok, const char *token) {
    return strmap_get(&tok->vocab.token_ids, token, strlen(token));
}
