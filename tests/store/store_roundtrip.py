#!/usr/bin/env python3
"""Store round trip against h5py (an independent HDF5 reader/writer).

1. The C writer writes the fixture (store_tool write); h5py checks every name,
   dtype, shape, attribute and value against the fixture formula (the same
   closed formulas as store_fixture.h, written again here).
2. h5py writes the same store (frames in reverse video order, so offsets
   matter); the C reader checks it (store_tool check).
3. Broken stores: a missing dataset, another resolution, a wrong dtype, a
   truncated file, an incomplete flag, another tokenizer hash, a wrong frame
   shape: the C reader must fail with a message naming the file and the
   dataset/attribute.
"""
import os
import shutil
import subprocess

import h5py
import numpy as np

from script_checks import check, finish, tool_and_work

R, V, C = 8, 5, 7
HASH = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
COUNT = [3, 0, 1, 4, 2]


def pixel(v, f):
    y, x, c = np.meshgrid(np.arange(R), np.arange(R), np.arange(3), indexing="ij")
    return ((v * 37 + f * 11 + y * 5 + x * 3 + c * 101) & 255).astype(np.uint8)


def fps(v):
    return 30000.0 / 1001.0 if v == 2 else 25.0 + 0.5 * v


def status(v):
    return "no frame decoded" if v == 1 else "ok"


def vid(v):
    return "video%d" % (v * 7)


def text(c):
    return 'caption %d: a "café" — %d' % (c, c * c)


def tokens(c):
    return [1000 * c + k + 1 for k in range(c % 4)]


TRAIN, TEST = [0, 2, 4, 6], [1, 3, 5]

tool, work = tool_and_work("store_tool", "roundtrip")


def s(x):
    return x.decode() if isinstance(x, bytes) else x


# ---- 1. C writer -> h5py ----------------------------------------------------
a = os.path.join(work, "c_written.h5")
out = subprocess.run([tool, "write", a], capture_output=True, text=True)
check(out.returncode == 0, "store_tool write: " + out.stdout + out.stderr)
with h5py.File(a, "r") as f:
    names = set()
    f.visit(names.add)
    want = {"videos", "videos/id", "videos/frame_offset", "videos/frame_count", "videos/fps",
            "videos/status", "frames", "captions", "captions/text", "captions/video",
            "captions/tokens", "splits", "splits/train", "splits/train/captions", "splits/test",
            "splits/test/captions"}
    check(names == want, "names %s" % sorted(names ^ want))
    fr = f["frames"]
    check(fr.dtype == np.uint8 and fr.shape == (sum(COUNT), R, R, 3), "frames %s %s" % (fr.dtype, fr.shape))
    check(fr.chunks == (1, R, R, 3) and fr.maxshape[0] is None and fr.compression is None,
          "frames chunks %s maxshape %s" % (fr.chunks, fr.maxshape))
    check(f["videos/frame_offset"].dtype == np.int64, "frame_offset dtype")
    check(f["videos/frame_count"].dtype == np.int32, "frame_count dtype")
    check(f["videos/fps"].dtype == np.float64, "fps dtype")
    check(f["captions/video"].dtype == np.int32, "caption video dtype")
    check(h5py.check_vlen_dtype(f["captions/tokens"].dtype) == np.int32, "tokens dtype")
    for n in ("videos/id", "videos/status", "captions/text"):
        info = h5py.check_string_dtype(f[n].dtype)
        check(info is not None and info.length is None and info.encoding == "utf-8", n + " vlen utf-8")
    for n in ("videos/id", "videos/frame_offset", "videos/frame_count", "videos/fps", "videos/status"):
        check(f[n].shape == (V,), n + " shape")
    for n in ("captions/text", "captions/video", "captions/tokens"):
        check(f[n].shape == (C,), n + " shape")
    off, cnt = f["videos/frame_offset"][:], f["videos/frame_count"][:]
    for v in range(V):
        check(s(f["videos/id"][v]) == vid(v), "id %d" % v)
        check(s(f["videos/status"][v]) == status(v), "status %d" % v)
        check(f["videos/fps"][v] == fps(v), "fps %d" % v)
        check(cnt[v] == COUNT[v], "count %d" % v)
        for k in range(COUNT[v]):
            check(np.array_equal(fr[off[v] + k], pixel(v, k)), "frame %d/%d" % (v, k))
    for c in range(C):
        check(s(f["captions/text"][c]) == text(c), "text %d" % c)
        check(f["captions/video"][c] == c % V, "caption video %d" % c)
        check(list(f["captions/tokens"][c]) == tokens(c), "tokens %d" % c)
    check(f["splits/train/captions"].dtype == np.int64, "split dtype")
    check(list(f["splits/train/captions"][:]) == TRAIN, "train split")
    check(list(f["splits/test/captions"][:]) == TEST, "test split")
    at = f.attrs
    check(int(at["resolution"]) == R and at["frame_rate"] == 1.0 and int(at["complete"]) == 1,
          "attributes")
    check(s(at["tokenizer_sha256"]) == HASH and s(at["dataset"]) == "fixture", "string attributes")
    check(s(at["tool_version"]).startswith("store_tool"), "tool_version")

# The C reader reads the C writer's file too.
out = subprocess.run([tool, "check", a], capture_output=True, text=True)
check(out.stdout.strip() == "OK", "C reader on C store: " + out.stdout)


# ---- 2. h5py writer -> C reader ---------------------------------------------
def write_py(path, R_frames=R, channels=3, drop=None, resolution=R, complete=1, fc_dtype=np.int32,
             tokenizer=HASH):
    strt = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        order = list(reversed(range(V)))  # frames of the last video first
        offsets, rows = [0] * V, []
        for v in order:
            offsets[v] = len(rows)
            rows += [pixel(v, k)[:R_frames, :R_frames, :channels] for k in range(COUNT[v])]
        f.create_dataset("frames", data=np.stack(rows), chunks=(1, R_frames, R_frames, channels),
                         maxshape=(None, R_frames, R_frames, channels))
        f.create_dataset("videos/id", data=[vid(v) for v in range(V)], dtype=strt)
        f.create_dataset("videos/status", data=[status(v) for v in range(V)], dtype=strt)
        f.create_dataset("videos/frame_offset", data=np.array(offsets, np.int64))
        f.create_dataset("videos/frame_count", data=np.array(COUNT, fc_dtype))
        f.create_dataset("videos/fps", data=np.array([fps(v) for v in range(V)], np.float64))
        f.create_dataset("captions/text", data=[text(c) for c in range(C)], dtype=strt)
        f.create_dataset("captions/video", data=np.array([c % V for c in range(C)], np.int32))
        tok = f.create_dataset("captions/tokens", (C,), dtype=h5py.vlen_dtype(np.int32))
        for c in range(C):
            tok[c] = np.array(tokens(c), np.int32)
        f.create_dataset("splits/train/captions", data=np.array(TRAIN, np.int64))
        f.create_dataset("splits/test/captions", data=np.array(TEST, np.int64))
        f.attrs["resolution"] = np.int32(resolution)
        f.attrs["frame_rate"] = 1.0
        f.attrs["tokenizer_sha256"] = tokenizer
        f.attrs["tool_version"] = "h5py fixture"
        f.attrs["dataset"] = "fixture"
        f.attrs["complete"] = np.int32(complete)
        if drop:
            del f[drop]


b = os.path.join(work, "py_written.h5")
write_py(b)
out = subprocess.run([tool, "check", b, "--expect-resolution", str(R), "--expect-hash", HASH],
                     capture_output=True, text=True)
check(out.stdout.strip() == "OK", "C reader on h5py store: " + out.stdout + out.stderr)


# ---- 3. broken stores -------------------------------------------------------
def expect_error(path, must_contain, args=()):
    out = subprocess.run([tool, "check", path] + list(args), capture_output=True, text=True)
    msg = out.stdout.strip()
    ok = out.returncode != 0 and msg.startswith("ERROR:") and path in msg and all(
        m in msg for m in must_contain)
    print("%s -> %s" % (os.path.basename(path), msg))
    check(ok, "expected an error naming %s and %s, got: %s" % (path, must_contain, msg))


p = os.path.join(work, "missing_tokens.h5")
write_py(p, drop="captions/tokens")
expect_error(p, ["/captions/tokens", "missing"])
p = os.path.join(work, "missing_split_data.h5")
write_py(p, drop="splits/test/captions")
expect_error(p, ["/splits/test/captions", "missing"])
expect_error(b, ["resolution", "16"], ["--expect-resolution", "16"])
expect_error(b, ["tokenizer_sha256"], ["--expect-hash", "ff" * 32])
p = os.path.join(work, "wrong_shape.h5")
write_py(p, R_frames=4, resolution=R)
expect_error(p, ["/frames", "shape"])
p = os.path.join(work, "wrong_channels.h5")
write_py(p, channels=1)
expect_error(p, ["/frames", "shape"])
p = os.path.join(work, "wrong_dtype.h5")
write_py(p, fc_dtype=np.float32)
expect_error(p, ["/videos/frame_count", "dtype"])
p = os.path.join(work, "incomplete.h5")
write_py(p, complete=0)
expect_error(p, ["complete"])
out = subprocess.run([tool, "check", p, "--allow-incomplete"], capture_output=True, text=True)
check(out.stdout.strip() == "OK", "allow-incomplete: " + out.stdout)
for frac in (0.5, 0.9):
    p = os.path.join(work, "truncated_%d.h5" % int(frac * 100))
    shutil.copy(a, p)
    size = os.path.getsize(p)
    with open(p, "r+b") as fh:
        fh.truncate(int(size * frac))
    expect_error(p, [])
expect_error(os.path.join(work, "does_not_exist.h5"), ["No such file"])

finish("store round trip")
