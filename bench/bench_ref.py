#!/usr/bin/python3
"""The PyTorch side of the benchmarks (scripts/bench.sh): the same work as the
bench_* executables, done by the reference of tests/reference/ (clip_ref.py,
drl_ref.py), fp32 on the CPU with OMP_NUM_THREADS threads. One JSON line per
run, like bench_common.c, with "impl": "pytorch". bf16: the step's forward
under torch.autocast("cpu", dtype=torch.bfloat16) (PyTorch's mixed precision:
bf16 matrix products, fp32 parameters and optimiser), reported as
step_<model>_bf16; the sgemm block with bf16 operands (rounded from fp32 in
each call, like ours) as bf16gemm_vitb32_block.

    bench_ref.py step demo|vitb32|tiny [repeats] [batch (0 = default)] [fp32|bf16]
    bench_ref.py wti [Bt] [repeats] [L] [T] [D] [block] [lengths file]
    bench_ref.py vision [frames] [repeats]
    bench_ref.py sgemm [frames] [repeats] [width] [fp32|bf16]
"""
import json
import os
import resource
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import clip_ref  # noqa: E402
import drl_ref  # noqa: E402

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))

DEMO = dict(embed_dim=64, image_resolution=64, vision_layers=2, vision_width=64, vision_patch_size=16,
            context_length=32, vocab_size=49408, transformer_width=64, transformer_heads=1,
            transformer_layers=2, vision_heads=1)


def emit(name, times, work, unit, flop=0.0, extra=None):
    med = statistics.median(times)
    print(json.dumps(dict(bench=name, impl="pytorch", work=work, work_unit=unit, times_s=times,
                          median_s=med, rate=work / med, flop=flop,
                          peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                          threads=torch.get_num_threads(), extra=extra or {},
                          torch=torch.__version__)), flush=True)


def timed(fn, reps):
    fn()  # warm-up
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_step(which, reps, batch, prec="fp32"):
    if which == "vitb32":
        clip = clip_ref.make_clip("vitb32", 1)
        L, T, B, agg_layers = 32, 12, batch or 4, 4
    else:  # demo shapes (conf/demo.cfg); tiny = the smoke size
        torch.manual_seed(1)
        clip = clip_ref.CLIP(**DEMO)
        clip_ref.init_clip_ours(clip, 1)
        L, T, agg_layers = 16, 4, 2
        B = batch or (2 if which == "tiny" else 16)
    model = drl_ref.DRL(clip, agg="seqTransf", interaction="wti", wti_arch=2, cdcr=3, alpha1=0.11,
                        alpha2=0.0, cdcr_lambda=0.001)
    d = model.d
    if agg_layers != 4:
        model.transformerClip = drl_ref.Transformer(d, agg_layers, max(1, d // 64), drl_ref.DRL_LN_EPS)
    drl_ref.init_drl_from_clip(model, 2)
    model.train()
    R = clip.visual.resolution
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(1, 49000, (B, L), generator=g, dtype=torch.int32)
    ids[:, 0], ids[:, -1] = 49406, 49407
    batch_t = dict(text_ids=ids, text_mask=torch.ones(B, L, dtype=torch.int32),
                   video=torch.randn(B, T, 3, R, R, generator=g),
                   video_mask=torch.ones(B, T, dtype=torch.int32))
    opt = drl_ref.BertAdam(model.named_parameters(), lr=1e-4, coef_lr=1e-3, t_total=1000)
    fb, out_loss = [], []

    def step():
        for p in model.parameters():
            p.grad = None
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=prec == "bf16"):
            out = model(batch_t)
        out["loss"].float().backward()
        fb.append(time.perf_counter() - t0)
        out_loss.append(out["loss"].item())
        opt.step(model.clip.logit_scale)

    times = timed(step, reps)
    emit(f"step_{which}" + ("_bf16" if prec == "bf16" else ""), times, B, "pairs",
         extra=dict(batch=B, L=L, T=T, R=R, fwd_bwd_median_s=statistics.median(fb[1:]),
                    precision="autocast bf16" if prec == "bf16" else "fp32",
                    last_loss=float(out_loss[-1])))


def video_frames(b, T):
    """Valid frames of video b, the rule of bench_wti.c's bench_video_frames."""
    if b % 10 != 9 or T < 3:
        return T
    return T - 1 - (b // 10) % (T - 1 - T // 2)


def bench_wti(Bt, reps, L, T, D, block, lengths):
    """The reference's way: S = einsum('atd,bvd->abtv') on blocks of texts over
    the full padded tensors, masked entries set to 0 (drl_ref.token_similarity),
    then max over frames / words and the weighted sums
    (drl_ref.ti_wti_similarity). Masks as bench_wti.c builds them: text a has
    lengths[a % n] valid tokens (all L without a lengths file), video b
    video_frames(b, T) valid frames; uniform weights over the valid positions."""
    g = torch.Generator().manual_seed(3)
    tn = drl_ref.l2norm(torch.randn(Bt, L, D, generator=g))
    vn = drl_ref.l2norm(torch.randn(Bt, T, D, generator=g))
    lens = [min(int(x), L) for x in open(lengths).read().split()] if lengths not in (None, "-") else [L]
    tlen = torch.tensor([lens[a % len(lens)] for a in range(Bt)])
    vlen = torch.tensor([video_frames(b, T) for b in range(Bt)])
    tm = (torch.arange(L)[None, :] < tlen[:, None]).float()
    vm = (torch.arange(T)[None, :] < vlen[:, None]).float()
    wt, wv = tm / tlen[:, None], vm / vlen[:, None]
    sim = torch.empty(Bt, Bt)

    def run():
        with torch.no_grad():
            for a0 in range(0, Bt, block):
                S = torch.einsum("atd,bvd->abtv", tn[a0:a0 + block], vn)
                S = S * tm[a0:a0 + block, None, :, None] * vm[None, :, None, :]
                t2v = (S.max(dim=3).values * wt[a0:a0 + block, None, :]).sum(dim=2)
                v2t = (S.max(dim=2).values * wv[None, :, :]).sum(dim=2)
                sim[a0:a0 + block] = (t2v + v2t) / 2

    times = timed(run, reps)
    emit("wti_eval", times, Bt * Bt, "pairs", 2.0 * float(tlen.sum()) * float(vlen.sum()) * D,
         extra=dict(Bt=Bt, Bv=Bt, L=L, T=T, D=D, block=block, mean_tokens=float(tlen.float().mean()),
                    mean_frames=float(vlen.float().mean()), sim_sum=float(sim.double().sum())))


def bench_vision(F, reps):
    model = clip_ref.make_clip("vitb32", 1).eval()
    x = torch.randn(F, 3, 224, 224)
    with torch.no_grad():
        times = timed(lambda: model.encode_image(x), reps)
    emit("vision_fwd", times, F, "frames", extra=dict(frames=F, model="vitb32"))


def bench_sgemm(F, reps, W, prec="fp32"):
    N = F * 50
    a = torch.randn(N, 4 * W)
    b = torch.randn(4 * W, 3 * W) * 0.02
    flop = 0.0
    for IC, OC in ((W, 3 * W), (W, W), (W, 4 * W), (4 * W, W)):
        flop += 3 * 2.0 * N * IC * OC

    def run():
        for IC, OC in ((W, 3 * W), (W, W), (W, 4 * W), (4 * W, W)):
            x, w, gy = a[:, :IC], b.view(-1)[:OC * IC].view(OC, IC), a[:, :OC]
            if prec == "bf16":
                x, w, gy = x.bfloat16(), w.bfloat16(), gy.bfloat16()
            torch.mm(x, w.t())
            torch.mm(gy, w)
            torch.mm(gy.t(), x)

    times = timed(run, reps)
    emit("bf16gemm_vitb32_block" if prec == "bf16" else "sgemm_vitb32_block", times, flop, "flop",
         flop, extra=dict(frames=F, tokens=N, width=W))


def main():
    a = sys.argv[1:]
    if not a:
        raise SystemExit(__doc__)
    num = lambda i, d: int(a[i]) if len(a) > i else d  # noqa: E731
    if a[0] == "step":
        bench_step(a[1], num(2, 3), num(3, 0), a[4] if len(a) > 4 else "fp32")
    elif a[0] == "wti":
        bench_wti(num(1, 1000), num(2, 3), num(3, 32), num(4, 12), num(5, 512), num(6, 50),
                  a[7] if len(a) > 7 else None)
    elif a[0] == "vision":
        bench_vision(num(1, 48), num(2, 3))
    elif a[0] == "sgemm":
        bench_sgemm(num(1, 48), num(2, 3), num(3, 768), a[4] if len(a) > 4 else "fp32")
    else:
        raise SystemExit(f"unknown benchmark {a[0]!r}\n{__doc__}")


if __name__ == "__main__":
    main()
