#!/usr/bin/python3
"""Self-checks of the PyTorch reference itself (not of the C code):
- explicit attention == nn.MultiheadAttention with the same weights;
- explicit seqLSTM == nn.LSTM + pack_padded_sequence recipe (incl. the quirk);
- LayerNorm == F.layer_norm; dp / ti / wti against per-pair loops;
- float64 gradchecks of CDCR 2/3 (and the dp/1 variant with a constant
  channel), wti/ti similarity, seqLSTM, standardise;
- first-index tie rule;
- BertAdam: zero learning rate at step 0 with moments updated, clipping;
- CLIP fp16 TorchScript archive round trip (torch.jit.load) and sizes read
  back from the state dict;
- a tiny DRL case writes all files with the documented datasets.

usage: selftest.py [--tmp DIR]
"""

import argparse
import copy
import math
import os
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import gradcheck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_ref  # noqa: E402
import drl_ref  # noqa: E402

FAILS = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def close(a, b, tol, what):
    err = (a - b).abs().max().item() / max(1e-30, b.abs().max().item())
    check(err <= tol, f"{what} (rel err {err:.2e} <= {tol:.0e})")


def test_attention():
    torch.manual_seed(0)
    w, h, n, s = 64, 4, 3, 7
    ours = clip_ref.MultiheadAttention(w, h).double()
    with torch.no_grad():
        ours.in_proj_bias.normal_()
        ours.out_proj.bias.normal_()
    ref = nn.MultiheadAttention(w, h).double()
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(n, s, w, dtype=torch.float64)
    causal = clip_ref.causal_mask(s, torch.float64, x.device)
    y = ours(x, causal)
    yr, _ = ref(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), attn_mask=causal, need_weights=False)
    close(y, yr.transpose(0, 1), 1e-12, "attention == nn.MultiheadAttention (causal mask)")
    vm = torch.tensor([[1] * 7, [1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0, 0]], dtype=torch.float64)
    add = (1 - vm) * -1e6
    y = ours(x, add[:, None, None, :])
    full = add[:, None, :].expand(n, s, s).repeat_interleave(h, dim=0)
    yr, _ = ref(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), attn_mask=full, need_weights=False)
    close(y, yr.transpose(0, 1), 1e-12, "attention == nn.MultiheadAttention (key mask -1e6)")
    # parameter names and shapes as nn.MultiheadAttention's
    shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    ref_shapes = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    check(shapes == ref_shapes, "attention parameter names/shapes == nn.MultiheadAttention's")


def test_layernorm():
    x = torch.randn(5, 33, dtype=torch.float64)
    ln = clip_ref.LayerNorm(33, 1e-5).double()
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    close(ln(x), F.layer_norm(x, (33,), ln.weight, ln.bias, 1e-5), 1e-12, "LayerNorm == F.layer_norm")


def test_lstm():
    torch.manual_seed(1)
    b, t, d = 4, 5, 8
    feat = torch.randn(b, t, d, dtype=torch.float64)
    vm = torch.tensor([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 0]])
    lstm = nn.LSTM(d, d, batch_first=True).double()
    ours = drl_ref.lstm_aggregate(feat, vm, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
    lengths = vm.sum(dim=1)
    packed = nn.utils.rnn.pack_padded_sequence(feat, lengths, batch_first=True, enforce_sorted=False)
    out, _ = lstm(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    out = torch.cat([out, feat[:, out.shape[1] :]], dim=1)
    ref = out + feat
    close(ours, ref, 1e-12, "seqLSTM == nn.LSTM + pack/pad + copy of originals + F")
    check(torch.equal(ours[:, 4], 2 * feat[:, 4]), "seqLSTM quirk: positions past the longest video are 2F")
    check(torch.equal(ours[1, 1:4], feat[1, 1:4]), "seqLSTM quirk: positions past own length are F")
    fn = lambda f, a, bb, c, e: drl_ref.lstm_aggregate(f, vm, a, bb, c, e)  # noqa: E731
    args = tuple(
        x.detach().clone().requires_grad_(True)
        for x in (feat, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
    )
    check(gradcheck(fn, args), "gradcheck seqLSTM (float64)")


def rand_masks():
    tm = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]])
    vm = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0]])
    return tm, vm


def test_interactions():
    torch.manual_seed(2)
    tm, vm = rand_masks()
    tf = torch.randn(3, 6, 8, dtype=torch.float64)
    vf = torch.randn(3, 4, 8, dtype=torch.float64)
    # loops
    def nrm(x):
        return x / x.norm()
    S = drl_ref.token_sim(tf, tm, vf, vm)
    ti = torch.zeros(3, 3, dtype=torch.float64)
    for a in range(3):
        for b in range(3):
            m = torch.zeros(6, 4, dtype=torch.float64)
            for i in range(6):
                for j in range(4):
                    if tm[a, i] and vm[b, j]:
                        m[i, j] = nrm(tf[a, i]) @ nrm(vf[b, j])
            t2v = m.max(dim=1).values.sum() / tm[a].sum()
            v2t = m.max(dim=0).values.sum() / vm[b].sum()
            ti[a, b] = (t2v + v2t) / 2
    close(drl_ref.ti_wti_similarity(S, tm, vm, None, None), ti, 1e-12, "ti == per-pair loop")
    t, v = drl_ref.dp_features(tf, tm, vf, vm)
    for b in range(3):
        n = int(vm[b].sum())
        vb = nrm(sum(nrm(vf[b, j]) for j in range(n)) / n)
        close(v[b], vb, 1e-12, f"dp video feature {b} == loop")
    close(t[1], nrm(tf[1, 2]), 1e-12, "dp text feature is the EOT slot (len - 1)")

    fc_t = drl_ref.make_weight_fc(8, 2).double()
    fc_v = drl_ref.make_weight_fc(8, 2).double()

    def wti(tf_, vf_):
        wt = drl_ref.masked_softmax_weights(fc_t(tf_).squeeze(-1), tm)
        wv = drl_ref.masked_softmax_weights(fc_v(vf_).squeeze(-1), vm)
        return drl_ref.ti_wti_similarity(drl_ref.token_sim(tf_, tm, vf_, vm), tm, vm, wt, wv)

    def ti_(tf_, vf_):
        return drl_ref.ti_wti_similarity(drl_ref.token_sim(tf_, tm, vf_, vm), tm, vm, None, None)

    a = (tf.clone().requires_grad_(True), vf.clone().requires_grad_(True))
    check(gradcheck(wti, a), "gradcheck wti similarity incl. weight branches (float64)")
    check(gradcheck(ti_, a), "gradcheck ti similarity (float64)")
    wt = drl_ref.masked_softmax_weights(fc_t(tf).squeeze(-1), tm)
    check(bool((wt[1, 3:] == 0).all()) and abs(wt[1].sum().item() - 1) < 1e-12, "wti weights: 0 on padding, sum 1")


def test_cdcr():
    torch.manual_seed(3)
    tm, vm = rand_masks()
    tf = torch.randn(3, 6, 8, dtype=torch.float64, requires_grad=True)
    vf = torch.randn(3, 4, 8, dtype=torch.float64, requires_grad=True)
    wt = torch.softmax(torch.randn(3, 6, dtype=torch.float64).masked_fill(tm == 0, -math.inf), -1)
    wv = torch.softmax(torch.randn(3, 4, dtype=torch.float64).masked_fill(vm == 0, -math.inf), -1)
    wt.requires_grad_(True)
    wv.requires_grad_(True)
    f2 = lambda a, b: drl_ref.cdcr_token_frame(a, tm, b, vm, 0.7, 0.3)  # noqa: E731
    f3 = lambda a, b, c, d: drl_ref.cdcr_token_frame(a, tm, b, vm, 0.7, 0.3, c, d)  # noqa: E731
    check(gradcheck(f2, (tf, vf)), "gradcheck CDCR 2 (float64)")
    check(gradcheck(f3, (tf, vf, wt, wv)), "gradcheck CDCR 3 incl. WTI weights (float64)")
    # CDCR 2 by an explicit loop formula
    with torch.no_grad():
        tn = tf / tf.norm(dim=-1, keepdim=True)
        vn = vf / vf.norm(dim=-1, keepdim=True)
        rows_t, match_t, rows_v, match_v = [], [], [], []
        for a in range(3):
            S = (tn[a] @ vn[a].t()) * tm[a][:, None] * vm[a][None, :]
            for i in range(6):
                if tm[a, i]:
                    j = int(np.argmax(S[i].numpy()))  # numpy: first maximal index
                    rows_t.append(tn[a, i])
                    match_t.append(vn[a, j])
            for j in range(4):
                if vm[a, j]:
                    i = int(np.argmax(S[:, j].numpy()))
                    rows_v.append(vn[a, j])
                    match_v.append(tn[a, i])

        def z(x):
            x = torch.stack(x)
            return (x - x.mean(0)) / x.std(0, unbiased=True)

        c1 = z(rows_t).t() @ z(match_t) / len(rows_t)
        c2 = z(rows_v).t() @ z(match_v) / len(rows_v)
        c = (c1 + c2) / 2
        want = 0.7 * ((torch.diagonal(c) - 1) ** 2).sum() + 0.3 * ((c ** 2).sum() - (torch.diagonal(c) ** 2).sum())
        close(f2(tf, vf), want, 1e-12, "CDCR 2 == loop with numpy argmax and torch.std(unbiased)")
    # dp / cdcr 1 variant with one constant channel and a single row
    a = torch.randn(5, 6, dtype=torch.float64)
    a[:, 2] = 0.3
    a.requires_grad_(True)
    b = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    fp = lambda x, y: drl_ref.cdcr_pairs(x, y, 0.5, 0.2)  # noqa: E731
    val = fp(a, b)
    check(bool(torch.isfinite(val)), "CDCR with a constant channel is finite")
    check(gradcheck(lambda y: fp(a.detach(), y), (b,)), "gradcheck CDCR pairs with a constant channel (float64)")
    one = drl_ref.cdcr_pairs(a[:1], b[:1], 0.5, 0.2)
    check(abs(one.item() - 0.5 * 6) < 1e-12, "CDCR of a single row: C = 0, loss = alpha1 * D")
    x = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    check(gradcheck(drl_ref.standardise, (x,)), "gradcheck standardise (float64)")
    close(drl_ref.standardise(x), (x - x.mean(0)) / x.std(0, unbiased=True), 1e-12, "standardise == torch.std")


def test_ties():
    x = torch.tensor([[0.0, 0.5, 0.5, 0.1], [0.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.0, -2.0]])
    check(drl_ref.first_argmax(x, 1).tolist() == [1, 0, 1], "first_argmax picks the first maximal index")
    check(drl_ref.first_argmax(x.t(), 0).tolist() == [1, 0, 1], "first_argmax along dim 0")


def test_bertadam():
    torch.manual_seed(4)
    p1 = nn.Parameter(torch.randn(3, 4))
    p2 = nn.Parameter(torch.randn(4))
    named = [("clip.a.weight", p1), ("head.bias", p2)]
    opt = drl_ref.BertAdam(named, lr=0.1, coef_lr=0.5, t_total=10)
    before = [p1.detach().clone(), p2.detach().clone()]
    p1.grad = torch.full((3, 4), 3.0)
    p2.grad = torch.full((4,), 4.0)
    opt.step()
    check(torch.equal(p1.detach(), before[0]) and torch.equal(p2.detach(), before[1]), "step 0: lr 0, params unchanged")
    # global norm sqrt(12*9 + 4*16) = sqrt(172); then per-tensor clip of each (norm < 1 already)
    gnorm = math.sqrt(172.0)
    coef = 1.0 / (gnorm + 1e-6)
    g1 = 3.0 * coef
    check(abs(opt.state["clip.a.weight"]["m"][0, 0].item() - 0.1 * g1) < 1e-7, "moments update at step 0 after clipping")
    # second step: x = 1/10 = warmup -> cosine branch
    p1.grad = torch.zeros(3, 4)
    p2.grad = torch.zeros(4)
    opt.step()
    f = 0.5 * (1 + math.cos(math.pi * 0.1))
    m = 0.9 * 0.1 * g1
    v = 0.98 * 0.02 * g1 * g1
    want = before[0][0, 0] - 0.1 * 0.5 * f * (m / (math.sqrt(v) + 1e-6) + 0.2 * before[0][0, 0])
    check(abs(p1[0, 0].item() - want.item()) < 1e-6, "step 1: cosine lr, coef_lr group, weight decay")
    m2 = 0.9 * 0.1 * 4.0 * coef
    v2 = 0.98 * 0.02 * (4.0 * coef) ** 2
    want2 = before[1][0] - 0.1 * f * (m2 / (math.sqrt(v2) + 1e-6))
    check(abs(p2[0].item() - want2.item()) < 1e-6, "step 1: bias not decayed, lr group of the heads")
    check(drl_ref.schedule_factor("warmup_linear", 0.55, 0.1) == max((0.55 - 1) / (0.1 - 1), 0), "warmup_linear")
    check(drl_ref.schedule_factor("warmup_constant", 0.05, 0.1) == 0.5, "warmup_constant in warmup")


def test_clip_roundtrip(tmp):
    model = clip_ref.make_clip("tiny", 5, openai_extra_keys=True)
    clip_ref.perturb_for_tests(model, 5)
    mh = copy.deepcopy(model).half()
    path = os.path.join(tmp, "rt_fp16.pt")
    torch.jit.save(torch.jit.script(mh), path)
    loaded = torch.jit.load(path)
    sd_l = loaded.state_dict()
    sd_m = mh.state_dict()
    check(sorted(sd_l) == sorted(sd_m), "fp16 archive: same state_dict keys")
    check(all(torch.equal(sd_l[k], sd_m[k]) and sd_l[k].dtype == sd_m[k].dtype for k in sd_m),
          "fp16 archive: tensors bit-identical, dtypes kept")
    check(sd_l["visual.conv1.weight"].dtype == torch.float16 and sd_l["input_resolution"].item() == 32,
          "fp16 archive: fp16 weights and OpenAI int buffers")
    x = torch.randn(2, 3, 32, 32)
    ids = torch.tensor([[clip_ref.SOT_ID, 5, 6, clip_ref.EOT_ID, 0, 0]])
    m32 = copy.deepcopy(mh).float()
    lf = loaded.float()
    close(lf.encode_image(x), m32.encode_image(x), 0.0, "fp16 archive: loaded encode_image == module")
    close(lf.encode_text(ids), m32.encode_text(ids), 0.0, "fp16 archive: loaded encode_text == module")
    sd = {k: v for k, v in model.state_dict().items() if k not in ("input_resolution", "context_length", "vocab_size")}
    rebuilt = clip_ref.build_clip_from_state_dict(sd)
    close(rebuilt.encode_text(ids), model.encode_text(ids), 0.0, "sizes from state dict rebuild the same model")
    # text: causal; a later token never changes an earlier position's features
    ids2 = ids.clone()
    ids2[0, 3] = 77
    e1, e2 = model.encode_text(ids), model.encode_text(ids2)
    check(torch.equal(e1[0, :3], e2[0, :3]), "text tower is causal")


def test_drl_case(tmp):
    import make_drl_case

    out = os.path.join(tmp, "case")
    make_drl_case.generate(["--out-dir", out, "--agg", "seqTransf", "--interaction", "wti", "--cdcr", "3",
                            "--steps", "2", "--total-steps", "10", "--lr", "1e-3", "--coef-lr", "0.1"])
    with h5py.File(os.path.join(out, "golden.h5"), "r") as g, h5py.File(os.path.join(out, "weights.h5"), "r") as w:
        need = ["loss", "loss_sim", "loss_cdcr", "logits_t2v", "logits_v2t", "text_feat", "video_feat",
                "text_weight", "video_weight", "grad", "param"]
        check(all(k in g for k in need), "golden.h5 has every documented dataset")
        check(g["text_feat"].shape == (4, 8, 64) and g["video_feat"].shape == (4, 4, 64), "feature shapes")
        check("clip.visual.conv1.weight" in w and w["clip.logit_scale"].shape == (), "weights.h5 names, 0-d logit_scale")
        check("grad/transformerClip.resblocks.0.attn.in_proj_weight" in g, "grad/ named like the reference")
        check(sorted(g["param"].keys()) == sorted(w.keys()), "param/ has every parameter")
        loss = g["loss"][()]
        check(abs(loss - (g["loss_sim"][()] + 0.01 * g["loss_cdcr"][()])) < 1e-5, "loss = loss_sim + lambda * loss_cdcr")
        moved = any(not np.array_equal(g["param"][k][()], w[k][()]) for k in w.keys())
        check(moved, "parameters moved after 2 steps")


def test_drl_fd():
    """Whole DRL model in float64: the autograd gradient along a random
    direction equals a central finite difference of the loss."""
    import make_drl_case

    for agg, inter, cdcr, lens in [("seqTransf", "wti", 3, None), ("seqLSTM", "ti", 2, [3, 1, 2, 3]),
                                   ("seqTransf", "xti", 0, None), ("None", "dp", 1, None)]:
        clip = clip_ref.make_clip("tiny", 11)
        clip_ref.perturb_for_tests(clip, 11)
        model = drl_ref.DRL(clip, agg=agg, interaction=inter, cdcr=cdcr, alpha1=0.16, alpha2=0.05, cdcr_lambda=0.5)
        drl_ref.init_drl_from_clip(model, 12, perturb_heads=True)
        model = model.double()
        g = torch.Generator().manual_seed(13)
        batch = make_drl_case.make_batch("default", lens, False, g, 32)
        batch["video"] = batch["video"].double()
        loss = model(batch)["loss"]
        params = [p for p in model.parameters()]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        dirs = [torch.randn(p.shape, generator=g, dtype=torch.float64) for p in params]
        want = sum(float((gr * d).sum()) for gr, d in zip(grads, dirs) if gr is not None)
        eps = 1e-7  # the direction has norm ~sqrt(#params); curvature needs a small step
        with torch.no_grad():
            for p, d in zip(params, dirs):
                p.add_(eps * d)
            lp = float(model(batch)["loss"])
            for p, d in zip(params, dirs):
                p.sub_(2 * eps * d)
            lm = float(model(batch)["loss"])
        fd = (lp - lm) / (2 * eps)
        check(abs(fd - want) <= 1e-6 * max(1.0, abs(want)),
              f"whole-model finite difference {agg}+{inter}+cdcr{cdcr} (fd {fd:.8f} vs autograd {want:.8f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tmp", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    tmp = args.tmp or tempfile.mkdtemp(prefix="drl_ref_selftest_")
    os.makedirs(tmp, exist_ok=True)
    test_attention()
    test_layernorm()
    test_lstm()
    test_interactions()
    test_cdcr()
    test_ties()
    test_bertadam()
    test_clip_roundtrip(tmp)
    test_drl_fd()
    test_drl_case(tmp)
    if FAILS:
        print(f"{len(FAILS)} FAILED")
        sys.exit(1)
    print("all reference self-checks passed")


if __name__ == "__main__":
    main()
