#!/usr/bin/env python3
"""Fault injection on `mpirun -np 2 drl_hpc CONF.cfg` (issue 10): a rank
killed at a random step, SIGTERM (and SIGKILL) while the checkpoint is being
written, and an I/O error while reading the store. Each time: the job ends
within a bounded time, every checkpoint left behind opens and holds finite
values, and the resumed run ends bit-identical to a run that was never broken
(every dataset of ckpt/last.h5 equal, the same test metrics in result.json).

usage: fault_tests.py BIN_DIR WORK_DIR TEST
  TEST: kill_rank | sigterm_ckpt | kill_ckpt | store_io
The store is the `run_store` fixture of tests/run (drl_synth + drl_preprocess).
"""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cfgtext import mpirun, settings_to_cfg  # noqa: E402

BIN, WORK, TEST = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
DRL_HPC = os.path.join(BIN, "src/app/drl_hpc")
STORE = os.path.join(BIN, "tests/run/run_fixture/store.h5")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
MPIRUN = ["mpirun", "-np", "2", "--oversubscribe"]
BOUND_S = 120  # a broken job must end within this many seconds
FAILS = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg, flush=True)
    if not cond:
        FAILS.append(msg)


def write_cfg(name, out_dir, **over):
    """A tiny from-scratch model on the fixture store, 2 epochs, resumable;
    `over` = {"section.key": value}. cdcr 1 draws from the generator, so the
    resumed run must also restore the generator state."""
    s = {
        "data.store": STORE, "data.max_words": 12, "data.max_frames": 4, "data.resolution": 32,
        "model.agg_module": "seqTransf", "model.interaction": "wti", "model.cdcr": 1,
        "model.agg_layers": 1, "model.clip.vision_width": 64, "model.clip.vision_layers": 1,
        "model.clip.vision_patch": 16, "model.clip.image_resolution": 32, "model.clip.text_width": 64,
        "model.clip.text_layers": 1, "model.clip.embed_dim": 64, "model.clip.context_length": 16,
        "train.epochs": 2, "train.batch_size": 16, "train.lr": 1e-3, "train.coef_lr": 1.0,
        "train.n_display": 1, "train.checkpoint_interval": 2, "eval.do_eval": True,
        "eval.batch_size_val": 8, "run.output_dir": out_dir, "run.device": "cpu", "run.threads": 1,
        "run.resume": True,
    }
    s.update(over)
    path = os.path.join(WORK, name + ".cfg")
    with open(path, "w") as f:
        f.write(settings_to_cfg(s))
    return path


def start(cfg):
    return subprocess.Popen(MPIRUN + [DRL_HPC, cfg], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc, what, t0=None):
    """Waits for the job at most BOUND_S seconds (from t0: when the fault was
    injected); returns (ended, stdout, stderr)."""
    t0 = time.time() if t0 is None else t0
    try:
        out, err = proc.communicate(timeout=max(1.0, BOUND_S - (time.time() - t0)))
        ended = True
    except subprocess.TimeoutExpired:
        for pid in rank_pids(proc).values():  # a hung job: end it, ranks first
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        out, err = proc.communicate()
        ended = False
    check(ended, f"{what}: the job ended within {BOUND_S} s (took {time.time() - t0:.1f} s)")
    return ended, out, err


def run(cfg, what, expect=0):
    proc = start(cfg)
    _, out, err = finish(proc, what)
    if proc.returncode != expect:
        print(out[-3000:], err[-3000:])
    check(proc.returncode == expect, f"{what}: exit status {expect} (got {proc.returncode})")
    return out, err


def train_steps(out_dir):
    try:
        with open(os.path.join(out_dir, "metrics.jsonl")) as f:
            rows = [json.loads(l) for l in f if l.endswith("\n")]
    except (FileNotFoundError, json.JSONDecodeError):
        return []
    return [r["step"] for r in rows if r["kind"] == "train"]


def wait_for_step(out_dir, step, proc, limit=BOUND_S):
    t0 = time.time()
    while time.time() - t0 < limit and proc.poll() is None:
        s = train_steps(out_dir)
        if s and s[-1] >= step:
            return True
        time.sleep(0.02)
    return False


def rank_pids(proc):
    """{rank: pid} of the drl_hpc processes that mpirun started."""
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
    ranks = {}
    for pid in out.split():
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        for e in env:
            if e.startswith(b"OMPI_COMM_WORLD_RANK="):
                ranks[int(e.split(b"=")[1])] = int(pid)
    return ranks


def h5_arrays(path):
    """Every dataset of an HDF5 file, by full name."""
    got = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: got.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return got


def checkpoints_intact(out_dir, what):
    """Every checkpoint under its final name opens, has its `step` and holds
    finite values; returns {file: step}."""
    steps = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "ckpt", "*.h5"))):
        name = os.path.basename(path)
        try:
            with h5py.File(path, "r") as f:
                step = int(f.attrs["step"])
            arrays = h5_arrays(path)
            finite = all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")
            ok = finite and len(arrays) > 0
        except Exception as e:  # noqa: BLE001 - any failure to read is a corrupted file
            print(f"{path}: {e!r}")
            ok, step = False, None
        check(ok, f"{what}: {name} opens, holds finite values and its step ({step})")
        steps[name] = step
    return steps


def same_end(ref_dir, out_dir, what):
    a = h5_arrays(os.path.join(ref_dir, "ckpt/last.h5"))
    b = h5_arrays(os.path.join(out_dir, "ckpt/last.h5"))
    differ = [k for k in a if k not in b or a[k].shape != b[k].shape or a[k].tobytes() != b[k].tobytes()]
    check(sorted(a) == sorted(b) and not differ,
          f"{what}: the resumed run's ckpt/last.h5 ({len(b)} datasets: parameters, Adam moments, "
          f"state) is bit-identical to the unbroken run's (differ: {differ[:3]})")
    def rows(d):
        with open(os.path.join(d, "metrics.jsonl")) as f:
            return [(r["kind"], r["step"], r.get("loss"), r.get("metrics")) for r in map(json.loads, f)]
    check(rows(ref_dir) == rows(out_dir),
          f"{what}: metrics.jsonl holds the unbroken run's lines (no step lost or repeated)")
    ra = json.load(open(os.path.join(ref_dir, "result.json")))
    rb = json.load(open(os.path.join(out_dir, "result.json")))
    check(ra["metrics"] == rb["metrics"] and ra["steps"] == rb["steps"],
          f"{what}: same test metrics and steps in result.json ({rb['steps']} steps)")


def reference(name, **over):
    out = os.path.join(WORK, name + "_ref")
    cfg = write_cfg(name + "_ref", out, **over)
    run(cfg, f"{name} unbroken run")
    return out


def resume(cfg, out_dir, what):
    had = os.path.exists(os.path.join(out_dir, "ckpt/last.h5"))
    out, err = run(cfg, f"{what} resumed run")
    said = "resumed from" in out + err if had else "starting from the beginning" in out + err
    check(said, f"{what}: the rerun {'resumed from the checkpoint' if had else 'started afresh'}")


def test_kill_rank():
    """SIGKILL of one rank at a random step of epoch 1-2 (3 seeds); the job
    ends, the checkpoints are intact, the rerun resumes mid-epoch and ends
    where the unbroken run ends."""
    ref = reference("kill")
    total = train_steps(ref)[-1]
    per_epoch = total // 2
    for seed in (1, 2, 3):
        # a random step of epoch 2, 1, 2 and rank 1, 0, 1: both epochs and
        # both ranks covered. From step 3 on the step-2 checkpoint is
        # committed (the save ends in a barrier), so the rerun resumes; the
        # last step is excluded (the run must not end first).
        rng = random.Random(seed)
        first, last = (per_epoch + 1, total - 1) if seed % 2 else (3, per_epoch)
        step, victim = rng.randrange(first, last), seed % 2
        what = f"kill seed {seed} (rank {victim} at step {step} of {total})"
        out = os.path.join(WORK, f"kill{seed}")
        cfg = write_cfg(f"kill{seed}", out)
        proc = start(cfg)
        check(wait_for_step(out, step, proc), f"{what}: the run reached the step")
        pids = rank_pids(proc)
        check(sorted(pids) == [0, 1], f"{what}: found both rank processes {pids}")
        t0 = time.time()
        if victim in pids:
            os.kill(pids[victim], signal.SIGKILL)
        ended, _, err = finish(proc, what, t0)
        check(ended and proc.returncode != 0, f"{what}: the job failed (status {proc.returncode})")
        steps = checkpoints_intact(out, what)
        check("last.h5" in steps, f"{what}: a checkpoint was left to resume from")
        print(f"{what}: killed after step {train_steps(out)[-1]}, checkpoints {steps}", flush=True)
        resume(cfg, out, what)
        same_end(ref, out, what)


def test_sigterm_ckpt():
    """SIGTERM to rank 0 every 20 ms from step 3 on, checkpointing every step:
    signals land while ckpt/last.h5.tmp is being written (the final save
    included); the job exits 99 with a good checkpoint and resumes to the
    unbroken run's end."""
    over = {"train.checkpoint_interval": 1}
    ref = reference("sigterm", **over)
    out = os.path.join(WORK, "sigterm")
    cfg = write_cfg("sigterm", out, **over)
    proc = start(cfg)
    check(wait_for_step(out, 3, proc), "sigterm: the run reached step 3")
    pid = rank_pids(proc).get(0)
    tmp = os.path.join(out, "ckpt/last.h5.tmp")
    sent = during_write = 0
    t0 = last_sent = time.time()
    while proc.poll() is None and time.time() - t0 < BOUND_S:
        # every 20 ms, and every 1 ms while the temporary file exists (the
        # final checkpoint is written after the first signal: the rest hit it)
        writing = os.path.exists(tmp)
        if writing or time.time() - last_sent >= 0.02:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                break
            sent, during_write, last_sent = sent + 1, during_write + writing, time.time()
        time.sleep(0.001)
    print(f"sigterm: {sent} signals sent, {during_write} while {tmp} existed", flush=True)
    check(during_write > 0, "sigterm: signals arrived while the checkpoint was being written")
    ended, sout, serr = finish(proc, "sigterm", t0)
    check(proc.returncode == 99, f"sigterm: exit status 99 (got {proc.returncode})")
    check("checkpointing after step" in sout + serr, "sigterm: says it checkpointed")
    check(not os.path.exists(tmp), "sigterm: no temporary checkpoint left behind")
    steps = checkpoints_intact(out, "sigterm")
    stopped = train_steps(out)[-1]
    check(steps.get("last.h5") == stopped, f"sigterm: last.h5 holds the last step ({stopped})")
    resume(cfg, out, "sigterm")
    same_end(ref, out, "sigterm")


def kill_during_write(ref, name, after_step):
    """Runs until step after_step, then SIGKILLs rank 0 as soon as
    ckpt/NAME.tmp exists (up to 3 tries, until the kill lands before the
    rename); checks what is left and resumes."""
    what = f"kill_ckpt {name}"
    out = os.path.join(WORK, "killck_" + name.split(".")[0])
    cfg = write_cfg(os.path.basename(out), out)
    tmp = os.path.join(out, "ckpt", name + ".tmp")
    for attempt in range(1, 4):
        shutil.rmtree(out, ignore_errors=True)
        proc = start(cfg)
        check(wait_for_step(out, after_step, proc), f"{what}: the run reached step {after_step}")
        pid = rank_pids(proc).get(0)
        caught = False
        t0 = time.time()
        while proc.poll() is None and time.time() - t0 < BOUND_S:
            if os.path.exists(tmp):
                os.kill(pid, signal.SIGKILL)
                caught = os.path.exists(tmp)  # still there: killed before the rename
                break
        t0 = time.time()
        finish(proc, f"{what} attempt {attempt}", t0)
        if caught:
            break
        print(f"{what} attempt {attempt}: the write finished before the kill, again", flush=True)
    check(caught, f"{what}: rank 0 was killed while {name}.tmp was being written")
    check(proc.returncode != 0, f"{what}: the job failed (status {proc.returncode})")
    steps = checkpoints_intact(out, what)
    reached = train_steps(out)[-1]
    print(f"{what}: killed at step {reached}, {name}.tmp {os.path.getsize(tmp) if os.path.exists(tmp) else 0} "
          f"bytes, checkpoints {steps}", flush=True)
    resume(cfg, out, what)
    check(not os.path.exists(tmp), f"{what}: the rerun replaced the stale temporary file")
    same_end(ref, out, what)
    return steps, reached


def test_kill_ckpt():
    """SIGKILL of rank 0 while ckpt/last.h5.tmp, then ckpt/best.h5.tmp, is
    being written: the file under the final name keeps the previous, complete
    checkpoint (or does not exist yet); the rerun resumes and ends where the
    unbroken run ends."""
    ref = reference("killck")
    steps, reached = kill_during_write(ref, "last.h5", 5)
    check(steps.get("last.h5") is not None and steps["last.h5"] < reached,
          f"kill_ckpt: last.h5 holds an older, complete step ({steps.get('last.h5')} < {reached})")
    # best.h5 is first written after the epoch-1 evaluation (step 20)
    steps, reached = kill_during_write(ref, "best.h5", 15)
    check("best.h5" not in steps and "last.h5" in steps,
          f"kill_ckpt: no best.h5 under its final name, last.h5 at step {steps.get('last.h5')}")


def frame_data_start(path):
    """File offset of the first frame chunk (everything after it is frame data)."""
    with h5py.File(path, "r") as f:
        d = f["frames"]
        return min(d.id.get_chunk_info(i).byte_offset for i in range(d.id.get_num_chunks()))


def test_store_io():
    """The store loses its frame data mid-run (truncated under the open
    file): the job ends with an error naming the store, the checkpoint is
    intact; with the store restored the rerun ends where the unbroken run
    ends."""
    ref = reference("storeio")
    store = os.path.join(WORK, "store_copy.h5")
    shutil.copyfile(STORE, store)
    out = os.path.join(WORK, "storeio")
    cfg = write_cfg("storeio", out, **{"data.store": store})
    proc = start(cfg)
    check(wait_for_step(out, 5, proc), "store_io: the run reached step 5")
    cut = frame_data_start(store)
    t0 = time.time()
    os.truncate(store, cut)
    ended, sout, serr = finish(proc, "store_io", t0)
    print(f"store_io: truncated to {cut} of {os.path.getsize(STORE)} bytes after step 5; "
          f"stopped after step {train_steps(out)[-1]}; error: "
          f"{[l for l in serr.splitlines() if 'error' in l.lower()][:2]}", flush=True)
    check(proc.returncode not in (0, None), f"store_io: the job failed (status {proc.returncode})")
    check(store in serr and "/frames" in serr, "store_io: the error names the store file and /frames")
    check("end of file" in serr or "read failed" in serr, "store_io: the error says the read failed")
    steps = checkpoints_intact(out, "store_io")
    check("last.h5" in steps, "store_io: a checkpoint was left to resume from")
    shutil.copyfile(STORE, store)
    resume(cfg, out, "store_io")
    # the config differs in data.store only; the config text is not compared
    same_end(ref, out, "store_io")


def main():
    shutil.rmtree(WORK, ignore_errors=True)  # every test starts from nothing
    os.makedirs(WORK)
    check(os.path.exists(STORE), f"the fixture store {STORE} exists (test run_fixture)")
    if not FAILS:
        globals()["test_" + TEST]()
    print(f"{TEST}: {len(FAILS)} failed")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
