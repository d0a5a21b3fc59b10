#!/usr/bin/env python3
"""Loader against independent Python computations on a store written by h5py:
- frame positions = numpy.linspace(0, count-1, T, dtype=int) for counts 1..400 and many T;
- the epoch order is a permutation and equals a Python implementation of the
  documented generator (splitmix64 + Lemire + Fisher-Yates);
- training: pairs with a failed video skipped and counted; one epoch with B=1
  visits every other pair once; identical across runs and with/without the
  prefetch thread; other epochs give other orders; 3 ranks x B=2 equal the
  slices [r::3] of 1 rank x B=6 (disjoint, covering the first nb*B*w pairs);
- evaluation: contiguous shards, every pair of the split in order, failed
  videos as all-padding, partial last batch with a count;
- every sample's text/mask ([SOT] + tokens[:L-2] + [EOT]) and frames/mask
  (linspace positions, zero padding) against h5py reads of the store;
- resuming from (epoch, batch) gives the same batches as the full run.
"""
import os
import subprocess
import sys

import h5py
import numpy as np

from script_checks import check, finish, tool_and_work

tool, work = tool_and_work("loader_dump", "loader")


def run(args):
    res = subprocess.run([tool] + [str(a) for a in args], capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stderr)
        sys.exit(1)
    return res.stdout


# ---- linspace ------------------------------------------------------------------
n_lin = 0
for line in run(["linspace"]).splitlines():
    v = [int(x) for x in line.split()]
    c, T, got = v[0], v[1], v[2:]
    want = list(range(c)) if c <= T else list(np.linspace(0, c - 1, T, dtype=int))
    check(got == want, "linspace count %d T %d: %s vs %s" % (c, T, got, want))
    n_lin += 1
print("linspace: %d (count, T) cases checked against numpy" % n_lin)

# ---- permutation ---------------------------------------------------------------
M = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)


def py_perm(seed, epoch, n):
    state = seed ^ ((epoch * 0xD1B54A32D192ED03) & M)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        r = i + 1
        state, x = splitmix(state)
        m = x * r
        if (m & M) < r:
            t = ((1 << 64) - r) % r
            while (m & M) < t:
                state, x = splitmix(state)
                m = x * r
        j = m >> 64
        perm[i], perm[j] = perm[j], perm[i]
    return perm


for seed, epoch, n in ((0, 0, 1), (0, 0, 2), (42, 3, 1000), (2**63 + 5, 7, 777)):
    got = [int(x) for x in run(["perm", seed, epoch, n]).split()]
    check(sorted(got) == list(range(n)), "perm %d %d %d is a permutation" % (seed, epoch, n))
    check(got == py_perm(seed, epoch, n), "perm %d %d %d equals the documented generator" %
          (seed, epoch, n))

# ---- the store (h5py) ----------------------------------------------------------
R, V = 6, 14
rng = np.random.default_rng(7)
counts = [0 if v == 3 else int(x) for v, x in enumerate(rng.integers(1, 30, V))]
counts[5] = 12
counts[6] = 13
status = ["ok"] * V
status[3] = "missing file"
frames, offsets = [], []
for v in range(V):
    offsets.append(sum(len(f) for f in frames))
    frames.append(rng.integers(0, 256, (counts[v], R, R, 3), dtype=np.uint8))
caption_video = [c % V for c in range(47)]
rng.shuffle(caption_video)
tokens = [list(rng.integers(1, 49405, int(rng.integers(0, 40)))) for _ in caption_video]
tokens[0] = []
train = [c for c in range(len(caption_video)) if c % 5 != 0]
test = [c for c in range(len(caption_video)) if c % 5 == 0] + [3]
path = os.path.join(work, "loader.h5")
strt = h5py.string_dtype("utf-8")
with h5py.File(path, "w") as f:
    f.create_dataset("frames", data=np.concatenate(frames), chunks=(1, R, R, 3),
                     maxshape=(None, R, R, 3))
    f.create_dataset("videos/id", data=["v%d" % v for v in range(V)], dtype=strt)
    f.create_dataset("videos/status", data=status, dtype=strt)
    f.create_dataset("videos/frame_offset", data=np.array(offsets, np.int64))
    f.create_dataset("videos/frame_count", data=np.array(counts, np.int32))
    f.create_dataset("videos/fps", data=np.full(V, 30.0))
    f.create_dataset("captions/text", data=["c%d" % c for c in range(len(tokens))], dtype=strt)
    f.create_dataset("captions/video", data=np.array(caption_video, np.int32))
    t = f.create_dataset("captions/tokens", (len(tokens),), dtype=h5py.vlen_dtype(np.int32))
    for c, ids in enumerate(tokens):
        t[c] = np.array(ids, np.int32)
    f.create_dataset("splits/train/captions", data=np.array(train, np.int64))
    f.create_dataset("splits/test/captions", data=np.array(test, np.int64))
    for k, v in (("resolution", np.int32(R)), ("frame_rate", 1.0), ("tokenizer_sha256", "x"),
                 ("tool_version", "h5py"), ("dataset", "loader"), ("complete", np.int32(1))):
        f.attrs[k] = v
all_frames = np.concatenate(frames)
ok_train = [c for c in train if status[caption_video[c]] == "ok"]


def batches(split, mode, B, L, T, seed, rank, world, epochs, start=(0, 0), prefetch=1):
    out = os.path.join(work, "dump.bin")
    info = run(["batches", path, split, mode, B, L, T, seed, rank, world, epochs, start[0],
                start[1], prefetch, out]).split()
    raw = open(out, "rb").read()
    rec = np.dtype([("epoch", "<i8"), ("index", "<i8"), ("count", "<i4"), ("caption", "<i8", (B,)),
                    ("video", "<i4", (B,)), ("text", "<i4", (B, L)), ("text_mask", "<i4", (B, L)),
                    ("video_mask", "<i4", (B, T)), ("frames", "u1", (B, T, R, R, 3))])
    return np.frombuffer(raw, rec), dict(zip(info[0::2], map(int, info[1::2])))


def check_content(b, L, T, what):
    for rec in b:
        for j in range(len(rec["caption"])):
            c = int(rec["caption"][j])
            text = np.zeros(L, np.int64)
            tmask = np.zeros(L, np.int64)
            vmask = np.zeros(T, np.int64)
            fr = np.zeros((T, R, R, 3), np.uint8)
            if c >= 0:
                ids = [49406] + list(tokens[c][:L - 2]) + [49407]
                text[:len(ids)] = ids
                tmask[:len(ids)] = 1
                v = caption_video[c]
                check(rec["video"][j] == v, "%s: video of caption %d" % (what, c))
                if status[v] == "ok":
                    n = counts[v]
                    pos = list(range(n)) if n <= T else list(np.linspace(0, n - 1, T, dtype=int))
                    fr[:len(pos)] = all_frames[offsets[v] + np.array(pos)]
                    vmask[:len(pos)] = 1
            check(np.array_equal(rec["text"][j], text), "%s: text of caption %d" % (what, c))
            check(np.array_equal(rec["text_mask"][j], tmask), "%s: text mask %d" % (what, c))
            check(np.array_equal(rec["video_mask"][j], vmask), "%s: video mask %d" % (what, c))
            check(np.array_equal(rec["frames"][j], fr), "%s: frames of caption %d" % (what, c))


L, T = 8, 5
# one epoch, B=1, one rank: a permutation of the ok training pairs
b, info = batches("train", "train", 1, L, T, 11, 0, 1, 1)
got = [int(x) for x in b["caption"][:, 0]]
check(sorted(got) == sorted(ok_train), "B=1 epoch visits every ok training pair once")
check(info["failed"] == len(train) - len(ok_train) and info["failed"] > 0,
      "failed pairs counted: %s" % info)
check(got == [ok_train[i] for i in py_perm(11, 0, len(ok_train))], "order = documented perm")
check_content(b, L, T, "train B=1")
b2, _ = batches("train", "train", 1, L, T, 11, 0, 1, 1, prefetch=0)
check(b.tobytes() == b2.tobytes(), "prefetch thread gives the same batches as no thread")
b3, _ = batches("train", "train", 1, L, T, 11, 0, 1, 1)
check(b.tobytes() == b3.tobytes(), "two runs are identical")
b4, _ = batches("train", "train", 1, L, T, 11, 0, 1, 2)
e1 = [int(x) for x, e in zip(b4["caption"][:, 0], b4["epoch"]) if e == 1]
check(sorted(e1) == sorted(ok_train) and e1 != got, "epoch 1 is another permutation")

# ranks: 3 x B=2 vs 1 x B=6
B, W = 2, 3
full, finfo = batches("train", "train", B * W, L, T, 5, 0, 1, 2)
nb = len(ok_train) // (B * W)
check(finfo["batches"] == nb and len(full) == 2 * nb, "batches per epoch %s vs %d" % (finfo, nb))
seen = []
for r in range(W):
    br, rinfo = batches("train", "train", B, L, T, 5, r, W, 2)
    check(rinfo["batches"] == nb and len(br) == len(full), "rank %d batch count" % r)
    for k in range(len(br)):
        check(list(br["caption"][k]) == list(full["caption"][k][r::W]),
              "rank %d batch %d = slice of the global batch" % (r, k))
    seen += [int(x) for x in br["caption"][:nb].ravel()]
    check_content(br, L, T, "rank %d" % r)
check(len(seen) == len(set(seen)) == nb * B * W, "rank slices disjoint and cover nb*B*w pairs")
perm0 = py_perm(5, 0, len(ok_train))
check(sorted(seen) == sorted(ok_train[i] for i in perm0[:nb * B * W]), "covered = perm prefix")

# resume
L2, T2 = 30, 12
full, _ = batches("train", "train", 3, L2, T2, 9, 0, 1, 3)
for start in ((0, 2), (1, 0), (1, 4)):
    part, _ = batches("train", "train", 3, L2, T2, 9, 0, 1, 3 - start[0], start=start)
    k = next(i for i in range(len(full)) if (full["epoch"][i], full["index"][i]) == start)
    check(part.tobytes() == full[k:].tobytes(), "resume from %s" % (start,))
check_content(full, L2, T2, "train L=30 T=12")

# evaluation
B = 4
order = []
for r in range(2):
    be, einfo = batches("test", "eval", B, L2, T2, 0, r, 2, 1)
    n = len(test)
    shard = (n + 1) // 2
    mine = test[r * shard:min(n, (r + 1) * shard)]
    check(einfo["batches"] == (shard + B - 1) // B and len(be) == einfo["batches"],
          "eval batches rank %d" % r)
    got = [int(c) for rec in be for c in rec["caption"][:rec["count"]]]
    check(got == mine, "eval rank %d shard in order" % r)
    check(all((rec["caption"][rec["count"]:] == -1).all() for rec in be), "eval padding rows")
    check(einfo["failed"] == sum(status[caption_video[c]] != "ok" for c in test), "eval failed")
    order += got
    check_content(be, L2, T2, "eval rank %d" % r)
check(order == test, "eval covers the split in order")

finish("loader")
