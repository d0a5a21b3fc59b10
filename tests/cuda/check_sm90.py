#!/usr/bin/python3
"""The CUDA object code of libdrl_cuda.a (cuobjdump --list-elf's check,
without cuobjdump, which the toolkit here lacks): every member's .nv_fatbin
section is parsed (fatbin container: magic 0xBA55ED50; entries of kind
1 = PTX, 2 = ELF cubin, with the SM version), and the test asserts that
- there is sm_90 machine code (ELF cubins), and code for no other SM;
- every kernel family of the backend has a .text section in an sm_90 cubin.
usage: check_sm90.py <libdrl_cuda.a>"""
import os
import struct
import subprocess
import sys
import tempfile

KERNELS = """layernorm_fwd_kernel layernorm_bwd_dinp_kernel colsum_partial_kernel
colsum_final_kernel attention_fwd_kernel attention_bwd_kernel quickgelu_fwd_kernel
quickgelu_bwd_kernel relu_fwd_kernel relu_bwd_kernel add_kernel axpy_kernel scale_kernel
softmax_fwd_kernel softmax_bwd_kernel embedding_fwd_kernel embedding_bwd_kernel
l2norm_fwd_kernel l2norm_bwd_kernel masked_mean_fwd_kernel masked_mean_bwd_kernel
rowmax_fwd_kernel rowmax_bwd_kernel normalise_frames_kernel im2col_kernel tokenwise_fwd_kernel
tokenwise_bwd_text_kernel tokenwise_bwd_video_kernel residual_layernorm_fwd_kernel
round_fp16_kernel sqnorm_kernel adam_kernel to_bf16_kernel bias_broadcast_kernel
clip_loss_rows_kernel clip_loss_dsim_kernel clip_loss_total_kernel standardise_fwd_kernel
standardise_bwd_kernel rows_scale_kernel rows_dot_add_kernel decorrelation_grad_kernel
decorrelation_loss_kernel dropout_bits_kernel xti_table_grad_kernel xti_pos_grad_kernel
lstm_cell_fwd_kernel lstm_cell_bwd_kernel lstm_out_fwd_kernel lstm_out_bwd_kernel""".split()

FATBIN_MAGIC = 0xBA55ED50


def entries(blob):
    """(kind, sm, compressed, payload) for every entry of every fatbin in blob."""
    off = 0
    while off + 16 <= len(blob):
        magic, _ver, hsize, fsize = struct.unpack_from("<IHHQ", blob, off)
        if magic != FATBIN_MAGIC:
            raise SystemExit(f"FAIL: bad fatbin magic {magic:#x} at {off}")
        e, end = off + hsize, off + hsize + fsize
        while e < end:
            kind, _u, ehsize, size = struct.unpack_from("<HHIQ", blob, e)
            csize = struct.unpack_from("<I", blob, e + 16)[0]
            sm = struct.unpack_from("<I", blob, e + 28)[0]
            flags = struct.unpack_from("<Q", blob, e + 40)[0]
            compressed = bool(flags & 0x2000) or (csize != 0 and csize != size)
            yield kind, sm, compressed, blob[e + ehsize:e + ehsize + size]
            e += ehsize + size
        off = end
        off = (off + 7) & ~7


def main():
    lib = os.path.abspath(sys.argv[1])
    elf_sms, ptx_sms, texts, members = set(), set(), set(), 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["ar", "x", lib], cwd=tmp, check=True)
        for name in sorted(os.listdir(tmp)):
            path = os.path.join(tmp, name)
            out = path + ".fatbin"
            r = subprocess.run(["objcopy", "-O", "binary", "--only-section=.nv_fatbin", path, out],
                               capture_output=True)
            if r.returncode != 0 or not os.path.exists(out) or os.path.getsize(out) == 0:
                continue
            members += 1
            for kind, sm, compressed, payload in entries(open(out, "rb").read()):
                if kind == 2:
                    elf_sms.add(sm)
                    if compressed:
                        raise SystemExit(f"FAIL: {name}: compressed cubin (build with uncompressed fatbins)")
                    if payload[:4] != b"\x7fELF":
                        raise SystemExit(f"FAIL: {name}: ELF entry without an ELF header")
                    for part in payload.split(b"\0"):
                        if part.startswith(b".text."):
                            texts.add(part[6:].decode("ascii", "replace"))
                elif kind == 1:
                    ptx_sms.add(sm)
    print(f"{members} objects with device code; cubins for sm {sorted(elf_sms)}, PTX for sm {sorted(ptx_sms)}")
    if 90 not in elf_sms:
        raise SystemExit("FAIL: no sm_90 cubin")
    if elf_sms != {90}:
        raise SystemExit(f"FAIL: cubins for other SMs {sorted(elf_sms - {90})} (the build is sm_90 only)")
    missing = [k for k in KERNELS if not any(k in t for t in texts)]
    if missing:
        raise SystemExit(f"FAIL: no sm_90 code for {missing}")
    print(f"PASS: {len(texts)} kernels in sm_90 cubins, all {len(KERNELS)} kernel families present")


main()
