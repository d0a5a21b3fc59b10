#!/usr/bin/env python3
"""MSR-VTT readers vs a Python computation of spec/data.md §3 on a
real-format fixture built from the shared CSVs: train pairs = every JSON
sentence whose video is in the 9k CSV, in JSON order; test pairs = the
JSFUSION rows in file order (Python's csv module is the CSV reference)."""
import csv
import json
import os
import subprocess
import sys

binary = os.environ["DRL_BINARY_DIR"]
here = os.path.dirname(os.path.abspath(__file__))
work = os.path.join(binary, "tests", "preprocess", "msrvtt_annotations")
subprocess.run([sys.executable, os.path.join(here, "msrvtt_fixture.py"), work], check=True,
               stdout=subprocess.DEVNULL)
anns = os.path.join(work, "anns")
J, TR, TE = (os.path.join(anns, n) for n in
             ("MSRVTT_data.json", "MSRVTT_train.9k.csv", "MSRVTT_JSFUSION_test.csv"))
tool = os.path.join(binary, "tests", "preprocess", "msrvtt_dump")


def expected(limit=0):
    data = json.load(open(J, encoding="utf-8"))
    with open(TR, newline="") as f:
        train_ids = set(r["video_id"] for r in csv.DictReader(f))
    out, seen = [], []
    for s in data["sentences"]:
        if s["video_id"] in train_ids:
            if limit and s["video_id"] not in seen:
                if len(seen) >= limit:
                    continue
                seen.append(s["video_id"])
            out.append({"split": "train", "video_id": s["video_id"], "caption": s["caption"]})
    seen = []
    with open(TE, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if limit and r["video_id"] not in seen:
                if len(seen) >= limit:
                    continue
                seen.append(r["video_id"])
            out.append({"split": "test", "video_id": r["video_id"], "caption": r["sentence"]})
    return out


failures = 0
for limit in (0, 3):
    res = subprocess.run([tool, J, TR, TE] + ([str(limit)] if limit else []),
                         capture_output=True, text=True)
    if res.returncode != 0:
        print("msrvtt_dump failed:", res.stderr)
        sys.exit(1)
    got = [json.loads(l) for l in res.stdout.splitlines()]
    want = expected(limit)
    ntrain = sum(p["split"] == "train" for p in want)
    print("limit %d: %d pairs (%d train, %d test); %s" % (limit, len(want), ntrain,
                                                           len(want) - ntrain, res.stderr.strip()))
    if got != want:
        failures += 1
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                print("first difference at pair %d: got %s want %s" % (i, g, w))
                break
        print("got %d pairs, want %d" % (len(got), len(want)))
    if limit == 0 and "without caption 1" not in res.stderr:
        failures += 1
        print("the train id without sentences was not counted")

# Bad inputs: a clear message naming the file.
bad_csv = os.path.join(work, "bad_test.csv")
with open(bad_csv, "w") as f:
    f.write('key,vid_key,video_id,sentence\nret0,msr1,video1,"unterminated\n')
bad_hdr = os.path.join(work, "bad_header.csv")
with open(bad_hdr, "w") as f:
    f.write("key,vid,sentence\nret0,msr1,hello\n")
bad_json = os.path.join(work, "bad.json")
with open(bad_json, "w") as f:
    f.write('{"sentences": [{"caption": 3, "video_id": "video1"}]}')
for args, must in (([J, TR, bad_csv], [bad_csv, "unterminated"]),
                   ([J, TR, bad_hdr], [bad_hdr, "video_id"]),
                   ([bad_json, TR, TE], [bad_json, "sentences[0]"]),
                   ([J, os.path.join(work, "nope.csv"), TE], ["nope.csv", "cannot open"])):
    res = subprocess.run([tool] + args, capture_output=True, text=True)
    ok = res.returncode != 0 and all(m in res.stderr for m in must)
    print("bad input ->", res.stderr.strip())
    if not ok:
        failures += 1
        print("FAIL: expected an error containing", must)
sys.exit(1 if failures else 0)
