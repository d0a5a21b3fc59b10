/* Python's str.lower (spec/data.md §1 D, internal): utf8proc's simple
 * lowercase mapping plus the two special cases Python's full mapping adds:
 * U+0130 -> "i" U+0307, and U+03A3 -> U+03C2 in the Final_Sigma context
 * (Cased and Case_Ignorable tables from case_props.inc, generated from
 * Python's own str.lower by gen_tables.py). */
#ifndef DRL_TOKENIZER_PY_LOWER_H
#define DRL_TOKENIZER_PY_LOWER_H

#include "tokenizer/text_buf.h"

/* out = in[0..n).lower(); out is cleared first. */
void py_lower(const uint32_t *in, size_t n, CpBuf *out);

#endif
