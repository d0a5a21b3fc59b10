#!/usr/bin/python3
"""The reference way to preprocess videos (spec/data.md §2 as a Python script
would do it, for scripts/bench.sh): FFmpeg CLI decodes each video at 1 frame/s
to RGB, Pillow resizes the short side to R (bicubic) and crops the centre.
Writes nothing; prints the number of frames.

    ref_preprocess.py VIDEO_DIR [R=224] [LIMIT=all videos]
"""
import os
import subprocess
import sys

import numpy as np
from PIL import Image


def frames_of(path, fps=1.0):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path],
                           capture_output=True, text=True, check=True).stdout.split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"fps={fps}", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def main():
    d, R = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 224
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    n = 0
    for name in sorted(os.listdir(d))[:limit]:
        for f in frames_of(os.path.join(d, name)):
            img = Image.fromarray(f)
            s = R / min(img.size)
            img = img.resize((max(R, round(img.size[0] * s)), max(R, round(img.size[1] * s))),
                             Image.BICUBIC)
            x, y = (img.size[0] - R) // 2, (img.size[1] - R) // 2
            np.asarray(img.crop((x, y, x + R, y + R)))
            n += 1
    print(n)


if __name__ == "__main__":
    main()
