/* CLIP's vocabulary and byte-level BPE (spec/data.md §1, internal): the
 * byte-to-unicode table, the vocabulary in the spec's order, merge ranks by
 * id pair, and the merge loop over one word. */
#ifndef DRL_TOKENIZER_BPE_H
#define DRL_TOKENIZER_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer/hashmap.h"
#include "tokenizer/tokenizer.h"

#define DRL_BPE_MERGES 48894 // merges on lines 1..48894

typedef struct {
    int32_t *v; // (cap) ids, n used
    size_t n, cap;
} I32Buf;

void i32buf_push(I32Buf *b, int32_t x);
void i32buf_free(I32Buf *b);

typedef struct {
    uint32_t byte_to_cp[256];          // byte -> code point of its symbol
    int32_t byte_to_id[256];           // byte -> id of its symbol (table order)
    int16_t cp_to_byte[324];           // inverse of byte_to_cp (-1 elsewhere); symbols are < U+0144
    StrMap token_ids;                  // UTF-8 token string -> id
    PairMap ranks;                     // (id, id) -> merge rank
    int32_t merged_id[DRL_BPE_MERGES]; // rank -> id of the merged symbol
    char *token_bytes;                 // raw bytes of every token, concatenated
    uint32_t token_off[DRL_VOCAB_SIZE + 1]; // token i is token_bytes[off[i]..off[i+1])
} BpeVocab;

/* Builds the vocabulary from the decompressed merges file text[0..len).
 * Returns 0, or -1 with a message naming the line. */
int bpe_vocab_build(BpeVocab *v, const char *text, size_t len, char *err, size_t errlen);
void bpe_vocab_free(BpeVocab *v);

/* Appends the BPE ids of one word (its UTF-8 bytes) to out. sym is scratch. */
void bpe_word(const BpeVocab *v, const unsigned char *bytes, size_t n, I32Buf *sym, I32Buf *out);

#endif
