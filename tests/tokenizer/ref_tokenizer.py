#!/usr/bin/python3
"""Reference CLIP tokenizer written from spec/data.md §1 (not from the C code).

Normalisation: the ftfy subset A(a), (c)-(j) implemented here in Python (ftfy
itself is not installed; (b), mojibake repair, is not done, as in the spec),
then html.unescape twice, the whitespace rule and str.lower. Words: Python's
`regex` module with the spec's pattern (IGNORECASE). BPE: the merges file.

    ref_tokenizer.py VOCAB.gz < captions      # ids per line, like drl_tokenize
"""
import gzip
import html
import html.entities
import re
import sys
import unicodedata

import regex

PATTERN = (r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|"
           r"[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+")
N_MERGES = 48894


def bytes_to_unicode():
    """Bytes 33-126, 161-172, 174-255 map to themselves (in that order), the
    remaining 68 bytes, in increasing order, to 256, 257, ..."""
    order = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cps = list(order)
    extra = 0
    for b in range(256):
        if b not in order:
            order.append(b)
            cps.append(256 + extra)
            extra += 1
    return order, {b: chr(c) for b, c in zip(order, cps)}


# ---- A. the ftfy subset ---------------------------------------------------

def _ftfy_entities():
    """A(a): '&name;' for HTML5 names ending in ';'; for an all-lowercase name,
    '&NAME;' -> value.upper() when that upper-case form is not itself a
    reference html.unescape would decode."""
    table = {}
    for name, value in html.entities.html5.items():
        if not name.endswith(";"):
            continue
        table["&" + name] = value
        if name == name.lower():
            upper = "&" + name.upper()
            if html.unescape(upper) == upper:
                table[upper] = value.upper()
    return table


FTFY_ENTITIES = _ftfy_entities()
ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def step_a(text):
    def fix(m):
        t = m.group(0)
        if t in FTFY_ENTITIES:
            return FTFY_ENTITIES[t]
        if t.startswith("&#"):
            u = html.unescape(t)
            return t if ";" in u else u
        return t
    return ENTITY_RE.sub(fix, text)


def step_c(text):
    out = []
    for ch in text:
        o = ord(ch)
        if 0x80 <= o <= 0x9F and o not in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
            ch = bytes([o]).decode("cp1252")
        out.append(ch)
    return "".join(out)


LIGATURES = {
    "Ĳ": "IJ", "ĳ": "ij", "ŉ": "\u02bcn", "Ǳ": "DZ", "ǲ": "Dz", "ǳ": "dz",
    "Ǆ": "DŽ", "ǅ": "Dž", "ǆ": "dž", "Ǉ": "LJ", "ǈ": "Lj", "ǉ": "lj",
    "Ǌ": "NJ", "ǋ": "Nj", "ǌ": "nj", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl",
    "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "\u017ft", "ﬆ": "st",
}

WIDTH_RANGES = [(0xFF01, 0xFFBE), (0xFFC2, 0xFFC7), (0xFFCA, 0xFFCF), (0xFFD2, 0xFFD7),
                (0xFFDA, 0xFFDC), (0xFFE0, 0xFFE6), (0xFFE8, 0xFFEE)]


def step_e(text):
    out = []
    for ch in text:
        o = ord(ch)
        if o == 0x3000:
            ch = " "
        elif any(a <= o <= b for a, b in WIDTH_RANGES):
            ch = unicodedata.normalize("NFKC", ch)
        out.append(ch)
    return "".join(out)


def step_f(text):
    text = re.sub("[\u02bc\u2018-\u201b]", "'", text)
    return re.sub("[\u201c-\u201f]", '"', text)


def step_g(text):
    text = text.replace("\r\n", "\n")
    return re.sub("[\r\u2028\u2029\u0085]", "\n", text)


ESCAPE_RE = re.compile("\x1b\\[[0-9;]*[A-Za-z]")
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]")


def ftfy_pass(seg, h):
    if h:
        seg = step_a(seg)
    seg = step_c(seg)
    seg = "".join(LIGATURES.get(ch, ch) for ch in seg)
    seg = step_e(seg)
    seg = step_f(seg)
    seg = step_g(seg)
    seg = ESCAPE_RE.sub("", seg)
    seg = CONTROL_RE.sub("", seg)
    return unicodedata.normalize("NFC", seg)


def ftfy_subset(text):
    segments = re.findall(r"[^\n]*\n|[^\n]+$", text) if text else []
    assert "".join(segments) == text
    h = True
    out = []
    for seg in segments:
        if "<" in seg:
            h = False
        while True:
            fixed = ftfy_pass(seg, h)
            if fixed == seg:
                break
            seg = fixed
        out.append(seg)
    return "".join(out)


# ---- B, C, D -------------------------------------------------------------

SPACE_RUN = re.compile("[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a"
                       "\u2028\u2029\u202f\u205f\u3000]+")


def normalize(text):
    text = ftfy_subset(text)
    text = html.unescape(html.unescape(text))
    text = SPACE_RUN.sub(" ", text.strip()).strip()
    return text.lower()


# ---- words and BPE ----------------------------------------------------------

class RefTokenizer:
    def __init__(self, vocab_path, ignorecase=True):
        lines = gzip.open(vocab_path).read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1:N_MERGES + 1]]
        order, self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        symbols = [self.byte_encoder[b] for b in order]
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        assert len(vocab) == 49408
        self.encoder = {t: i for i, t in enumerate(vocab)}
        self.decoder = {i: t for t, i in self.encoder.items()}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.pat = regex.compile(PATTERN, regex.IGNORECASE if ignorecase else 0)
        self.cache = {}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            ranked = [(self.ranks[p], p) for p in pairs if p in self.ranks]
            if not ranked:
                break
            first, second = min(ranked)[1]
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for w in self.pat.findall(normalize(text)):
            if w in ("<|startoftext|>", "<|endoftext|>"):
                ids.append(self.encoder[w])
                continue
            token = "".join(self.byte_encoder[b] for b in w.encode("utf-8"))
            ids.extend(self.encoder[s] for s in self.bpe(token))
        return ids

    def decode(self, ids):
        text = "".join(self.decoder[i] for i in ids)
        raw = bytearray(self.byte_decoder[c] for c in text)
        return raw.decode("utf-8", errors="replace").replace("</w>", " ")


if __name__ == "__main__":
    tok = RefTokenizer(sys.argv[1])
    for line in sys.stdin.buffer.read().decode("utf-8").split("\n"):
        print(" ".join(str(i) for i in tok.encode(line)))
