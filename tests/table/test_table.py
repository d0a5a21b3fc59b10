"""drl_table against values computed here from the same JSON fixtures.

usage: test_table.py DRL_TABLE REFERENCE_CSV WORKDIR
Writes good, malformed, partial and wrongly typed result.json files, runs
drl_table in the three formats with and without --reference, and checks every
cell, the row order, the differences (ours - reference), the stderr naming of
the bad files and the exit statuses.
"""
import csv
import html.parser
import io
import json
import os
import random
import subprocess
import sys

table, ref_csv, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
METRICS = ["R@1", "R@5", "R@10", "MdR", "MnR"]
rng = random.Random(7)


def metrics():
    return {d: {m: round(rng.uniform(1, 99), rng.choice([1, 2, 3])) for m in METRICS}
            for d in ("t2v", "v2t")}


def result(config, desc, hours, kind="cuda", count=4, **extra):
    r = {"config": config, "description": desc, "backbone": "ViT-B/32", "dataset": "msrvtt",
         "devices": {"count": count, "kind": kind, "name": "NVIDIA H200"}, "ranks": count,
         "steps": 7030, "epochs": 5, "metrics": metrics(), "test_pairs": 1000}
    if hours is not None:
        r["train_hours"] = hours
    r.update(extra)
    return r


good = {
    "wti_cdcr": result("wti_cdcr", "WTI+seqTransf+CDCR", 2.61, metrics_dsl=metrics()),
    "my_experiment": result("my_experiment", "a | pipe, a comma & <html>", 1.25, kind="cpu", count=2),
    "zero_shot": result("zero_shot", "zero-shot", 0),
    "dp_none": result("dp_none", "DP+None", 2.44),
    "ti_seqtransf": result("ti_seqtransf", "TI+seqTransf", None),
    "aaa_other": result("aaa_other", "another", 3.0),
}
paths = []
for name, r in good.items():
    p = os.path.join(work, f"{name}.json")
    with open(p, "w") as f:
        json.dump(r, f)
    paths.append(p)
bad = {
    "malformed.json": '{"config": "dp_seqtransf", "metrics": {"t2v": ',
    "no_metrics.json": json.dumps({k: v for k, v in result("xti_none", "XTI+None", 1.0).items()
                                   if k != "metrics"}),
    "wrong_type.json": json.dumps(result("xti_seqtransf", "XTI", 1.0)).replace('"R@5": ', '"R@5": "', 1)
    .replace(', "R@10"', '", "R@10"', 1),
}
for name, text in bad.items():
    with open(os.path.join(work, name), "w") as f:
        f.write(text)
json.loads(bad["wrong_type.json"])  # valid JSON, only the type is wrong
bad_paths = [os.path.join(work, n) for n in bad]
# shuffle good and bad on the command line
args = paths + bad_paths
rng.shuffle(args)

with open(ref_csv) as f:
    ref = {row["config"]: row for row in csv.DictReader(f)}
ref_order = list(ref)
default_order = ref_order  # the built-in order is the reference table's

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(*opts):
    p = subprocess.run([table, *opts, *args], capture_output=True, text=True)
    check(p.returncode == 0, f"{opts}: exit {p.returncode}")
    for b in bad_paths:
        check(b in p.stderr, f"{opts}: stderr does not name {b}: {p.stderr}")
    for g in paths:
        check(g not in p.stderr, f"{opts}: stderr names good file {g}")
    return p.stdout


def expected_order():
    known = sorted((default_order.index(c), c) for c in good if c in default_order)
    return [c for _, c in known] + sorted(c for c in good if c not in default_order)


def fmt(v):
    return f"{v:.1f}"


def values(r, ref_row=None):
    """The 11 numeric columns: (ours or None, ref or None)."""
    out = []
    for d in ("t2v", "v2t"):
        for m in METRICS:
            out.append((r["metrics"][d][m], float(ref_row[f"{d}_{m}"]) if ref_row else None))
    h = r.get("train_hours", 0)
    rh = None
    if ref_row and ref_row["train_hours"] not in ("", "-"):
        rh = float(ref_row["train_hours"])
    out.append((h if h > 0 else None, rh))
    return out


def gpus(r):
    return str(r["devices"]["count"]) if r["devices"]["kind"] == "cuda" else "CPU"


def text_cells(r, with_ref):
    ref_row = ref.get(r["config"]) if with_ref else None
    cells = [r["config"], r["description"], r["backbone"]]
    cells.append(f"{gpus(r)} ({ref_row['gpus']})" if ref_row else gpus(r))
    for o, rv in values(r, ref_row):
        so = fmt(o) if o is not None else "-"
        if not ref_row:
            cells.append(so)
        elif o is not None and rv is not None:
            cells.append(f"{so} ({fmt(rv)}, {o - rv:+.1f})")
        else:
            cells.append(f"{so} ({fmt(rv) if rv is not None else '-'})")
    return cells


order = expected_order()
for with_ref in (False, True):
    opts = ["--reference", ref_csv] if with_ref else []
    # Markdown
    md = run(*opts).splitlines()
    rows = [l for l in md if l.startswith("| ") and not l.startswith(("| config", "| ---"))]
    check(md[0].startswith("| config | description | feature | GPUs | T2V R@1"), f"md header {md[0]}")
    check(len(rows) == len(order), f"md rows {len(rows)} != {len(order)}")
    for line, name in zip(rows, order):
        cells = [c.strip().replace("\\|", "|") for c in line.strip()[1:-1].replace("\\|", "\x00").split("|")]
        cells = [c.replace("\x00", "|") for c in cells]
        check(cells == text_cells(good[name], with_ref), f"md row {name}: {cells} != {text_cells(good[name], with_ref)}")
    # HTML
    class Cells(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cur, self.in_td, self.colspans = [], None, False, []

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.cur = []
            if tag == "td":
                self.in_td = True
                self.cur.append("")
            if tag == "th" and dict(attrs).get("colspan"):
                self.colspans.append(dict(attrs)["colspan"])

        def handle_endtag(self, tag):
            if tag == "td":
                self.in_td = False
            if tag == "tr" and self.cur:
                self.rows.append(self.cur)

        def handle_data(self, data):
            if self.in_td:
                self.cur[-1] += data

    p = Cells()
    p.feed(run("--html", *opts))
    check(p.colspans == ["5", "5"], f"html colspans {p.colspans}")
    check([r[0] for r in p.rows] == order, f"html order {[r[0] for r in p.rows]}")
    for cells, name in zip(p.rows, order):
        check(cells == text_cells(good[name], with_ref), f"html row {name}: {cells}")
    # CSV
    rows = list(csv.DictReader(io.StringIO(run("--csv", *opts))))
    check([r["config"] for r in rows] == order, f"csv order {[r['config'] for r in rows]}")
    names = [f"{d}_{m}" for d in ("t2v", "v2t") for m in METRICS] + ["train_hours"]
    for row, name in zip(rows, order):
        r = good[name]
        ref_row = ref.get(name) if with_ref else None
        check(row["description"] == r["description"] and row["feature"] == r["backbone"]
              and row["gpus"] == gpus(r), f"csv text {name}: {row}")
        for col, (o, rv) in zip(names, values(r, ref_row)):
            check(row[col] == (fmt(o) if o is not None else ""), f"csv {name} {col}: {row[col]} vs {o}")
            if with_ref:
                check(row[col + "_ref"] == (fmt(rv) if rv is not None else ""), f"csv {name} {col}_ref")
                want = f"{o - rv:.1f}" if (o is not None and rv is not None) else ""
                check(row[col + "_diff"] == want, f"csv {name} {col}_diff: {row[col + '_diff']} != {want}")

# --metrics dsl: only wti_cdcr has metrics_dsl; the others are named and skipped.
p = subprocess.run([table, "--csv", "--metrics", "dsl", *paths], capture_output=True, text=True)
rows = list(csv.DictReader(io.StringIO(p.stdout)))
check(p.returncode == 0 and [r["config"] for r in rows] == ["wti_cdcr"], f"dsl rows {p.stdout}")
check(rows and rows[0]["t2v_R@1"] == fmt(good["wti_cdcr"]["metrics_dsl"]["t2v"]["R@1"]), "dsl value")
check(paths[1] in p.stderr and "metrics_dsl" in p.stderr, f"dsl stderr {p.stderr}")

# No good file: exit 1, every file named. Nonexistent file is named too.
missing = os.path.join(work, "does_not_exist.json")
p = subprocess.run([table, *bad_paths, missing], capture_output=True, text=True)
check(p.returncode == 1, f"all bad: exit {p.returncode}")
for b in bad_paths + [missing]:
    check(b in p.stderr, f"all bad: {b} not named")
check("R@5" in p.stderr and "expected a number" in p.stderr, f"wrong type message: {p.stderr}")
# Usage errors: exit 2.
for bad_args in (["--bogus", paths[0]], [], ["--metrics", "x", paths[0]],
                 ["--reference", missing, paths[0]]):
    p = subprocess.run([table, *bad_args], capture_output=True, text=True)
    check(p.returncode == 2, f"{bad_args}: exit {p.returncode}")

if failures:
    print("\n".join(failures[:30]))
    sys.exit(1)
print(f"PASS: drl_table, {len(good)} good and {len(bad)} bad files, 3 formats x with/without reference")
