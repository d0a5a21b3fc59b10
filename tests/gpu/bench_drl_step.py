#!/usr/bin/python3
"""The PyTorch side of the DRL step benchmark (tests/gpu/device_check.sh): the
same training step as bench_drl_step.c — ViT-B/32 + WTI (wti_arch 2) +
seqTransf + CDCR 3 (alpha1 0.11, alpha2 0, lambda 0.001), 128 pairs x 12
frames, captions of 32 tokens with the same length rule, random data — by the
reference model of tests/reference/ (clip_ref.py, drl_ref.py) moved to the
GPU with bf16 autocast (fp32 master weights), with two optimizers:
  bertadam   the reference's BertAdam (drl_ref.BertAdam, a per-tensor loop);
  adamw      torch.optim.AdamW (fused when this PyTorch has it, else foreach)
             after clip_grad_norm_: the fast AdamW-like update PyTorch offers.
The baseline of the ratio is the faster of the two.

drl_ref.cdcr_token_frame gathers its rows with Python loops over every token
and frame (thousands of tiny GPU ops per step); the benchmark replaces it with
the same computation vectorised (boolean-mask indexing keeps the row order),
so PyTorch is not penalised for the reference's loops. --tiny (the CTest)
checks the two agree.

Prints steps/s, samples/s and peak memory (torch.cuda.max_memory_allocated)
per optimizer; with --ours JSON (bench_drl_step's figures) also the ratio
ours/PyTorch and the three goals of issue 7 with whether each is met. Writes
the figures to --json PATH or $OUT/bench_drl_step_pytorch.json.

usage: bench_drl_step.py [--device cuda|cpu] [--tiny] [--pairs N] [--steps N]
       [--warmup N] [--ours JSON] [--json PATH]
"""
import argparse
import contextlib
import json
import math
import os
import resource
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import clip_ref  # noqa: E402
import drl_ref  # noqa: E402

SOT_ID, EOT_ID = 49406, 49407
PAIRS_PER_EPOCH, EPOCHS = 180000.0, 5.0
GOAL_MINUTES, GOAL_MFU, GOAL_RATIO = 30.0, 0.40, 1.5


def cdcr_token_frame_vectorised(tf, tm, vf, vm, alpha1, alpha2, wt=None, wv=None):
    """drl_ref.cdcr_token_frame without the Python loops: the same rows in the
    same order (pair a, then position), the same standardisation and sums."""
    bsz, d = tf.shape[0], tf.shape[2]
    tn = drl_ref.l2norm(tf)
    vn = drl_ref.l2norm(vf)
    S = torch.einsum("aid,ajd->aij", tn, vn)  # (B, L, T) matched pairs
    S = S * tm.to(S.dtype)[:, :, None] * vm.to(S.dtype)[:, None, :]
    with torch.no_grad():
        jstar = drl_ref.first_argmax(S, dim=2)  # (B, L) frame of each token
        istar = drl_ref.first_argmax(S, dim=1)  # (B, T) token of each frame
    tmb, vmb = tm != 0, vm != 0
    tok = drl_ref.standardise(tn[tmb])  # (Nt, D)
    tokm = drl_ref.standardise(vn.gather(1, jstar[:, :, None].expand(-1, -1, d))[tmb])
    frm = drl_ref.standardise(vn[vmb])  # (Nf, D)
    frmm = drl_ref.standardise(tn.gather(1, istar[:, :, None].expand(-1, -1, d))[vmb])
    if wt is None:
        c1 = tok.t() @ tokm / tok.shape[0]
        c2 = frm.t() @ frmm / frm.shape[0]
    else:
        c1 = (tok * wt[tmb][:, None]).t() @ tokm / bsz
        c2 = (frm * wv[vmb][:, None]).t() @ frmm / bsz
    return drl_ref.cdcr_from_corr((c1 + c2) / 2, alpha1, alpha2)


def make_batch(B, L, T, R, dev):
    """Caption b: min(L, 7 + 5b mod 10) tokens (SOT, random words, EOT); all T
    frames valid; pixels N(0, 1). The rule of bench_drl_step.c."""
    g = torch.Generator().manual_seed(7)
    ids = torch.zeros(B, L, dtype=torch.int32)
    tm = torch.zeros(B, L, dtype=torch.int32)
    for b in range(B):
        n = min(L, 7 + (5 * b) % 10)
        ids[b, 0] = SOT_ID
        ids[b, 1 : n - 1] = torch.randint(1, SOT_ID, (n - 2,), generator=g, dtype=torch.int32)
        ids[b, n - 1] = EOT_ID
        tm[b, :n] = 1
    video = torch.randn(B, T, 3, R, R, generator=g)
    vm = torch.ones(B, T, dtype=torch.int32)
    return {k: v.to(dev) for k, v in dict(text_ids=ids, text_mask=tm, video=video, video_mask=vm).items()}


def make_model(tiny):
    clip = clip_ref.make_clip("tiny" if tiny else "vitb32", 1)
    model = drl_ref.DRL(clip, agg="seqTransf", interaction="wti", wti_arch=2, cdcr=3, alpha1=0.11,
                        alpha2=0.0, cdcr_lambda=0.001)
    drl_ref.init_drl_from_clip(model, 2)
    return model.train()


def check_cdcr(model, batch):
    """The vectorised CDCR 3 equals the reference's loops (value and gradients)."""
    with torch.no_grad():
        tf, vf0 = model.encode(batch["text_ids"], batch["video"])
        vf = model.aggregate(vf0, batch["video_mask"])
        wt, wv = model.weights(tf, batch["text_mask"], vf, batch["video_mask"])
    res = []
    for fn in (drl_ref.cdcr_token_frame, cdcr_token_frame_vectorised):
        args = [x.double().clone().requires_grad_(True) for x in (tf, vf, wt, wv)]
        loss = fn(args[0], batch["text_mask"], args[1], batch["video_mask"], 0.11, 0.05, args[2], args[3])
        loss.backward()
        res.append([loss.detach()] + [a.grad for a in args])
    err = max(float((a - b).abs().max()) for a, b in zip(*res))
    ok = err <= 1e-12 * max(1.0, float(res[0][0].abs()))
    print(f"{'PASS' if ok else 'FAIL'}: vectorised CDCR 3 vs drl_ref.cdcr_token_frame: "
          f"loss {float(res[0][0]):.9g} vs {float(res[1][0]):.9g}, max |diff| (loss, grads) {err:.3g}")
    return ok


def run_variant(model, batch, opt_kind, dev, steps, warmup, t_total):
    params = list(model.parameters())
    if opt_kind == "bertadam":
        opt = drl_ref.BertAdam(model.named_parameters(), lr=1e-4, coef_lr=1e-3, t_total=t_total)
        update = lambda: opt.step(model.clip.logit_scale)  # noqa: E731
        what = "drl_ref.BertAdam (per-tensor loop)"
    else:
        kw = dict(lr=1e-7, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2)
        try:
            opt = torch.optim.AdamW(params, fused=True, **kw) if dev.type == "cuda" else None
            what = "torch.optim.AdamW(fused=True) + clip_grad_norm_"
        except (TypeError, RuntimeError):
            opt = None
        if opt is None:
            opt = torch.optim.AdamW(params, foreach=True, **kw)
            what = "torch.optim.AdamW(foreach=True) + clip_grad_norm_"

        def update():
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()

    cuda = dev.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    losses = []

    def step():
        for p in params:
            p.grad = None
        with torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext():
            out = model(batch)
        out["loss"].backward()
        update()
        losses.append(float(out["loss"]))

    for _ in range(warmup):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    el = time.perf_counter() - t0
    peak = (torch.cuda.max_memory_allocated() if cuda
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0) / 2**30
    del opt
    for p in params:
        p.grad = None
    if cuda:
        torch.cuda.empty_cache()
    B = batch["text_ids"].shape[0]
    return dict(optimizer=opt_kind, optimizer_what=what, step_s=el / steps, steps_per_s=steps / el,
                samples_per_s=steps * B / el, peak_memory_gib=peak, loss_first=losses[0],
                loss_last=losses[-1])


def met(ok):
    return "met" if ok else "NOT met"


def summary(ours, base, pairs):
    """The comparison with bench_drl_step's figures and the three goals."""
    ratio = ours["steps_per_s"] / base["steps_per_s"]
    proj = ours["projected_5_epochs_min"]
    mfu = ours["mfu"]
    py_mfu = ours["model_tflop_per_step"] / base["step_s"] / ours["matrix_tflops"]
    mem = ours["peak_memory_gib"] / base["peak_memory_gib"]
    print("summary: ours vs PyTorch, the same step and batch")
    print(f"  ours {ours['steps_per_s']:.3f} steps/s ({ours['precision']}), PyTorch "
          f"{base['steps_per_s']:.3f} steps/s ({base['optimizer']}): ours/PyTorch = {ratio:.2f}x")
    print(f"  MFU: ours {100 * mfu:.1f}%, PyTorch {100 * py_mfu:.1f}% (same FLOP count and matrix rate)")
    print(f"  peak memory: ours {ours['peak_memory_gib']:.2f} GiB, PyTorch "
          f"{base['peak_memory_gib']:.2f} GiB: ours/PyTorch = {mem:.2f}x")
    print(f"  projected 5-epoch MSR-VTT run: ours {proj:.1f} min, PyTorch "
          f"{EPOCHS * PAIRS_PER_EPOCH / pairs * base['step_s'] / 60:.1f} min")
    print(f"  goal: projected 5-epoch run under {GOAL_MINUTES:.0f} minutes: {proj:.1f} min: "
          f"{met(proj < GOAL_MINUTES)}")
    print(f"  goal: MFU at least {100 * GOAL_MFU:.0f}%: {100 * mfu:.1f}%: {met(mfu >= GOAL_MFU)}")
    print(f"  goal: at least {GOAL_RATIO}x PyTorch's step: {ratio:.2f}x: {met(ratio >= GOAL_RATIO)}")
    return dict(ratio=ratio, memory_ratio=mem, pytorch_mfu=py_mfu, goal_minutes_met=proj < GOAL_MINUTES,
                goal_mfu_met=mfu >= GOAL_MFU, goal_ratio_met=ratio >= GOAL_RATIO)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--pairs", type=int)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--ours", help="bench_drl_step's JSON, for the ratio and the goals")
    ap.add_argument("--json", help="output file (default $OUT/bench_drl_step_pytorch.json)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("not run: no CUDA device (torch.cuda.is_available() is False)")
        return 77
    pairs = a.pairs or (2 if a.tiny else 128)
    steps = a.steps or (2 if a.tiny else 5)
    warmup = a.warmup if a.warmup is not None else (1 if a.tiny else 2)
    if pairs < 1 or steps < 1 or warmup < 0:
        ap.error("--pairs and --steps must be at least 1, --warmup at least 0")
    ours = None
    if a.ours:
        try:
            with open(a.ours) as f:
                ours = json.load(f)
        except (OSError, ValueError) as e:
            print(f"bench_drl_step.py: --ours {a.ours}: cannot read bench_drl_step's JSON: {e}",
                  file=sys.stderr)
            return 2
        missing = [k for k in ("steps_per_s", "mfu", "projected_5_epochs_min", "peak_memory_gib",
                               "model_tflop_per_step", "matrix_tflops", "pairs") if k not in ours]
        if missing:
            print(f"bench_drl_step.py: --ours {a.ours}: missing {', '.join(missing)}", file=sys.stderr)
            return 2
        if ours["pairs"] != pairs:
            print(f"bench_drl_step.py: --ours {a.ours} has {ours['pairs']} pairs, this run {pairs}",
                  file=sys.stderr)
            return 2
    dev = torch.device(a.device)
    torch.manual_seed(1)
    model = make_model(a.tiny)  # built on the CPU (the reference's CPU generators)
    L, T, R = (8, 4, 32) if a.tiny else (32, 12, 224)
    ok = True
    if a.tiny:
        ok = check_cdcr(model, make_batch(pairs, L, T, R, torch.device("cpu")))
    drl_ref.cdcr_token_frame = cdcr_token_frame_vectorised
    model = model.to(dev)
    batch = make_batch(pairs, L, T, R, dev)
    if dev.type == "cuda":  # the reference makes some tensors (labels) without a device
        if hasattr(torch, "set_default_device"):
            torch.set_default_device(dev)
        else:
            torch.set_default_tensor_type(torch.cuda.FloatTensor)
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    prec = "bf16 autocast" if dev.type == "cuda" else "fp32"
    print(f"pytorch {torch.__version__} on {name}: DRL training step "
          f"({'tiny CLIP' if a.tiny else 'ViT-B/32'}, wti 2 + seqTransf + CDCR 3), {prec}, "
          f"{pairs} pairs x {T} frames, captions of {L} tokens; {warmup} warm-up + {steps} timed steps")
    t_total = math.ceil(EPOCHS * PAIRS_PER_EPOCH / pairs)
    results = []
    for kind in ("bertadam", "adamw"):
        r = run_variant(model, batch, kind, dev, steps, warmup, t_total)
        results.append(r)
        print(f"  {kind}: {r['steps_per_s']:.3f} steps/s, {r['samples_per_s']:.1f} samples/s (pairs), "
              f"{1e3 * r['step_s']:.1f} ms/step, peak memory {r['peak_memory_gib']:.2f} GiB "
              f"({'torch.cuda.max_memory_allocated' if dev.type == 'cuda' else 'peak RSS'}); "
              f"loss {r['loss_first']:.6f} -> {r['loss_last']:.6f}; {r['optimizer_what']}")
        ok = ok and all(math.isfinite(x) for x in (r["loss_first"], r["loss_last"]))
    base = min(results, key=lambda r: r["step_s"])
    print(f"  baseline for the ratio: {base['optimizer']} (the faster)")
    out = dict(impl="pytorch", torch=torch.__version__, device=name, precision=prec, pairs=pairs,
               frames=T, words=L, warmup=warmup, steps=steps, variants=results, baseline=base["optimizer"])
    if ours is not None:
        out["summary"] = summary(ours, base, pairs)
        out["ours"] = ours
    path = a.json or (os.path.join(os.environ["OUT"], "bench_drl_step_pytorch.json")
                      if os.environ.get("OUT") else None)
    if path:
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
        print(f"figures written to {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
