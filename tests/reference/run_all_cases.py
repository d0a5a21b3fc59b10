#!/usr/bin/python3
"""Generates the whole DRL reference matrix into OUT_DIR/<case>/ (one
make_drl_case.py case per sub-folder) plus OUT_DIR/clip_tiny/ (make_clip_case
tiny). Writes OUT_DIR/cases.txt listing the case folders, one per line.

usage: run_all_cases.py --out-dir DIR [--only NAME[,NAME...]] [--no-clip]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_drl_case  # noqa: E402

TRAIN = ["--steps", "5", "--total-steps", "10", "--lr", "1e-3", "--coef-lr", "0.1"]
LSTM_LEN = ["--video-lengths", "3,1,2,3"]  # every video shorter than T: exercises the seqLSTM quirk

# name -> arguments (besides --out-dir)
CASES = {
    "zeroshot_dp_none": ["--agg", "None", "--interaction", "dp", "--steps", "0", "--total-steps", "10",
                         "--save-clip"],
    "dp_none": ["--agg", "None", "--interaction", "dp"] + TRAIN,
    "dp_seqtransf": ["--agg", "seqTransf", "--interaction", "dp"] + TRAIN,
    "xti_none": ["--agg", "None", "--interaction", "xti"] + TRAIN,
    "xti_seqtransf": ["--agg", "seqTransf", "--interaction", "xti"] + TRAIN,
    "ti_seqtransf": ["--agg", "seqTransf", "--interaction", "ti"] + TRAIN,
    "wti2_seqtransf": ["--agg", "seqTransf", "--interaction", "wti", "--wti-arch", "2"] + TRAIN,
    "dp_seqtransf_cdcr": ["--agg", "seqTransf", "--interaction", "dp", "--cdcr", "1"] + TRAIN,
    "ti_seqtransf_cdcr2": ["--agg", "seqTransf", "--interaction", "ti", "--cdcr", "2"] + TRAIN,
    "wti2_seqtransf_cdcr3": ["--agg", "seqTransf", "--interaction", "wti", "--wti-arch", "2", "--cdcr", "3"]
    + TRAIN,
    "wti1_seqtransf": ["--agg", "seqTransf", "--interaction", "wti", "--wti-arch", "1"] + TRAIN,
    "wti3_seqtransf": ["--agg", "seqTransf", "--interaction", "wti", "--wti-arch", "3"] + TRAIN,
    "wti2_seqlstm": ["--agg", "seqLSTM", "--interaction", "wti", "--wti-arch", "2"] + LSTM_LEN + TRAIN,
    "ti_seqlstm_cdcr2": ["--agg", "seqLSTM", "--interaction", "ti", "--cdcr", "2"] + LSTM_LEN + TRAIN,
    "ti_seqtransf_cdcr1": ["--agg", "seqTransf", "--interaction", "ti", "--cdcr", "1"] + TRAIN,
    "wti2_seqtransf_cdcr1": ["--agg", "seqTransf", "--interaction", "wti", "--wti-arch", "2", "--cdcr", "1"]
    + TRAIN,
    "wti2_none_cdcr3_linear": ["--agg", "None", "--interaction", "wti", "--cdcr", "3",
                               "--schedule", "warmup_linear"] + TRAIN,
    "batch1_dp_none_cdcr": ["--agg", "None", "--interaction", "dp", "--cdcr", "1", "--batch", "one"] + TRAIN,
    "batch1_wti2_seqtransf_cdcr3": ["--agg", "seqTransf", "--interaction", "wti", "--cdcr", "3",
                                    "--batch", "one"] + TRAIN,
    "sametext_dp_seqtransf_cdcr": ["--agg", "seqTransf", "--interaction", "dp", "--cdcr", "1",
                                   "--batch", "same-text"] + TRAIN,
    "sametext_wti2_seqtransf_cdcr1": ["--agg", "seqTransf", "--interaction", "wti", "--cdcr", "1",
                                      "--batch", "same-text", "--schedule", "warmup_constant"] + TRAIN,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--no-clip", action="store_true", help="skip the CLIP tiny case")
    args = ap.parse_args()
    names = list(CASES) if args.only is None else args.only.split(",")
    for n in names:
        if n not in CASES:
            raise SystemExit(f"unknown case {n}; known: {', '.join(CASES)}")
    os.makedirs(args.out_dir, exist_ok=True)
    t0 = time.time()
    for n in names:
        make_drl_case.generate(["--out-dir", os.path.join(args.out_dir, n)] + CASES[n])
    if not args.no_clip:
        import make_clip_case

        sys.argv = ["make_clip_case.py", "--out-dir", os.path.join(args.out_dir, "clip_tiny")]
        make_clip_case.main()
    with open(os.path.join(args.out_dir, "cases.txt"), "w") as f:
        for n in names:
            f.write(n + "\n")
    print(f"{len(names)} cases in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
