"""Our BICUBIC resize + centre crop against Pillow 9.4 on real decoded frames:
torchvision 0.9's rule in Python (shorter side to R with int(), Pillow's
Image.resize(BICUBIC), crop with round-half-even), every pixel within +-1;
prints the mean absolute error and the count of nonzero differences."""
import os
import sys

import numpy as np
from PIL import Image

import vtest

D = vtest.workdir("resize")
R = 224
SIZES = [(320, 240), (240, 320), (100, 60), (500, 281), (224, 300), (150, 150), (97, 53),
         (640, 360), (300, 224), (226, 225)]
failures = []
total_px = total_nonzero = 0
total_abs = 0


def torchvision_reference(frame):
    img = Image.fromarray(frame)
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    if short != R:
        new_short, new_long = R, int(R * long / short)
        ow, oh = (new_short, new_long) if w <= h else (new_long, new_short)
        img = img.resize((ow, oh), Image.BICUBIC)
    w, h = img.size
    top = int(round((h - R) / 2.0))
    left = int(round((w - R) / 2.0))
    return np.asarray(img.crop((left, top, left + R, top + R)))


def check(name, got, ref):
    global total_px, total_nonzero, total_abs
    if got.shape != ref.shape:
        failures.append("%s: shape %s != Pillow %s" % (name, got.shape, ref.shape))
        return
    d = np.abs(got.astype(int) - ref.astype(int))
    total_px += d.size
    total_nonzero += int((d != 0).sum())
    total_abs += int(d.sum())
    print("%-28s max=%d mae=%.6f nonzero=%d/%d" % (name, d.max(), d.mean(), (d != 0).sum(), d.size))
    if d.max() > 1:
        failures.append("%s: max difference %d > 1" % (name, d.max()))


def resize_tool(frames, args, out_shape, cmd="resize"):
    n, h, w, _ = frames.shape
    src = os.path.join(D, "in.raw")
    dst = os.path.join(D, "out.raw")
    frames.tofile(src)
    p = vtest.run([vtest.TOOL, cmd, src, str(w), str(h), str(n)] + [str(a) for a in args] + [dst])
    print("   ", p.stderr.strip())
    return np.fromfile(dst, dtype=np.uint8).reshape((n,) + out_shape)


for w, h in SIZES:
    path = os.path.join(D, "src_%dx%d.mkv" % (w, h))
    # ffv1 keeps odd sizes; testsrc2 scaled to the size gives detailed content
    vtest.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=%dx%d:r=10:d=1" % (w + w % 2, h + h % 2), "-vf",
                 "scale=%d:%d" % (w, h), "-c:v", "ffv1", "-pix_fmt", "yuv420p", path)
    meta, frames = vtest.ours(path, 2.5)
    if frames is None:
        failures.append("%dx%d: decode failed: %s" % (w, h, meta))
        continue
    got = resize_tool(frames, [R], (R, R, 3))
    ref = np.stack([torchvision_reference(f) for f in frames])
    check("crop %dx%d -> %d (%d frames)" % (w, h, R, len(frames)), got, ref)

# Plain resizes to arbitrary sizes: one axis unchanged, strong down/upscaling.
meta, frames = vtest.ours(os.path.join(D, "src_500x281.mkv"), 2.5)
frames = frames[:2]
for ow, oh in [(500, 100), (37, 281), (123, 77), (1001, 600), (7, 5), (250, 700), (1, 1)]:
    got = resize_tool(frames, [ow, oh], (oh, ow, 3), cmd="resize_to")
    ref = np.stack([np.asarray(Image.fromarray(f).resize((ow, oh), Image.BICUBIC)) for f in frames])
    check("resize 500x281 -> %dx%d" % (ow, oh), got, ref)

print("overall: mean abs error %.6f, nonzero %d of %d values" %
      (total_abs / max(total_px, 1), total_nonzero, total_px))
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all resizes within +-1 of Pillow")
