/* The whole text normalisation of spec/data.md §1 (internal): A (ftfy
 * subset), B (html.unescape twice), C (whitespace), D (str.lower). */
#ifndef DRL_TOKENIZER_NORMALIZE_H
#define DRL_TOKENIZER_NORMALIZE_H

#include "tokenizer/ftfy.h"
#include "tokenizer/text_buf.h"

typedef struct {
    FtfyScratch ftfy;
    CpBuf a, b; // stage buffers
} NormScratch;

/* out = lower(clean(unescape(unescape(fix_text(in[0..n)))))). */
void normalize_text(const uint32_t *in, size_t n, NormScratch *s, CpBuf *out);

void norm_scratch_free(NormScratch *s);

#endif
