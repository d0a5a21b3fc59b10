#!/usr/bin/env python3
"""drl_preprocess --dataset didemo|activitynet|msvd|lsmdc|vatex on fixtures in
each dataset's published annotation format (captions and timings generated
here, tiny videos encoded by the ffmpeg CLI), and short drl_hpc runs.

usage: datasets_test.py TEST   (didemo | activitynet | msvd | lsmdc | vatex |
                                nothing_usable | train_didemo | train_msvd)

Expectations are computed here in Python from the fixture (never copied from
our output): video ids per split, captions (paragraphs: sentences sorted by
start time and joined with spaces), frame counts (FFmpeg's frame count, the
stride rule of spec/data.md §2 and the annotated windows), the frames of a cut
video equal the frames of the same video kept whole, bad items reported by
file and key/line while the job goes on.
"""
import json
import math
import os
import pickle
import random
import shutil
import subprocess
import sys

import h5py
import numpy as np

BIN = os.environ["DRL_BINARY_DIR"]
SHARED = os.environ["DRL_SHARED_DIR"]
TEST = sys.argv[1]
WORK = os.path.join(BIN, "tests", "datasets", TEST)
PRE = os.path.join(BIN, "preprocess", "drl_preprocess")
HPC = os.path.join(BIN, "src", "app", "drl_hpc")
VOCAB = os.path.join(SHARED, "clip", "bpe_simple_vocab_16e6.txt.gz")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
R, TARGET_FPS = 32, 5.0
FAILS = []
ENCODED = []
rng = random.Random(11)
WORDS = ("a man woman dog cat plays runs jumps red blue small big ball car street kitchen "
         "guitar song water tree looks at the camera then walks away slowly").split()


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg, flush=True)
    if not cond:
        FAILS.append(msg)


def sentence():
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7)))


def encode(path, seconds, rate=10):
    """A tiny clip (64x48, `rate` fps); returns its frame count."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ENCODED.append(path)  # every clip gets its own hue and box: distinct videos, untied scores
    k = len(ENCODED)
    src = (f"testsrc2=size=64x48:rate={rate}:duration={seconds},hue=h={47 * k % 360}:s={1 + k % 3},"
           f"drawbox=x={7 * k % 48}:y={5 * k % 32}:w=16:h=16:color=0x{(k * 2654435761) % 0xffffff:06x}:t=fill")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", src, "-c:v", "mpeg4",
                    "-q:v", "5", "-pix_fmt", "yuv420p", path], check=True)
    return int(round(seconds * rate))


def kept_times(n_frames, rate):
    """Times of the frames spec §2 keeps: 0, s, 2s, ... with s = round_half_even(fps / target)."""
    s = round(rate / TARGET_FPS) or 1
    return [k / rate for k in range(0, n_frames, s)]


def in_window(times, start, end):
    return [t for t in times if t >= start - 1e-6 and (end < 0 or t <= end + 1e-6)]


def preprocess(dataset, anno, videos, out, *extra, expect=0):
    p = subprocess.run([PRE, "--dataset", dataset, "--anno", anno, "--videos", videos, "--out", out,
                        "--resolution", str(R), "--fps", str(TARGET_FPS), "--vocab", VOCAB,
                        "--progress-every", "0", "--force", *extra],
                       env=ENV, capture_output=True, text=True, timeout=300)
    if p.returncode != expect:
        print(p.stdout[-3000:], p.stderr[-3000:])
    check(p.returncode == expect, f"drl_preprocess --dataset {dataset} {' '.join(extra)} exits {expect}"
          f" (got {p.returncode})")
    return p.stdout + p.stderr


def read_store(path):
    with h5py.File(path, "r") as f:
        s = {"ids": [x.decode() for x in f["videos/id"][()]],
             "count": f["videos/frame_count"][()], "offset": f["videos/frame_offset"][()],
             "status": [x.decode() for x in f["videos/status"][()]],
             "text": [x.decode() for x in f["captions/text"][()]],
             "cvideo": f["captions/video"][()], "frames": f["frames"][()],
             "splits": {k: f["splits"][k]["captions"][()] for k in f["splits"]},
             "dataset": f.attrs["dataset"]}
    s["dataset"] = s["dataset"].decode() if isinstance(s["dataset"], bytes) else s["dataset"]
    return s


def check_store(s, expect, name):
    """expect: {split: [(video id, caption), ...]} in order; checks captions,
    videos and splits of store s."""
    check(sorted(s["splits"]) == sorted(expect), f"{name}: splits {sorted(s['splits'])}")
    for split, pairs in expect.items():
        got = [(s["ids"][s["cvideo"][c]], s["text"][c]) for c in s["splits"].get(split, [])]
        check(got == pairs, f"{name}: split {split}: {len(pairs)} (video, caption) pairs in order")
        if got != pairs:
            print("  expected", pairs[:4], "\n  got     ", got[:4])


def check_frames(s, frames_expected, name):
    """frames_expected: {video id: count (0 = failed)}."""
    for vid, n in frames_expected.items():
        v = s["ids"].index(vid)
        check(s["count"][v] == n, f"{name}: video {vid}: {n} frames (got {s['count'][v]})")
        check((s["status"][v] == "ok") == (n > 0), f"{name}: video {vid}: status {s['status'][v]!r}")

def preprocess_checked(dataset, name, anno, videos, expect, frames_expected):
    """drl_preprocess --dataset DATASET into WORK/store.h5, then the store's
    dataset attribute (NAME), captions, videos, splits (check_store) and frame
    counts (check_frames). Returns (log, store, store path)."""
    out = os.path.join(WORK, "store.h5")
    log = preprocess(dataset, anno, videos, out)
    s = read_store(out)
    check(s["dataset"] == name, f"{name}: store dataset attribute {s['dataset']!r}")
    check_store(s, expect, name)
    check_frames(s, frames_expected, name)
    return log, s, out



def video_frames(s, vid):
    v = s["ids"].index(vid)
    return s["frames"][s["offset"][v]:s["offset"][v] + s["count"][v]]


# ---------------------------------------------------------------- DiDeMo
def didemo_fixture(root):
    """10 videos: train 5, val 2, test 3; 2-3 moments each, in shuffled order;
    one long video with a window inside it; a bad item and an empty paragraph."""
    anno, vids = os.path.join(root, "anno"), os.path.join(root, "videos")
    os.makedirs(anno, exist_ok=True)
    expect, frames, items, para = {}, {}, {}, {}
    n = {"train": 5, "val": 2, "test": 3}
    k = 0
    for split, count in n.items():
        items[split], expect[split] = [], []
        for i in range(count):
            vid = f"{10000 + k}@N00_{2400000 + k}_{k:04x}c5fe.{'mov' if k % 2 else 'mp4'}"
            long = k == 1
            rate, secs = (2, 12) if long else (5, 4)
            nf = encode(os.path.join(vids, vid), secs, rate)
            moments = []
            for j in range(rng.randint(2, 3)):
                if long:
                    times = [[1, 1], [1, 2], [2, 2]] if j == 0 else [[2, 2], [1, 2]]
                else:  # the first moment starts at 0 (the clip is 4 s long)
                    a = 0 if j == 0 else rng.randint(0, 1)
                    times = [[a, a + rng.randint(0, 1)], [0, a]]
                moments.append({"video": vid, "description": sentence() + " ", "times": times,
                                "annotation_id": 1000 * k + j, "dl_score": 1})
            spans = [(np.mean([t[0] for t in m["times"]]) * 5,
                      (np.mean([t[1] for t in m["times"]]) + 1) * 5, idx, m["description"].strip())
                     for idx, m in enumerate(moments)]
            order = sorted(spans)
            if long:
                long_vid = (vid, min(x[0] for x in spans))
            start, end = min(x[0] for x in spans), max(x[1] for x in spans)
            frames[vid] = len(in_window(kept_times(nf, rate), start, end))
            items[split] += moments
            k += 1
        rng.shuffle(items[split])
    items["train"].insert(2, {"video": "broken.mp4", "times": [[0, 0]]})  # no description
    items["val"].append({"video": "empty@N00.mp4", "description": "  ", "times": [[0, 1]]})
    for split in n:
        json.dump(items[split], open(os.path.join(anno, f"{split}_data.json"), "w"))
        spans = {}  # ties of (start, end) keep the file order
        for pos, it in enumerate(items[split]):
            if "description" in it and it["description"].strip():
                spans.setdefault(it["video"], []).append(
                    (np.mean([t[0] for t in it["times"]]) * 5,
                     (np.mean([t[1] for t in it["times"]]) + 1) * 5, pos, it["description"].strip()))
        for vid, sp in spans.items():  # videos in order of first appearance
            expect[split].append((vid, " ".join(x[3] for x in sorted(sp))))
    return anno, vids, expect, frames, long_vid


def test_didemo():
    anno, vids, expect, frames, (long, long_start) = didemo_fixture(WORK)
    log, s, _ = preprocess_checked("didemo", "didemo", anno, vids, expect, frames)
    check("train_data.json: item [2]: missing or non-string key \"description\"" in log,
          "a bad item is reported by file and index")
    check("val_data.json: video empty@N00.mp4: empty paragraph" in log,
          "an empty paragraph is reported by file and video")
    # the long video's window [5, 12.5] s: its frames equal frames 10.. of the whole video
    full = os.path.join(WORK, "full.h5")
    preprocess("didemo", anno, vids, full, "--window", "full")
    f = read_store(full)
    whole = video_frames(f, long)
    cut = video_frames(s, long)
    first = math.ceil(long_start * 2 - 1e-6)  # 2 fps, every frame kept
    check(len(whole) == 24 and len(cut) > 0 and np.array_equal(cut, whole[first:first + len(cut)]),
          f"didemo window: the {len(cut)} cut frames are frames {first}.. of the whole video")


# ------------------------------------------------------------ ActivityNet
def test_activitynet():
    anno, vids = os.path.join(WORK, "anno"), os.path.join(WORK, "videos")
    os.makedirs(anno, exist_ok=True)
    expect, frames, k = {}, {}, 0
    for split, js, ids_name, count in (("train", "train.json", "train_ids.json", 5),
                                       ("val", "val_1.json", "val_ids.json", 3)):
        data, ids, expect[split] = {}, [], []
        for i in range(count):
            yid = f"-{k:02d}Xy_z{k}"
            key = "v_" + yid
            # both namings of the files: v_<id>.mp4 and <id>.mkv (CLIP4Clip's)
            nf = encode(os.path.join(vids, (key + ".mp4") if k % 2 else (yid + ".mkv")), 2)
            n = rng.randint(2, 4)
            ts = [sorted([round(rng.uniform(0, 1.9), 2), round(rng.uniform(0, 1.9), 2)]) for _ in range(n)]
            sents = [" " + sentence().capitalize() + ".  " for _ in range(n)]
            data[key] = {"duration": 2.0, "timestamps": ts, "sentences": sents}
            order = sorted((t[0], t[1], j, sents[j].strip()) for j, t in enumerate(ts))
            expect[split].append((key, " ".join(x[3] for x in order)))
            frames[key] = len(in_window(kept_times(nf, 10), min(t[0] for t in ts), max(t[1] for t in ts)))
            ids.append(key)
            k += 1
        rng.shuffle(ids)  # the id list orders the videos
        order = {key: i for i, key in enumerate(ids)}
        expect[split].sort(key=lambda p: order[p[0]])
        ids.insert(1, "v_listed_but_absent")
        data["v_no_sentences"] = {"duration": 3.0, "timestamps": [[0, 1]]}
        ids.append("v_no_sentences")
        json.dump(data, open(os.path.join(anno, js), "w"))
        json.dump(ids, open(os.path.join(anno, ids_name), "w"))
    log, s, _ = preprocess_checked("activity", "activitynet", anno, vids, expect, frames)
    check("train_ids.json: [1]: video v_listed_but_absent is listed but absent from" in log,
          "an id listed but absent is reported by file and position")
    check("val_1.json: key v_no_sentences: missing \"sentences\"" in log,
          "an entry without sentences is reported by file and key")
    full = os.path.join(WORK, "full.h5")
    preprocess("activitynet", anno, vids, full, "--window", "full", "--splits", "train")
    f = read_store(full)
    ok = True
    for key, _ in expect["train"]:
        whole, cut = video_frames(f, key), video_frames(s, key)
        ts = json.load(open(os.path.join(anno, "train.json")))[key]["timestamps"]
        first = [i for i, t in enumerate(kept_times(20, 10)) if t >= min(t[0] for t in ts) - 1e-6][0]
        ok &= len(whole) == 10 and np.array_equal(cut, whole[first:first + len(cut)])
    check(ok, "activitynet windows: the cut frames are the whole video's frames from the first "
          "sentence start on")
    # paragraph-to-video retrieval end to end: train 1 epoch, evaluate on val_1
    train_and_check("activitynet", "activity", os.path.join(WORK, "store.h5"), expect, "val", False)


# ------------------------------------------------------------------- MSVD
def msvd_fixture(root, protocol=2, split_counts=(4, 1, 3)):
    anno, vids = os.path.join(root, "anno"), os.path.join(root, "videos")
    os.makedirs(anno, exist_ok=True)
    caps, expect, frames, k = {}, {}, {}, 0
    for split, count in zip(("train", "val", "test"), split_counts):
        ids, expect[split] = [], []
        for i in range(count):
            vid = f"{k:02d}abc-XY_{5 + k}_{12 + k}"
            frames[vid] = len(kept_times(encode(os.path.join(vids, vid + ".avi"), 1), 10))
            caps[vid] = [sentence().split() for _ in range(rng.randint(2, 4))]
            expect[split] += [(vid, " ".join(c)) for c in caps[vid]]
            ids.append(vid)
            k += 1
        if split == "train":
            ids.insert(1, "not_in_the_pickle")
        open(os.path.join(anno, f"{split}_list.txt"), "w").write("\n".join(ids) + "\n")
    with open(os.path.join(anno, "raw-captions.pkl"), "wb") as f:
        pickle.dump(caps, f, protocol=protocol)
    return anno, vids, expect, frames


def test_msvd():
    anno, vids, expect, frames = msvd_fixture(WORK)
    log, _, out = preprocess_checked("msvd", "msvd", anno, vids, expect, frames)
    check("train_list.txt:2: video not_in_the_pickle is listed but absent from" in log,
          "an id listed but absent from raw-captions.pkl is reported by file and line")
    caps = msvd_caps(anno)
    for proto in (3, 4, 5):
        with open(os.path.join(anno, "raw-captions.pkl"), "wb") as f:
            pickle.dump(caps, f, protocol=proto)
        preprocess("msvd", anno, vids, out, "--splits", "test")
        check_store(read_store(out), {"test": expect["test"]}, f"msvd pickle protocol {proto}")
    open(os.path.join(anno, "raw-captions.pkl"), "wb").write(
        pickle.dumps({"x": set()}, protocol=2))  # a global the restricted unpickler refuses
    log = preprocess("msvd", anno, vids, out, expect=1)
    check("raw-captions.pkl" in log and "set' is not allowed" in log,
          "a pickle with a foreign global is refused with the file named")


def msvd_caps(anno):
    return pickle.load(open(os.path.join(anno, "raw-captions.pkl"), "rb"))


# ------------------------------------------------------------------ LSMDC
def test_lsmdc():
    anno, vids = os.path.join(WORK, "anno"), os.path.join(WORK, "videos")
    os.makedirs(anno, exist_ok=True)
    files = {"train": "LSMDC16_annos_training.csv", "val": "LSMDC16_annos_val.csv",
             "test": "LSMDC16_challenge_1000_publictect.csv"}
    expect, frames, k = {}, {}, 0
    for split, count in (("train", 4), ("val", 2), ("test", 3)):
        lines, expect[split] = [], []
        for i in range(count):
            movie = f"10{k:02d}_Some_Movie"
            clip = f"{movie}_00.0{k}.36.000-00.0{k}.42.{i:03d}"
            missing = split == "test" and i == 2
            if not missing:
                frames[clip] = len(kept_times(encode(os.path.join(vids, movie, clip + ".avi"), 1), 10))
            else:
                frames[clip] = 0
            for j in range(2 if split == "train" and i == 0 else 1):
                s = sentence().capitalize() + ", SOMEONE's \"quoted\" words."
                lines.append("\t".join([clip, "00.01.02.000", "00.01.08.000", "00.01.01.500",
                                        "00.01.08.500", s]))
                expect[split].append((clip, s))
            k += 1
        if split == "val":
            lines.insert(1, "only\tthree\tfields")
        open(os.path.join(anno, files[split]), "w").write("\r\n".join(lines) + "\r\n")
    log, _, _ = preprocess_checked("lsmdc", "lsmdc", anno, vids, expect, frames)
    check("LSMDC16_annos_val.csv:2: expected 6 tab-separated fields" in log,
          "a short line is reported by file and line")
    miss = [c for c, n in frames.items() if n == 0][0]
    check(miss in log and "failed" in log, "the clip without a file is listed as failed")
    train_and_check("lsmdc", "lsmdc", os.path.join(WORK, "store.h5"), expect, "test", False,
                    failed_video=miss in {v for v, _ in expect["test"]})


# ------------------------------------------------------------------ VATEX
def test_vatex():
    anno, vids = os.path.join(WORK, "anno"), os.path.join(WORK, "videos")
    os.makedirs(anno, exist_ok=True)
    expect, frames, k = {}, {}, 0
    for split, name, count in (("train", "vatex_training_v1.0.json", 4),
                               ("val", "vatex_validation_v1.0.json", 3)):
        items, expect[split] = [], []
        for i in range(count):
            vid = f"Ptf_{k}VRj-V0_{100 + k:06d}_{110 + k:06d}"
            frames[vid] = len(kept_times(encode(os.path.join(vids, vid + ".mp4"), 1), 10))
            en = [sentence() for _ in range(10)]
            items.append({"videoID": vid, "enCap": en, "chCap": ["一个人在弹吉他"] * 10})
            expect[split] += [(vid, c) for c in en]
            k += 1
        items.insert(1, {"videoID": "no_english", "chCap": ["中文"]})
        json.dump(items, open(os.path.join(anno, name), "w"), ensure_ascii=False)
    log, _, out = preprocess_checked("vatex", "vatex", anno, vids, expect, frames)
    check("vatex_training_v1.0.json: item [1] (video no_english): missing or empty \"enCap\"" in log,
          "an item without English captions is reported by file, index and video")
    log = preprocess("vatex", anno, vids, out, "--splits", "test", expect=2)
    check("vatex defines no test split" in log or "no test split" in log,
          "asking for a split the dataset lacks is a usage error")
    # multi-sentence protocol end to end: 10 captions per validation video
    train_and_check("vatex", "vatex", out, expect, "val", True)


def test_nothing_usable():
    """Every item of a requested split is bad: exit non-zero naming the file."""
    anno, vids = os.path.join(WORK, "anno"), os.path.join(WORK, "videos")
    os.makedirs(anno, exist_ok=True)
    os.makedirs(vids, exist_ok=True)
    json.dump([{"video": "a.mp4", "times": [[0, 0]]}], open(os.path.join(anno, "test_data.json"), "w"))
    log = preprocess("didemo", anno, vids, os.path.join(WORK, "s.h5"), "--splits", "test", expect=1)
    check("test_data.json: no usable item for split 'test'" in log,
          "a split with no usable item: exit 1 naming the file")
    check(not os.path.exists(os.path.join(WORK, "s.h5")), "no store is written")
    open(os.path.join(anno, "test_data.json"), "w").write('[{"video": "a.mp4",\n "times": [[0, 0]] ')
    log = preprocess("didemo", anno, vids, os.path.join(WORK, "s.h5"), "--splits", "test", expect=1)
    check("test_data.json:2: invalid JSON" in log, "truncated JSON: exit 1 naming file and line")
    log = preprocess("msvd", anno, vids, os.path.join(WORK, "s.h5"), expect=1)
    check("raw-captions.pkl: cannot open" in log, "a missing annotation file is named")


# --------------------------------------------------------------- training
def write_cfg(path, store, datatype, out_dir, test_split):
    cfg = f"""data = {{ datatype = "{datatype}"; store = "{store}"; train_split = "train";
  val_split = "{test_split}"; test_split = "{test_split}"; max_words = 16; max_frames = 4;
  resolution = {R}; workers = 1; }};
model = {{ agg_module = "seqTransf"; interaction = "wti"; cdcr = 3; agg_layers = 1;
  clip = {{ vision_width = 64; vision_layers = 1; vision_patch = 16; image_resolution = {R};
    text_width = 64; text_layers = 1; embed_dim = 64; context_length = 16; }}; }};
train = {{ epochs = 1; batch_size = 4; lr = 1e-3; coef_lr = 1.0; n_display = 1; }};
eval = {{ do_eval = true; batch_size_val = 4; }};
run = {{ output_dir = "{out_dir}"; device = "cpu"; threads = 1; }};
"""
    open(path, "w").write(cfg)


def train_and_check(dataset, datatype, store, expect, test_split, multi, failed_video=False):
    out_dir = os.path.join(WORK, "run")
    cfg = os.path.join(WORK, "run.cfg")
    write_cfg(cfg, store, datatype, out_dir, test_split)
    p = subprocess.run(["mpirun", "-np", "2", "--oversubscribe", HPC, cfg], env=ENV,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(p.stdout[-4000:], p.stderr[-4000:])
    check(p.returncode == 0, f"drl_hpc on the {dataset} store (2 ranks, 1 epoch) exits 0")
    res = json.load(open(os.path.join(out_dir, "result.json")))
    pairs = expect[test_split]
    nq, nv = len(pairs), len({v for v, _ in pairs})
    check(res["multi_sentence"] is multi, f"result.json multi_sentence is {multi}")
    check(res["test_pairs"] == nq and res["test_videos"] == nv,
          f"result.json: {nq} queries over {nv} videos (got {res['test_pairs']}, {res['test_videos']})")
    check(res["dataset"] == datatype, f"result.json dataset {res['dataset']!r}")
    m = res["metrics"]
    # The clips differ (encode()), so ties are not expected: t2v has one rank per caption and v2t one per video:
    # every R@K is a multiple of 100/nq (t2v) and 100/nv (v2t), and the ranks
    # are within 1..nv (t2v: among videos) and 1..nq (v2t: among captions).
    def multiple(x, n):
        return abs(x * n / 100 - round(x * n / 100)) < 1e-3 * n

    t2v = m.get("t2v", m.get("text_to_video"))
    v2t = m.get("v2t", m.get("video_to_text"))
    check(t2v is not None and v2t is not None, f"result.json metrics has both directions: {sorted(m)}")
    if t2v and v2t:
        r = [k for k in t2v if k.startswith("R@")]
        check(all(multiple(t2v[k], nq) for k in r), f"t2v R@K are multiples of 100/{nq}: {t2v}")
        if failed_video:
            # a failed video scores as all-padding: 0 against every caption,
            # a tie the spec's quirk counts once per tied caption (§10)
            check(v2t["R@10"] == 100.0, f"v2t with a failed video: every entry within 10 ({v2t})")
        else:
            check(all(multiple(v2t[k], nv) for k in r), f"v2t R@K are multiples of 100/{nv}: {v2t}")
        check(1 <= t2v["MdR"] <= nv and 1 <= t2v["MnR"] <= nv, "t2v ranks lie among the videos")
        if nv >= 10:
            check(t2v["R@10"] == 100.0, "t2v R@10 with 10 videos is 100")


def test_train_didemo():
    anno, vids, expect, _, _ = didemo_fixture(WORK)
    store = os.path.join(WORK, "store.h5")
    preprocess("didemo", anno, vids, store)
    train_and_check("didemo", "didemo", store, expect, "test", False)


def test_train_msvd():
    anno, vids, expect, _ = msvd_fixture(WORK, split_counts=(4, 1, 3))
    store = os.path.join(WORK, "store.h5")
    preprocess("msvd", anno, vids, store)
    train_and_check("msvd", "msvd", store, expect, "test", True)


def test_configs():
    """conf/datasets/*.cfg load (drl_hpc --print-config) with spec/data.md §4's
    words and frames: 64/64 for the paragraph datasets, the datatype enum."""
    src = os.environ["DRL_SOURCE_DIR"]
    want = {"didemo_wti_cdcr_b16": ("didemo", 64, 64, "ViT-B/16", "false"),
            "activitynet_wti_cdcr": ("activity", 64, 64, "ViT-B/32", "false"),
            "msvd_wti_cdcr": ("msvd", 32, 12, "ViT-B/32", "true"),
            "lsmdc_wti_cdcr_b16": ("lsmdc", 32, 12, "ViT-B/16", "false"),
            "vatex_wti_cdcr": ("vatex", 32, 12, "ViT-B/32", "true")}
    for name, (dt, words, frames, enc, multi) in want.items():
        p = subprocess.run([HPC, "--print-config", os.path.join(src, "conf", "datasets", name + ".cfg")],
                           capture_output=True, text=True)
        out = p.stdout
        check(p.returncode == 0 and f'datatype = "{dt}";' in out and f"max_words = {words};" in out
              and f"max_frames = {frames};" in out and f'base_encoder = "{enc}";' in out
              and f"multi_sentence = {multi};" in out, f"conf/datasets/{name}.cfg")


if __name__ == "__main__":
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    globals()["test_" + TEST]()
    print(f"{len(FAILS)} failure(s)")
    sys.exit(1 if FAILS else 0)
