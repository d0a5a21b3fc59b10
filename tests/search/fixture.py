"""Shared fixture of the viz/search tests: a synthetic store built with the
project's drl_synth + drl_preprocess (real MP4 files, FFmpeg, HDF5) and a tiny
WTI model trained on it by drl_hpc (CPU, a few epochs)."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from cfgtext import mpirun, settings_to_cfg  # noqa: E402

SHARED = os.environ.get("DRL_SHARED_DIR", "/work/shared")
VOCAB = os.path.join(SHARED, "clip/bpe_simple_vocab_16e6.txt.gz")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
           DRL_VOCAB=VOCAB)


def write_cfg(path, store, out_dir, **over):
    s = {
        "data.store": store, "data.max_words": 12, "data.max_frames": 4, "data.resolution": 32,
        "model.agg_module": "seqTransf", "model.interaction": "wti", "model.cdcr": 0,
        "model.agg_layers": 2, "model.clip.vision_width": 64, "model.clip.vision_layers": 2,
        "model.clip.vision_patch": 16, "model.clip.image_resolution": 32, "model.clip.text_width": 64,
        "model.clip.text_layers": 2, "model.clip.embed_dim": 64, "model.clip.context_length": 16,
        "train.epochs": 20, "train.batch_size": 16, "train.lr": 1e-3, "train.coef_lr": 1.0,
        "train.n_display": 1, "eval.do_eval": True, "eval.batch_size_val": 8,
        "run.output_dir": out_dir, "run.device": "cpu", "run.threads": 1,
    }
    s.update(over)
    with open(path, "w") as f:
        f.write(settings_to_cfg(s))
    return path


def build(bin_dir, fix):
    """Creates FIX/store.h5, FIX/wti.cfg and the trained run FIX/run (once)."""
    store = os.path.join(fix, "store.h5")
    cfg = os.path.join(fix, "wti.cfg")
    if os.path.exists(os.path.join(fix, "done")):
        return store, cfg
    shutil.rmtree(fix, ignore_errors=True)
    os.makedirs(fix)
    subprocess.run([os.path.join(bin_dir, "src/video/drl_synth"), "--out", os.path.join(fix, "data"),
                    "--videos", "96", "--test", "16", "--seconds", "4"], check=True, env=ENV,
                   capture_output=True)
    subprocess.run([os.path.join(bin_dir, "preprocess/drl_preprocess"), "--dataset", "msrvtt",
                    "--anno", os.path.join(fix, "data/anns"), "--videos", os.path.join(fix, "data/videos"),
                    "--out", store, "--resolution", "32", "--vocab", VOCAB], check=True, env=ENV,
                   capture_output=True)
    write_cfg(cfg, store, os.path.join(fix, "run"))
    p = subprocess.run([os.path.join(bin_dir, "src/app/drl_hpc"), cfg], env=ENV, capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise SystemExit("training the fixture model failed:\n" + p.stdout[-3000:] + p.stderr[-3000:])
    open(os.path.join(fix, "done"), "w").close()
    return store, cfg


if __name__ == "__main__":
    import sys
    import time
    t = time.time()
    print(build(sys.argv[1], sys.argv[2]), f"{time.time() - t:.1f} s")
