"""Shared helpers for the drl_video reference tests: fixture folder, the
ffmpeg/ffprobe CLIs and our video_tool driver."""
import json
import os
import subprocess
import sys
from fractions import Fraction

BIN = os.environ.get("DRL_BINARY_DIR", ".")
TOOL = os.path.join(BIN, "tests", "video", "video_tool")


def workdir(name):
    d = os.path.join(BIN, "tests", "video", "fixtures", name)
    os.makedirs(d, exist_ok=True)
    return d


def run(cmd, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        sys.exit("command failed (%d): %s\n%s\n%s" % (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p


def ffmpeg(*args):
    run(["ffmpeg", "-v", "error", "-y"] + list(args))


def probe(path):
    """(avg_frame_rate as Fraction, display width, height) of the first video stream."""
    p = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json", path])
    st = json.loads(p.stdout)["streams"][0]
    num, den = st["avg_frame_rate"].split("/")
    w, h = int(st["width"]), int(st["height"])
    rot = 0
    for sd in st.get("side_data_list", []):
        if "rotation" in sd:
            rot = int(sd["rotation"])
    if rot % 180 != 0:
        w, h = h, w
    return Fraction(int(num), int(den)), w, h


def cli_frames(path, w, h):
    """All frames as the ffmpeg CLI decodes them to RGB24 (autorotate on)."""
    import numpy as np
    p = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24",
                        "-fps_mode", "passthrough", "-"], stdout=subprocess.PIPE, check=True)
    a = np.frombuffer(p.stdout, dtype=np.uint8)
    assert a.size % (w * h * 3) == 0, "CLI output is not whole frames"
    return a.reshape(-1, h, w, 3)


def ours(path, target_fps):
    """(metadata dict, frames (n, h, w, 3)) from our decoder, or (error string, None)."""
    import numpy as np
    raw = os.path.join(os.path.dirname(path), os.path.basename(path) + ".ours.raw")
    p = run([TOOL, "decode", path, repr(target_fps), raw], check=False)
    if p.returncode == 2:
        return p.stdout.strip(), None
    if p.returncode != 0:
        sys.exit("video_tool failed on %s: %s %s" % (path, p.stdout, p.stderr))
    meta = json.loads(p.stdout)
    meta["stderr"] = p.stderr.strip()
    a = np.fromfile(raw, dtype=np.uint8).reshape(meta["count"], meta["height"], meta["width"], 3)
    return meta, a


def py_stride(fps, target):
    s = int(round(float(fps) / float(target)))
    return s if s > 0 else 1
