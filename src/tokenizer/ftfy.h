/* The ftfy.fix_text subset of spec/data.md §1 A (internal): segments split
 * after each LF, the HTML flag, and steps (a), (c)-(j) repeated per segment
 * until a pass changes nothing. Step (b), mojibake repair, is not done; see
 * mojibake.h for its detection. */
#ifndef DRL_TOKENIZER_FTFY_H
#define DRL_TOKENIZER_FTFY_H

#include "tokenizer/text_buf.h"

typedef struct {
    CpBuf seg, a, b; // per-segment work buffers, reused across calls
    ByteBuf bytes;   // UTF-8 scratch for NFC/NFKC
} FtfyScratch;

/* out = fix_text(in[0..n)); out is cleared first. */
void ftfy_fix_text(const uint32_t *in, size_t n, FtfyScratch *s, CpBuf *out);

void ftfy_scratch_free(FtfyScratch *s);

#endif
