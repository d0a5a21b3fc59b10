"""Failure reasons of our decoder on bad inputs made here, and the stride rule
against Python's round (half to even)."""
import os
import sys
from fractions import Fraction

import vtest

D = vtest.workdir("errors")
failures = []


def expect_error(name, path, needle):
    meta, frames = vtest.ours(path, 1.0)
    ok = frames is None and needle in meta
    print("%-22s -> %s" % (name, meta if frames is None else "decoded %d frames" % meta["count"]))
    if not ok:
        failures.append("%s: expected an error containing %r, got %r" % (name, needle, meta))


# Missing file.
expect_error("missing file", os.path.join(D, "no_such_video.mp4"), "missing file")

# A text file named like a video.
text = os.path.join(D, "notes.mp4")
with open(text, "w") as f:
    f.write("this is not a video, just some words\n" * 20)
expect_error("text file", text, "not a readable media file")

# An empty file.
empty = os.path.join(D, "empty.mp4")
open(empty, "wb").close()
expect_error("empty file", empty, "not a readable media file")

# Audio only.
audio = os.path.join(D, "sine.m4a")
vtest.ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audio)
expect_error("audio only", audio, "no video stream")

# Truncated mp4 with the index at the end (the default): unreadable.
full = os.path.join(D, "full.mp4")
vtest.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=4", "-c:v", "libx264", full)
data = open(full, "rb").read()
cut = os.path.join(D, "cut_tail_index.mp4")
open(cut, "wb").write(data[: len(data) // 2])
expect_error("truncated (moov last)", cut, "not a readable media file")

# Truncated mp4 with the index first (faststart): some frames, and a warning.
fast = os.path.join(D, "fast.mp4")
vtest.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=4", "-c:v", "libx264", "-movflags",
             "+faststart", fast)
data = open(fast, "rb").read()
cut = os.path.join(D, "cut_faststart.mp4")
open(cut, "wb").write(data[: len(data) // 2])
meta, frames = vtest.ours(cut, 25.0)
print("%-22s -> %s" % ("truncated (faststart)", meta if frames is None else
                       "%d of 100 frames, warning: %s" % (meta["total_frames"], meta["warning"])))
if frames is None or not (0 < meta["total_frames"] < 100) or "truncated" not in meta["warning"]:
    failures.append("truncated faststart mp4: expected some frames and a 'truncated' warning, got %r" % meta)

# Only the header of a faststart file: no frame at all.
cut = os.path.join(D, "cut_header_only.mp4")
moov_end = data.find(b"mdat")
open(cut, "wb").write(data[: moov_end + 16])
expect_error("header only", cut, "no frame decoded")

# Stride rule vs Python's round on fps values given as exact fractions.
rates = ["30000/1001", "25", "24", "24000/1001", "60000/1001", "2.5", "0.5", "1.5", "3.5", "4.5",
         "12.5", "15", "50", "0.4", "0.6", "119.88", "1"]
targets = ["1", "2", "3", "0.5", "5", "10", "4"]
n = 0
for r in rates:
    for t in targets:
        fps = float(Fraction(r)) if "/" in r else float(r)
        want = vtest.py_stride(fps, float(t))
        got = int(vtest.run([vtest.TOOL, "stride", r, t]).stdout)
        n += 1
        if got != want:
            failures.append("stride(%s, %s) = %d, Python round gives %d" % (r, t, got, want))
print("stride rule checked on %d (fps, target) pairs" % n)

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all failure reasons and strides as expected")
