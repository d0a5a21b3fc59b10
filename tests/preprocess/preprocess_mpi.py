#!/usr/bin/env python3
"""drl_preprocess end to end on a real-format MSR-VTT fixture (shared CSVs,
generated captions, tiny videos by the ffmpeg CLI), one video missing and two
corrupt (truncated, garbage):
- `mpirun -np 2` exits 0, lists the three failures with reasons in
  /videos/status, and its store equals a single-rank run dataset by dataset;
- ids, captions and splits follow spec/data.md §3 (Python computation);
- frame counts follow the stride rule on ffprobe's frame count and rate;
- the pixels of two videos equal ffmpeg CLI frames resized and cropped by
  Pillow (within 1);
- tokenizer_sha256 is hashlib's SHA-256 of the vocabulary file;
- a second run refuses to overwrite the complete store; --force rebuilds it
  and removes a leftover OUT.tmp with a note.
"""
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction

import h5py
import numpy as np
from PIL import Image

binary = os.environ["DRL_BINARY_DIR"]
shared = os.environ["DRL_SHARED_DIR"]
here = os.path.dirname(os.path.abspath(__file__))
work = os.path.join(binary, "tests", "preprocess", "preprocess_mpi")
shutil.rmtree(work, ignore_errors=True)
R = 32
exe = os.path.join(binary, "preprocess", "drl_preprocess")
vocab = os.path.join(shared, "clip", "bpe_simple_vocab_16e6.txt.gz")
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")

fx = json.loads(subprocess.run([sys.executable, os.path.join(here, "msrvtt_fixture.py"), work,
                                "--videos", "--n-train", "10", "--n-test", "5"], check=True,
                               capture_output=True, text=True).stdout)
anns, videos = os.path.join(work, "anns"), os.path.join(work, "videos")
missing, truncated, garbage = fx["test_ids"][1], fx["train_ids"][0], fx["train_ids"][5]
os.remove(os.path.join(videos, missing + ".mp4"))
p = os.path.join(videos, truncated + ".mp4")
data = open(p, "rb").read()
open(p, "wb").write(data[:len(data) // 3])
open(os.path.join(videos, garbage + ".mp4"), "wb").write(bytes(range(256)) * 40)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, mpi=0):
    cmd = (["mpirun", "-np", str(mpi), "--oversubscribe"] if mpi else []) + [exe] + args
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    print("$", " ".join(cmd), "->", res.returncode)
    print(res.stdout + res.stderr)
    return res


common = ["--dataset", "msrvtt", "--anno", anns, "--videos", videos, "--resolution", str(R),
          "--vocab", vocab, "--progress-every", "0"]
s2, s1 = os.path.join(work, "np2.h5"), os.path.join(work, "np1.h5")
res = run(common + ["--out", s2], mpi=2)
check(res.returncode == 0, "mpirun -np 2 exit status %d" % res.returncode)
check("3 failed" in res.stdout, "summary counts 3 failures")
for vid in (missing, truncated, garbage):
    check(vid in res.stdout + res.stderr, "failure of %s reported" % vid)
res = run(common + ["--out", s1])
check(res.returncode == 0, "single rank exit status %d" % res.returncode)
check(not os.path.exists(s2 + ".tmp") and not any(".part" in n for n in os.listdir(work)),
      "no temporary files left")

# ---- the two stores are equal -------------------------------------------------
def load(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
        out["attrs"] = {k: f.attrs[k] for k in f.attrs}
    return out


a, b = load(s2), load(s1)
check(sorted(a) == sorted(b), "same datasets")
for k in a:
    if k == "attrs":
        continue
    same = all(np.array_equal(x, y) for x, y in zip(a[k], b[k])) if a[k].dtype == object \
        else np.array_equal(a[k], b[k])
    check(same and len(a[k]) == len(b[k]), "dataset %s equal for 1 and 2 ranks" % k)
for k in ("resolution", "frame_rate", "tokenizer_sha256", "complete", "dataset"):
    check(a["attrs"][k] == b["attrs"][k], "attribute %s equal" % k)

# ---- content -----------------------------------------------------------------
S = lambda x: x.decode() if isinstance(x, bytes) else x
ids = [S(x) for x in a["videos/id"]]
status = dict(zip(ids, [S(x) for x in a["videos/status"]]))
print("statuses:", {k: v for k, v in status.items() if v != "ok"})
check(status[missing] == "missing file", "missing video status: %s" % status[missing])
check(status[truncated] not in ("ok", "") and status[garbage] not in ("ok", ""),
      "corrupt video statuses")
check(sum(v != "ok" for v in status.values()) == 3, "exactly three failures")
check(hashlib.sha256(open(vocab, "rb").read()).hexdigest() == S(a["attrs"]["tokenizer_sha256"]),
      "tokenizer_sha256 = SHA-256 of the vocabulary")
check(int(a["attrs"]["resolution"]) == R and int(a["attrs"]["complete"]) == 1, "attributes")
check(a["frames"].shape[1:] == (R, R, 3), "frame shape")

data = json.load(open(os.path.join(anns, "MSRVTT_data.json")))
with open(os.path.join(anns, "MSRVTT_train.9k.csv"), newline="") as f:
    train_ids = set(r["video_id"] for r in csv.DictReader(f))
pairs = {"train": [(s["video_id"], s["caption"]) for s in data["sentences"]
                   if s["video_id"] in train_ids]}
with open(os.path.join(anns, "MSRVTT_JSFUSION_test.csv"), newline="") as f:
    pairs["test"] = [(r["video_id"], r["sentence"]) for r in csv.DictReader(f)]
texts = [S(x) for x in a["captions/text"]]
for split in ("train", "test"):
    got = [(ids[a["captions/video"][c]], texts[c]) for c in a["splits/%s/captions" % split]]
    check(got == pairs[split], "split %s pairs follow §3" % split)
check(all(len(t) > 0 for t in a["captions/tokens"]), "every caption has tokens")

# frame counts: stride rule on ffprobe's numbers
off, cnt = a["videos/frame_offset"], a["videos/frame_count"]
for v, vid in enumerate(ids):
    if status[vid] != "ok":
        check(cnt[v] == 0, "failed video %s has no frames" % vid)
        continue
    pr = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
         "stream=avg_frame_rate,nb_read_frames", "-of", "json",
         os.path.join(videos, vid + ".mp4")], capture_output=True, text=True).stdout)["streams"][0]
    fps = float(Fraction(pr["avg_frame_rate"]))
    n = int(pr["nb_read_frames"])
    stride = max(1, round(fps / 1.0))
    check(cnt[v] == len(range(0, n, stride)), "%s: %d frames, expected %d (n %d, stride %d)" %
          (vid, cnt[v], len(range(0, n, stride)), n, stride))
    check(abs(a["videos/fps"][v] - fps) < 1e-9, "%s fps" % vid)


def pillow_frames(path, stride):
    pr = json.loads(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                                    "-show_entries", "stream=width,height", "-of", "json", path],
                                   capture_output=True, text=True).stdout)["streams"][0]
    w, h = pr["width"], pr["height"]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)[::stride]
    out = []
    for fr in frames:
        im = Image.fromarray(fr)
        if w <= h:
            ow, oh = R, int(R * h / w)
        else:
            ow, oh = int(R * w / h), R
        if (w <= h and w != R) or (h < w and h != R):
            im = im.resize((ow, oh), Image.BICUBIC)
        top, left = int(round((oh - R) / 2.0)), int(round((ow - R) / 2.0))
        out.append(np.asarray(im.crop((left, top, left + R, top + R))))
    return np.stack(out)


checked = 0
for v, vid in enumerate(ids):
    if status[vid] != "ok" or checked >= 3:
        continue
    stride = max(1, round(a["videos/fps"][v]))
    ref = pillow_frames(os.path.join(videos, vid + ".mp4"), stride)
    ours = a["frames"][off[v]:off[v] + cnt[v]]
    diff = np.abs(ref.astype(int) - ours.astype(int)).max() if ref.shape == ours.shape else 999
    check(ref.shape == ours.shape and diff <= 1, "%s pixels vs ffmpeg+Pillow: max diff %s" %
          (vid, diff))
    checked += 1

# ---- refuse / --force / leftover temporary -------------------------------------
mtime = os.path.getmtime(s2)
res = run(common + ["--out", s2], mpi=2)
check(res.returncode != 0 and "refusing" in res.stderr and "--force" in res.stderr,
      "a second run refuses to overwrite the complete store")
check(os.path.getmtime(s2) == mtime, "the refused run left the store alone")
open(s2 + ".tmp", "wb").write(b"half-written")
res = run(common + ["--out", s2, "--force", "--limit", "2"], mpi=2)
check(res.returncode == 0 and "leftover" in res.stdout, "--force with a leftover temporary")
check(not os.path.exists(s2 + ".tmp"), "temporary removed")
with h5py.File(s2, "r") as f:
    check(len(f["videos/id"]) == 4 and int(f.attrs["complete"]) == 1, "--limit 2 store rebuilt")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("drl_preprocess: all checks passed")
