#!/usr/bin/python3
"""Golden case of the generic transformer (src/model/transformer.h) as the DRL
heads use it: width 128, 2 heads, 2 layers, LayerNorm eps 1e-12, additive key
mask (1 - mask) * -1e6, no causal mask. Uses the reference's block
(tests/reference/clip_ref.py). Writes DIR/transformer_case.h5: params under
their state_dict names ("resblocks.N...."), x (B,T,W), keymask (B,T), c,
out, dx and grad/<name> of f = sum(out * c).

usage: make_transformer_case.py --out-dir DIR
"""

import argparse
import os
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import clip_ref  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--out-dir", required=True)
args = ap.parse_args()
os.makedirs(args.out_dir, exist_ok=True)
torch.manual_seed(5)
B, T, W, H, LAYERS = 3, 6, 128, 2, 2
model = clip_ref.Transformer(W, LAYERS, H, eps=1e-12)
clip_ref.perturb_for_tests(model, 5)
x = torch.randn(B, T, W, requires_grad=True)
valid = torch.ones(B, T)
valid[1, 4:] = 0
valid[2, 1:] = 0
keymask = (1.0 - valid) * -1e6
out = model(x, keymask[:, None, None, :])
c = torch.randn(B, T, W)
(out * c).sum().backward()
with h5py.File(os.path.join(args.out_dir, "transformer_case.h5"), "w") as f:
    for k, v in model.state_dict().items():
        f[k] = v.numpy().astype(np.float32)
    f["x"] = x.detach().numpy()
    f["keymask"] = keymask.numpy().astype(np.float32)
    f["c"] = c.numpy()
    f["out"] = out.detach().numpy()
    f["dx"] = x.grad.numpy()
    for k, p in model.named_parameters():
        f["grad/" + k] = p.grad.numpy()
print("wrote transformer_case.h5")
