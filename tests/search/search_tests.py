#!/usr/bin/env python3
"""Tests of drl_index / drl_search (issue 8) on a tiny WTI model trained by
drl_hpc on a synthetic store (fixture.py). References are independent: NumPy
on the index file and the checkpoint's weights (spec/model.md §4), h5py, the
run's own evaluation (result.json), a 1-rank vs 2-rank index.

usage: search_tests.py BIN_DIR WORK_DIR TEST   (TEST: fixture | index | retrieval | block)
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402

BIN, WORK, TEST = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
FIX = os.path.join(BIN, "tests/search_fixture")
INDEX = os.path.join(BIN, "src/search/drl_index")
SEARCH = os.path.join(BIN, "src/search/drl_search")
FAILS = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg, flush=True)
    if not cond:
        FAILS.append(msg)


def run(cmd, expect=0):
    p = subprocess.run(cmd, env=fixture.ENV, capture_output=True, text=True, timeout=300)
    if p.returncode != expect:
        print(p.stdout[-3000:], p.stderr[-3000:])
    check(p.returncode == expect, f"{os.path.basename(cmd[0]) if cmd[0] != 'mpirun' else 'mpirun ' + os.path.basename(cmd[4])} exits {expect} (got {p.returncode})")
    return p


def build_index(name, ranks=1, extra=()):
    out = os.path.join(WORK, name)
    if "--all" not in extra and "--split" not in extra:
        extra = ["--split", "test"] + list(extra)
    run(fixture.mpirun(ranks) + [INDEX, os.path.join(FIX, "wti.cfg"), "-o", out] + list(extra))
    return out


def test_captions(store):
    with h5py.File(store, "r") as f:
        caps = f["splits/test/captions"][()]
        text = [f["captions/text"][c].decode() for c in caps]
        vids = [f["videos/id"][f["captions/video"][c]].decode() for c in caps]
    return text, vids


def norm(x):
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.where(n > 0, x / np.where(n > 0, n, 1), 0)


def weight_branch(params, prefix, x, mask):
    """spec §4: f = Linear ReLU ... Linear(D,1); masked softmax."""
    k, h = 0, x.astype(np.float64)
    layers = sorted({int(n.split(".")[1]) for n in params if n.startswith(prefix + ".")})
    for i, k in enumerate(layers):
        h = h @ params[f"{prefix}.{k}.weight"].T.astype(np.float64) + params[f"{prefix}.{k}.bias"]
        if i + 1 < len(layers):
            h = np.maximum(h, 0)
    logit = np.where(mask > 0, h[..., 0], -np.inf)
    e = np.exp(logit - logit.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def wti_scores(tf, tm, wt, vf, vm, wv):
    """s (Nv) of one text tf (L, D) against videos vf (Nv, T, D): spec §4 with
    masked entries 0."""
    S = np.einsum("id,bjd->bij", norm(tf.astype(np.float64)), norm(vf.astype(np.float64)))
    S = S * tm[None, :, None] * vm[:, None, :]
    t2v = (S.max(axis=2) * wt[None, :]).sum(axis=1)
    v2t = (S.max(axis=1) * wv).sum(axis=1)
    return (t2v + v2t) / 2, t2v, v2t


def test_index():
    store, cfg = fixture.build(BIN, FIX)
    one = build_index("one.h5")
    two = build_index("two.h5", ranks=2, extra=["--split", "test", "--block", "3"])
    with h5py.File(one, "r") as a, h5py.File(two, "r") as b, h5py.File(store, "r") as s:
        check(a.attrs["count"] == 16 and a["features"].shape == (16, 4, 64), "1-rank index: 16 test videos x 4 frames x 64")
        check(b["features"].chunks[0] == 3, "--block 3: chunks of 3 videos")
        check([x for x in a["ids"][()]] == [x for x in b["ids"][()]], "2-rank index: same ids")
        for k in ("masks", "store_index"):
            check(np.array_equal(a[k][()], b[k][()]), f"2-rank index: same /{k}")
        for k in ("features", "pooled", "video_weights"):
            d = float(np.abs(a[k][()] - b[k][()]).max())
            check(d < 1e-4, f"2-rank index (block 3): /{k} equals the 1-rank one (max diff {d:.1e})")
        # masks = min(frame_count, T) real frames (the loader's rule)
        fc = s["videos/frame_count"][()][a["store_index"][()]]
        check(np.array_equal(a["masks"][()].sum(1), np.minimum(fc, 4)), "masks count min(frame_count, T) frames")
        ids = [s["videos/id"][i] for i in a["store_index"][()]]
        check(ids == list(a["ids"][()]), "ids are the store's ids of store_index")
        vf, vm = a["features"][()], a["masks"][()]
        pooled = norm((norm(vf) * vm[..., None]).sum(1) / np.maximum(vm.sum(1), 1)[:, None])
        d = float(np.abs(pooled - a["pooled"][()]).max())
        check(d < 1e-5, f"/pooled = normalised mean of normalised frames (NumPy, max diff {d:.1e})")
        params = {k: a_[()] for k, a_ in h5py.File(os.path.join(FIX, "run/ckpt/best.h5"), "r").items()}
        wv = weight_branch(params, "video_weight_fc", vf, vm)
        d = float(np.abs(wv - a["video_weights"][()]).max())
        check(d < 1e-5, f"/video_weights = the checkpoint's video weight branch (NumPy, max diff {d:.1e})")
        check("interaction" in a.attrs and a.attrs["interaction"] in ("wti", b"wti"), "interaction attribute wti")
        check(os.path.samefile(a.attrs["checkpoint"], os.path.join(FIX, "run/ckpt/best.h5")),
              "checkpoint attribute: the run's best.h5 by default")
    allx = build_index("all.h5", extra=["--all"])
    with h5py.File(allx, "r") as f:
        check(f.attrs["count"] == 96, f"--all indexes every video of the store ({f.attrs['count']})")
    p = run([INDEX, cfg, "--split", "nosuch", "-o", os.path.join(WORK, "bad.h5")], expect=2)
    check("nosuch" in p.stderr, "an unknown split is named in the error")


def search(index, caption, *extra):
    p = run([SEARCH, index, caption, "--json-full"] + list(extra))
    try:
        return json.loads(p.stdout)
    except ValueError:
        check(False, "--json output parses")
        return {"results": []}


def test_retrieval():
    store, cfg = fixture.build(BIN, FIX)
    index = build_index("r.h5")
    texts, vids = test_captions(store)
    with h5py.File(index, "r") as f:
        vf, vm, pooled, wv = f["features"][()], f["masks"][()], f["pooled"][()], f["video_weights"][()]
        ids = [x.decode() for x in f["ids"][()]]
    params = {k: a_[()] for k, a_ in h5py.File(os.path.join(FIX, "run/ckpt/best.h5"), "r").items()}
    ranks, worst_dp, worst_wti, worst_w = [], 0.0, 0.0, 0.0
    for text, vid in zip(texts, vids):
        d = search(index, text, "-k", "16")
        res = d["results"]
        check(len(res) == 16 and d["reranked"] == 16, "16 results, all re-ranked") if text == texts[0] else None
        t = np.array(d["text_vector"], dtype=np.float64)
        tf = np.array(d["text_features"], dtype=np.float64).reshape(12, 64)
        tm = np.array(d["text_mask"], dtype=np.float64)
        wt = np.array(d["text_weights"])
        # independent references: NumPy on the index and the checkpoint
        wt_ref = weight_branch(params, "text_weight_fc", tf, tm)
        worst_w = max(worst_w, float(np.abs(wt - wt_ref).max()))
        t_ref = norm(tf[int(tm.sum()) - 1])
        worst_dp = max(worst_dp, float(np.abs(t - t_ref).max()))
        s_ref, _, _ = wti_scores(tf, tm, wt_ref, vf, vm, wv)
        for r in res:
            worst_dp = max(worst_dp, abs(r["dp"] - float(t @ pooled[r["row"]])))
            worst_wti = max(worst_wti, abs(r["score"] - s_ref[r["row"]]))
            check(ids[r["row"]] == r["id"], "result id is the index row's id") if r["rank"] == 1 and text == texts[0] else None
        order = [r["id"] for r in res]
        ranks.append(order.index(vid) + 1)
        check(all(res[i]["score"] >= res[i + 1]["score"] for i in range(len(res) - 1)),
              "results sorted by score") if text == texts[0] else None
    check(worst_w < 1e-5, f"text weights = the checkpoint's text weight branch (NumPy, max diff {worst_w:.1e})")
    check(worst_dp < 1e-5, f"dp first pass = text vector . stored pooled vector (max diff {worst_dp:.1e})")
    check(worst_wti < 1e-5, f"re-ranked wti scores = NumPy wti on the index (max diff {worst_wti:.1e})")
    r1 = 100.0 * sum(r == 1 for r in ranks) / len(ranks)
    res = json.load(open(os.path.join(FIX, "run/result.json")))
    print(f"search R@1 {r1:.1f} over {len(ranks)} test captions; the run's evaluation: {res['metrics']['t2v']['R@1']}; ranks {ranks}")
    check(abs(r1 - res["metrics"]["t2v"]["R@1"]) <= 0.1, "search R@1 equals the run's evaluation of the test split")
    check(r1 > 50.0, f"the searched caption's video is first for most test captions ({r1:.1f}%)")
    # a partial re-rank: the best 4 of the first pass re-scored, the rest in dp order
    d = search(index, texts[0], "-k", "10", "--rerank", "4")
    rr = d["results"]
    check(d["reranked"] == 4 and all(abs(r["score"] - r["dp"]) < 1e-7 for r in rr[4:]),
          "--rerank 4: results 5.. keep their dp score")
    check(sorted(r["row"] for r in rr[:4]) == sorted(np.argsort(-(pooled @ np.array(d["text_vector"])), kind="stable")[:4].tolist()),
          "--rerank 4: the re-ranked four are the dp first pass's best four")
    p = run([SEARCH, index, texts[0], "-k", "3"])
    check(len([l for l in p.stdout.splitlines() if l.strip().endswith(tuple(ids))]) == 3, "table output: 3 rows")
    p = run([SEARCH, os.path.join(WORK, "missing.h5"), "x"], expect=2)
    check("missing.h5" in p.stderr, "a missing index is named in the error")


def test_block():
    store, cfg = fixture.build(BIN, FIX)
    index = build_index("b.h5", extra=["--split", "test", "--block", "1024"])
    texts, _ = test_captions(store)
    for text in texts[:4]:
        a = search(index, text, "-k", "16")["results"]
        b = search(index, text, "-k", "16", "--block", "3")["results"]
        env_old = fixture.ENV.get("DRL_SEARCH_BLOCK")
        fixture.ENV["DRL_SEARCH_BLOCK"] = "5"
        c = search(index, text, "-k", "16", "--rerank", "7")["results"]
        fixture.ENV.pop("DRL_SEARCH_BLOCK") if env_old is None else None
        d = search(index, text, "-k", "16", "--rerank", "7")["results"]
        check(a == b, f"--block 3 (out-of-core reads) gives the same results: {text!r}")
        check(c == d, f"DRL_SEARCH_BLOCK=5 gives the same results with --rerank 7: {text!r}")


def main():
    os.makedirs(WORK, exist_ok=True)
    if TEST == "fixture":
        fixture.build(BIN, FIX)
    else:
        globals()["test_" + TEST]()
    print(f"{TEST}: {len(FAILS)} failed")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
