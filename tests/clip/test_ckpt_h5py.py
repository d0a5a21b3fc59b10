#!/usr/bin/python3
"""h5py reads our checkpoint (written by test_ckpt from clip_fp32.pt) by the
PyTorch names: the README recipe gives a state dict equal, bit for bit, to
the one torch.save wrote, and it loads strictly into the reference model."""

import os
import sys

import h5py
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import clip_ref  # noqa: E402

d = os.path.join(os.environ.get("DRL_BINARY_DIR", "."), "clip_tiny")

# the README recipe
f = h5py.File(os.path.join(d, "ours_ckpt.h5"), "r")
sd = {k: torch.tensor(v[()]) for k, v in f.items() if isinstance(v, h5py.Dataset)}

ref = torch.load(os.path.join(d, "clip_fp32.pt"))
assert set(sd) == {"clip." + k for k in ref}, sorted(set(sd) ^ {"clip." + k for k in ref})
for k, v in ref.items():
    ours = sd["clip." + k]
    assert ours.shape == v.shape, (k, ours.shape, v.shape)
    assert ours.dtype == torch.float32, (k, ours.dtype)
    assert torch.equal(ours, v), k
assert sd["clip.logit_scale"].dim() == 0
assert isinstance(f.attrs["config"], str) and "interaction" in f.attrs["config"]
assert int(f.attrs["step"]) == 7
model = clip_ref.build_clip_from_state_dict(sd, prefix="clip.")  # strict load
print(f"h5py read {len(sd)} tensors by their PyTorch names; bit-equal; strict load ok")
