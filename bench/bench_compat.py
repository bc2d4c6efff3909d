"""The drop-in modules against the libraries they replace, in one run.

``front_kernels.compat.torch_dct`` against torch-dct and ``front_kernels.compat.ptwt`` against ptwt:
the same call, the same input, float32 on the CPU (or ``--device cuda``), each timed as the minimum
over ``--repeat`` rounds after a warm-up (every round calls both, in turn, each timed call right
after untimed calls of the same function lasting at least 2 ms: each in its own steady state).
``ratio = original time / compat time`` (> 1: the compat module is faster). Sizes: square ``n x n`` inputs for ``--sizes`` and a batched stack of layer
weights ``(12, 384, 1536)``.

    python bench/bench_compat.py [--sizes 256 1024 2048] [--repeat 5] [--threads 2] [--device cpu] [--out FILE]
    python bench/bench_compat.py --linear-crossover [--repeat 7] [--threads 2] [--out FILE]

``--linear-crossover`` times, instead, ``LinearDCT``'s product against its transform path by ``N`` and
number of vectors: the measurement behind the module's rule for taking the transform.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path

import torch

import front_kernels as fk
from front_kernels.bench_command import best_times, write_table

BATCH = (12, 384, 1536)


def cases(x: torch.Tensor):
    """(library, call, compat callable, original callable, note) for one input: every public call
    of both modules (3-D calls on ``x`` viewed as ``(-1, 16, n)`` when it is a matrix)."""
    import ptwt
    import torch_dct

    import front_kernels.compat.ptwt as fk_ptwt
    import front_kernels.compat.torch_dct as fk_dct

    x3 = x if x.ndim == 3 else x.reshape(-1, 16, x.shape[-1])
    for name, arg in (("dct", x), ("idct", x), ("dct_2d", x), ("idct_2d", x), ("dct_3d", x3), ("idct_3d", x3)):
        for norm in (None, "ortho"):
            yield ("torch-dct", f"{name}(norm={norm!r})", lambda f=getattr(fk_dct, name), a=arg, n=norm: f(a, norm=n),
                   lambda f=getattr(torch_dct, name), a=arg, n=norm: f(a, norm=n), "")
    same = "the same rfft of the even extension in both"
    yield "torch-dct", "dct1", lambda: fk_dct.dct1(x), lambda: torch_dct.dct1(x), same
    yield "torch-dct", "idct1", lambda: fk_dct.idct1(x), lambda: torch_dct.idct1(x), same
    n = x.shape[-1]
    if x.ndim == 2 and n <= 2048:  # apply_linear_2d needs square matrices
        ours = fk_dct.LinearDCT(n, "dct", norm="ortho").to(x.device)
        theirs = torch_dct.LinearDCT(n, "dct", norm="ortho").to(x.device)
        fast = x.device.type == "cpu" and ours._transform_applies(x)
        how = "compat: the DCT (its weight unchanged); original: the GEMM" if fast else \
            "both are nn.Linear with the same matrix: the same GEMMs"
        yield "torch-dct", "LinearDCT(dct, ortho)", lambda: ours(x), lambda: theirs(x), "" if fast else how
        yield ("torch-dct", "apply_linear_2d", lambda: fk_dct.apply_linear_2d(x, ours),
               lambda: torch_dct.apply_linear_2d(x, theirs), "" if fast else how)
    for wavelet in ("haar", "db4"):
        for mode in ("zero", "reflect", "periodic"):
            yield ("ptwt", f"wavedec2({wavelet}, {mode}, level=3)",
                   lambda w=wavelet, m=mode: fk_ptwt.wavedec2(x, w, mode=m, level=3),
                   lambda w=wavelet, m=mode: ptwt.wavedec2(x, w, mode=m, level=3), "")
        c2 = ptwt.wavedec2(x, wavelet, mode="zero", level=3)
        yield ("ptwt", f"waverec2({wavelet}, level=3)", lambda c=c2, w=wavelet: fk_ptwt.waverec2(c, w),
               lambda c=c2, w=wavelet: ptwt.waverec2(c, w), "")
        yield ("ptwt", f"wavedec({wavelet}, reflect, level=3)",
               lambda w=wavelet: fk_ptwt.wavedec(x, w, mode="reflect", level=3),
               lambda w=wavelet: ptwt.wavedec(x, w, mode="reflect", level=3), "")
        c1 = ptwt.wavedec(x, wavelet, mode="reflect", level=3)
        yield ("ptwt", f"waverec({wavelet}, level=3)", lambda c=c1, w=wavelet: fk_ptwt.waverec(c, w),
               lambda c=c1, w=wavelet: ptwt.waverec(c, w), "")
        yield ("ptwt", f"wavedec3({wavelet}, zero, level=1)",
               lambda w=wavelet: fk_ptwt.wavedec3(x3, w, mode="zero", level=1),
               lambda w=wavelet: ptwt.wavedec3(x3, w, mode="zero", level=1), "")
        c3 = ptwt.wavedec3(x3, wavelet, mode="zero", level=1)
        yield ("ptwt", f"waverec3({wavelet}, level=1)", lambda c=c3, w=wavelet: fk_ptwt.waverec3(c, w),
               lambda c=c3, w=wavelet: ptwt.waverec3(c, w), "")
        yield ("ptwt", f"fswavedec2({wavelet}, reflect, level=3)",
               lambda w=wavelet: fk_ptwt.fswavedec2(x, w, mode="reflect", level=3),
               lambda w=wavelet: ptwt.fswavedec2(x, w, mode="reflect", level=3), "")
        cf2 = ptwt.fswavedec2(x, wavelet, mode="reflect", level=3)
        yield ("ptwt", f"fswaverec2({wavelet}, level=3)", lambda c=cf2, w=wavelet: fk_ptwt.fswaverec2(c, w),
               lambda c=cf2, w=wavelet: ptwt.fswaverec2(c, w), "")
        yield ("ptwt", f"fswavedec3({wavelet}, zero, level=1)",
               lambda w=wavelet: fk_ptwt.fswavedec3(x3, w, mode="zero", level=1),
               lambda w=wavelet: ptwt.fswavedec3(x3, w, mode="zero", level=1), "")
        cf3 = ptwt.fswavedec3(x3, wavelet, mode="zero", level=1)
        yield ("ptwt", f"fswaverec3({wavelet}, level=1)", lambda c=cf3, w=wavelet: fk_ptwt.fswaverec3(c, w),
               lambda c=cf3, w=wavelet: ptwt.fswaverec3(c, w), "")


def linear_crossover(repeat: int) -> list[str]:
    """``LinearDCT('dct', 'ortho')`` on ``(rows, N)`` inputs: its product (``F.linear``) against the
    transform path (the weight check and :func:`dct`), and which one the module takes."""
    import torch.nn.functional as F

    import front_kernels.compat.torch_dct as fk_dct

    lines = ["| N | rows | F.linear (ms) | check + dct (ms) | product / transform | module takes |",
             "|---|---|---|---|---|---|"]
    for n in (32, 64, 128, 256, 512, 1024):
        layer = fk_dct.LinearDCT(n, "dct", norm="ortho")
        for rows in (16, 64, 256, 1024, 4096):
            x = torch.randn(rows, n, generator=torch.Generator().manual_seed(0))

            def transform():
                assert torch.equal(layer.weight, layer.transform_matrix)
                return fk_dct.dct(x, "ortho")
            with torch.no_grad():
                t_gemm, t_dct = best_times([lambda: F.linear(x, layer.weight), transform], repeat)
            takes = "transform" if layer._transform_applies(x) else "product"
            lines.append(f"| {n} | {rows} | {t_gemm:.3f} | {t_dct:.3f} | {t_gemm / t_dct:.2f} | {takes} |")
            print(lines[-1], flush=True)
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 2048])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--linear-crossover", action="store_true",
                   help="time LinearDCT's product against its transform path by N and rows instead")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.linear_crossover:
        lines = ["# LinearDCT: product or transform", "",
                 f"- command: `python bench/bench_compat.py {' '.join(sys.argv[1:])}`",
                 f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
                 f"- device: cpu ({platform.machine()}), torch threads {torch.get_num_threads()}, torch {torch.__version__}",
                 f"- float32, minimum over {args.repeat} calls after a warm-up; the module's rule: the transform "
                 "for N >= 64, from 64 rows and 2^16 elements on (front_kernels.compat.torch_dct.FAST_MIN_N / "
                 "FAST_MIN_ROWS / FAST_MIN_ELEMENTS)",
                 ""]
        print("\n".join(lines), flush=True)
        write_table(lines + linear_crossover(args.repeat), args.out)
        return 0
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: CUDA is not available here")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    from importlib.metadata import version
    lines = ["# Drop-in modules vs the originals", "",
             f"- command: `python bench/bench_compat.py {' '.join(sys.argv[1:])}`",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- device: {device.type} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else platform.machine()}), torch threads {torch.get_num_threads()}",
             f"- versions: torch {torch.__version__}, front_kernels {fk.__version__}, torch-dct "
             f"{version('torch-dct')}, ptwt {version('ptwt')}",
             f"- float32, minimum over {args.repeat} interleaved rounds, each timed call after untimed calls of "
             "the same function lasting at least 2 ms; ratio = original / compat (> 1: compat faster)", "",
             "| library | call | input | compat (ms) | original (ms) | ratio | note |", "|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    shapes = [(n, n) for n in args.sizes] + [BATCH]
    slower = rows = same = 0
    for shape in shapes:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device)
        for lib, call, ours, theirs, note in cases(x):
            with torch.no_grad():
                t_ours, t_theirs = best_times([lambda: (ours(), sync()), lambda: (theirs(), sync())], args.repeat,
                                               warm=True)
            slower += t_ours > t_theirs
            same += bool(note)
            rows += 1
            lines.append(f"| {lib} | {call} | {'x'.join(map(str, shape))} | {t_ours:.2f} | {t_theirs:.2f} | "
                         f"{t_theirs / t_ours:.2f} | {note} |")
            print(lines[-1], flush=True)
    lines += ["", f"compat slower than the original in {slower} of {rows} rows ({same} rows run the same "
              "algorithm in both, so their ratio is 1 up to timing noise)"]
    print(lines[-1])
    write_table(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
