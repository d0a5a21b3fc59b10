/* Detection (not repair) of obvious UTF-8 mojibake (spec/data.md §1 A(b),
 * internal). */
#ifndef DRL_TOKENIZER_MOJIBAKE_H
#define DRL_TOKENIZER_MOJIBAKE_H

#include <stddef.h>
#include <stdint.h>

/* 1 when cp[0..n) holds a run of characters that, read back as Latin-1 /
 * Windows-1252 bytes, form a valid multi-byte UTF-8 sequence: a lead byte
 * C2..F4 (e.g. 'Ã', 'â') followed by the right number of continuation bytes
 * 80..BF (e.g. '©', '€', '™'), as in "cafÃ©" or "itâ€™s". 0 otherwise. */
int looks_mojibake(const uint32_t *cp, size_t n);

#endif
