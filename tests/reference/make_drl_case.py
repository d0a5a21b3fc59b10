#!/usr/bin/python3
"""Writes one DRL reference case (weights.h5, batch.h5, golden.h5, case.json)
computed by the PyTorch reference in drl_ref.py. See README.md, "DRL case".

usage: make_drl_case.py --out-dir DIR --agg {None,seqTransf,seqLSTM}
       --interaction {dp,ti,wti,xti} [--wti-arch N] [--cdcr N --alpha1 a
       --alpha2 b --lambda l] --steps N --total-steps M [--lr 1e-4
       --coef-lr 1e-3 --schedule warmup_cosine --warmup 0.1] [--seed S]
       [--batch default|one|same-text] [--video-lengths 4,1,2,3]
"""

import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_ref  # noqa: E402
import drl_ref  # noqa: E402

L_WORDS = 8  # max_words
T_FRAMES = 4  # max_frames


def make_batch(kind: str, video_lengths, cdcr_picks: bool, g: torch.Generator, res: int):
    """Returns dict of tensors: text_ids/text_mask (B, L) int32,
    video (B, T, 3, R, R) float32 (padded frames zero), video_mask (B, T) int32."""
    if kind == "one":
        words = [4]
        vlen = [2]
    else:
        words = [L_WORDS - 2, 3, 1, 4]  # row 0 is a full-length caption
        vlen = video_lengths or [4, 1, 2, 3]
    b = len(words)
    if len(vlen) != b:
        raise SystemExit(f"--video-lengths needs {b} values, got {vlen}")
    ids = torch.zeros(b, L_WORDS, dtype=torch.int32)
    tm = torch.zeros(b, L_WORDS, dtype=torch.int32)
    for i, n in enumerate(words):
        ids[i, 0] = clip_ref.SOT_ID
        ids[i, 1 : 1 + n] = torch.randint(1, clip_ref.SOT_ID, (n,), generator=g).to(torch.int32)
        ids[i, 1 + n] = clip_ref.EOT_ID
        tm[i, 0 : n + 2] = 1
    if kind == "same-text":
        ids[:] = ids[0].clone()
        tm[:] = tm[0].clone()
    video = torch.zeros(b, T_FRAMES, 3, res, res)
    vm = torch.zeros(b, T_FRAMES, dtype=torch.int32)
    for i, n in enumerate(vlen):
        if not 1 <= n <= T_FRAMES:
            raise SystemExit(f"video length {n} outside 1..{T_FRAMES}")
        video[i, 0:n] = torch.randn(n, 3, res, res, generator=g)
        vm[i, 0:n] = 1
    batch = {"text_ids": ids, "text_mask": tm, "video": video, "video_mask": vm}
    if cdcr_picks:
        # uniform_int[0, 10000) mod length; stored as the final position index
        tl = tm.sum(dim=1)
        vl = vm.sum(dim=1)
        batch["cdcr_text_pick"] = (torch.randint(0, 10000, (b,), generator=g) % tl).to(torch.int32)
        batch["cdcr_video_pick"] = (torch.randint(0, 10000, (b,), generator=g) % vl).to(torch.int32)
    return batch


def write_tensors(group, named, compress: bool = False):
    """One float32 dataset per tensor, PyTorch shape; gzip (transparent to
    any HDF5 reader) for the mostly-zero gradients."""
    for name, t in named:
        arr = t.detach().numpy().astype(np.float32)
        if compress and arr.ndim > 0 and arr.size > 4096:
            group.create_dataset(name, data=arr, compression="gzip", compression_opts=1)
        else:
            group.create_dataset(name, data=arr)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--agg", choices=["None", "seqTransf", "seqLSTM"], default="None")
    ap.add_argument("--interaction", choices=["dp", "ti", "wti", "xti"], default="dp")
    ap.add_argument("--wti-arch", type=int, default=2)
    ap.add_argument("--cdcr", type=int, default=0)
    ap.add_argument("--alpha1", type=float, default=0.16)
    ap.add_argument("--alpha2", type=float, default=0.05)
    ap.add_argument("--lambda", dest="cdcr_lambda", type=float, default=0.01)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--total-steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--coef-lr", type=float, default=1e-3)
    ap.add_argument("--schedule", default="warmup_cosine",
                    choices=["warmup_cosine", "warmup_linear", "warmup_constant"])
    ap.add_argument("--warmup", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=0.2)
    ap.add_argument("--max-grad-norm", type=float, default=1.0)
    ap.add_argument("--xti-dropout", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch", choices=["default", "one", "same-text"], default="default")
    ap.add_argument("--video-lengths", default=None, help="comma-separated valid-frame counts, e.g. 3,1,2,3")
    ap.add_argument("--save-clip", action="store_true", help="also write clip_fp32.pt (the CLIP the heads came from)")
    return ap.parse_args(argv)


def generate(argv=None) -> float:
    """Writes one case; returns the first step's loss."""
    args = parse_args(argv)
    if args.xti_dropout != 0.0:
        raise SystemExit("golden cases need --xti-dropout 0 (dropout masks cannot be shared)")

    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(1)
    clip = clip_ref.make_clip("tiny", args.seed)
    clip_ref.perturb_for_tests(clip, args.seed)
    model = drl_ref.DRL(
        clip, agg=args.agg, interaction=args.interaction, wti_arch=args.wti_arch, cdcr=args.cdcr,
        alpha1=args.alpha1, alpha2=args.alpha2, cdcr_lambda=args.cdcr_lambda, xti_dropout=args.xti_dropout,
    )
    drl_ref.init_drl_from_clip(model, args.seed + 1, perturb_heads=True)
    model.train()
    if args.save_clip:
        torch.save({k: v.detach().clone() for k, v in clip.state_dict().items()},
                   os.path.join(args.out_dir, "clip_fp32.pt"))

    g = torch.Generator().manual_seed(args.seed + 2)
    vlen = [int(x) for x in args.video_lengths.split(",")] if args.video_lengths else None
    batch = make_batch(args.batch, vlen, args.cdcr == 1 and args.interaction in ("ti", "wti"), g,
                       clip.visual.resolution)

    settings = dict(
        agg=args.agg, interaction=args.interaction, wti_arch=args.wti_arch, cdcr=args.cdcr,
        cdcr_alpha1=args.alpha1, cdcr_alpha2=args.alpha2, cdcr_lambda=args.cdcr_lambda,
        steps=args.steps, total_steps=args.total_steps, lr=args.lr, coef_lr=args.coef_lr,
        schedule=args.schedule, warmup=args.warmup, weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm, b1=0.9, b2=0.98, eps=1e-6, xti_dropout=args.xti_dropout,
        seed=args.seed, batch=args.batch, batch_size=int(batch["text_ids"].shape[0]),
        max_words=L_WORDS, max_frames=T_FRAMES, image_resolution=clip.visual.resolution,
        cdcr_var_floor=drl_ref.CDCR_VAR_FLOOR,
    )

    with h5py.File(os.path.join(args.out_dir, "weights.h5"), "w") as h:
        write_tensors(h, model.state_dict().items())
    with h5py.File(os.path.join(args.out_dir, "batch.h5"), "w") as h:
        for k, v in batch.items():
            h.create_dataset(k, data=v.numpy())

    opt = drl_ref.BertAdam(
        model.named_parameters(), lr=args.lr, coef_lr=args.coef_lr, t_total=args.total_steps,
        schedule=args.schedule, warmup=args.warmup, weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm,
    )
    first = None
    first_grads = None
    losses = []
    for step in range(max(args.steps, 1)):
        for p in model.parameters():
            p.grad = None
        if args.steps == 0:
            with torch.no_grad():
                out = model(batch)
        else:
            out = model(batch)
            out["loss"].backward()
        losses.append(float(out["loss"]))
        if step == 0:
            first = {k: v.detach().clone() for k, v in out.items()}
            if args.steps > 0:
                first_grads = [(n, p.grad.detach().clone()) for n, p in model.named_parameters()
                               if p.grad is not None]
        if args.steps > 0:
            opt.step(model.clip.logit_scale)
        for k, v in out.items():
            if not torch.isfinite(v).all():
                raise SystemExit(f"non-finite {k} at step {step}")

    with h5py.File(os.path.join(args.out_dir, "golden.h5"), "w") as h:
        for k in ("loss", "loss_sim", "loss_cdcr"):
            h.create_dataset(k, data=np.float32(first[k].item()))
        for k in ("logits_t2v", "logits_v2t", "sim", "text_feat", "video_feat", "text_weight", "video_weight"):
            if k in first:
                h.create_dataset(k, data=first[k].numpy().astype(np.float32))
        if first_grads is not None:
            write_tensors(h.create_group("grad"), first_grads, compress=True)
        write_tensors(h.create_group("param"), model.state_dict().items())
        h.create_dataset("loss_per_step", data=np.array(losses, dtype=np.float32))
        for k, v in settings.items():
            h.attrs[k] = v
    with open(os.path.join(args.out_dir, "case.json"), "w") as f:
        json.dump(settings, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out_dir}: loss {losses[0]:.6f} -> {losses[-1]:.6f} ({len(losses)} forward)")
    return losses[0]


def main() -> None:
    generate()


if __name__ == "__main__":
    main()
