#!/usr/bin/python3
"""CTest gpu_bench_drl_step_tiny: the device check's step benchmarks run on the
CPU at the tiny shape and print every figure. bench_drl_step (C, --backend cpu
--tiny) must exit 0, print each figure line with a number, a finite loss,
and write a JSON file whose figures agree with the definitions (samples/s =
pairs x steps/s, projected minutes = 5 x 180000 / pairs / steps/s / 60, MFU =
model FLOPs x steps/s / matrix rate) and with an independent count of the
model FLOPs (the formula written out here from the shapes). Then
bench_drl_step.py --device cpu --tiny --ours that JSON must exit 0 (it also
checks its vectorised CDCR 3 against tests/reference's), print both
optimizer variants, the ratio and the three goals, and write its JSON.
The CUDA backend asked for where there is none must say why and exit 77.
Speed is never asserted.
usage: check_bench_tiny.py BENCH_EXE WORK_DIR"""
import json
import math
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NUM = r"[0-9.]+(?:e[-+]?[0-9]+)?"
failures = []


def check(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def run(cmd, env):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    print(f"$ {' '.join(cmd)}  (exit {p.returncode})\n{p.stdout}")
    return p.returncode, p.stdout


def tiny_flops(B, tm_lens, T):
    """Model FLOPs of one step at the tiny shape, from the shapes alone:
    tiny CLIP (vision 64 wide, 2 layers, 16 patches of 8x8x3 + class token;
    text 64 wide, 4 layers, L = 8), D = 64, seqTransf 4 blocks, wti_arch 2,
    CDCR 3; backward = 2 x forward."""
    L, D, Wv, Wt = 8, 64, 64, 64
    F, S = B * T, 17

    def tf(seqs, s, w, layers):
        return layers * (24 * seqs * s * w * w + 4 * seqs * s * s * w)

    fwd = 2 * F * 16 * 192 * Wv + tf(F, S, Wv, 2) + 2 * F * Wv * D
    fwd += tf(B, L, Wt, 4) + 2 * B * L * Wt * D
    fwd += tf(B, T, D, 4)
    fwd += B * (L + T) * (2 * D * D + 2 * D)
    fwd += 2 * B * B * L * T * D
    fwd += 2 * B * L * T * D + 2 * (sum(tm_lens) + B * T) * D * D
    return 3.0 * fwd


def main():
    exe, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ, OUT=work)
    py = os.environ.get("DRL_PYTHON", sys.executable)

    rc, out = run([exe, "--backend", "cpu", "--tiny"], env)
    check(rc == 0, "bench_drl_step --backend cpu --tiny exits 0")
    for pat in [rf"loss: first step ({NUM}), last step ({NUM})",
                rf"speed: {NUM} steps/s, {NUM} samples/s \(pairs\), {NUM} frames/s",
                rf"per step: {NUM} ms = drl_step forward\+backward {NUM} ms \+ optimizer {NUM} ms",
                rf"MFU: {NUM} TFLOP model FLOPs/step, {NUM} TFLOP/s achieved, measured matrix rate {NUM}",
                rf"peak memory: {NUM} GiB",
                rf"projected 5-epoch MSR-VTT run .*: {NUM} minutes",
                r"goal: projected 5-epoch run under 30 minutes: .*: (met|NOT met)",
                r"goal: MFU at least 40%: .*: (met|NOT met)"]:
        check(re.search(pat, out) is not None, f"C bench prints /{pat}/")
    m = re.search(rf"loss: first step ({NUM}), last step ({NUM})", out)
    check(m is not None and all(math.isfinite(float(x)) and float(x) > 0 for x in m.groups()),
          "the losses are finite and positive")
    jpath = os.path.join(work, "bench_drl_step.json")
    check(os.path.exists(jpath), "$OUT/bench_drl_step.json written")
    if os.path.exists(jpath):
        with open(jpath) as f:
            j = json.load(f)
        check(j["backend"] == "cpu" and j["pairs"] == 2 and j["frames"] == 4 and j["words"] == 8,
              "JSON: cpu backend, 2 pairs x 4 frames, 8 tokens")
        sps = j["steps_per_s"]
        close = lambda a, b: abs(a - b) <= 1e-6 * abs(b)  # noqa: E731
        check(sps > 0 and close(sps, 1.0 / j["step_s"]), "steps/s = 1 / step time")
        check(close(j["samples_per_s"], 2 * sps), "samples/s = pairs x steps/s")
        check(close(j["projected_5_epochs_min"], 5 * 180000 / 2 / sps / 60), "projected minutes")
        check(close(j["mfu"], j["model_tflop_per_step"] * sps / j["matrix_tflops"]), "MFU definition")
        # caption lengths min(8, 7 + 5b mod 10): 7 and 8 tokens
        want = tiny_flops(2, [7, 8], 4) / 1e12
        check(close(j["model_tflop_per_step"], want),
              f"model FLOPs/step {j['model_tflop_per_step']:.9g} TFLOP = independent count {want:.9g}")
        check(j["peak_memory_gib"] > 0 and j["params"] > 1e6, "peak memory and parameter count")

    rc, out = run([exe, "--backend", "cuda", "--tiny"], env)
    check(rc == 77 and "not run: no CUDA device (" in out,
          "--backend cuda without a usable device: exit 77, 'not run: no CUDA device (reason)'")
    rc, out = run([exe, "--backend", "cpu", "--pairs", "x"], env)
    check(rc == 2 and "--pairs 'x': expected a positive integer" in out, "a bad --pairs is named")

    rc, out = run([py, os.path.join(HERE, "bench_drl_step.py"), "--device", "cpu", "--tiny", "--ours", jpath],
                  env)
    check(rc == 0, "bench_drl_step.py --device cpu --tiny --ours exits 0")
    check("PASS: vectorised CDCR 3 vs drl_ref.cdcr_token_frame" in out, "vectorised CDCR 3 = the reference's")
    for pat in [rf"bertadam: {NUM} steps/s, {NUM} samples/s \(pairs\), {NUM} ms/step, peak memory {NUM} GiB",
                rf"adamw: {NUM} steps/s, {NUM} samples/s \(pairs\), {NUM} ms/step, peak memory {NUM} GiB",
                rf"ours/PyTorch = {NUM}x",
                r"goal: projected 5-epoch run under 30 minutes: .*: (met|NOT met)",
                r"goal: MFU at least 40%: .*: (met|NOT met)",
                r"goal: at least 1.5x PyTorch's step: .*: (met|NOT met)"]:
        check(re.search(pat, out) is not None, f"PyTorch bench prints /{pat}/")
    ppath = os.path.join(work, "bench_drl_step_pytorch.json")
    check(os.path.exists(ppath), "$OUT/bench_drl_step_pytorch.json written")
    if os.path.exists(ppath):
        with open(ppath) as f:
            p = json.load(f)
        base = [v for v in p["variants"] if v["optimizer"] == p["baseline"]][0]
        check(abs(p["summary"]["ratio"] - j["steps_per_s"] / base["steps_per_s"]) <= 1e-9 * p["summary"]["ratio"],
              "ratio = our steps/s / PyTorch's")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
