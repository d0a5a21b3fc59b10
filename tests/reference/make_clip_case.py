#!/usr/bin/python3
"""Builds a randomly initialised CLIP, saves it as OpenAI-style fp16
TorchScript archive and as fp32 torch.save state dict, and writes golden
features and gradients to HDF5 (see README.md, "CLIP case").

usage: make_clip_case.py --out-dir DIR [--size tiny|vitb32] [--seed S]
"""

import argparse
import copy
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_ref  # noqa: E402


def make_text_ids(b: int, length: int, g: torch.Generator) -> torch.Tensor:
    """(B, L) int32: SOT, random BPE ids, EOT, zero padding. Row 0 is a
    full-length caption; the others are shorter."""
    ids = torch.zeros(b, length, dtype=torch.int32)
    for i in range(b):
        n_words = length - 2 if i == 0 else max(1, (length - 2) - 2 * i)
        words = torch.randint(1, clip_ref.SOT_ID, (n_words,), generator=g, dtype=torch.int64)
        ids[i, 0] = clip_ref.SOT_ID
        ids[i, 1 : 1 + n_words] = words.to(torch.int32)
        ids[i, 1 + n_words] = clip_ref.EOT_ID
    return ids


def features(model, frames, ids):
    return model.encode_image(frames), model.encode_text(ids.long())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--size", choices=["tiny", "vitb32"], default="tiny")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--n-frames", type=int, default=None, help="default 3 (tiny) / 2 (vitb32)")
    ap.add_argument("--n-texts", type=int, default=None, help="default 3 (tiny) / 2 (vitb32)")
    ap.add_argument("--length", type=int, default=8)
    ap.add_argument("--fp32-archive", type=int, default=None, help="write clip_fp32.pt (default: tiny only)")
    ap.add_argument("--grads", type=int, default=None, help="write grad/ (default: tiny only)")
    ap.add_argument("--perturb", type=int, default=1, help="randomise biases and LayerNorm params")
    args = ap.parse_args()

    tiny = args.size == "tiny"
    n = args.n_frames or (3 if tiny else 2)
    b = args.n_texts or (3 if tiny else 2)
    write_fp32 = tiny if args.fp32_archive is None else bool(args.fp32_archive)
    write_grads = tiny if args.grads is None else bool(args.grads)
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))

    model = clip_ref.make_clip(args.size, args.seed, openai_extra_keys=True)
    if args.perturb:
        clip_ref.perturb_for_tests(model, args.seed)
    model.eval()
    extra = {"input_resolution", "context_length", "vocab_size"}

    g = torch.Generator().manual_seed(args.seed + 1)
    res = model.visual.resolution
    frames = torch.randn(n, 3, res, res, generator=g)
    ids = make_text_ids(b, args.length, g)

    # (b) fp32 state dict (parameters only, no OpenAI int buffers)
    if write_fp32:
        sd = {k: v.detach().clone().float() for k, v in model.state_dict().items() if k not in extra}
        torch.save(sd, os.path.join(args.out_dir, "clip_fp32.pt"))

    # fp32 golden
    with torch.no_grad():
        img32, txt32 = features(model, frames, ids)
    # fp16-rounded weights, fp32 arithmetic
    m16 = copy.deepcopy(model)
    with torch.no_grad():
        for p in m16.parameters():
            p.copy_(p.half().float())
        img16w, txt16w = features(m16, frames, ids)

    out = {}
    grads = {}
    cw = torch.randn(img32.shape, generator=g)
    ct = torch.randn(txt32.shape, generator=g)
    if write_grads:
        model.zero_grad()
        img, txt = features(model, frames, ids)
        f = (img * cw).sum() + (txt * ct).sum()
        f.backward()
        for name, p in model.named_parameters():
            if p.grad is not None:
                grads[name] = p.grad.detach().numpy().astype(np.float32)
        out["f"] = float(f.detach())

    # (a) OpenAI-style fp16 TorchScript archive
    mh = copy.deepcopy(model).half()
    scripted = torch.jit.script(mh)
    torch.jit.save(scripted, os.path.join(args.out_dir, "clip_fp16.pt"))

    with h5py.File(os.path.join(args.out_dir, "clip_golden.h5"), "w") as h:
        h["frames"] = frames.numpy().astype(np.float32)
        h["text_ids"] = ids.numpy().astype(np.int32)
        h["image_feat"] = img32.numpy().astype(np.float32)
        h["text_feat"] = txt32.numpy().astype(np.float32)
        h["image_feat_fp16w"] = img16w.numpy().astype(np.float32)
        h["text_feat_fp16w"] = txt16w.numpy().astype(np.float32)
        h["cw"] = cw.numpy().astype(np.float32)
        h["ct"] = ct.numpy().astype(np.float32)
        if write_grads:
            h["f"] = np.float32(out["f"])
            gg = h.create_group("grad")
            for name, arr in grads.items():
                gg[name] = arr
        sizes = clip_ref.clip_sizes_from_state_dict(
            {k: v for k, v in model.state_dict().items() if k not in extra}
        )
        for k, v in sizes.items():
            h.attrs[k] = int(v)
        h.attrs["size"] = args.size
        h.attrs["seed"] = args.seed
    print(f"wrote {args.out_dir}: size={args.size} frames={n} texts={b} grads={write_grads}")


if __name__ == "__main__":
    main()
