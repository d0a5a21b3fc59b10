#!/usr/bin/env python3
"""Catalogue of bad inputs (issue 10): each case builds one bad input in a work
folder, runs the user-facing command on it and checks the exit status, the
exact error (a regular expression written from the rules in the headers and
DESIGN.md, not copied from our output) and that no output was left behind.
The table "input -> what the user sees" is generated from the runs and must
match CATALOGUE.md (run with --write to regenerate it after a change).

usage: badinput.py WORK_DIR DRL_HPC STORE_TOOL MSRVTT_DUMP DRL_PREPROCESS [--write]
"""
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DRL_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
PY = os.environ.get("DRL_PYTHON", "/usr/bin/python3")
MPIENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
              OMPI_MCA_rmaps_base_oversubscribe="1")


class Ctx:
    def __init__(self, work, drl_hpc, store_tool, msrvtt_dump):
        self.work, self.drl_hpc, self.store_tool, self.msrvtt_dump = work, drl_hpc, store_tool, msrvtt_dump

    def path(self, *p):
        return os.path.join(self.work, *p)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)

    def run(self, args, mpi=0):
        cmd = (["mpirun", "-np", str(mpi)] if mpi else []) + args
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=MPIENV,
                           timeout=300, cwd=self.work)
        return p.returncode, p.stdout, p.stderr


def first_error(text):
    """The first line that reads as an error (what the user sees first)."""
    for line in text.splitlines():
        if re.search(r"error|ERROR|expected|cannot|not a|missing|invalid|unterminated|include", line):
            return line.strip()
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[0] if lines else ""


# ---- configuration (drl_hpc --print-config) ---------------------------------
def cfg_case(c, name, text, expect, mpi=0):
    path = c.write(name, text)
    # --print-config validates for one rank; the rank rules apply to a run
    args = [c.drl_hpc, path] if mpi else [c.drl_hpc, "--print-config", path]
    rc, out, err = c.run(args, mpi=mpi)
    return rc, first_error(err), expect


def case_cfg_typo(c):
    return cfg_case(c, "typo.cfg", "train = { batch_sise = 4; };\n",
                    r"typo\.cfg:1: .*'train\.batch_sise'.*(unknown|not a setting).*batch_size")


def case_cfg_type(c):
    return cfg_case(c, "type.cfg", 'train = { batch_size = "four"; };\n',
                    r"type\.cfg:1: setting 'train\.batch_size': expected .*integer.*found .*string")


def case_cfg_range(c):
    return cfg_case(c, "range.cfg", "train = { lr = -0.5; };\n",
                    r"range\.cfg:1: setting 'train\.lr': expected .*found -0\.5")


def case_cfg_missing(c):
    rc, out, err = c.run([c.drl_hpc, "--print-config", c.path("absent.cfg")])
    return rc, first_error(err), r"absent\.cfg.*(cannot|No such file)"


def case_cfg_loop(c):
    c.write("loop_b.cfg", '@include "loop_a.cfg"\n')
    return cfg_case(c, "loop_a.cfg", '@include "loop_b.cfg"\ntrain = { lr = 1e-4; };\n',
                    r"loop_[ab]\.cfg:1: .*include.*(loop|cycle|itself)")


def case_cfg_ranks(c):
    return cfg_case(c, "ranks.cfg", "train = { batch_size = 3; };\n",
                    r"ranks\.cfg:1: setting 'train\.batch_size': expected .*(divisible|multiple).*2.*found 3",
                    mpi=2)


# ---- store (store_open through store_tool check) ----------------------------
def fresh_store(c, name):
    path = c.path(name)
    rc, out, err = c.run([c.store_tool, "write", path])
    assert rc == 0, err
    return path


def store_case(c, path, expect, *opts):
    rc, out, err = c.run([c.store_tool, "check", path] + list(opts))
    return rc, first_error(out + err), expect


def case_store_missing_dataset(c):
    p = fresh_store(c, "no_tokens.h5")
    with h5py.File(p, "a") as f:
        del f["captions/tokens"]
    return store_case(c, p, r"no_tokens\.h5.*captions/tokens.*(missing|absent|not found)")


def case_store_wrong_shape(c):
    p = fresh_store(c, "bad_shape.h5")
    with h5py.File(p, "a") as f:
        n = f["videos/frame_count"].shape[0]
        del f["videos/frame_count"]
        f["videos/frame_count"] = np.zeros((n + 1,), np.int32)
    return store_case(c, p, r"bad_shape\.h5: /videos/frame_count: has 6 entries, /videos/id has 5")


def case_store_truncated(c):
    p = fresh_store(c, "truncated.h5")
    size = os.path.getsize(p)
    with open(p, "r+b") as f:
        f.truncate(size // 2)
    return store_case(c, p, r"truncated\.h5.*(truncated|cannot|not a readable HDF5)")


def case_store_resolution(c):
    p = fresh_store(c, "res.h5")
    with h5py.File(p, "r") as f:
        r = int(f.attrs["resolution"])
    return store_case(c, p, rf"res\.h5.*resolution.*{r}.*{r + 1}|res\.h5.*resolution.*{r + 1}.*{r}",
                      "--expect-resolution", str(r + 1))


def case_store_tokenizer(c):
    p = fresh_store(c, "tok.h5")
    return store_case(c, p, r"tok\.h5.*tokenizer.*", "--expect-hash", "f" * 64)


# ---- annotations (msrvtt_read through msrvtt_dump) --------------------------
def anno(c, tag, json_text, train_ids, test_rows):
    j = c.write(f"{tag}.json", json_text)
    tr = c.write(f"{tag}_train.csv", "video_id\n" + "".join(v + "\n" for v in train_ids))
    te = c.write(f"{tag}_test.csv", "key,vid_key,video_id,sentence\n" + "".join(test_rows))
    return j, tr, te


def sentences(pairs):
    import json
    return json.dumps({"sentences": [{"caption": cap, "video_id": v, "sen_id": i}
                                     for i, (v, cap) in enumerate(pairs)]})


def case_anno_malformed(c):
    files = anno(c, "malformed", '{"sentences": [{"caption": "a", "video_id": "video0"', ["video0"], [])
    rc, out, err = c.run([c.msrvtt_dump, *files])
    return rc, first_error(err), r"malformed\.json: invalid JSON near byte \d+"


def dump_pairs(out):
    import json
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def case_anno_long_caption(c):
    cap = ("a man rides a horse " * 500)[:10000]
    files = anno(c, "long", sentences([("video0", cap)]), ["video0"], [])
    rc, out, err = c.run([c.msrvtt_dump, *files])
    pairs = dump_pairs(out) if rc == 0 else []
    ok = len(pairs) == 1 and pairs[0]["caption"] == cap
    return rc, f"kept whole: {len(pairs[0]['caption']) if pairs else 0} characters" if ok else err.strip(), \
        r"kept whole: 10000 characters"


def case_anno_empty_caption(c):
    files = anno(c, "empty", sentences([("video0", ""), ("video0", "a dog")]), ["video0"], [])
    rc, out, err = c.run([c.msrvtt_dump, *files])
    pairs = dump_pairs(out) if rc == 0 else []
    return rc, f"{len(pairs)} pairs, empty caption kept: {any(p['caption'] == '' for p in pairs)}" \
        if rc == 0 else err.strip(), r"2 pairs, empty caption kept: True"


def case_anno_unknown_video(c):
    files = anno(c, "unknown", sentences([("video0", "a cat"), ("video7", "not listed")]), ["video0"],
                 ["ret0,msr9,video9,a test caption\n"])
    rc, out, err = c.run([c.msrvtt_dump, *files])
    pairs = dump_pairs(out) if rc == 0 else []
    train = [p for p in pairs if p["split"] == "train"]
    return rc, f"train pairs: {[p['video_id'] for p in train]} (video7 not in the 9k list: skipped)" \
        if rc == 0 else err.strip(), r"train pairs: \['video0'\] \(video7"


# ---- checkpoint (drl_hpc --step-dump with model.init_model) -----------------
def reference_case(c):
    d = c.path("case")
    if not os.path.exists(os.path.join(d, "weights.h5")):
        subprocess.run([PY, os.path.join(SRC, "tests/reference/make_drl_case.py"), "--out-dir", d,
                        "--steps", "1", "--total-steps", "2"], check=True, capture_output=True)
    sys.path.insert(0, os.path.join(SRC, "tests/drl"))
    import json
    import check_step_dump
    return d, json.load(open(os.path.join(d, "case.json"))), check_step_dump.write_cfg


def ckpt_case(c, tag, mutate, expect):
    d, case, write_cfg = reference_case(c)
    w = c.path(f"{tag}.h5")
    shutil.copy(os.path.join(d, "weights.h5"), w)
    mutate(w)
    cfg = c.path(f"{tag}.cfg")
    write_cfg(case, w, cfg)
    out = c.path(f"{tag}_out.h5")
    rc, o, err = c.run([c.drl_hpc, "--step-dump", os.path.join(d, "batch.h5"), "--steps", "1",
                        "--total-steps", "2", "--out", out, cfg])
    left = [p for p in (out, out + ".tmp") if os.path.exists(p)]
    msg = first_error(err) + (f" [left behind: {left}]" if left else "")
    return rc, msg, expect


def case_ckpt_truncated(c):
    def cut(p):
        with open(p, "r+b") as f:
            f.truncate(os.path.getsize(p) // 2)
    return ckpt_case(c, "ckpt_truncated", cut, r"ckpt_truncated\.h5.*(truncated|not a readable HDF5|cannot)")


def case_ckpt_nan(c):
    def nan(p):
        with h5py.File(p, "a") as f:
            name = sorted(k for k in f if isinstance(f[k], h5py.Dataset) and f[k].size > 1)[0]
            a = f[name][()]
            a.flat[0] = np.nan
            f[name][...] = a
    return ckpt_case(c, "ckpt_nan", nan, r"ckpt_nan\.h5: .*'clip\.[a-z_.]+' holds a non-finite value")


def case_ckpt_shape(c):
    def reshape(p):
        with h5py.File(p, "a") as f:
            a = f["clip.token_embedding.weight"][()]
            del f["clip.token_embedding.weight"]
            f["clip.token_embedding.weight"] = a[:, : a.shape[1] // 2]
    return ckpt_case(c, "ckpt_shape", reshape,
                     r"ckpt_shape\.h5.*mis-shaped.*clip\.token_embedding\.weight.*is \[\d+, \d+\], expected \[\d+, \d+\]")


# ---- CLIP file (drl_hpc --step-dump with model.pretrained_clip) -------------
def clip_case(c, tag, make, expect):
    d, case, write_cfg = reference_case(c)
    pt = c.path(f"{tag}.pt")
    make(pt)
    cfg = c.path(f"{tag}.cfg")
    write_cfg(case, "", cfg)
    text = open(cfg).read().replace('init_model = "";', f'pretrained_clip = "{pt}";')
    with open(cfg, "w") as f:
        f.write(text)
    out = c.path(f"{tag}_out.h5")
    rc, o, err = c.run([c.drl_hpc, "--step-dump", os.path.join(d, "batch.h5"), "--steps", "1",
                        "--total-steps", "2", "--out", out, cfg])
    left = [p for p in (out, out + ".tmp") if os.path.exists(p)]
    msg = first_error(err) + (f" [left behind: {left}]" if left else "")
    return rc, msg, expect


def zip_pickle(path, pkl):
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", b"3\n")


def case_clip_hostile(c):
    marker = c.path("pwned")
    cmd = f"touch {marker}".encode()
    # protocol 2: GLOBAL os.system, the command, TUPLE1, REDUCE, STOP
    pkl = b"\x80\x02cos\nsystem\nq\x00X" + len(cmd).to_bytes(4, "little") + cmd + b"\x85q\x01Rq\x02."
    rc, msg, expect = clip_case(c, "hostile", lambda p: zip_pickle(p, pkl),
                                r"hostile\.pt.*(os\.system|global|not allowed)")
    if os.path.exists(marker):
        msg += " [THE PICKLE RAN A COMMAND]"
    return rc, msg, expect


def case_clip_not_clip(c):
    def make(p):
        subprocess.run([PY, "-c", "import sys, torch; torch.save({'fc.weight': torch.zeros(3, 2)}, sys.argv[1])", p],
                       check=True)
    return clip_case(c, "notclip", make, r"notclip\.pt.*(CLIP|visual|missing|expected)")


def case_clip_text(c):
    def make(p):
        with open(p, "w") as f:
            f.write("this is not a checkpoint\n")
    return clip_case(c, "text", make, r"text\.pt.*(zip|archive|not a)")


# ---- videos (drl_preprocess: the store lists failed videos, the job ends 0) --
def preprocessed(c):
    """Runs drl_preprocess once on a fixture with five broken videos; returns
    (exit status, stderr, {video id: status}, {kind: video id})."""
    if hasattr(c, "prep"):
        return c.prep
    import json
    work = c.path("videos_case")
    fx = json.loads(subprocess.run([PY, os.path.join(SRC, "tests/preprocess/msrvtt_fixture.py"), work,
                                    "--videos", "--n-train", "6", "--n-test", "2"], check=True,
                                   capture_output=True, text=True).stdout)
    videos = os.path.join(work, "videos")
    with open(os.path.join(work, "anns", "MSRVTT_data.json")) as f:
        captioned = {x["video_id"] for x in json.load(f)["sentences"]}
    ids = [v for v in fx["train_ids"] if v in captioned]  # the fixture leaves one without
    kinds = dict(zip(["missing", "truncated", "zero", "audio", "codec"], ids[:5]))
    os.remove(os.path.join(videos, kinds["missing"] + ".mp4"))
    p = os.path.join(videos, kinds["truncated"] + ".mp4")
    data = open(p, "rb").read()
    open(p, "wb").write(data[: len(data) // 3])
    open(os.path.join(videos, kinds["zero"] + ".mp4"), "wb").close()
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", "aac", os.path.join(videos, kinds["audio"] + ".mp4")], check=True)
    # an AVI (probed by content, whatever the name) whose only codec id is its FourCC
    p = os.path.join(videos, kinds["codec"] + ".mp4")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=8:duration=1", "-c:v", "mpeg4", "-vtag", "XVID", "-f", "avi", p],
                   check=True)
    data = open(p, "rb").read().replace(b"XVID", b"ZZZZ").replace(b"xvid", b"ZZZZ")
    open(p, "wb").write(data)
    out = os.path.join(work, "store.h5")
    exe = c.drl_preprocess
    rc, o, err = c.run([exe, "--dataset", "msrvtt", "--anno", os.path.join(work, "anns"), "--videos", videos,
                        "--resolution", "32", "--vocab",
                        os.path.join(os.environ.get("DRL_SHARED_DIR", os.path.join(SRC, "..", "shared")),
                                     "clip", "bpe_simple_vocab_16e6.txt.gz"),
                        "--progress-every", "0", "--out", out])
    status = {}
    if os.path.exists(out):
        with h5py.File(out, "r") as f:
            for vid, st in zip(f["videos/id"][()], f["videos/status"][()]):
                status[vid.decode()] = st.decode()
    left = [n for n in os.listdir(work) if n.startswith("store.h5.")]
    c.prep = (rc, err + (f" [left behind: {left}]" if left else ""), status, kinds)
    return c.prep


def video_case(c, kind, expect):
    rc, err, status, kinds = preprocessed(c)
    vid = kinds[kind]
    left = err[err.index(" [left behind"):] if " [left behind" in err else ""
    return rc, f"store status of {vid}: {status.get(vid, '(no entry)')}{left}", expect


def case_video_missing(c):
    return video_case(c, "missing", r"store status of video\d+: .*(missing|No such file|cannot open)")


def case_video_truncated(c):
    return video_case(c, "truncated", r"store status of video\d+: not a readable media file")


def case_video_zero(c):
    return video_case(c, "zero", r"store status of video\d+: (empty file|not a readable media file)")


def case_video_audio(c):
    return video_case(c, "audio", r"store status of video\d+: .*(no video stream|video stream)")


def case_video_codec(c):
    return video_case(c, "codec", r"store status of video\d+: .*(codec|decoder|no video stream)")


CASES = [
    ("config", "a setting name with a typo (`batch_sise`)", case_cfg_typo, 2),
    ("config", "a value of the wrong type (`batch_size = \"four\"`)", case_cfg_type, 2),
    ("config", "a value out of range (`lr = -0.5`)", case_cfg_range, 2),
    ("config", "a configuration file that does not exist", case_cfg_missing, 2),
    ("config", "an `@include` loop (a includes b includes a)", case_cfg_loop, 2),
    ("config", "batch size 3 on 2 ranks (`mpirun -np 2 drl_hpc`)", case_cfg_ranks, 2),
    ("store", "a store without /captions/tokens", case_store_missing_dataset, 1),
    ("store", "/videos/frame_count one entry too long", case_store_wrong_shape, 1),
    ("store", "a store truncated to half its size", case_store_truncated, 1),
    ("store", "a store of another resolution", case_store_resolution, 1),
    ("store", "a store made with another tokenizer vocabulary", case_store_tokenizer, 1),
    ("annotations", "MSRVTT_data.json cut in the middle", case_anno_malformed, 1),
    ("annotations", "a caption of 10,000 characters", case_anno_long_caption, 0),
    ("annotations", "an empty caption", case_anno_empty_caption, 0),
    ("annotations", "a sentence whose video id is not in the 9k list", case_anno_unknown_video, 0),
    ("checkpoint", "init_model truncated to half its size", case_ckpt_truncated, 1),
    ("checkpoint", "init_model with a NaN in one tensor", case_ckpt_nan, 1),
    ("checkpoint", "init_model of another model shape (token embedding width halved)", case_ckpt_shape, 1),
    ("clip", "pretrained_clip: a pickle whose global is os.system", case_clip_hostile, 1),
    ("clip", "pretrained_clip: a torch.save archive of a non-CLIP model", case_clip_not_clip, 1),
    ("clip", "pretrained_clip: a text file", case_clip_text, 1),
    ("video", "a video file that is missing", case_video_missing, 0),
    ("video", "a video cut to a third of its size", case_video_truncated, 0),
    ("video", "a zero-length video file", case_video_zero, 0),
    ("video", "an audio-only MP4", case_video_audio, 0),
    ("video", "a video whose codec is unknown (AVI, FourCC `ZZZZ`)", case_video_codec, 0),
]

TOOLS = {"config": "`drl_hpc --print-config`", "store": "`store_open` (`store_tool check`)",
         "annotations": "`msrvtt_read` (`msrvtt_dump`)", "checkpoint": "`drl_hpc --step-dump` (init_model)",
         "clip": "`drl_hpc --step-dump` (pretrained_clip)",
         "video": "`drl_preprocess` (exit status; the store's /videos/status)"}


def main():
    work, drl_hpc, store_tool, msrvtt_dump, drl_preprocess = sys.argv[1:6]
    write = "--write" in sys.argv
    only = os.environ.get("BADINPUT_ONLY")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = Ctx(work, drl_hpc, store_tool, msrvtt_dump)
    c.drl_preprocess = drl_preprocess
    rows, failures = [], []
    for area, what, fn, want_rc in CASES:
        if only and only not in fn.__name__:
            continue
        rc, seen, expect = fn(c)
        shown = seen.replace(work + "/", "").replace(work, ".")
        ok_rc = rc == want_rc
        ok_msg = re.search(expect, seen) is not None and "left behind" not in seen \
            and "RAN A COMMAND" not in seen
        status = "ok" if ok_rc and ok_msg else "FAIL"
        print(f"[{status}] {area}: {what}\n    exit {rc} (want {want_rc}): {shown}")
        if status != "ok":
            failures.append(f"{fn.__name__}: exit {rc} (want {want_rc}), message {seen!r} !~ /{expect}/")
        rows.append(f"| {area} | {what} | {TOOLS[area]} | {rc} | {shown.replace('|', '/')} |")
    table = ("| area | bad input | through | exit | what the user sees |\n"
             "|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    cat = os.path.join(HERE, "CATALOGUE.md")
    head = ("# Catalogue of bad inputs\n\n"
            "Generated by `tests/badinput/badinput.py --write`; the CTest `badinput` checks that\n"
            "this table is what the commands print today (paths relative to the test's work\n"
            "folder). Each case also checks the exact error against a pattern written from\n"
            "the rules, and that a failed run leaves no output file behind.\n\n")
    if write:
        with open(cat, "w") as f:
            f.write(head + table)
    elif not only:
        current = open(cat).read() if os.path.exists(cat) else ""
        if current != head + table:
            failures.append("CATALOGUE.md is out of date (rerun badinput.py --write):\n" + table)
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
