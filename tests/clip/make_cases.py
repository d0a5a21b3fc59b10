#!/usr/bin/python3
"""Fixtures of the CLIP tests: the reference helper's golden case
(tests/reference/make_clip_case.py) plus
  weights.h5          the fp32 state dict written by h5py, one float32 dataset per name
  clip_missing.pt     the fp32 state dict without 'transformer.resblocks.1.ln_2.bias'
  clip_badshape.pt    ... with 'transformer.resblocks.0.mlp.c_fc.weight' reshaped to [W, 4W]

usage: make_cases.py --out-dir DIR [--size tiny|vitb32]
"""

import argparse
import os
import subprocess
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "reference", "make_clip_case.py")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--size", default="tiny", choices=["tiny", "vitb32"])
    args = ap.parse_args()
    subprocess.run([sys.executable, REF, "--out-dir", args.out_dir, "--size", args.size], check=True)
    if args.size != "tiny":
        return
    sd = torch.load(os.path.join(args.out_dir, "clip_fp32.pt"))
    with h5py.File(os.path.join(args.out_dir, "weights.h5"), "w") as f:
        for k, v in sd.items():
            f[k] = v.numpy().astype(np.float32)
    missing = {k: v for k, v in sd.items() if k != "transformer.resblocks.1.ln_2.bias"}
    torch.save(missing, os.path.join(args.out_dir, "clip_missing.pt"))
    bad = dict(sd)
    k = "transformer.resblocks.0.mlp.c_fc.weight"
    bad[k] = bad[k].reshape(bad[k].shape[1], bad[k].shape[0]).contiguous()
    torch.save(bad, os.path.join(args.out_dir, "clip_badshape.pt"))
    print(f"wrote fixtures in {args.out_dir}")


if __name__ == "__main__":
    main()
