#!/usr/bin/env python3
"""Writes the .pt fixtures of the ptload tests into OUTDIR, and expected.h5:
for every good file a group /<file> with one float64 dataset per tensor (the
values PyTorch holds, which fp16/bf16 -> fp32 must reproduce exactly), plus
hashlib SHA-256 attributes for every file and for test buffers.

Usage: make_fixtures.py OUTDIR [--corpus DIR] (--corpus also copies the small
archives there, for the fuzzer's seed corpus)."""
import hashlib
import io
import os
import shutil
import struct
import sys
import zipfile

import h5py
import numpy as np
import torch
import torch.nn as nn


class ResBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, 2)
        self.ln_1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(d, 2 * d))
        self.mlp.add_module("c_proj", nn.Linear(2 * d, d))
        self.ln_2 = nn.LayerNorm(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x), self.ln_1(x), self.ln_1(x), need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, d, layers):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResBlock(d) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class Visual(nn.Module):
    def __init__(self, d=8, patch=4, out=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, d, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d))
        self.positional_embedding = nn.Parameter(torch.randn(5, d))
        self.ln_pre = nn.LayerNorm(d)
        self.transformer = Transformer(d, 2)
        self.ln_post = nn.LayerNorm(d)
        self.proj = nn.Parameter(torch.randn(d, out))

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(2, 0, 1)
        x = self.ln_pre(x + self.positional_embedding[1:].unsqueeze(1).to(x.dtype))
        return self.ln_post(self.transformer(x)) @ self.proj


class TinyClip(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Visual()
        self.transformer = Transformer(8, 1)
        self.token_embedding = nn.Embedding(10, 8)
        self.positional_embedding = nn.Parameter(torch.randn(6, 8))
        self.ln_final = nn.LayerNorm(8)
        self.text_projection = nn.Parameter(torch.randn(8, 4))
        self.logit_scale = nn.Parameter(torch.ones([]) * 2.6592)

    def forward(self, image, text):
        v = self.visual(image)
        t = self.ln_final(self.transformer(self.token_embedding(text))) @ self.text_projection
        return v.sum() * t.sum() * self.logit_scale.exp()


def randomize(model):
    """Every parameter random, with a spread that exercises fp16 subnormals/large values."""
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 3.0)
    return model


def write_expected(h5, fname, tensors):
    grp = h5.create_group(fname)
    grp.attrs["names"] = np.array([n.encode() for n in tensors], dtype=object)
    for name, t in tensors.items():
        grp.create_dataset(name, data=t.detach().double().contiguous().numpy())


def zip_with(path, arcname, entries):
    """A zip like torch's (stored entries) holding arcname/<rel> for each entry."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for rel, data in entries:
            z.writestr(f"{arcname}/{rel}", data)


def s_unicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def tensor_pickle(storage_numel, size, stride, offset=0, storage="FloatStorage"):
    """data.pkl of {'w': tensor} written opcode by opcode, as torch.save would."""
    def ints(xs):
        return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in xs) + b"t"
    return (b"\x80\x02ccollections\nOrderedDict\n)R(" + s_unicode("w")
            + b"ctorch._utils\n_rebuild_tensor_v2\n(("
            + s_unicode("storage") + b"ctorch\n" + storage.encode() + b"\n" + s_unicode("0")
            + s_unicode("cpu") + b"J" + struct.pack("<i", storage_numel) + b"tQ"
            + b"J" + struct.pack("<i", offset) + ints(size) + ints(stride)
            + b"\x89ccollections\nOrderedDict\n)RtRu.")


def main():
    out = sys.argv[1]
    corpus = sys.argv[sys.argv.index("--corpus") + 1] if "--corpus" in sys.argv else None
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    files = {}  # good file -> {name: tensor}

    # (1) TorchScript, fp16, as OpenAI's files
    model = randomize(TinyClip()).half()
    scripted = torch.jit.script(model)
    torch.jit.save(scripted, os.path.join(out, "ts_fp16.pt"))
    files["ts_fp16.pt"] = dict(model.state_dict())

    # (2) state dicts in fp32, fp16, bf16
    base = randomize(TinyClip())
    for tag, dt in (("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)):
        sd = {k: v.to(dt) for k, v in base.state_dict().items()}
        torch.save(sd, os.path.join(out, f"sd_{tag}.pt"))
        files[f"sd_{tag}.pt"] = sd

    # (3) non-contiguous and shared views, offsets, scalars, empty, other dtypes
    g = torch.Generator().manual_seed(3)
    big = torch.randn(6, 5, generator=g)
    views = {
        "transposed": big.t(),                       # strides (1, 5)
        "sliced": big[1:, 1::2],                     # offset + stride 2
        "row": big[2],                               # shares big's storage, offset 10
        "expanded": torch.randn(3, generator=g).expand(4, 3),  # stride 0
        "permuted": torch.randn(2, 3, 4, generator=g).permute(2, 0, 1),
        "scalar": torch.tensor(-1.5),
        "empty": torch.zeros(0, 3),
        "half_t": torch.randn(4, 3, generator=g).half().t(),
        "f64": torch.randn(3, generator=g).double(),
        "i64": torch.tensor([-3, 0, 7, 1 << 20]),
        "i32": torch.tensor([5, -6], dtype=torch.int32),
        "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "flag": torch.tensor([True, False, True]),
    }
    torch.save(views, os.path.join(out, "views.pt"))
    files["views.pt"] = views

    # a state dict nested under "state_dict" next to other things
    small = {"proj": torch.randn(2, 3, generator=g), "bias": torch.randn(3, generator=g)}
    torch.save({"epoch": 3, "lr": 0.5, "state_dict": small}, os.path.join(out, "nested.pt"))
    files["nested.pt"] = small

    # (4) legacy format
    torch.save(small, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)

    # (5) hostile globals and opcodes
    evil = b"\x80\x02cos\nsystem\nq\x00" + s_unicode("echo pwned") + b"\x85q\x01Rq\x02."
    zip_with(os.path.join(out, "hostile.pt"), "hostile", [("data.pkl", evil), ("version", b"3\n")])
    inst = b"\x80\x02(" + b"ibuiltins\neval\n" + b"."
    zip_with(os.path.join(out, "hostile_opcode.pt"), "hostile_opcode", [("data.pkl", inst)])
    stack_global = b"\x80\x02" + s_unicode("subprocess") + s_unicode("Popen") + b"\x93."
    zip_with(os.path.join(out, "hostile_stack_global.pt"), "x", [("data.pkl", stack_global)])
    # a list holding itself, under a dict key: must end with an error, not a hang
    cyclic = b"\x80\x02}q\x00" + s_unicode("a") + b"]q\x01h\x01as."
    zip_with(os.path.join(out, "cyclic.pt"), "cyclic", [("data.pkl", cyclic)])
    # lists sharing their halves 40 levels deep (2^40 paths): bounded work, then an error
    def bomb(leaf):
        ops = b"\x80\x02}" + s_unicode("a") + leaf + b"q\x000"
        for k in range(1, 41):
            ops += b"](h" + bytes([k - 1]) + b"h" + bytes([k - 1]) + b"eq" + bytes([k]) + b"0"
        return ops + b"h" + bytes([40]) + b"s."
    zip_with(os.path.join(out, "dag_bomb.pt"), "bomb", [("data.pkl", bomb(b"]"))])
    tensor_leaf = tensor_pickle(16, [4], [1])[len(b"\x80\x02ccollections\nOrderedDict\n)R(") + 6:-2]
    zip_with(os.path.join(out, "tensor_bomb.pt"), "bomb",
             [("data.pkl", bomb(b"](" + tensor_leaf + b"e")), ("data/0", struct.pack("<16f", *range(16)))])
    # tensor views outside their storage
    st16 = struct.pack("<16f", *range(16))
    zip_with(os.path.join(out, "oob_view.pt"), "oob",
             [("data.pkl", tensor_pickle(16, [4, 5], [5, 1])), ("data/0", st16)])
    zip_with(os.path.join(out, "oob_offset.pt"), "oob",
             [("data.pkl", tensor_pickle(16, [4], [1], offset=13)), ("data/0", st16)])
    zip_with(os.path.join(out, "neg_stride.pt"), "neg",
             [("data.pkl", tensor_pickle(16, [4], [-1], offset=8)), ("data/0", st16)])
    zip_with(os.path.join(out, "huge_size.pt"), "huge",
             [("data.pkl", tensor_pickle(16, [1 << 30, 1 << 30, 1 << 30], [0, 0, 0])),
              ("data/0", st16)])
    zip_with(os.path.join(out, "missing_storage.pt"), "miss",
             [("data.pkl", tensor_pickle(16, [4, 4], [4, 1]))])
    # a hand-written good one: (3, 2) view with strides (1, 3) of 16 floats
    zip_with(os.path.join(out, "handmade.pt"), "handmade",
             [("data.pkl", tensor_pickle(16, [3, 2], [1, 3], offset=2)), ("data/0", st16)])
    files["handmade.pt"] = {"w": torch.arange(16.0).as_strided((3, 2), (1, 3), 2)}

    # (6) truncated archives
    full = open(os.path.join(out, "sd_fp16.pt"), "rb").read()
    cuts = [2, 40, len(full) // 3, len(full) // 2, len(full) - 100, len(full) - 1]
    for i, cut in enumerate(cuts):
        open(os.path.join(out, f"truncated_{i}.pt"), "wb").write(full[:cut])

    # (7) a storage entry shorter than its tensor needs
    with zipfile.ZipFile(os.path.join(out, "sd_fp32.pt")) as z:
        names = z.namelist()
        arc = names[0].split("/")[0]
        short_key = None
        entries = []
        for n in names:
            data = z.read(n)
            rel = n[len(arc) + 1:]
            if rel.startswith("data/") and short_key is None and len(data) > 8:
                short_key, data = rel, data[:-4]
            entries.append((rel, data))
    zip_with(os.path.join(out, "short_storage.pt"), "short_storage", entries)

    # a flipped byte inside a storage: the zip CRC must catch it
    with zipfile.ZipFile(os.path.join(out, "sd_fp32.pt")) as z:
        info = z.getinfo(f"{arc}/{short_key}")
    blob = bytearray(open(os.path.join(out, "sd_fp32.pt"), "rb").read())
    name_len, extra_len = struct.unpack("<HH", blob[info.header_offset + 26:info.header_offset + 30])
    offset = info.header_offset + 30 + name_len + extra_len + 5
    blob[offset] ^= 0x40
    open(os.path.join(out, "corrupt_crc.pt"), "wb").write(bytes(blob))

    with h5py.File(os.path.join(out, "expected.h5"), "w") as h5:
        for fname, tensors in files.items():
            write_expected(h5, fname, tensors)
        h5.attrs["short_storage_entry"] = f"short_storage/{short_key}"
        sha = h5.create_group("sha256")
        for fname in sorted(os.listdir(out)):
            if fname.endswith(".pt"):
                sha.attrs[fname] = hashlib.sha256(open(os.path.join(out, fname), "rb").read()).hexdigest()
        # buffers of length n with byte i = (7 i + 3) mod 256, around block edges
        vec = h5.create_group("sha256_buffers")
        for n in (0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 100000):
            buf = bytes((7 * i + 3) % 256 for i in range(n))
            vec.attrs[str(n)] = hashlib.sha256(buf).hexdigest()

    if corpus:
        os.makedirs(corpus, exist_ok=True)
        for fname in ("sd_fp16.pt", "views.pt", "nested.pt", "handmade.pt", "cyclic.pt",
                      "hostile.pt"):
            shutil.copy(os.path.join(out, fname), os.path.join(corpus, fname))
        tiny = torch.jit.script(nn.Sequential(nn.LayerNorm(2), nn.Linear(2, 2)).half())
        torch.jit.save(tiny, os.path.join(corpus, "ts_tiny.pt"))


if __name__ == "__main__":
    main()
