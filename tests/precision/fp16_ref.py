"""The reference's GPU precision of the CLIP towers (spec/model.md §11),
emulated in PyTorch on the CPU (torch 1.13's CPU kernels lack most fp16 ops).

Written from the spec and from what PyTorch does with fp16 tensors on CUDA
(every op on fp16 tensors computes in fp32 and rounds its result to fp16
once), not from the C code:

- the listed tensors (FP16 below) hold fp16 values: `to_fp16_values` rounds
  them, as `convert_weights` before `load_state_dict` does;
- `r16(x) = x.half().float()`: rounds a value to fp16, and (autograd of the
  two casts) rounds its gradient to fp16 too, as the backward of an fp16
  tensor is fp16;
- the towers (`encode_image16`, `encode_text16`) round at every fp16 op's
  output: input cast, conv1, class/position tables cast with `.to(x.dtype)`,
  their sum, every LayerNorm output (computed in fp32), every linear output,
  q.k^T scores, softmax probabilities, P @ V, 1.702 x, sigmoid, the QuickGELU
  product, residual sums, the final projections; features return to fp32;
- `BertAdam16` is drl_ref.BertAdam with the FP16 tensors stored in fp16 with
  fp16 moments: gradient, clipping, every in-place op of the update rounded.
"""

import math
import os
import sys
from typing import Optional

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import clip_ref  # noqa: E402
import drl_ref  # noqa: E402

FP16_LEAVES = (
    "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
)


def is_fp16(name: str) -> bool:
    """§11: Linear/conv weights and biases of both towers, in_proj, visual.proj,
    text_projection (DRL names, under "clip.")."""
    if not name.startswith("clip."):
        return False
    if name in ("clip.visual.conv1.weight", "clip.visual.proj", "clip.text_projection"):
        return True
    return ".resblocks." in name and name.endswith(FP16_LEAVES)


def r16(x: torch.Tensor) -> torch.Tensor:
    return x.half().float()


def to_fp16_values(model: torch.nn.Module) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if is_fp16(name):
                p.copy_(r16(p))


# ------------------------------------------------------------------ towers
def linear16(x, w, b=None):
    y = x @ r16(w).t()
    if b is not None:
        y = y + r16(b)
    return r16(y)


def quickgelu16(x):
    return r16(x * r16(torch.sigmoid(r16(1.702 * x))))


def attention16(attn: clip_ref.MultiheadAttention, x, mask: Optional[torch.Tensor]):
    n, s, w = x.shape
    h = attn.heads
    dh = w // h
    qkv = linear16(x, attn.in_proj_weight, attn.in_proj_bias)  # (N, S, 3W)
    q = qkv[:, :, 0:w].reshape(n, s, h, dh).transpose(1, 2)
    k = qkv[:, :, w : 2 * w].reshape(n, s, h, dh).transpose(1, 2)
    v = qkv[:, :, 2 * w : 3 * w].reshape(n, s, h, dh).transpose(1, 2)
    q = r16(q * (float(dh) ** -0.5))
    scores = r16(q @ k.transpose(-1, -2))  # (N, H, S, S)
    if mask is not None:
        scores = r16(scores + mask)
    p = r16(torch.softmax(scores, dim=-1))
    o = r16(p @ v).transpose(1, 2).reshape(n, s, w)
    return linear16(o, attn.out_proj.weight, attn.out_proj.bias)


def block16(blk: clip_ref.ResidualAttentionBlock, x, mask):
    x = r16(x + attention16(blk.attn, r16(blk.ln_1(x)), mask))
    mlp = blk.mlp
    hdn = linear16(r16(blk.ln_2(x)), mlp.c_fc.weight, mlp.c_fc.bias)
    x = r16(x + linear16(quickgelu16(hdn), mlp.c_proj.weight, mlp.c_proj.bias))
    return x


def encode_image16(visual: clip_ref.VisionTransformer, image):
    x = r16(image)  # image.type(self.dtype)
    x = r16(F.conv2d(x, r16(visual.conv1.weight), stride=visual.patch))  # (N, W, G, G)
    n, w = x.shape[0], x.shape[1]
    x = x.reshape(n, w, -1).permute(0, 2, 1)
    cls = r16(visual.class_embedding).reshape(1, 1, w).expand(n, 1, w)
    x = torch.cat([cls, x], dim=1)
    x = r16(x + r16(visual.positional_embedding))
    x = r16(visual.ln_pre(x))
    for blk in visual.transformer.resblocks:
        x = block16(blk, x, None)
    x = r16(visual.ln_post(x[:, 0, :]))
    return r16(x @ r16(visual.proj))  # .float()


def encode_text16(clip: clip_ref.CLIP, text):
    length = text.shape[1]
    x = r16(clip.token_embedding(text))
    x = r16(x + r16(clip.positional_embedding[0:length]))
    mask = clip_ref.causal_mask(length, torch.float32, x.device)
    for blk in clip.transformer.resblocks:
        x = block16(blk, x, mask)
    x = r16(clip.ln_final(x))
    return r16(x @ r16(clip.text_projection))


def use_fp16_towers(clip: clip_ref.CLIP) -> None:
    """The DRL model calls clip.encode_image / encode_text: emulate fp16 there."""
    clip.encode_image = lambda image: encode_image16(clip.visual, image)
    clip.encode_text = lambda text: encode_text16(clip, text)


# --------------------------------------------------------------- optimiser
class BertAdam16(drl_ref.BertAdam):
    """drl_ref.BertAdam (§7) with the fp16 tensors updated as fp16 tensors are:
    torch.norm of an fp16 tensor is fp16; p.grad.mul_(c) rounds;
    m.mul_(b1).add_(g, alpha=1-b1), v.mul_(b2).addcmul_(g, g, value=1-b2),
    v.sqrt(), + e, m / ..., wd * p, u + ..., lr * u and p.add_(-...) each round
    to fp16 (fp32 arithmetic, scalars as fp32)."""

    @torch.no_grad()
    def step(self, logit_scale: Optional[torch.Tensor] = None) -> None:
        with_grad = [(n, p) for n, p in self.params if p.grad is not None]
        for n, p in with_grad:
            if is_fp16(n):
                p.grad.copy_(r16(p.grad))  # the gradient of an fp16 parameter is fp16
        norms = [r16(p.grad.norm(2)) if is_fp16(n) else p.grad.norm(2) for n, p in with_grad]
        total = float(torch.norm(torch.stack(norms), 2))
        coef = self.max_grad_norm / (total + 1e-6)
        if coef < 1:
            for n, p in with_grad:
                p.grad.mul_(coef)
                if is_fp16(n):
                    p.grad.copy_(r16(p.grad))
        for name, p in with_grad:
            g = p.grad
            st = self.state.setdefault(name, {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            x = st["step"] / self.t_total
            lr_t = self.lr_of(name) * drl_ref.schedule_factor(self.schedule, x, self.warmup)
            st["step"] += 1
            if not is_fp16(name):  # drl_ref.BertAdam.step's per-tensor part, fp32
                drl_ref.clip_norm_([g], self.max_grad_norm)
                st["m"].mul_(self.b1).add_(g, alpha=1 - self.b1)
                st["v"].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
                u = st["m"] / (st["v"].sqrt() + self.e)
                if "bias" not in name:
                    u = u + self.wd * p
                p.add_(-(lr_t * u))
                continue
            nrm = r16(g.norm(2))
            c = r16(torch.tensor(self.max_grad_norm, dtype=torch.float32) / r16(nrm + 1e-6))
            if float(c) < 1:
                g.copy_(r16(g * c))
            m = r16(r16(st["m"] * self.b1) + (1 - self.b1) * g)
            v = r16(r16(st["v"] * self.b2) + (1 - self.b2) * g * g)
            u = r16(m / r16(r16(v.sqrt()) + self.e))
            if "bias" not in name:
                u = r16(u + r16(self.wd * p))
            p.copy_(r16(p - r16(lr_t * u)))
            st["m"], st["v"] = m, v
        if logit_scale is not None:
            logit_scale.clamp_(max=math.log(100))


def frac_changed(before: torch.Tensor, after: torch.Tensor) -> float:
    return float((before != after).float().mean())


def _selfcheck() -> None:
    x = torch.tensor([1.0 + 2 ** -11, 1.0 + 3 * 2 ** -11, 65520.0, 2 ** -25, 3 * 2 ** -26])
    assert r16(x).tolist() == [1.0, 1.0 + 2 ** -9, math.inf, 0.0, 2 ** -24]


if __name__ == "__main__":
    _selfcheck()
    print("ok")
