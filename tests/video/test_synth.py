"""drl_synth: the dataset's structure (JSON/CSV, as MSR-VTT), its videos as
ffprobe and the ffmpeg CLI see them, captions that name what the pixels show,
and determinism for a seed."""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

import vtest

SYNTH = os.path.join(vtest.BIN, "src", "video", "drl_synth")
D = vtest.workdir("synth")
failures = []

# Reference colour names (CSS-like), independent of the generator's palette.
NAMED = {"red": (255, 0, 0), "green": (0, 150, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
         "white": (255, 255, 255), "purple": (128, 0, 128), "orange": (255, 165, 0),
         "cyan": (0, 255, 255)}
ACTION_WORDS = {"left": ["left"], "right": ["right"], "up": ["up"], "down": ["down"],
                "appear": ["appears", "shows up", "pops up", "comes into view"]}


def fail(msg):
    failures.append(msg)


def generate(out, *args):
    if os.path.exists(out):
        shutil.rmtree(out)
    p = vtest.run([SYNTH, "--out", out] + list(args))
    print(p.stdout.strip())


def check_dataset(root, n_videos, n_test, k, size, seconds, fps):
    anns = os.path.join(root, "anns")
    data = json.load(open(os.path.join(anns, "MSRVTT_data.json")))
    meta = {m["video_id"]: m for m in json.load(open(os.path.join(anns, "synth_meta.json")))}
    ids = [v["video_id"] for v in data["videos"]]
    if ids != ["video%d" % i for i in range(n_videos)]:
        fail("%s: video ids are not video0..video%d" % (root, n_videos - 1))
    sents = data["sentences"]
    if len(sents) != n_videos * k:
        fail("%s: %d sentences, expected %d" % (root, len(sents), n_videos * k))
    if len({s["sen_id"] for s in sents}) != len(sents):
        fail("%s: sen_id not unique" % root)
    by_video = {}
    for s in sents:
        if set(s) != {"caption", "video_id", "sen_id"}:
            fail("%s: sentence keys %s" % (root, sorted(s)))
        by_video.setdefault(s["video_id"], []).append(s["caption"])
    with open(os.path.join(anns, "MSRVTT_train.9k.csv")) as f:
        rows = list(csv.reader(f))
    if rows[0] != ["video_id"]:
        fail("train csv header %s" % rows[0])
    train = [r[0] for r in rows[1:]]
    with open(os.path.join(anns, "MSRVTT_JSFUSION_test.csv")) as f:
        rows = list(csv.reader(f))
    if rows[0] != ["key", "vid_key", "video_id", "sentence"]:
        fail("test csv header %s" % rows[0])
    test = []
    for i, r in enumerate(rows[1:]):
        if len(r) != 4 or r[0] != "ret%d" % i or r[1] != "msr" + r[2][len("video"):]:
            fail("test csv row %d malformed: %s" % (i, r))
            continue
        test.append(r[2])
        if r[3] not in by_video.get(r[2], []):
            fail("test caption %r is not one of %s's sentences" % (r[3], r[2]))
    if len(test) != n_test or len(train) != n_videos - n_test:
        fail("%s: %d train / %d test ids, expected %d / %d" % (root, len(train), len(test),
                                                               n_videos - n_test, n_test))
    if set(train) & set(test) or set(train) | set(test) != set(ids):
        fail("%s: train and test are not a partition of the videos" % root)
    combos = {(m["shape"], m["colour"], m["action"]) for m in meta.values()}
    if len(combos) != min(n_videos, 288):
        fail("%s: %d distinct (shape, colour, action) for %d videos" % (root, len(combos), n_videos))
    for vid in ids:
        if not os.path.exists(os.path.join(root, "videos", vid + ".mp4")):
            fail("%s: missing video file for %s" % (root, vid))
        m = meta[vid]
        caps = by_video.get(vid, [])
        if len(set(caps)) != k:
            fail("%s: %d distinct captions, expected %d" % (vid, len(set(caps)), k))
        words = ACTION_WORDS.get(m["action"], [m["colour2"]])
        for c in caps:
            if m["colour"] not in c or m["shape"] not in c or not any(w in c for w in words):
                fail("%s: caption %r does not name %s %s %s" % (vid, c, m["colour"], m["shape"], m["action"]))
    return ids, meta


def foreground(frame):
    f = frame.astype(int)
    return (f.max(axis=2) - f.min(axis=2) > 60) | (f.min(axis=2) > 150)


def nearest_name(rgb):
    return min(NAMED, key=lambda n: sum((a - b) ** 2 for a, b in zip(NAMED[n], rgb)))


def check_video(root, vid, m, size, seconds, fps):
    path = os.path.join(root, "videos", vid + ".mp4")
    rate, w, h = vtest.probe(path)
    n_expected = round(seconds * fps)
    frames = vtest.cli_frames(path, w, h)
    if (w, h) != size or rate != fps or len(frames) != n_expected:
        fail("%s: ffprobe %dx%d at %s with %d frames, expected %dx%d at %d with %d" %
             (vid, w, h, rate, len(frames), size[0], size[1], fps, n_expected))
        return
    masks = [foreground(f) for f in frames]
    first, last = masks[0], masks[-1]
    def centroid(mask):
        ys, xs = np.nonzero(mask)
        return xs.mean(), ys.mean()
    def colour(frame, mask):
        return nearest_name(np.median(frame[mask], axis=0))
    act = m["action"]
    if act == "appear":
        if first.sum() != 0 or last.sum() == 0:
            fail("%s: 'appear' but first frame has %d and last %d foreground pixels" % (vid, first.sum(), last.sum()))
        elif colour(frames[-1], last) != m["colour"]:
            fail("%s: appears %s, pixels look %s" % (vid, m["colour"], colour(frames[-1], last)))
        return
    if first.sum() == 0 or last.sum() == 0:
        fail("%s: no shape visible" % vid)
        return
    (x0, y0), (x1, y1) = centroid(first), centroid(last)
    dx, dy = x1 - x0, y1 - y0
    c0, c1 = colour(frames[0], first), colour(frames[-1], last)
    want = {"left": dx < -w / 4, "right": dx > w / 4, "up": dy < -h / 4, "down": dy > h / 4,
            "change": abs(dx) < 2 and abs(dy) < 2 and c1 == m["colour2"]}[act]
    if not want or c0 != m["colour"]:
        fail("%s: meta %s; pixels: moved (%.1f, %.1f), colour %s -> %s" % (vid, m, dx, dy, c0, c1))


# A small dataset, checked in full.
small = os.path.join(D, "small")
generate(small, "--videos", "36", "--test", "6", "--captions", "3", "--seed", "7", "--size",
         "64x48", "--seconds", "4", "--fps", "8")
ids, meta = check_dataset(small, 36, 6, 3, (64, 48), 4, 8)
for vid in ids:
    check_video(small, vid, meta[vid], (64, 48), 4, 8)
print("small: %d videos checked against ffprobe/ffmpeg; actions %s" %
      (len(ids), sorted({m["action"] for m in meta.values()})))

# Determinism: same seed -> same bytes; another seed -> another dataset.
again = os.path.join(D, "again")
generate(again, "--videos", "36", "--test", "6", "--captions", "3", "--seed", "7", "--size",
         "64x48", "--seconds", "4", "--fps", "8")
def digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            h.update(name.encode())
            h.update(open(os.path.join(dirpath, name), "rb").read())
    return h.hexdigest()
if digest(small) != digest(again):
    fail("the same seed gave different files")
other = os.path.join(D, "other")
generate(other, "--videos", "36", "--test", "6", "--captions", "3", "--seed", "8", "--size",
         "64x48", "--seconds", "4", "--fps", "8")
if open(os.path.join(other, "anns", "MSRVTT_data.json")).read() == \
        open(os.path.join(small, "anns", "MSRVTT_data.json")).read():
    fail("seeds 7 and 8 gave the same annotations")

# The defaults: 240 videos, 200 train / 40 test, 4 captions, 64x48, 5 s at 8 fps.
default = os.path.join(D, "default")
generate(default)
ids, meta = check_dataset(default, 240, 40, 4, (64, 48), 5, 8)
for vid in ids[::37]:
    check_video(default, vid, meta[vid], (64, 48), 5, 8)

# Bad options are refused with a reason.
p = vtest.run([SYNTH, "--out", os.path.join(D, "bad"), "--size", "63x48"], check=False)
if p.returncode == 0 or "even" not in p.stderr:
    fail("odd --size accepted: %s" % p.stderr)

if failures:
    print("FAILED:\n  " + "\n  ".join(failures[:40]))
    sys.exit(1)
print("synthetic dataset OK")
