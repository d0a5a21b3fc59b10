"""Our decoder's frame selection and pixels against the ffmpeg CLI on videos
encoded here: every frame decoded by the CLI to RGB24 (autorotate, passthrough),
frames 0, s, 2s, ... picked in Python with round-half-even; then counts and
every pixel must be equal (exact)."""
import os
import sys

import numpy as np

import vtest

D = vtest.workdir("decode")

# (name, lavfi source, size, rate, seconds, encoder args, extra mux args, target fps)
CASES = [
    ("ntsc_x264.mp4", "testsrc2", "320x240", "30000/1001", 3.2, ["-c:v", "libx264", "-bf", "3"], 1.0),
    ("pal_x264.mp4", "testsrc2", "160x120", "25", 3.0, ["-c:v", "libx264"], 1.0),
    ("film_mpeg4.avi", "testsrc2", "176x144", "24", 2.5, ["-c:v", "mpeg4"], 2.0),
    ("ten_vp9.webm", "testsrc2", "128x96", "10", 2.0, ["-c:v", "libvpx-vp9", "-deadline", "realtime"], 4.0),
    ("short_x264.mp4", "testsrc2", "160x120", "25", 0.5, ["-c:v", "libx264"], 1.0),
    ("ntsc_all.mp4", "testsrc2", "160x120", "30000/1001", 1.0, ["-c:v", "libx264"], 30.0),
    ("slow_x264.mp4", "testsrc2", "160x120", "5/2", 4.0, ["-c:v", "libx264"], 1.0),
    ("odd_ffv1.mkv", "testsrc2", "98x54", "25", 1.0, ["-vf", "scale=97:53", "-c:v", "ffv1", "-pix_fmt", "yuv420p"], 3.0),
    ("odd_444.mp4", "testsrc2", "98x54", "25", 1.0, ["-vf", "scale=97:53", "-c:v", "libx264", "-pix_fmt", "yuv444p"], 5.0),
    ("mjpeg.avi", "testsrc2", "100x60", "15", 1.0, ["-c:v", "mjpeg", "-pix_fmt", "yuvj422p"], 5.0),
]

failures = []


def compare(name, path, target):
    fps, w, h = vtest.probe(path)
    ref_all = vtest.cli_frames(path, w, h)
    stride = vtest.py_stride(fps, target)
    ref = ref_all[::stride]
    meta, got = vtest.ours(path, target)
    if got is None:
        failures.append("%s: our decoder failed: %s" % (name, meta))
        return
    problems = []
    if abs(meta["fps"] - float(fps)) > 1e-12:
        problems.append("fps %r != %r" % (meta["fps"], float(fps)))
    if meta["stride"] != stride:
        problems.append("stride %d != %d" % (meta["stride"], stride))
    if meta["total_frames"] != len(ref_all):
        problems.append("total frames %d != CLI %d" % (meta["total_frames"], len(ref_all)))
    if got.shape != ref.shape:
        problems.append("kept frames %s != CLI %s" % (got.shape, ref.shape))
        maxdiff = None
    else:
        diff = np.abs(got.astype(int) - ref.astype(int))
        maxdiff = int(diff.max()) if diff.size else 0
        if maxdiff != 0:
            problems.append("pixels differ: max %d, %d nonzero" % (maxdiff, int((diff != 0).sum())))
    print("%-16s fps=%-10.6g n=%-3d stride=%-2d kept=%-3d size=%dx%d maxdiff=%s %s" %
          (name, float(fps), len(ref_all), stride, len(ref), w, h, maxdiff, meta["stderr"]))
    if meta["warning"]:
        problems.append("unexpected warning: " + meta["warning"])
    failures.extend("%s: %s" % (name, p) for p in problems)


for name, src, size, rate, secs, enc, target in CASES:
    path = "%s/%s" % (D, name)
    vtest.ffmpeg("-f", "lavfi", "-i", "%s=s=%s:r=%s:d=%s" % (src, size, rate, secs), *enc, path)
    compare(name, path, target)

# Rotated streams: display matrix written by a stream copy with the rotate tag.
# yuv422p cannot be transposed as planes (the CLI converts first; we rotate the RGB).
for angle, pix in ((90, "yuv420p"), (180, "yuv420p"), (270, "yuv420p"), (90, "yuv422p")):
    base = "%s/rot_base_%s.mp4" % (D, pix)
    if not os.path.exists(base):
        vtest.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x96:r=25:d=1", "-c:v", "libx264", "-pix_fmt", pix, base)
    path = "%s/rot%d_%s.mp4" % (D, angle, pix)
    vtest.ffmpeg("-i", base, "-c", "copy", "-metadata:s:v", "rotate=%d" % angle, path)
    fps, w, h = vtest.probe(path)
    expect = (96, 160) if angle in (90, 270) else (160, 96)
    if (w, h) != expect:
        failures.append("rot%d: ffprobe says %dx%d, the fixture lacks its display matrix" % (angle, w, h))
    meta, got = vtest.ours(path, 5.0)
    if got is not None and (meta["width"], meta["height"]) != expect:
        failures.append("rot%d: our size %dx%d, expected upright %dx%d" % (angle, meta["width"], meta["height"], *expect))
    compare("rot%d_%s" % (angle, pix), path, 5.0)

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all decode cases equal the ffmpeg CLI")
