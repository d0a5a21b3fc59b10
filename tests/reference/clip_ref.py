"""Independent PyTorch implementation of the CLIP towers (spec/model.md §1, §8).

Written from the spec, not from OpenAI's code, but with OpenAI CLIP's module
tree so that state_dict names and shapes are the reference's:

  visual.conv1.weight, visual.class_embedding, visual.positional_embedding,
  visual.ln_pre.{weight,bias}, visual.transformer.resblocks.N.{attn.in_proj_weight,
  attn.in_proj_bias, attn.out_proj.{weight,bias}, ln_1.*, mlp.c_fc.*, mlp.c_proj.*,
  ln_2.*}, visual.ln_post.*, visual.proj, token_embedding.weight,
  positional_embedding, transformer.resblocks.N.*, ln_final.*, text_projection,
  logit_scale.

Attention is written out explicitly (packed in_proj, heads, 1/sqrt(W/H),
additive mask, softmax) with nn.MultiheadAttention's parameter names.
Everything is batch-first. The module scripts with torch.jit.script.
"""

import math
from collections import OrderedDict
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

SOT_ID = 49406
EOT_ID = 49407


class LayerNorm(nn.Module):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last axis, biased
    variance, computed in fp32 (cast back to the input dtype)."""

    def __init__(self, width: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        orig = x.dtype
        xf = x.float() if orig == torch.float16 else x
        mean = xf.mean(dim=-1, keepdim=True)
        var = ((xf - mean) ** 2).mean(dim=-1, keepdim=True)
        y = (xf - mean) / torch.sqrt(var + self.eps)
        w = self.weight.to(xf.dtype)
        b = self.bias.to(xf.dtype)
        return (y * w + b).to(orig)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class MultiheadAttention(nn.Module):
    """Explicit multi-head self-attention with nn.MultiheadAttention's
    parameter names: in_proj_weight [3W, W], in_proj_bias [3W], out_proj."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        assert width % heads == 0
        self.width = width
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        # x (N, S, W); mask additive, broadcastable to (N, H, S, S)
        n, s, w = x.shape
        h = self.heads
        dh = w // h
        qkv = torch.matmul(x, self.in_proj_weight.t()) + self.in_proj_bias  # (N, S, 3W)
        q = qkv[:, :, 0:w].reshape(n, s, h, dh).transpose(1, 2)  # (N, H, S, dh)
        k = qkv[:, :, w : 2 * w].reshape(n, s, h, dh).transpose(1, 2)
        v = qkv[:, :, 2 * w : 3 * w].reshape(n, s, h, dh).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh)  # (N, H, S, S)
        if mask is not None:
            scores = scores + mask.to(scores.dtype)
        p = torch.softmax(scores, dim=-1)
        o = torch.matmul(p, v).transpose(1, 2).reshape(n, s, w)  # (N, S, W)
        return self.out_proj(o)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int, eps: float = 1e-5):
        super().__init__()
        self.attn = MultiheadAttention(width, heads)
        self.ln_1 = LayerNorm(width, eps)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ("c_fc", nn.Linear(width, width * 4)),
                    ("gelu", QuickGELU()),
                    ("c_proj", nn.Linear(width * 4, width)),
                ]
            )
        )
        self.ln_2 = LayerNorm(width, eps)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, eps: float = 1e-5):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.ModuleList(
            [ResidualAttentionBlock(width, heads, eps) for _ in range(layers)]
        )

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        for blk in self.resblocks:
            x = blk(x, mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, resolution: int, patch: int, width: int, layers: int, heads: int, out_dim: int):
        super().__init__()
        self.resolution = resolution
        self.patch = patch
        g = resolution // patch
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(g * g + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, out_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x (N, 3, R, R) -> (N, D)
        x = x.to(self.conv1.weight.dtype)
        x = self.conv1(x)  # (N, W, G, G)
        n, w = x.shape[0], x.shape[1]
        x = x.reshape(n, w, -1).permute(0, 2, 1)  # (N, G*G, W), row-major patches
        cls = self.class_embedding.to(x.dtype).reshape(1, 1, w).expand(n, 1, w)
        x = torch.cat([cls, x], dim=1)  # (N, G*G+1, W)
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = self.transformer(x, None)
        x = self.ln_post(x[:, 0, :])  # LN is per token: token 0 only is needed
        return torch.matmul(x, self.proj)


def causal_mask(length: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(L, L) additive mask: key j > query i gets -inf."""
    m = torch.full((length, length), float("-inf"), dtype=dtype, device=device)
    return torch.triu(m, diagonal=1)


class CLIP(nn.Module):
    def __init__(
        self,
        embed_dim: int,
        image_resolution: int,
        vision_layers: int,
        vision_width: int,
        vision_patch_size: int,
        context_length: int,
        vocab_size: int,
        transformer_width: int,
        transformer_heads: int,
        transformer_layers: int,
        vision_heads: Optional[int] = None,
        openai_extra_keys: bool = False,
    ):
        super().__init__()
        if vision_heads is None:
            vision_heads = vision_width // 64 if vision_width >= 64 else 1
        self.n_ctx = context_length
        self.visual = VisionTransformer(
            image_resolution, vision_patch_size, vision_width, vision_layers, vision_heads, embed_dim
        )
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads)
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, transformer_width))
        self.ln_final = LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        if openai_extra_keys:
            # OpenAI's archives carry these int64 0-d tensors in their state dict
            self.register_buffer("input_resolution", torch.tensor(image_resolution))
            self.register_buffer("context_length", torch.tensor(context_length))
            self.register_buffer("vocab_size", torch.tensor(vocab_size))

    @torch.jit.export
    def encode_image(self, image: torch.Tensor) -> torch.Tensor:
        return self.visual(image)

    @torch.jit.export
    def encode_text(self, text: torch.Tensor) -> torch.Tensor:
        # text (B, L) int ids -> (B, L, D) features of every position
        length = text.shape[1]
        x = self.token_embedding(text)  # (B, L, W)
        x = x + self.positional_embedding[0:length].to(x.dtype)
        mask = causal_mask(length, x.dtype, x.device)
        x = self.transformer(x, mask)
        x = self.ln_final(x)
        return torch.matmul(x, self.text_projection)

    def forward(self, image: torch.Tensor, text: torch.Tensor):
        return self.encode_image(image), self.encode_text(text)


def init_clip_ours(model: CLIP, seed: int) -> None:
    """From-scratch initialisation, spec §8 'ours' (CLIP's own scheme), applied
    to both towers. Biases 0, LayerNorm 1/0; conv1 keeps PyTorch's default
    kaiming-uniform scheme (the spec is silent) drawn from the seeded generator."""
    g = torch.Generator().manual_seed(seed)

    def normal_(t: torch.Tensor, std: float) -> None:
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float32) * std)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, LayerNorm):
                m.weight.fill_(1.0)
                m.bias.zero_()
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.zero_()
        normal_(model.token_embedding.weight, 0.02)
        normal_(model.positional_embedding, 0.01)
        v = model.visual
        wv = v.conv1.weight.shape[0]
        fan_in = v.conv1.weight[0].numel()
        b = 1.0 / math.sqrt(fan_in)
        v.conv1.weight.copy_(torch.rand(v.conv1.weight.shape, generator=g) * 2 * b - b)
        normal_(v.class_embedding, wv ** -0.5)
        normal_(v.positional_embedding, wv ** -0.5)
        normal_(v.proj, wv ** -0.5)
        for tr in (model.transformer, v.transformer):
            w, layers = tr.width, tr.layers
            attn_std = w ** -0.5
            proj_std = w ** -0.5 * (2 * layers) ** -0.5
            fc_std = (2 * w) ** -0.5
            for blk in tr.resblocks:
                normal_(blk.attn.in_proj_weight, attn_std)
                normal_(blk.attn.out_proj.weight, proj_std)
                normal_(blk.mlp.c_fc.weight, fc_std)
                normal_(blk.mlp.c_proj.weight, proj_std)
        normal_(model.text_projection, model.transformer.width ** -0.5)
        model.logit_scale.fill_(math.log(1 / 0.07))


def clip_sizes_from_state_dict(sd: Dict[str, torch.Tensor], prefix: str = "") -> Dict[str, int]:
    """Sizes per spec §1 'Sizes read from a checkpoint'."""

    def get(k):
        return sd[prefix + k]

    conv = get("visual.conv1.weight")
    vision_width = conv.shape[0]
    patch = conv.shape[-1]
    vision_layers = len(
        [
            k
            for k in sd
            if k.startswith(prefix + "visual.transformer.resblocks.") and k.endswith(".attn.in_proj_weight")
        ]
    )
    grid = round(math.sqrt(get("visual.positional_embedding").shape[0] - 1))
    embed_dim = get("text_projection").shape[1]
    context_length = get("positional_embedding").shape[0]
    vocab = get("token_embedding.weight").shape[0]
    tw = get("ln_final.weight").shape[0]
    tlayers = len(
        set(
            k[len(prefix) :].split(".")[2]
            for k in sd
            if k.startswith(prefix + "transformer.resblocks.")
        )
    )
    if embed_dim != tw:
        raise ValueError(f"D ({embed_dim}) != text width ({tw}): DRL heads need D == W_t")
    return dict(
        embed_dim=embed_dim,
        image_resolution=patch * grid,
        vision_layers=vision_layers,
        vision_width=vision_width,
        vision_patch_size=patch,
        context_length=context_length,
        vocab_size=vocab,
        transformer_width=tw,
        transformer_heads=max(1, tw // 64),
        transformer_layers=tlayers,
        vision_heads=max(1, vision_width // 64),
    )


def build_clip_from_state_dict(sd: Dict[str, torch.Tensor], prefix: str = "") -> CLIP:
    sizes = clip_sizes_from_state_dict(sd, prefix)
    model = CLIP(**sizes)
    own = {k[len(prefix) :]: v for k, v in sd.items() if k.startswith(prefix)}
    own = {k: v for k, v in own.items() if k in model.state_dict()}
    model.load_state_dict({k: v.float() for k, v in own.items()}, strict=True)
    return model


TINY = dict(
    embed_dim=64,
    image_resolution=32,
    vision_layers=2,
    vision_width=64,
    vision_patch_size=8,
    context_length=77,
    vocab_size=49408,
    transformer_width=64,
    transformer_heads=1,
    transformer_layers=4,
    vision_heads=1,
)

VITB32 = dict(
    embed_dim=512,
    image_resolution=224,
    vision_layers=12,
    vision_width=768,
    vision_patch_size=32,
    context_length=77,
    vocab_size=49408,
    transformer_width=512,
    transformer_heads=8,
    transformer_layers=12,
    vision_heads=12,
)


def make_clip(size: str, seed: int, openai_extra_keys: bool = False) -> CLIP:
    cfg = TINY if size == "tiny" else VITB32
    torch.manual_seed(seed)
    model = CLIP(**cfg, openai_extra_keys=openai_extra_keys)
    init_clip_ours(model, seed)
    return model


def perturb_for_tests(model: nn.Module, seed: int, skip=()) -> None:
    """Makes every bias and LayerNorm parameter non-trivial (the §8 init sets
    them to 0/1, which would hide a missing bias or LN affine in a port)."""
    g = torch.Generator().manual_seed(seed + 7919)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if any(name.startswith(s) for s in skip):
                continue
            leaf = name.split(".")
            is_ln = len(leaf) >= 2 and ("ln" in leaf[-2] or leaf[-2].startswith("LayerNorm"))
            if name.endswith("bias") or is_ln:
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
