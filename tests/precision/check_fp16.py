#!/usr/bin/python3
"""model.clip_precision = "fp16" (spec/model.md §11) against the PyTorch
emulation in fp16_ref.py: one DRL case (tiny CLIP, wti + seqTransf + CDCR 3,
5 optimiser steps, CLIP learning rate lr * coef_lr = 1e-7), `drl_hpc
--step-dump` with the setting, and:

- features, logits and loss of the first step: to fp16 rounding (5e-3 of the
  tensor's largest value; the emulations round at different points inside
  attention and QuickGELU, see src/model/transformer.c);
- every gradient of the first step: 1e-1 of the tensor's largest value
  (floor 1e-3 of the largest gradient). The heads' gradients are that
  sensitive to fp16 noise: the fp32 towers' gradients differ from the fp16
  emulation's by 4e-2 on this case;
- after 5 steps: every fp16 CLIP tensor holds fp16 values; the fraction of
  its values that changed at all is below 1/2 (fp32 storage changes all) and
  equal to the reference's within 0.01 + 10 % of it; >= 95 % of the fp16 CLIP
  values are identical to the reference's; every DRL head tensor moved; every
  parameter within 1e-2 of the tensor's largest value of the reference's.

usage: check_fp16.py DRL_HPC WORK_DIR
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", "drl"))
import fp16_ref  # noqa: E402
import clip_ref  # noqa: E402
import drl_ref  # noqa: E402
import make_drl_case  # noqa: E402
import check_step_dump  # noqa: E402

CASE_ARGS = ["--agg", "seqTransf", "--interaction", "wti", "--cdcr", "3", "--steps", "5",
             "--total-steps", "10", "--lr", "1e-4", "--coef-lr", "1e-3"]
TOL_FWD, TOL_GRAD, TOL_PARAM = 5e-3, 1e-1, 1e-2


def reference(work):
    """Writes weights.h5 (fp32 values, unrounded: the C side must round at
    load), batch.h5, case.json; returns (first outputs, first grads, initial
    fp16-valued params, final params, fp32-tower features)."""
    a = make_drl_case.parse_args(["--out-dir", work] + CASE_ARGS)
    torch.set_num_threads(1)
    clip = clip_ref.make_clip("tiny", a.seed)
    clip_ref.perturb_for_tests(clip, a.seed)
    model = drl_ref.DRL(clip, agg=a.agg, interaction=a.interaction, wti_arch=a.wti_arch, cdcr=a.cdcr,
                        alpha1=a.alpha1, alpha2=a.alpha2, cdcr_lambda=a.cdcr_lambda)
    drl_ref.init_drl_from_clip(model, a.seed + 1, perturb_heads=True)
    model.train()
    with h5py.File(os.path.join(work, "weights.h5"), "w") as h:
        make_drl_case.write_tensors(h, model.state_dict().items())
    g = torch.Generator().manual_seed(a.seed + 2)
    batch = make_drl_case.make_batch("default", None, False, g, clip.visual.resolution)
    with h5py.File(os.path.join(work, "batch.h5"), "w") as h:
        for k, v in batch.items():
            h.create_dataset(k, data=v.numpy())
    case = dict(agg=a.agg, interaction=a.interaction, wti_arch=a.wti_arch, cdcr=a.cdcr,
                cdcr_alpha1=a.alpha1, cdcr_alpha2=a.alpha2, cdcr_lambda=a.cdcr_lambda, steps=a.steps,
                total_steps=a.total_steps, lr=a.lr, coef_lr=a.coef_lr, schedule=a.schedule,
                warmup=a.warmup, weight_decay=a.weight_decay, max_grad_norm=a.max_grad_norm, b1=0.9,
                b2=0.98, eps=1e-6, xti_dropout=0.0, batch_size=int(batch["text_ids"].shape[0]),
                max_words=make_drl_case.L_WORDS, max_frames=make_drl_case.T_FRAMES,
                image_resolution=clip.visual.resolution)
    with open(os.path.join(work, "case.json"), "w") as f:
        json.dump(case, f, indent=2, sort_keys=True)

    fp16_ref.to_fp16_values(model)
    with torch.no_grad():  # the fp32 towers on the same fp16-valued weights
        tf32, vf32 = model.encode(batch["text_ids"], batch["video"])
    fp16_ref.use_fp16_towers(model.clip)
    init = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = fp16_ref.BertAdam16(model.named_parameters(), lr=a.lr, coef_lr=a.coef_lr,
                              t_total=a.total_steps, schedule=a.schedule, warmup=a.warmup,
                              weight_decay=a.weight_decay, max_grad_norm=a.max_grad_norm)
    first = grads = None
    for step in range(a.steps):
        for p in model.parameters():
            p.grad = None
        out = model(batch)
        out["loss"].backward()
        if step == 0:
            first = {k: v.detach().clone() for k, v in out.items()}
            first["tower_text"], first["tower_video"] = tf32, vf32
            grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
        opt.step(model.clip.logit_scale)
    final = {n: p.detach().clone() for n, p in model.named_parameters()}
    return case, first, grads, init, final


def rel(ours, ref):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-12))


def main():
    drl_hpc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    case, first, grads, init, final = reference(work)
    cfg = os.path.join(work, "case.cfg")
    check_step_dump.write_cfg(case, os.path.join(work, "weights.h5"), cfg)
    text = open(cfg).read().replace("model = {\n", 'model = {\n  clip_precision = "fp16";\n', 1)
    open(cfg, "w").write(text)
    out = os.path.join(work, "ours.h5")
    subprocess.run([drl_hpc, "--step-dump", os.path.join(work, "batch.h5"), "--steps",
                    str(case["steps"]), "--total-steps", str(case["total_steps"]), "--out", out, cfg],
                   check=True)
    ours = h5py.File(out, "r")
    fails = []

    def check(what, e, tol):
        print(f"{what}: {e:.3e} (tolerance {tol:g})")
        if not e <= tol:
            fails.append(what)

    for k in ("loss", "loss_sim", "loss_cdcr", "logits_t2v", "logits_v2t", "text_feat", "video_feat",
              "text_weight", "video_weight"):
        check(f"first step {k}", rel(ours[k][()], first[k].numpy()), TOL_FWD)
    # for scale: the fp32 towers on the same weights differ from the emulation by
    e_fp32 = rel(first["tower_text"].numpy(), first["text_feat"].numpy())
    print(f"(fp32 towers vs the fp16 emulation, text features: {e_fp32:.2e})")
    # gradients: relative to the tensor's largest value, floored at 1e-3 of
    # the largest gradient (biases that are zero by symmetry are noise)
    gmax = max(float(g.abs().max()) for g in grads.values())
    worst_g, worst_n = 0.0, ""
    for n, g in grads.items():
        got, ref = ours["grad/" + n][()].astype(np.float64), g.numpy().astype(np.float64)
        e = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-3 * gmax))
        if e > worst_g:
            worst_g, worst_n = e, n
    check(f"worst gradient ({worst_n})", worst_g, TOL_GRAD)
    n16 = n16_changed_ours = n16_changed_ref = n16_equal = 0
    heads_moved = 0
    worst_p = 0.0
    for n, p0 in init.items():
        got, ref = ours["param/" + n][()], final[n].numpy()
        worst_p = max(worst_p, rel(got, ref))
        if fp16_ref.is_fp16(n):
            if not np.array_equal(got.astype(np.float16).astype(np.float32), got):
                fails.append(f"{n}: values that are not fp16 after the steps")
            n16 += got.size
            n16_changed_ours += int((got != p0.numpy()).sum())
            n16_changed_ref += int((ref != p0.numpy()).sum())
            n16_equal += int((got == ref).sum())
        elif not n.startswith("clip."):
            heads_moved += int(np.abs(got - p0.numpy()).max() > 0)
    check("worst parameter after the steps", worst_p, TOL_PARAM)
    f_ours, f_ref = n16_changed_ours / n16, n16_changed_ref / n16
    print(f"fp16 CLIP values changed after {case['steps']} steps: ours {f_ours:.4f}, "
          f"reference {f_ref:.4f} ({n16} values)")
    if not (f_ours < 0.5 and abs(f_ours - f_ref) <= 0.01 + 0.1 * f_ref):
        fails.append("fraction of changed fp16 CLIP values")
    f_equal = n16_equal / n16
    print(f"fp16 CLIP values identical to the reference's after the steps: {f_equal:.4f}")
    if not f_equal >= 0.95:
        fails.append("fp16 CLIP values identical to the reference's")
    n_heads = sum(1 for n in init if not n.startswith("clip."))
    print(f"DRL head tensors that moved: {heads_moved} of {n_heads}")
    if heads_moved != n_heads:
        fails.append("some DRL head tensors did not move")
    for f in fails:
        print("FAIL", f)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
