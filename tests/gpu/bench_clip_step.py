#!/usr/bin/python3
"""Benchmark (device check): the same CLIP ViT-B/32 towers training step as
bench_clip_step.c through PyTorch — the reference model of
tests/reference/clip_ref.py on CUDA with bf16 autocast, fp32 master weights
and torch.optim.AdamW — random frames and captions, random gradients on the
features. Prints steps/s, samples/s and peak memory.
usage: bench_clip_step.py [pairs=128] [frames=12] [len=32] [steps=5]"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import clip_ref  # noqa: E402

pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 128
nframes = int(sys.argv[2]) if len(sys.argv) > 2 else 12
length = int(sys.argv[3]) if len(sys.argv) > 3 else 32
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
if not torch.cuda.is_available():
    print("not run: no CUDA device (torch.cuda.is_available() is False)")
    sys.exit(77)
dev = torch.device("cuda")
model = clip_ref.make_clip("vitb32", 1).to(dev).train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-7, weight_decay=0.2)
F = pairs * nframes
frames = torch.randn(F, 3, 224, 224, device=dev)
ids = torch.randint(0, 49408, (pairs, length), device=dev)
dv = torch.randn(F, 512, device=dev) * 1e-3
dt = torch.randn(pairs, length, 512, device=dev) * 1e-3


def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        v, t = model(frames, ids)
    torch.autograd.backward([v.float(), t.float()], [dv, dt])
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


for _ in range(2):
    step()
torch.cuda.synchronize()
torch.cuda.reset_peak_memory_stats()
t0 = time.perf_counter()
for _ in range(steps):
    step()
torch.cuda.synchronize()
el = time.perf_counter() - t0
sps = steps / el
print(f"pytorch {torch.__version__} on {torch.cuda.get_device_name(0)}: CLIP ViT-B/32 towers "
      f"training step, bf16 autocast: {pairs} pairs x {nframes} frames, text {length} tokens")
print(f"  {sps:.3f} steps/s, {sps * pairs:.1f} samples/s (pairs), {sps * F:.0f} frames/s; "
      f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
