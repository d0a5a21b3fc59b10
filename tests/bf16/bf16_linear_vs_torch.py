"""linear and matmul of drl_cpu_ops_bf16() (forward and backward, linear also
without a bias and without a bias gradient) against
PyTorch: the inputs rounded to bf16 by torch (Tensor.to(torch.bfloat16),
round to nearest even), the products in float64, the bias and its gradient
unrounded fp32, the gradients accumulated onto non-zero starting values.
What may remain is fp32 accumulation: each output must be within RTOL of the
sum of |terms| behind it. The same outputs computed WITHOUT the bf16 rounding
must be off by far more (the test can tell bf16 products from fp32 ones).

usage: bf16_linear_vs_torch.py DRIVER WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
import torch

RTOL = 1e-5
# (N, IC, OC): odd, larger, tiny, N spanning several of the bias gradient's
# 64-row blocks, and products large enough that B is rounded straight into
# oneDNN's blocked layout (BA16a64b2a, with partial blocks: 330 and 400 are no
# multiples of 32 and 64)
CASES = [(37, 65, 29), (130, 96, 200), (1, 3, 1), (300, 40, 70), (260, 330, 400)]


def bf(t):
    return t.to(torch.bfloat16).to(torch.float64)


def main():
    driver, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    g = torch.Generator().manual_seed(20240611)
    worst = 0.0
    for N, IC, OC in CASES:
        t = {
            "x": (N, IC), "w": (OC, IC), "b": (OC,), "m": (IC, OC), "dout": (N, OC),
            "dx0": (N, IC), "dw0": (OC, IC), "db0": (OC,), "dm0": (IC, OC),
        }
        t = {k: (torch.rand(s, generator=g) * 4 - 2).float() for k, s in t.items()}
        for k, v in t.items():
            v.numpy().tofile(os.path.join(work, k + ".f32"))
        subprocess.run([driver, work, str(N), str(IC), str(OC)], check=True)

        def got(name, shape):
            a = np.fromfile(os.path.join(work, name + ".f32"), dtype=np.float32)
            return torch.from_numpy(a.reshape(shape)).double()

        d = {k: v.double() for k, v in t.items()}
        x, w, m, dout = bf(t["x"]), bf(t["w"]), bf(t["m"]), bf(t["dout"])
        ax, aw, am, ad = x.abs(), w.abs(), m.abs(), dout.abs()
        # name: (reference with bf16 inputs, |terms|, reference without rounding)
        refs = {
            "lin_y": (x @ w.T + d["b"], ax @ aw.T + d["b"].abs(), d["x"] @ d["w"].T + d["b"]),
            "lin_dx": (d["dx0"] + dout @ w, d["dx0"].abs() + ad @ aw,
                       d["dx0"] + d["dout"] @ d["w"]),
            "lin_dw": (d["dw0"] + dout.T @ x, d["dw0"].abs() + ad.T @ ax,
                       d["dw0"] + d["dout"].T @ d["x"]),
            "lin_db": (d["db0"] + d["dout"].sum(0), d["db0"].abs() + d["dout"].abs().sum(0),
                       None),
            "lin_y_nob": (x @ w.T, ax @ aw.T, d["x"] @ d["w"].T),
            "lin_dx_nob": (d["dx0"] + dout @ w, d["dx0"].abs() + ad @ aw,
                           d["dx0"] + d["dout"] @ d["w"]),
            "lin_dw_nob": (d["dw0"] + dout.T @ x, d["dw0"].abs() + ad.T @ ax,
                           d["dw0"] + d["dout"].T @ d["x"]),
            "mm_y": (x @ m, ax @ am, d["x"] @ d["m"]),
            "mm_dx": (d["dx0"] + dout @ m.T, d["dx0"].abs() + ad @ am.T,
                      d["dx0"] + d["dout"] @ d["m"].T),
            "mm_dm": (d["dm0"] + x.T @ dout, d["dm0"].abs() + ax.T @ ad,
                      d["dm0"] + d["x"].T @ d["dout"]),
        }
        for name, (ref, scale, ref32) in refs.items():
            out = got(name, ref.shape)
            err = ((out - ref).abs() / scale).max().item()
            worst = max(worst, err)
            if not err <= RTOL:
                sys.exit(f"FAIL N={N} IC={IC} OC={OC} {name}: max |ours - torch| / |terms| = "
                         f"{err:.3g} > {RTOL}")
            if ref32 is not None and N * IC * OC > 10:
                off = ((out - ref32).abs() / scale).max().item()
                if not off > 20 * RTOL:
                    sys.exit(f"FAIL {name}: ours is as close to the unrounded fp32 product "
                             f"({off:.3g}) as to the bf16 one: no bf16 rounding?")
            print(f"N={N} IC={IC} OC={OC} {name}: max rel err {err:.2e}")
    print(f"OK: linear/matmul bf16 vs PyTorch, worst {worst:.2e} (tolerance {RTOL})")


if __name__ == "__main__":
    main()
