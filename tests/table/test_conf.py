"""conf/ against the DRL README's MSR-VTT table.

usage: test_conf.py DRL_HPC SOURCE_DIR SEED_README
1. every conf/*.cfg passes `drl_hpc --print-config`;
2. every row of the README's table (parsed from its HTML here) has a row in
   results/reference_msrvtt.csv with the same numbers, and every such row
   except the CLIP4Clip baseline has conf/<config>.cfg whose run.name is the
   config and whose run.description is the README's label.
"""
import csv
import html.parser
import os
import re
import subprocess
import sys

hpc, src, readme = sys.argv[1:4]
failures = []
confs = sorted(f for f in os.listdir(os.path.join(src, "conf")) if f.endswith(".cfg"))
printed = {}
for f in confs:
    p = subprocess.run([hpc, "--print-config", os.path.join(src, "conf", f)], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"conf/{f}: drl_hpc --print-config exit {p.returncode}: {p.stderr.strip()}")
    printed[f[:-4]] = p.stdout


class Table(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cur, self.in_td = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.cur = []
        elif tag == "td":
            self.in_td = True
            self.cur.append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self.in_td = False
        elif tag == "tr" and self.cur and len(self.cur) == 14:
            self.rows.append([c.strip() for c in self.cur])

    def handle_data(self, data):
        if self.in_td:
            self.cur[-1] += data


t = Table()
t.feed(open(readme).read())
with open(os.path.join(src, "results", "reference_msrvtt.csv")) as f:
    ref = {r["description"]: r for r in csv.DictReader(f)}
cols = [f"{d}_{m}" for d in ("t2v", "v2t") for m in ("R@1", "R@5", "R@10", "MdR", "MnR")]
if len(t.rows) != 11:
    failures.append(f"README table: {len(t.rows)} rows parsed, expected 11")
for row in t.rows:
    label = row[0]
    r = ref.get(label)
    if not r:
        failures.append(f"README row '{label}': no row in results/reference_msrvtt.csv")
        continue
    if r["gpus"] != row[2]:
        failures.append(f"{label}: gpus {r['gpus']} != {row[2]}")
    if r["feature"] != row[1].replace("ViT/B-", "ViT-B/"):
        failures.append(f"{label}: feature {r['feature']} vs {row[1]}")
    for c, v in zip(cols, row[3:13]):
        if float(r[c]) != float(v):
            failures.append(f"{label}: {c} {r[c]} != README {v}")
    hours = row[13]
    if (r["train_hours"] or "-") != hours and float(r["train_hours"] or -1) != float(hours if hours != "-" else -2):
        failures.append(f"{label}: train_hours {r['train_hours']} != README {hours}")
    if r["config"] == "clip4clip":
        continue  # another code base's baseline: no configuration of ours
    out = printed.get(r["config"])
    if out is None:
        failures.append(f"{label}: no conf/{r['config']}.cfg")
        continue
    name = re.search(r'^\s*name = "(.*)";', out, re.M)
    desc = re.search(r'^\s*description = "(.*)";', out, re.M)
    if not name or name.group(1) != r["config"]:
        failures.append(f"conf/{r['config']}.cfg: run.name {name and name.group(1)!r}")
    if not desc or not desc.group(1).startswith(label):
        failures.append(f"conf/{r['config']}.cfg: run.description {desc and desc.group(1)!r}, expected '{label}...'")
    if f'output_dir = "runs/{r["config"]}"' not in out:
        failures.append(f"conf/{r['config']}.cfg: output_dir is not runs/{r['config']}")
# the seed README's command is conf/wti_cdcr.cfg
w = printed.get("wti_cdcr", "")
for s in ('interaction = "wti"', "wti_arch = 2", "cdcr = 3", "cdcr_alpha1 = 0.11", "cdcr_alpha2 = 0",
          "cdcr_lambda = 0.001", 'agg_module = "seqTransf"', "epochs = 5", "batch_size = 128"):
    if s not in w:
        failures.append(f"conf/wti_cdcr.cfg: '{s}' missing from the effective configuration")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"PASS: {len(confs)} configurations valid; {len(t.rows)} README rows matched")
