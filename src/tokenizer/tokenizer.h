/* CLIP's byte-level BPE tokenizer (spec/data.md §1): text normalisation
 * (the ftfy subset, html.unescape twice, whitespace, lower), the word pattern
 * (PCRE2, UTF mode), byte-to-unicode symbols and BPE merges from
 * bpe_simple_vocab_16e6.txt.gz. Ids exclude SOT/EOT. */
#ifndef DRL_TOKENIZER_TOKENIZER_H
#define DRL_TOKENIZER_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#define DRL_TOKEN_SOT  49406
#define DRL_TOKEN_EOT  49407
#define DRL_VOCAB_SIZE 49408

typedef struct Tokenizer Tokenizer;

/* Loads the gzip merges file. NULL with a message in err on failure. */
Tokenizer *tokenizer_load(const char *vocab_gz_path, char *err, size_t errlen);
void tokenizer_free(Tokenizer *tok);

/* Encodes one caption (UTF-8). *ids_out is malloc'ed (caller frees); returns
 * the number of ids, or -1 with err set (e.g. invalid UTF-8 at byte N).
 * Not thread-safe on one Tokenizer (per-word cache); use one per thread. */
int tokenizer_encode(Tokenizer *tok, const char *text, int32_t **ids_out, char *err, size_t errlen);

/* Decodes ids back to text (malloc'ed, caller frees); "</w>" becomes a space,
 * invalid UTF-8 becomes U+FFFD (as Python's errors="replace"). NULL if an id
 * is outside 0..49407. */
char *tokenizer_decode(const Tokenizer *tok, const int32_t *ids, int n);

/* Model input (spec/model.md §2): out (L) = [SOT] + ids[:L-2] + [EOT], zero
 * padded; mask (L) 1 for real ids. Returns the number of real ids, SOT and
 * EOT included (min(n, L-2) + 2), or -1 if L < 2 or n < 0. */
int tokenizer_model_input(const int32_t *ids, int n, int L, int32_t *out, int32_t *mask);

/* SHA-256 of the vocabulary file, hex (for the store's attributes). */
const char *tokenizer_vocab_hash(const Tokenizer *tok);

/* --- additions (tokenizer helper) --------------------------------------- */

/* As tokenizer_encode for text[0..len), which may hold NUL bytes. */
int tokenizer_encode_len(Tokenizer *tok, const char *text, size_t len, int32_t **ids_out, char *err,
                         size_t errlen);

/* The normalised text (spec/data.md §1 A-D) the words are split from, UTF-8,
 * malloc'ed in *out (caller frees). Returns its length, or -1 with err set. */
long tokenizer_normalize(Tokenizer *tok, const char *text, size_t len, char **out, char *err,
                         size_t errlen);

/* 1 when the last caption given to tokenizer_encode(_len) looked like UTF-8
 * mojibake (§1 A(b): Latin-1/Windows-1252 characters that re-encode to a
 * multi-byte UTF-8 sequence, e.g. "cafÃ©", "itâ€™s"). Detection only: the
 * text is encoded unrepaired, unlike ftfy. */
int tokenizer_last_mojibake(const Tokenizer *tok);

/* Id of a vocabulary string (byte-unicode symbols, e.g. "the</w>"), or -1. */
int32_t tokenizer_token_id(const Tokenizer *tok, const char *token);

#endif
