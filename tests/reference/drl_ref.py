"""Independent PyTorch implementation of the DRL heads, interactions, loss,
CDCR and BertAdam (spec/model.md §3-§8), single rank, on top of clip_ref.

Parameter names are the reference implementation's state_dict names:
clip.*, frame_position_embeddings.weight, transformerClip.resblocks.N.*,
lstm_visual.{weight_ih_l0,weight_hh_l0,bias_ih_l0,bias_hh_l0},
text_weight_fc.K.*, video_weight_fc.K.*, cross.embeddings.position_embeddings.weight,
cross.transformer.resblocks.N.*, cross.pooler.{ln_pool,dense}.*, similarity_dense.*.

Interpretations of the spec are listed in README.md.
"""

import math
import os
import sys
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_ref  # noqa: E402
from clip_ref import LayerNorm, QuickGELU, Transformer  # noqa: E402

DRL_LN_EPS = 1e-12
MASK_NEG = -1000000.0
CDCR_VAR_FLOOR = 1e-12  # a channel with unbiased variance <= this is "constant"


# ----------------------------------------------------------------- helpers
def l2norm(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True)


def first_argmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Index of the first maximal element along dim (explicit tie rule)."""
    m = x.max(dim=dim, keepdim=True).values
    n = x.shape[dim]
    shape = [1] * x.dim()
    shape[dim] = n
    ar = torch.arange(n, device=x.device).reshape(shape).expand_as(x)
    cand = torch.where(x == m, ar, torch.full_like(ar, n))
    return cand.min(dim=dim).values


def max_first(x: torch.Tensor, dim: int) -> torch.Tensor:
    """max along dim; the gradient goes to the first maximal element."""
    idx = first_argmax(x, dim)
    return x.gather(dim, idx.unsqueeze(dim)).squeeze(dim)


# ------------------------------------------------------ temporal aggregation
def lstm_aggregate(feat: torch.Tensor, vm: torch.Tensor, w_ih, w_hh, b_ih, b_hh) -> torch.Tensor:
    """seqLSTM (§3) incl. the quirk. feat (B, T, D), vm (B, T) prefix masks.
    Output position t of video b: h_t + F for t < len_b; 0 + F for
    len_b <= t < max_len; F + F for t >= max_len (original copied, then + F)."""
    b, t, d = feat.shape
    lengths = vm.long().sum(dim=1)  # (B,)
    max_len = int(lengths.max().item())
    h = feat.new_zeros(b, d)
    c = feat.new_zeros(b, d)
    outs = []
    for step in range(max_len):
        x = feat[:, step, :]
        gates = x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh  # (B, 4D)
        i = torch.sigmoid(gates[:, 0:d])
        f = torch.sigmoid(gates[:, d : 2 * d])
        g = torch.tanh(gates[:, 2 * d : 3 * d])
        o = torch.sigmoid(gates[:, 3 * d : 4 * d])
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        alive = (lengths > step).to(feat.dtype).unsqueeze(1)  # (B, 1)
        # a finished sequence keeps its state; its output is 0 (padding)
        h = alive * h_new + (1 - alive) * h
        c = alive * c_new + (1 - alive) * c
        outs.append(alive * h_new)
    out = torch.stack(outs, dim=1)  # (B, max_len, D)
    out = torch.cat([out, feat[:, max_len:, :]], dim=1)  # (B, T, D)
    return out + feat


class LSTMParams(nn.Module):
    """Holds lstm_visual.* with nn.LSTM's names."""

    def __init__(self, d: int):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * d, d))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * d, d))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * d))
        self.bias_hh_l0 = nn.Parameter(torch.empty(4 * d))

    def forward(self, feat, vm):
        return lstm_aggregate(feat, vm, self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0)


# -------------------------------------------------------------- interactions
def dp_features(tf, tm, vf, vm):
    """t (Bt, D), v (Bv, D), both L2-normalised (§4 dp)."""
    len_t = tm.long().sum(dim=1)
    t = l2norm(tf[torch.arange(tf.shape[0]), len_t - 1])
    vmf = vm.to(vf.dtype)
    vn = l2norm(vf) * vmf.unsqueeze(-1)
    denom = vmf.sum(dim=1).clamp(min=1.0).unsqueeze(-1)
    v = l2norm(vn.sum(dim=1) / denom)
    return t, v


def token_sim(tf, tm, vf, vm):
    """S (Bt, Bv, L, T) with masked entries 0 (§4)."""
    tn = l2norm(tf)
    vn = l2norm(vf)
    s = torch.einsum("aid,bjd->abij", tn, vn)
    return s * tm.to(s.dtype)[:, None, :, None] * vm.to(s.dtype)[None, :, None, :]


def masked_softmax_weights(logit: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """softmax over valid positions; invalid -> weight 0. logit (B, N)."""
    logit = logit.masked_fill(mask == 0, float("-inf"))
    return torch.softmax(logit, dim=-1)


def ti_wti_similarity(S, tm, vm, wt: Optional[torch.Tensor], wv: Optional[torch.Tensor]):
    """s (Bt, Bv) from S (Bt, Bv, L, T); ti when wt is None, else wti."""
    t_max = max_first(S, dim=3)  # (Bt, Bv, L)
    v_max = max_first(S, dim=2)  # (Bt, Bv, T)
    if wt is None:
        t2v = t_max.sum(dim=2) / tm.to(S.dtype).sum(dim=1)[:, None]
        v2t = v_max.sum(dim=2) / vm.to(S.dtype).sum(dim=1)[None, :]
    else:
        t2v = (t_max * wt[:, None, :]).sum(dim=2)
        v2t = (v_max * wv[None, :, :]).sum(dim=2)
    return (t2v + v2t) / 2


def make_weight_fc(d: int, arch: int) -> nn.Sequential:
    if arch == 1:
        return nn.Sequential(nn.Linear(d, 1))
    if arch == 2:
        return nn.Sequential(nn.Linear(d, d), nn.ReLU(inplace=False), nn.Linear(d, 1))
    if arch == 3:
        return nn.Sequential(
            nn.Linear(d, d), nn.ReLU(inplace=False), nn.Linear(d, d), nn.ReLU(inplace=False), nn.Linear(d, 1)
        )
    raise ValueError(f"wti_arch must be 1, 2 or 3, got {arch}")


# --------------------------------------------------------------- cross (xti)
class CrossEmbeddings(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.position_embeddings = nn.Embedding(77, d)


class CrossPooler(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.ln_pool = LayerNorm(d, DRL_LN_EPS)
        self.dense = nn.Linear(d, d)
        self.act = QuickGELU()

    def forward(self, x):
        x = self.ln_pool(x)[:, 0]
        return self.act(self.dense(x))


class CrossModel(nn.Module):
    def __init__(self, d: int, layers: int = 4, heads: int = 8):
        super().__init__()
        self.embeddings = CrossEmbeddings(d)
        self.transformer = Transformer(d, layers, heads, DRL_LN_EPS)
        self.pooler = CrossPooler(d)


# ------------------------------------------------------------------- CDCR
def standardise(x: torch.Tensor) -> torch.Tensor:
    """(x - mean_rows) / sd_rows per channel, unbiased sd. Rule for an
    undefined sd: a channel whose unbiased variance is <= CDCR_VAR_FLOOR (and
    every channel when there is a single row) is divided by 1 instead, so no
    NaN/inf arises and no gradient flows through its sd."""
    n = x.shape[0]
    mean = x.mean(dim=0, keepdim=True)
    xc = x - mean
    var = (xc * xc).sum(dim=0, keepdim=True) / max(n - 1, 1)
    const = var <= CDCR_VAR_FLOOR
    sd = torch.sqrt(torch.where(const, torch.ones_like(var), var))
    return xc / sd


def cdcr_from_corr(c: torch.Tensor, alpha1: float, alpha2: float) -> torch.Tensor:
    diag = torch.diagonal(c)
    on = ((diag - 1) ** 2).sum()
    off = (c * c).sum() - (diag * diag).sum()
    return alpha1 * on + alpha2 * off


def cdcr_pairs(a: torch.Tensor, b: torch.Tensor, alpha1, alpha2) -> torch.Tensor:
    """dp and cdcr 1: C = std(a)^T std(b) / N."""
    c = standardise(a).t() @ standardise(b) / a.shape[0]
    return cdcr_from_corr(c, alpha1, alpha2)


def cdcr_token_frame(tf, tm, vf, vm, alpha1, alpha2, wt=None, wv=None):
    """cdcr 2 (wt, wv None) and cdcr 3 (WTI weights given), §6.
    tf (B, L, D), vf (B, T, D) unnormalised; matched pairs a == b."""
    bsz = tf.shape[0]
    tn = l2norm(tf)
    vn = l2norm(vf)
    S = torch.einsum("aid,ajd->aij", tn, vn)  # (B, L, T) matched pairs
    S = S * tm.to(S.dtype)[:, :, None] * vm.to(S.dtype)[:, None, :]
    with torch.no_grad():
        jstar = first_argmax(S, dim=2)  # (B, L) frame of each token
        istar = first_argmax(S, dim=1)  # (B, T) token of each frame
    tok_rows, tok_match, tok_w = [], [], []
    frm_rows, frm_match, frm_w = [], [], []
    for a in range(bsz):
        for i in range(tf.shape[1]):
            if tm[a, i] != 0:
                tok_rows.append(tn[a, i])
                tok_match.append(vn[a, jstar[a, i]])
                if wt is not None:
                    tok_w.append(wt[a, i])
        for j in range(vf.shape[1]):
            if vm[a, j] != 0:
                frm_rows.append(vn[a, j])
                frm_match.append(tn[a, istar[a, j]])
                if wv is not None:
                    frm_w.append(wv[a, j])
    tok = standardise(torch.stack(tok_rows))
    tokm = standardise(torch.stack(tok_match))
    frm = standardise(torch.stack(frm_rows))
    frmm = standardise(torch.stack(frm_match))
    if wt is None:
        c1 = tok.t() @ tokm / tok.shape[0]
        c2 = frm.t() @ frmm / frm.shape[0]
    else:
        w1 = torch.stack(tok_w)[:, None]
        w2 = torch.stack(frm_w)[:, None]
        c1 = (tok * w1).t() @ tokm / bsz
        c2 = (frm * w2).t() @ frmm / bsz
    return cdcr_from_corr((c1 + c2) / 2, alpha1, alpha2)


# -------------------------------------------------------------- the model
class DRL(nn.Module):
    def __init__(
        self,
        clip: clip_ref.CLIP,
        agg: str = "None",
        interaction: str = "dp",
        wti_arch: int = 2,
        cdcr: int = 0,
        alpha1: float = 0.16,
        alpha2: float = 0.0,
        cdcr_lambda: float = 0.001,
        xti_dropout: float = 0.0,
    ):
        super().__init__()
        self.clip = clip
        self.agg = agg
        self.interaction = interaction
        self.cdcr = cdcr
        self.alpha1, self.alpha2, self.cdcr_lambda = alpha1, alpha2, cdcr_lambda
        self.xti_dropout = xti_dropout
        d = clip.text_projection.shape[1]
        wt_ = clip.ln_final.weight.shape[0]
        if d != wt_:
            raise ValueError(f"D ({d}) != text width ({wt_})")
        self.d = d
        if agg in ("seqTransf", "seqLSTM"):
            self.frame_position_embeddings = nn.Embedding(77, d)
        if agg == "seqTransf":
            self.transformerClip = Transformer(d, 4, max(1, d // 64), DRL_LN_EPS)
        elif agg == "seqLSTM":
            self.lstm_visual = LSTMParams(d)
        elif agg != "None":
            raise ValueError(f"agg must be None, seqTransf or seqLSTM, got {agg}")
        if interaction == "wti":
            self.text_weight_fc = make_weight_fc(d, wti_arch)
            self.video_weight_fc = make_weight_fc(d, wti_arch)
        elif interaction == "xti":
            self.cross = CrossModel(d)
            self.similarity_dense = nn.Linear(d, 1)
        elif interaction not in ("dp", "ti"):
            raise ValueError(f"interaction must be dp, ti, wti or xti, got {interaction}")
        if cdcr and interaction == "xti":
            raise ValueError("CDCR is not defined for xti")
        if cdcr == 3 and interaction == "ti":
            raise ValueError("cdcr 3 needs wti (it weights rows by the WTI weights)")
        if cdcr not in (0, 1, 2, 3):
            raise ValueError(f"cdcr must be 0..3, got {cdcr}")

    # ---- towers and aggregation
    def encode(self, ids, video):
        b, t = video.shape[0], video.shape[1]
        tf = self.clip.encode_text(ids.long())  # (B, L, D)
        vf = self.clip.encode_image(video.reshape((b * t,) + tuple(video.shape[2:])))
        return tf, vf.reshape(b, t, -1)  # (B, T, D)

    def aggregate(self, vf, vm):
        if self.agg == "None":
            return vf
        if self.agg == "seqTransf":
            t = vf.shape[1]
            x = vf + self.frame_position_embeddings.weight[0:t].unsqueeze(0)
            mask = ((1.0 - vm.to(vf.dtype)) * MASK_NEG)[:, None, None, :]  # (B, 1, 1, T)
            return vf + self.transformerClip(x, mask)
        return self.lstm_visual(vf, vm)

    # ---- interactions
    def weights(self, tf, tm, vf, vm):
        wt = masked_softmax_weights(self.text_weight_fc(tf).squeeze(-1), tm)  # (B, L)
        wv = masked_softmax_weights(self.video_weight_fc(vf).squeeze(-1), vm)  # (B, T)
        return wt, wv

    def xti_scores(self, tf, tm, vf, vm, gen: Optional[torch.Generator] = None):
        """s (Bt, Bv): text a vs video b through the cross transformer."""
        bt, bv, t, d = tf.shape[0], vf.shape[0], vf.shape[1], vf.shape[2]
        len_t = tm.long().sum(dim=1)
        teot = tf[torch.arange(bt), len_t - 1]  # (Bt, D)
        seq = torch.cat(
            [teot[:, None, None, :].expand(bt, bv, 1, d), vf[None, :, :, :].expand(bt, bv, t, d)], dim=2
        ).reshape(bt * bv, 1 + t, d)  # (Bt*Bv, 1+T, D)
        mask = torch.cat([torch.ones(bt, bv, 1, dtype=vf.dtype), vm.to(vf.dtype)[None].expand(bt, bv, t)], dim=2)
        mask = mask.reshape(bt * bv, 1 + t)
        x = seq + self.cross.embeddings.position_embeddings.weight[0 : 1 + t].unsqueeze(0)
        if self.training and self.xti_dropout > 0:
            keep = (torch.rand(x.shape, generator=gen) >= self.xti_dropout).to(x.dtype)
            x = x * keep / (1 - self.xti_dropout)
        amask = ((1.0 - mask) * MASK_NEG)[:, None, None, :]
        x = self.cross.transformer(x, amask)
        pooled = self.cross.pooler(x)  # (Bt*Bv, D)
        return self.similarity_dense(pooled).reshape(bt, bv)

    def forward(self, batch: Dict[str, torch.Tensor], gen: Optional[torch.Generator] = None):
        ids, tm, video, vm = batch["text_ids"], batch["text_mask"], batch["video"], batch["video_mask"]
        tf, vf0 = self.encode(ids, video)
        vf = self.aggregate(vf0, vm)
        out = {"text_feat": tf, "video_feat": vf}
        scale = self.clip.logit_scale.exp()
        loss_cdcr = tf.new_zeros(())
        if self.interaction == "dp":
            t, v = dp_features(tf, tm, vf, vm)
            s = t @ v.t()
            s_v2t = s.t()
            if self.cdcr:
                loss_cdcr = cdcr_pairs(t, v, self.alpha1, self.alpha2)
        elif self.interaction in ("ti", "wti"):
            S = token_sim(tf, tm, vf, vm)
            wt = wv = None
            if self.interaction == "wti":
                wt, wv = self.weights(tf, tm, vf, vm)
                out["text_weight"], out["video_weight"] = wt, wv
            s = ti_wti_similarity(S, tm, vm, wt, wv)
            s_v2t = s.t()
            if self.cdcr == 1:
                ar = torch.arange(tf.shape[0])
                tp = batch["cdcr_text_pick"].long()
                vp = batch["cdcr_video_pick"].long()
                loss_cdcr = cdcr_pairs(l2norm(tf[ar, tp]), l2norm(vf[ar, vp]), self.alpha1, self.alpha2)
            elif self.cdcr == 2:
                loss_cdcr = cdcr_token_frame(tf, tm, vf, vm, self.alpha1, self.alpha2)
            elif self.cdcr == 3:
                loss_cdcr = cdcr_token_frame(tf, tm, vf, vm, self.alpha1, self.alpha2, wt, wv)
        else:  # xti: two independent passes
            s = self.xti_scores(tf, tm, vf, vm, gen)  # tV (texts x videos)
            s_v2t = self.xti_scores(tf, tm, vf, vm, gen).t()  # vT (videos x texts)
        z_t2v = scale * s
        z_v2t = scale * s_v2t
        labels = torch.arange(z_t2v.shape[0])
        loss_sim = (F.cross_entropy(z_t2v, labels) + F.cross_entropy(z_v2t, labels)) / 2
        out.update(
            logits_t2v=z_t2v,
            logits_v2t=z_v2t,
            sim=s,
            loss_sim=loss_sim,
            loss_cdcr=loss_cdcr,
            loss=loss_sim + self.cdcr_lambda * loss_cdcr,
        )
        return out


# ------------------------------------------------------------ initialisation
def init_drl_from_clip(model: DRL, seed: int, perturb_heads: bool = False) -> None:
    """§8: new Linear/embedding normal(0, 0.02), biases 0, LN 1/0, LSTM
    U(-1/sqrt(D), 1/sqrt(D)); then copies from the CLIP text tower.
    perturb_heads (tests only) randomises new biases/LN before the copies."""
    g = torch.Generator().manual_seed(seed)
    d = model.d
    clip = model.clip
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("clip."):
                continue
            if name.startswith("lstm_visual."):
                b = 1.0 / math.sqrt(d)
                p.copy_(torch.rand(p.shape, generator=g) * 2 * b - b)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
        for name, m in model.named_modules():
            if name.startswith("clip"):
                continue
            if isinstance(m, LayerNorm):
                m.weight.fill_(1.0)
                m.bias.zero_()
        if perturb_heads:
            clip_ref.perturb_for_tests(model, seed, skip=("clip.", "lstm_visual."))
        ctx = clip.positional_embedding.shape[0]
        if hasattr(model, "frame_position_embeddings"):
            model.frame_position_embeddings.weight[0:ctx].copy_(clip.positional_embedding)
        if hasattr(model, "transformerClip"):
            copy_blocks(model.transformerClip, clip.transformer)
        if hasattr(model, "cross"):
            model.cross.embeddings.position_embeddings.weight[0:ctx].copy_(clip.positional_embedding)
            copy_blocks(model.cross.transformer, clip.transformer)


def copy_blocks(dst: Transformer, src: Transformer) -> None:
    n = min(len(dst.resblocks), len(src.resblocks))
    for i in range(n):
        sd = src.resblocks[i].state_dict()
        dst.resblocks[i].load_state_dict(sd)


# ---------------------------------------------------------------- BertAdam
def schedule_factor(kind: str, x: float, warmup: float) -> float:
    if x < warmup:
        return x / warmup
    if kind == "warmup_cosine":
        return 0.5 * (1.0 + math.cos(math.pi * x))
    if kind == "warmup_constant":
        return 1.0
    if kind == "warmup_linear":
        return max((x - 1.0) / (warmup - 1.0), 0.0)
    raise ValueError(f"unknown schedule {kind}")


def clip_norm_(grads: List[torch.Tensor], max_norm: float) -> float:
    total = torch.norm(torch.stack([g.norm(2) for g in grads]), 2)
    coef = max_norm / (float(total) + 1e-6)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return float(total)


class BertAdam:
    """§7. Parameters whose .grad is None are skipped entirely (no clipping,
    no moment update, no weight decay), as in the reference."""

    def __init__(
        self,
        named_params,
        lr: float,
        coef_lr: float,
        t_total: int,
        schedule: str = "warmup_cosine",
        warmup: float = 0.1,
        b1: float = 0.9,
        b2: float = 0.98,
        e: float = 1e-6,
        weight_decay: float = 0.2,
        max_grad_norm: float = 1.0,
    ):
        self.params = list(named_params)
        self.lr, self.coef_lr, self.t_total = lr, coef_lr, t_total
        self.schedule, self.warmup = schedule, warmup
        self.b1, self.b2, self.e, self.wd, self.max_grad_norm = b1, b2, e, weight_decay, max_grad_norm
        self.state: Dict[str, Dict] = {}

    def lr_of(self, name: str) -> float:
        return self.lr * self.coef_lr if name.startswith("clip.") else self.lr

    @torch.no_grad()
    def step(self, logit_scale: Optional[torch.Tensor] = None) -> None:
        with_grad = [(n, p) for n, p in self.params if p.grad is not None]
        clip_norm_([p.grad for _, p in with_grad], self.max_grad_norm)  # global
        for name, p in with_grad:
            g = p.grad
            st = self.state.setdefault(name, {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            clip_norm_([g], self.max_grad_norm)  # per tensor (quirk)
            st["m"].mul_(self.b1).add_(g, alpha=1 - self.b1)
            st["v"].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            u = st["m"] / (st["v"].sqrt() + self.e)
            if "bias" not in name:
                u = u + self.wd * p
            x = st["step"] / self.t_total
            lr_t = self.lr_of(name) * schedule_factor(self.schedule, x, self.warmup)
            p.add_(-(lr_t * u))
            st["step"] += 1
        if logit_scale is not None:
            logit_scale.clamp_(max=math.log(100))
