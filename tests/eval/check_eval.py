#!/usr/bin/env python3
"""drl_eval against numpy/torch references written from spec/model.md §10:
- one caption per video: the reference repo's compute_metrics (sort, then
  every position equal to the diagonal) on random matrices, integer-valued
  matrices full of ties (including ties with the diagonal), constant
  matrices, N = 1 and N = 1000; both directions, to 1e-9;
- multi-sentence (ours, CLIP4Clip-style, src/eval/metrics.h): a sort-based
  reference (t2v: positions of the own video's score in the sorted row;
  v2t: other videos' captions plus ONE item at the best own score, sorted,
  every position equal to it) and, with one caption per video, equality with
  compute_metrics;
- DSL: torch `sim * softmax(sim * 100, dim=0)` in float64;
- QB-Norm: the authors' dynamic inverted softmax (k = 1, beta = 20) in float64.
Usage: check_eval.py EVAL_TOOL WORKDIR
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

tool, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(1234)
failures = []


def run(*args):
    r = subprocess.run([tool] + [str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"eval_tool {args[0]} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def save(name, arr):
    path = os.path.join(work, name)
    arr.tofile(path)
    return path


def summarise(ind):
    ind = np.asarray(ind)
    return {"R@1": float(np.sum(ind == 0)) * 100 / len(ind),
            "R@5": float(np.sum(ind < 5)) * 100 / len(ind),
            "R@10": float(np.sum(ind < 10)) * 100 / len(ind),
            "MdR": float(np.median(ind)) + 1,
            "MnR": float(np.mean(ind)) + 1,
            "entries": len(ind)}


def compute_metrics(x):
    """The reference repo's compute_metrics."""
    sx = np.sort(-x, axis=1)
    d = np.diag(-x)[:, None]
    ind = np.where(sx - d == 0)[1]
    return summarise(ind)


def compare(case, got, want):
    for key, val in want.items():
        if abs(got[key] - val) > 1e-9:
            failures.append(f"{case}: {key} = {got[key]!r}, numpy says {val!r}")


def check_one(case, x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    got = json.loads(run("metrics", save("sim.bin", x), n))
    compare(case + " t2v", got["t2v"], compute_metrics(x))
    compare(case + " v2t", got["v2t"], compute_metrics(x.T))
    if got["t2v"]["queries"] != n or got["v2t"]["queries"] != n:
        failures.append(f"{case}: queries {got['t2v']['queries']}, {got['v2t']['queries']} != {n}")
    return got


# --- one caption per video ---------------------------------------------------
for n in (1, 2, 3, 7, 50, 1000):
    check_one(f"random N={n}", rng.standard_normal((n, n)))
for n in (5, 20, 100):
    for hi in (2, 4):
        check_one(f"integer ties N={n} 0..{hi-1}", rng.integers(0, hi, (n, n)))
got = check_one("constant N=6", np.full((6, 6), 0.25))
if got["t2v"]["entries"] != 36:  # every row: every position
    failures.append(f"constant N=6: {got['t2v']['entries']} entries, expected 36")
# a diagonal tied with some others, the rest random
x = rng.standard_normal((40, 40)).astype(np.float32)
for i in range(40):
    x[i, rng.choice(40, size=i % 4, replace=False)] = x[i, i]
check_one("diagonal ties N=40", x)
# near-equal values: one float32 ulp apart are not ties
x = np.ones((8, 8), np.float32)
x[np.arange(8), np.arange(8)] = np.nextafter(np.float32(1), np.float32(2))
x[3, 5] = x[3, 3]
check_one("ulp apart N=8", x)
x = np.ones((8, 8), np.float32)
x[np.arange(8), np.arange(8)] = np.nextafter(np.float32(1), np.float32(0))
check_one("ulp below N=8", x)


# --- multi-sentence ------------------------------------------------------------
def multi_reference(x, cv, nv):
    t2v = []
    for c in range(x.shape[0]):
        s = np.sort(-x[c])
        t2v.extend(np.where(s == -x[c, cv[c]])[0])
    v2t, queries = [], 0
    for v in range(nv):
        own = cv == v
        if not own.any():
            continue
        queries += 1
        m = x[own, v].max()
        items = np.concatenate([x[~own, v], [m]])
        s = np.sort(-items)
        v2t.extend(np.where(s == -m)[0])
    return summarise(t2v), summarise(v2t), queries


def check_multi(case, x, cv, nv):
    x = np.ascontiguousarray(x, dtype=np.float32)
    cv = np.asarray(cv, dtype=np.int32)
    nc = x.shape[0]
    got = json.loads(run("multi", save("msim.bin", x), nc, nv, save("map.bin", cv)))
    t2v, v2t, queries = multi_reference(x, cv, nv)
    compare(case + " t2v", got["t2v"], t2v)
    compare(case + " v2t", got["v2t"], v2t)
    if got["t2v"]["queries"] != nc or got["v2t"]["queries"] != queries:
        failures.append(f"{case}: queries {got['t2v']['queries']}, {got['v2t']['queries']}")
    return got


for nv, per in ((30, 5), (100, 20), (7, 1)):
    counts = rng.integers(1, per + 1, nv) if per > 1 else np.ones(nv, int)
    cv = rng.permutation(np.repeat(np.arange(nv), counts))
    check_multi(f"multi random Nv={nv}", rng.standard_normal((len(cv), nv)), cv, nv)
    check_multi(f"multi integer ties Nv={nv}", rng.integers(0, 3, (len(cv), nv)), cv, nv)
# a video without captions (a gallery distractor) is no v2t query
cv = rng.integers(0, 12, 40)
cv[cv == 3] = 4
check_multi("multi distractor video", rng.standard_normal((40, 12)), cv, 12)
# one caption per video in order: exactly compute_metrics
x = rng.integers(0, 3, (25, 25)).astype(np.float32)
got = json.loads(run("multi", save("msim.bin", x), 25, 25,
                     save("map.bin", np.arange(25, dtype=np.int32))))
compare("multi identity t2v", got["t2v"], compute_metrics(x))
compare("multi identity v2t", got["v2t"], compute_metrics(x.T))


# --- re-ranking ---------------------------------------------------------------
def check_close(case, got, want):
    want = want.astype(np.float32)
    if not np.allclose(got, want, rtol=1e-6, atol=1e-37):
        k = np.argmax(np.abs(got - want))
        failures.append(f"{case}: max difference at {k}: {got.flat[k]!r} vs {want.flat[k]!r}")


for nq, nv in ((64, 64), (37, 91), (1, 5)):
    s = rng.uniform(-0.3, 0.6, (nq, nv)).astype(np.float32)
    out = os.path.join(work, "dsl_out.bin")
    run("dsl", save("dsl.bin", s), nq, nv, 100, out)
    got = np.fromfile(out, np.float32).reshape(nq, nv)
    t = torch.from_numpy(s.astype(np.float64))
    want = (t * torch.softmax(t * 100, dim=0)).numpy()
    check_close(f"DSL {nq}x{nv}", got, want)


def qb_norm_reference(train_test, test_test, beta=20.0, k=1):
    """Bogolin et al.'s dynamic inverted softmax, in float64."""
    retrieved = np.unique(np.argsort(-train_test, axis=1, kind="stable")[:, :k].reshape(-1))
    top1 = np.argsort(-test_test, axis=1, kind="stable")[:, 0]
    rows = np.nonzero(np.isin(top1, retrieved))[0]
    out = test_test.copy()
    norm = np.exp(train_test * beta).sum(axis=0)
    out[rows, :] = np.exp(test_test[rows, :] * beta) / norm
    return out, rows


for nq, nv, nb in ((80, 50, 200), (33, 17, 5)):
    bank = rng.uniform(-0.2, 0.5, (nb, nv)).astype(np.float32)
    bank[:, : nv // 5] += 0.4  # only the first columns are bank top-1 hits
    s = rng.uniform(-0.2, 0.6, (nq, nv)).astype(np.float32)
    out = os.path.join(work, "qb_out.bin")
    run("qbnorm", save("qb.bin", s), nq, nv, save("bank.bin", bank), nb, 20, out)
    got = np.fromfile(out, np.float32).reshape(nq, nv)
    want, rows = qb_norm_reference(bank.astype(np.float64), s.astype(np.float64))
    if not 0 < len(rows) < nq:
        failures.append(f"QB-Norm {nq}x{nv}: the case should normalise some rows, not {len(rows)}")
    check_close(f"QB-Norm {nq}x{nv}", got, want)
    untouched = np.setdiff1d(np.arange(nq), rows)
    if not np.array_equal(got[untouched], s[untouched]):
        failures.append(f"QB-Norm {nq}x{nv}: rows outside the activation set changed")

# --- DSL for v2t: torch softmax over the videos (rows of the caption x video matrix)
for nc, nv in ((40, 40), (23, 9)):
    s = rng.uniform(-0.3, 0.6, (nc, nv)).astype(np.float32)
    out = os.path.join(work, "dslv_out.bin")
    run("dslv2t", save("dslv.bin", s), nc, nv, 100, out)
    got = np.fromfile(out, np.float32).reshape(nc, nv)
    t = torch.from_numpy(s.T.astype(np.float64))  # (Nv, Nc): video queries
    want = (t * torch.softmax(t * 100, dim=0)).numpy().T
    check_close(f"DSL v2t {nc}x{nv}", got, want)


# --- both directions with re-ranking (eval_metrics*), float32 re-ranked matrices
def dsl_t2v(s):
    t = torch.from_numpy(s.astype(np.float64))
    return (t * torch.softmax(t * 100, dim=0)).numpy().astype(np.float32)


def check_report(case, s, cv, bank_t, bank_v):
    nc, nv = s.shape
    mp = save("rmap.bin", np.asarray(cv, np.int32)) if cv is not None else "-"
    got = json.loads(run("report", save("rsim.bin", s), nc, nv, mp, 100, save("bt.bin", bank_t),
                         len(bank_t), save("bv.bin", bank_v), len(bank_v), 20))
    qt = qb_norm_reference(bank_t.astype(np.float64), s.astype(np.float64))[0].astype(np.float32)
    qv = qb_norm_reference(bank_v.astype(np.float64), s.T.astype(np.float64))[0].astype(np.float32)
    dt, dv = dsl_t2v(s), dsl_t2v(s.T)  # dv: (Nv, Nc), video queries
    if cv is None:
        want = {"plain": (compute_metrics(s), compute_metrics(s.T)),
                "dsl": (compute_metrics(dt), compute_metrics(dv)),
                "qbnorm": (compute_metrics(qt), compute_metrics(qv))}
    else:
        cv = np.asarray(cv)
        want = {"plain": multi_reference(s, cv, nv)[:2],
                "dsl": (multi_reference(dt, cv, nv)[0], multi_reference(dv.T, cv, nv)[1]),
                "qbnorm": (multi_reference(qt, cv, nv)[0], multi_reference(qv.T, cv, nv)[1])}
    for kind, (t2v, v2t) in want.items():
        compare(f"{case} {kind} t2v", got[kind]["t2v"], t2v)
        compare(f"{case} {kind} v2t", got[kind]["v2t"], v2t)
    if got["dsl"]["t2v"] == got["plain"]["t2v"] or got["dsl"]["v2t"] == got["plain"]["v2t"]:
        failures.append(f"{case}: DSL changed nothing (the case is too easy)")


n = 60
feat = rng.standard_normal((n, 16)).astype(np.float32)
s = (feat @ (feat + 2.0 * rng.standard_normal((n, 16)).astype(np.float32)).T / 40).astype(np.float32)
check_report("report diagonal", s, None, rng.uniform(-0.3, 0.5, (90, n)).astype(np.float32),
             rng.uniform(-0.3, 0.5, (70, n)).astype(np.float32))
cv = rng.permutation(np.repeat(np.arange(20), 3))
s = rng.uniform(-0.3, 0.6, (60, 20)).astype(np.float32)
s[np.arange(60), cv] += 0.15
check_report("report multi", s, cv, rng.uniform(-0.3, 0.5, (50, 20)).astype(np.float32),
             rng.uniform(-0.3, 0.5, (30, 60)).astype(np.float32))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("drl_eval matches the numpy/torch references")
