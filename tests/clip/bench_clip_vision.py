#!/usr/bin/python3
"""Benchmark (not a test): PyTorch ViT-B/32 vision forward (the reference
model, tests/reference/clip_ref.py), frames per second, fp32 on the CPU.
usage: bench_clip_vision.py [frames=12] [repeats=3] [threads=2]"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import clip_ref  # noqa: E402

F = int(sys.argv[1]) if len(sys.argv) > 1 else 12
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
model = clip_ref.make_clip("vitb32", 1).eval()
x = torch.randn(F, 3, 224, 224)
with torch.no_grad():
    model.encode_image(x)
    best = 1e30
    for _ in range(REPS):
        t0 = time.perf_counter()
        model.encode_image(x)
        best = min(best, time.perf_counter() - t0)
print(f"pytorch {torch.__version__} ({torch.get_num_threads()} threads): ViT-B/32 vision forward, "
      f"{F} frames: best {best:.3f} s = {F / best:.1f} frames/s")
