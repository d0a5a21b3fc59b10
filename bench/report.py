#!/usr/bin/python3
"""Table and JSON of a benchmark run (scripts/bench.sh): reads the JSON lines
of the bench_* executables, bench_ref.py and bench_cmd.py, pairs ours with
the reference by benchmark name, and prints a Markdown table: median rate and
spread (min..max of the repetitions), the reference's, the speed ratio
(reference time / our time), the fraction of the OpenBLAS sgemm rate for the
benchmarks with a FLOP count, and peak resident memory.

    report.py RAW.jsonl OUT.json
"""
import json
import os
import platform
import sys


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), loadavg=os.getloadavg(), platform=platform.platform(),
                omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                openblas_num_threads=os.environ.get("OPENBLAS_NUM_THREADS"))


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    by = {}
    for r in rows:
        by.setdefault(r["bench"], {})[r["impl"]] = r
    sgemm = by.get("sgemm_vitb32_block", {}).get("ours")
    peak = sgemm["rate"] if sgemm else None
    out = dict(machine=machine(), sgemm_flops=peak, results=[])
    print(f"machine: {out['machine']['cpu']}, {out['machine']['cores']} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in out['machine']['loadavg'])}, "
          f"OMP_NUM_THREADS={out['machine']['omp_num_threads']}")
    if peak:
        print(f"OpenBLAS sgemm rate (ViT-B/32 block shapes): {peak / 1e9:.1f} GFLOP/s")
    print()
    print("| benchmark | unit | ours (median, spread) | PyTorch | ratio | fraction of sgemm | "
          "peak MiB ours / PyTorch |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, d in by.items():
        o, p = d.get("ours"), d.get("pytorch")
        ref = d.get("reference", p)
        if not o:
            continue
        spread = f"{o['work'] / max(o['times_s']):.4g}..{o['work'] / min(o['times_s']):.4g}"
        res = dict(bench=name, unit=o["work_unit"] + "/s", ours=o, reference=ref)
        # rates, not times: the reference may do less work (preprocessing
        # runs the reference script on a tenth of the videos)
        ratio = o["rate"] / ref["rate"] if ref else None
        frac = o["flop"] / o["median_s"] / peak if peak and o.get("flop") else None
        res.update(ratio=ratio, fraction_of_sgemm=frac)
        mem = f"{o['peak_rss_mib']:.0f}" + (f" / {ref['peak_rss_mib']:.0f}" if ref else "")
        if ref:
            res["memory_ratio"] = o["peak_rss_mib"] / ref["peak_rss_mib"]
            mem += f" ({res['memory_ratio']:.2f}x)"
        out["results"].append(res)
        print(f"| {name} | {o['work_unit']}/s | {o['rate']:.4g} ({spread}) | "
              f"{ref['rate']:.4g} | {ratio:.2f}x | " if ref else
              f"| {name} | {o['work_unit']}/s | {o['rate']:.4g} ({spread}) | - | - | ", end="")
        print(f"{frac * 100:.0f}% | {mem} |" if frac else f"- | {mem} |")
    bf16_rows = [n for n in by if n.endswith("_bf16") and by[n].get("ours")]
    if bf16_rows:
        # run.precision = "bf16" on the CPU: the table's ratio is against PyTorch
        # under bf16 autocast; here also against PyTorch fp32 (the reference)
        print("\nbf16 matrix products (ours: drl_cpu_ops_bf16; PyTorch: autocast bf16):")
        out["bf16"] = {}
        for n in bf16_rows:
            o = by[n]["ours"]
            p16 = by[n].get("pytorch")
            p32 = by.get(n[:-5], {}).get("pytorch")
            o32 = by.get(n[:-5], {}).get("ours")
            r = dict(ours_rate=o["rate"])
            line = f"  {n}: ours {o['rate']:.4g} {o['work_unit']}/s"
            for key, ref, what in ((("vs_pytorch_fp32", p32, "PyTorch fp32")),
                                   (("vs_pytorch_bf16_autocast", p16, "PyTorch bf16 autocast")),
                                   (("vs_ours_fp32", o32, "ours fp32"))):
                if ref:
                    r[key] = o["rate"] / ref["rate"]
                    line += f"; {r[key]:.2f}x {what}"
            out["bf16"][n] = r
            print(line)
    g16 = by.get("bf16gemm_vitb32_block", {})
    if g16.get("ours"):
        line = f"\nbf16 GEMM (ViT-B/32 block shapes): ours {g16['ours']['rate'] / 1e9:.1f} GFLOP/s"
        if g16.get("pytorch"):
            line += f", PyTorch bf16 {g16['pytorch']['rate'] / 1e9:.1f} GFLOP/s"
        if peak:
            line += f" ({g16['ours']['rate'] / peak:.2f}x the OpenBLAS sgemm rate)"
        print(line)
    step = by.get("step_vitb32", {}).get("ours")
    load = by.get("loader", {}).get("ours")
    if step and load:
        out["loader_over_step"] = load["rate"] / step["rate"]
        print(f"\nloader / ViT-B/32 step throughput: {out['loader_over_step']:.1f}x "
              f"({load['rate']:.1f} vs {step['rate']:.3f} samples/s)")
    info = by.get("preprocess_frames_per_video", {}).get("info")
    pre = by.get("preprocess_videos", {})
    if info and pre.get("ours"):
        fpv = info["work"] / info["videos"]
        out["preprocess_frames_per_s"] = {k: v["rate"] * fpv for k, v in pre.items()}
        print(f"\npreprocessing: {fpv:.1f} frames per video; frames/s " +
              ", ".join(f"{k} {v:.1f}" for k, v in out["preprocess_frames_per_s"].items()))
    with open(sys.argv[2], "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
