#!/usr/bin/python3
"""Times a command line (after one warm-up run) and prints one JSON line like
the bench_* executables: the command's wall time per run, peak resident
memory of the children, the work done per run (from the caller).

    bench_cmd.py NAME IMPL WORK UNIT REPEATS [--stdin FILE] -- COMMAND ARGS...
"""
import json
import resource
import statistics
import subprocess
import sys
import time


def main():
    a = sys.argv[1:]
    sep = a.index("--")
    name, impl, work, unit, reps = a[0], a[1], float(a[2]), a[3], int(a[4])
    stdin = a[a.index("--stdin") + 1] if "--stdin" in a[:sep] else None
    cmd = a[sep + 1:]
    times = []
    for r in range(reps + 1):
        src = open(stdin, "rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        subprocess.run(cmd, stdin=src, stdout=subprocess.DEVNULL, check=True)
        dt = time.perf_counter() - t0
        if stdin:
            src.close()
        if r > 0:
            times.append(dt)
    med = statistics.median(times)
    print(json.dumps(dict(bench=name, impl=impl, work=work, work_unit=unit, times_s=times,
                          median_s=med, rate=work / med, flop=0.0,
                          peak_rss_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
                          threads=None, extra=dict(command=" ".join(cmd[:2])))), flush=True)


if __name__ == "__main__":
    main()
