#include "tokenizer/bpe.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "tokenizer/text_buf.h"

void i32buf_push(I32Buf *b, int32_t x) {
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        int32_t *nv = realloc(b->v, ncap * sizeof(int32_t));
        drlCheck(nv != NULL, "out of memory growing an id buffer");
        b->v = nv;
        b->cap = ncap;
    }
    b->v[b->n++] = x;
}

void i32buf_free(I32Buf *b) {
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

/* The byte-to-unicode table, in table order: order[k] is the k-th byte. */
static void byte_table(BpeVocab *v, int order[256]) {
    int k = 0, extra = 0;
    int printable[256] = {0};
    for (int b = 33; b <= 126; b++)
        printable[b] = 1;
    for (int b = 161; b <= 172; b++)
        printable[b] = 1;
    for (int b = 174; b <= 255; b++)
        printable[b] = 1;
    for (int b = 0; b < 256; b++)
        if (printable[b]) order[k++] = b;
    for (int b = 0; b < 256; b++)
        if (!printable[b]) order[k++] = b;
    for (int i = 0; i < 324; i++)
        v->cp_to_byte[i] = -1;
    for (int i = 0; i < 256; i++) {
        int b = order[i];
        v->byte_to_cp[b] = printable[b] ? (uint32_t)b : (uint32_t)(256 + extra++);
        v->byte_to_id[b] = i;
        v->cp_to_byte[v->byte_to_cp[b]] = (int16_t)b;
    }
}

typedef struct {
    ByteBuf strs;                     // UTF-8 token strings, concatenated
    uint32_t off[DRL_VOCAB_SIZE + 1]; // token i is strs[off[i]..off[i+1])
} TokenStrings;

static void add_token(TokenStrings *t, int id, const char *a, size_t la, const char *b, size_t lb) {
    bytebuf_append(&t->strs, a, la);
    bytebuf_append(&t->strs, b, lb);
    t->off[id + 1] = (uint32_t)t->strs.n;
}

/* Raw bytes of a token string (symbols mapped back through the table). */
static int token_raw_bytes(const BpeVocab *v, const char *s, size_t n, ByteBuf *out) {
    CpBuf cps = {0};
    size_t bad = 0;
    int rc = utf8_decode(s, n, &cps, &bad);
    for (size_t i = 0; rc == 0 && i < cps.n; i++) {
        if (cps.v[i] >= 324 || v->cp_to_byte[cps.v[i]] < 0) {
            rc = -1;
            break;
        }
        char byte = (char)v->cp_to_byte[cps.v[i]];
        bytebuf_append(out, &byte, 1);
    }
    cpbuf_free(&cps);
    return rc;
}

int bpe_vocab_build(BpeVocab *v, const char *text, size_t len, char *err, size_t errlen) {
    int order[256];
    byte_table(v, order);
    TokenStrings *t = callocCheck(1, sizeof(TokenStrings));
    // Merge lines 1..48894: start/length of each of the two parts.
    size_t(*parts)[4] = mallocCheck(sizeof(size_t[4]) * DRL_BPE_MERGES);
    int rc = -1;
    size_t pos = 0, line = 0;
    while (pos < len && line <= DRL_BPE_MERGES) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        if (line >= 1) {
            size_t sp = pos;
            while (sp < end && text[sp] != ' ')
                sp++;
            size_t second = sp + 1;
            if (sp == pos || sp + 1 >= end || memchr(text + second, ' ', end - second)) {
                snprintf(err, errlen,
                         "merges file line %zu: expected two symbols separated by "
                         "one space",
                         line + 1);
                goto done;
            }
            parts[line - 1][0] = pos;
            parts[line - 1][1] = sp - pos;
            parts[line - 1][2] = second;
            parts[line - 1][3] = end - second;
        }
        line++;
        pos = end + 1;
    }
    if (line <= DRL_BPE_MERGES) {
        snprintf(err, errlen, "merges file has %zu lines; expected a header and at least %d merges",
                 line, DRL_BPE_MERGES);
        goto done;
    }
    // Vocabulary strings in the spec's order.
    t->off[0] = 0;
    for (int i = 0; i < 256; i++) {
        char u[4];
        size_t k = utf8_put(v->byte_to_cp[order[i]], u);
        add_token(t, i, u, k, "", 0);
    }
    for (int i = 0; i < 256; i++) {
        char u[4];
        size_t k = utf8_put(v->byte_to_cp[order[i]], u);
        add_token(t, 256 + i, u, k, "</w>", 4);
    }
    for (int r = 0; r < DRL_BPE_MERGES; r++)
        add_token(t, 512 + r, text + parts[r][0], parts[r][1], text + parts[r][2], parts[r][3]);
    add_token(t, DRL_TOKEN_SOT, "<|startoftext|>", 15, "", 0);
    add_token(t, DRL_TOKEN_EOT, "<|endoftext|>", 13, "", 0);
    // token string -> id; a repeated string maps to its last id, as a Python dict does.
    strmap_init(&v->token_ids, DRL_VOCAB_SIZE);
    for (int i = 0; i < DRL_VOCAB_SIZE; i++)
        strmap_put(&v->token_ids, t->strs.v + t->off[i], t->off[i + 1] - t->off[i], i);
    // Merge ranks by canonical id pair (a repeated pair keeps its last rank).
    pairmap_init(&v->ranks, DRL_BPE_MERGES);
    for (int r = 0; r < DRL_BPE_MERGES; r++) {
        int32_t a = strmap_get(&v->token_ids, text + parts[r][0], parts[r][1]);
        int32_t b = strmap_get(&v->token_ids, text + parts[r][2], parts[r][3]);
        int32_t m = 512 + r;
        v->merged_id[r] =
            strmap_get(&v->token_ids, t->strs.v + t->off[m], t->off[m + 1] - t->off[m]);
        if (a < 0 || b < 0) continue; // a pair no word can form
        pairmap_put(&v->ranks, pair_key(a, b), r);
    }
    // Raw bytes of every token, for decoding.
    ByteBuf raw = {0};
    v->token_off[0] = 0;
    for (int i = 0; i < DRL_VOCAB_SIZE; i++) {
        if (token_raw_bytes(v, t->strs.v + t->off[i], t->off[i + 1] - t->off[i], &raw) != 0) {
            snprintf(err, errlen, "merges file: token %d is not made of byte symbols", i);
            bytebuf_free(&raw);
            goto done;
        }
        v->token_off[i + 1] = (uint32_t)raw.n;
    }
    v->token_bytes = raw.v;
    rc = 0;
done:
    bytebuf_free(&t->strs);
    free(t);
    free(parts);
    return rc;
}

void bpe_vocab_free(BpeVocab *v) {
    strmap_free(&v->token_ids);
    pairmap_free(&v->ranks);
    free(v->token_bytes);
    v->token_bytes = NULL;
}

void bpe_word(const BpeVocab *v, const unsigned char *bytes, size_t n, I32Buf *sym, I32Buf *out) {
    if (n == 0) return;
    sym->n = 0;
    for (size_t i = 0; i < n; i++)
        i32buf_push(sym, v->byte_to_id[bytes[i]]);
    sym->v[n - 1] += 256; // the last symbol carries </w>
    while (sym->n > 1) {
        int32_t best = INT32_MAX, first = -1, second = -1;
        for (size_t i = 0; i + 1 < sym->n; i++) {
            int32_t r = pairmap_get(&v->ranks, pair_key(sym->v[i], sym->v[i + 1]));
            if (r >= 0 && r < best) {
                best = r;
                first = sym->v[i];
                second = sym->v[i + 1];
            }
        }
        if (best == INT32_MAX) break;
        // The pair of rank best: all occurrences left to right, non-overlapping.
        size_t w = 0;
        for (size_t i = 0; i < sym->n;) {
            if (sym->v[i] == first && i + 1 < sym->n && sym->v[i + 1] == second) {
                sym->v[w++] = v->merged_id[best];
                i += 2;
            } else {
                sym->v[w++] = sym->v[i++];
            }
        }
        sym->n = w;
    }
    for (size_t i = 0; i < sym->n; i++)
        i32buf_push(out, sym->v[i]);
}
