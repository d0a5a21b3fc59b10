#!/usr/bin/env python3
"""Builds a small real-format MSR-VTT fixture from the shared CSVs.

msrvtt_fixture.py OUT_DIR [--videos] [--n-train 20] [--n-test 10]
  OUT_DIR/anns/MSRVTT_train.9k.csv      header + the first n-train ids of the real 9k CSV
  OUT_DIR/anns/MSRVTT_JSFUSION_test.csv header + the first n-test rows of the real CSV
                                        (as csv.writer writes them) + one row with a
                                        quoted sentence (comma, quotes)
  OUT_DIR/anns/MSRVTT_data.json         generated sentences for those videos and for some
                                        videos in neither list, interleaved (not grouped
                                        per video), one train video without any sentence
  OUT_DIR/videos/<id>.mp4               (--videos) tiny clips by the ffmpeg CLI, sizes,
                                        rates and lengths varied
"""
import argparse
import csv
import json
import os
import random
import subprocess

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--videos", action="store_true")
ap.add_argument("--n-train", type=int, default=20)
ap.add_argument("--n-test", type=int, default=10)
args = ap.parse_args()

shared = os.environ.get("DRL_SHARED_DIR", "/work/shared")
src = os.path.join(shared, "data", "msrvtt")
anns = os.path.join(args.out, "anns")
os.makedirs(anns, exist_ok=True)

with open(os.path.join(src, "MSRVTT_train.9k.csv"), newline="") as f:
    rows = list(csv.reader(f))
assert rows[0] == ["video_id"], rows[0]
train_ids = [r[0] for r in rows[1:1 + args.n_train]]
with open(os.path.join(anns, "MSRVTT_train.9k.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["video_id"])
    for i in train_ids:
        w.writerow([i])

with open(os.path.join(src, "MSRVTT_JSFUSION_test.csv"), newline="") as f:
    rows = list(csv.reader(f))
assert rows[0] == ["key", "vid_key", "video_id", "sentence"], rows[0]
test_rows = rows[1:1 + args.n_test]
extra_id = "video7777"
test_rows.append(["ret%d" % len(test_rows), "msr7777", extra_id,
                  'a man says "hello, world" and waves, then leaves'])
with open(os.path.join(anns, "MSRVTT_JSFUSION_test.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(["key", "vid_key", "video_id", "sentence"])
    w.writerows(test_rows)
test_ids = [r[2] for r in test_rows]

rng = random.Random(1234)
subjects = ["a man", "a woman", "a cat", "a red car", "two kids", "a chef", "a band"]
verbs = ["is running", "talks about", "plays with", "drives past", "cooks", "sings near"]
objects = ["a ball", "the camera", "a guitar", "some food", "the road", "a \"big\" box",
           "café tables", "a dog, a cat"]
without_caption = train_ids[3]
others = ["video%d" % (8000 + k) for k in range(5)]  # in neither list
pool = []
for vid in train_ids + test_ids + others:
    if vid == without_caption:
        continue
    for k in range(rng.randint(2, 4)):
        pool.append(vid)
rng.shuffle(pool)
sentences = [{"caption": "%s %s %s" % (rng.choice(subjects), rng.choice(verbs),
                                        rng.choice(objects)),
              "video_id": vid, "sen_id": i} for i, vid in enumerate(pool)]
data = {"info": {"year": 2016}, "videos": [{"video_id": v, "id": i} for i, v in
                                           enumerate(sorted(set(pool)))],
        "sentences": sentences}
with open(os.path.join(anns, "MSRVTT_data.json"), "w", encoding="utf-8") as f:
    json.dump(data, f, ensure_ascii=False)

if args.videos:
    vdir = os.path.join(args.out, "videos")
    os.makedirs(vdir, exist_ok=True)
    sizes = [(64, 48), (48, 64), (50, 38), (40, 40), (72, 40)]
    rates = ["10", "25", "30000/1001", "8"]
    for n, vid in enumerate(sorted(set(train_ids + test_ids))):
        sw, sh = sizes[n % len(sizes)]
        rate = rates[n % len(rates)]
        dur = [1.3, 2.2, 0.4, 3.1][n % 4]
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=%dx%d:rate=%s:duration=%s" % (sw, sh, rate, dur),
                        "-pix_fmt", "yuv420p", "-c:v", "mpeg4", "-q:v", "3",
                        os.path.join(vdir, vid + ".mp4")], check=True)
print(json.dumps({"train_ids": train_ids, "test_ids": test_ids,
                  "without_caption": without_caption}))
