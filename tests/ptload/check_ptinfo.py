#!/usr/bin/env python3
"""drl_ptinfo against PyTorch: for each good fixture, the listed names, shapes
and dtypes equal torch.load's (in order for state dicts), and the printed
SHA-256 equals hashlib's; for a bad file the exit status is 1 and the message
names the file.  Usage: check_ptinfo.py DRL_PTINFO FIXTURE_DIR"""
import hashlib
import os
import subprocess
import sys

import torch

DTYPES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
          torch.float64: "float64", torch.int64: "int64", torch.int32: "int32",
          torch.uint8: "uint8", torch.bool: "bool"}


def listing(tensors):
    return [f"{n}\t{tuple(t.shape)}\t{DTYPES[t.dtype]}" for n, t in tensors.items()]


def main():
    tool, fx = sys.argv[1], sys.argv[2]
    failures = 0
    for fname in ("ts_fp16.pt", "sd_fp32.pt", "sd_bf16.pt", "views.pt", "nested.pt"):
        path = os.path.join(fx, fname)
        run = subprocess.run([tool, path], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL {fname}: exit {run.returncode}: {run.stderr}")
            failures += 1
            continue
        lines = run.stdout.splitlines()
        got = [l for l in lines if not l.startswith("#")]
        if fname.startswith("ts_"):
            want = listing(dict(torch.jit.load(path).state_dict()))
            got, want = sorted(got), sorted(want)
            kind = "torchscript"
        else:
            obj = torch.load(path)
            want = listing(obj.get("state_dict", obj))
            kind = "state_dict"
        if got != want:
            print(f"FAIL {fname}: listing differs\n got: {got}\nwant: {want}")
            failures += 1
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if f"# sha256 {sha} (not a published OpenAI CLIP file)" not in lines:
            print(f"FAIL {fname}: hash line missing ({sha})")
            failures += 1
        if not any(l.startswith(f"# {path}: {kind}, {len(want)} tensors") for l in lines):
            print(f"FAIL {fname}: summary line missing")
            failures += 1
    bad = os.path.join(fx, "hostile.pt")
    run = subprocess.run([tool, bad], capture_output=True, text=True)
    if run.returncode != 1 or f"{bad}: pickle global 'os.system' is not allowed" not in run.stderr:
        print(f"FAIL hostile.pt: exit {run.returncode}, stderr {run.stderr!r}")
        failures += 1
    print("ok" if failures == 0 else f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
