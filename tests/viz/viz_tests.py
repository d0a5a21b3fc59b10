#!/usr/bin/env python3
"""Tests of drl_viz and the training curves (issue 8): the files are valid
PNG (Pillow) / SVG (XML), of the expected size, not blank; the scores drl_viz
draws equal NumPy's wti (spec/model.md §4) on the features of an independent
path (drl_index + drl_search --json-full) and drl_search's similarity.

usage: viz_tests.py BIN_DIR WORK_DIR TEST   (TEST: picture | curves)
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../search"))
import fixture  # noqa: E402
import search_tests as st  # noqa: E402  (shares the fixture and NumPy references)

BIN, WORK, TEST = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
FIX = os.path.join(BIN, "tests/search_fixture")
VIZ = os.path.join(BIN, "src/viz/drl_viz")
CURVES = os.path.join(BIN, "src/viz/drl_curves")
check, FAILS = st.check, st.FAILS


def test_picture():
    store, cfg = fixture.build(BIN, FIX)
    st.WORK = WORK
    index = st.build_index("v.h5")
    texts, vids = st.test_captions(store)
    with h5py.File(index, "r") as f:
        vf, vm, wv = f["features"][()], f["masks"][()], f["video_weights"][()]
        ids = [x.decode() for x in f["ids"][()]]
    for k in (0, 5):
        text, vid = texts[k], vids[k]
        png, svg = os.path.join(WORK, f"p{k}.png"), os.path.join(WORK, f"p{k}.svg")
        p = st.run([VIZ, cfg, "--video", vid, "--text", text, "-o", png])
        m = re.search(r"(\d+) tokens x (\d+) frames, t2v (\S+) v2t (\S+) similarity (\S+)", p.stdout)
        check(m is not None, "drl_viz prints the scores it drew")
        if not m:
            continue
        nt, nf, t2v, v2t, sim = int(m[1]), int(m[2]), float(m[3]), float(m[4]), float(m[5])
        st.run([VIZ, cfg, "--video", vid, "--text", text, "-o", svg])
        img = Image.open(png)
        img.load()
        w_exp = max(760, int(max(nt * 84, nf * 148) + 80))
        check(img.format == "PNG" and img.size == (w_exp, 750), f"PNG opens, size {img.size} == ({w_exp}, 750)")
        a = np.asarray(img.convert("RGB"), dtype=np.float64)
        check(a.std() > 20, f"PNG is not blank (pixel sd {a.std():.1f})")
        root = ET.parse(svg).getroot()
        check(root.tag.endswith("svg") and root.get("width", "").startswith(str(w_exp)),
              f"SVG parses, width {root.get('width')}")
        # independent path: the index's features + the text side of drl_search
        d = st.search(index, text, "-k", "16")
        row = ids.index(vid)
        tf = np.array(d["text_features"]).reshape(12, 64)
        tm = np.array(d["text_mask"], dtype=np.float64)
        params = {n: x[()] for n, x in h5py.File(os.path.join(FIX, "run/ckpt/best.h5"), "r").items()}
        wt = st.weight_branch(params, "text_weight_fc", tf, tm)
        s, rt2v, rv2t = st.wti_scores(tf, tm, wt, vf[row:row + 1], vm[row:row + 1], wv[row:row + 1])
        check(nt == int(tm.sum()) and nf == int(vm[row].sum()), f"{nt} tokens and {nf} frames drawn (the valid ones)")
        check(abs(t2v - rt2v[0]) < 1e-4 and abs(v2t - rv2t[0]) < 1e-4,
              f"t2v {t2v:.6f} / v2t {v2t:.6f} = NumPy on the index ({rt2v[0]:.6f} / {rv2t[0]:.6f})")
        hit = [r for r in d["results"] if r["id"] == vid][0]
        check(abs(sim - hit["score"]) < 1e-4 and abs(sim - (t2v + v2t) / 2) < 2e-6,
              f"similarity {sim:.6f} = drl_search's {hit['score']:.6f} = (t2v + v2t) / 2")
    # dp / xti: refused with a clear message
    dp = fixture.write_cfg(os.path.join(WORK, "dp.cfg"), store, os.path.join(WORK, "dprun"),
                           **{"model.interaction": "dp"})
    p = st.run([VIZ, dp, "--video", vids[0], "--text", "x", "-o", os.path.join(WORK, "dp.png")], expect=2)
    check("token-wise" in p.stderr and "dp" in p.stderr, "dp is refused naming the interaction")
    p = st.run([VIZ, cfg, "--video", "nosuch", "--text", "x", "-o", os.path.join(WORK, "n.png")], expect=2)
    check("nosuch" in p.stderr, "an unknown video id is named")
    p = st.run([VIZ, cfg, "--video", vids[0], "--text", "x", "-o", os.path.join(WORK, "n.jpg")], expect=1)
    check("n.jpg" in p.stderr and ".png or .svg" in p.stderr, "an unsupported extension is named")


def test_curves():
    fixture.build(BIN, FIX)
    run_dir = os.path.join(FIX, "run")
    out = os.path.join(WORK, "curves.png")
    st.run([CURVES, run_dir, "-o", out])
    img = Image.open(out)
    img.load()
    check(img.format == "PNG" and img.size == (1100, 900), f"curves PNG opens, size {img.size}")
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    check(a.std() > 20, f"curves PNG is not blank (pixel sd {a.std():.1f})")
    # plotted colours present: the loss line (31,120,181) and the R@1 markers
    rgb = a.reshape(-1, 3)
    for name, c in (("loss", (31, 120, 181)), ("t2v R@1", (43, 161, 43)), ("lr", (118, 112, 179))):
        near = int((np.abs(rgb - np.array(c)).sum(1) < 30).sum())
        check(near > 200, f"the {name} series is drawn ({near} pixels of its colour)")
    # a malformed line is skipped, not fatal; a missing file is named
    mdir = os.path.join(WORK, "m")
    os.makedirs(mdir, exist_ok=True)
    with open(os.path.join(mdir, "metrics.jsonl"), "w") as f:
        for s in range(1, 21):
            f.write(json.dumps({"kind": "train", "epoch": 1, "step": s, "loss": 3.0 / s, "lr": 1e-4 * s, "lr_clip": 1e-6 * s}) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"kind": "eval", "epoch": 1, "step": 20, "metrics": {"t2v": {"R@1": 10.0}, "v2t": {"R@1": 12.0}}}) + "\n")
    p = st.run([CURVES, mdir])
    check(os.path.exists(os.path.join(mdir, "curves.png")) and "metrics.jsonl:21" in p.stderr + p.stdout,
          "a malformed line is reported by line number and skipped")
    p = st.run([CURVES, os.path.join(WORK, "nosuch")], expect=1)
    check("nosuch/metrics.jsonl" in p.stderr, "a missing metrics file is named")


def main():
    os.makedirs(WORK, exist_ok=True)
    globals()["test_" + TEST]()
    print(f"{TEST}: {len(FAILS)} failed")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
