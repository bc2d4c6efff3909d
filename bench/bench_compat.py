"""The drop-in modules against the libraries they replace, in one run.

``front_kernels.compat.torch_dct`` against torch-dct and ``front_kernels.compat.ptwt`` against ptwt:
the same call, the same input, float32 on the CPU (or ``--device cuda``), each timed as the minimum
over ``--repeat`` calls after a warm-up. ``ratio = original time / compat time`` (> 1: the compat
module is faster). Sizes: square ``n x n`` inputs for ``--sizes`` and a batched stack of layer
weights ``(12, 384, 1536)``.

    python bench/bench_compat.py [--sizes 256 1024 2048] [--repeat 5] [--threads 2] [--device cpu] [--out FILE]
"""
from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path

import torch

import front_kernels as fk
from front_kernels.bench_command import best_time, write_table

BATCH = (12, 384, 1536)


def cases(x: torch.Tensor):
    """(library, call, compat callable, original callable) for one input."""
    import ptwt
    import torch_dct

    import front_kernels.compat.ptwt as fk_ptwt
    import front_kernels.compat.torch_dct as fk_dct

    for name in ("dct", "idct", "dct_2d", "idct_2d"):
        for norm in (None, "ortho"):
            yield ("torch-dct", f"{name}(norm={norm!r})", lambda f=getattr(fk_dct, name), n=norm: f(x, norm=n),
                   lambda f=getattr(torch_dct, name), n=norm: f(x, norm=n))
    for wavelet in ("haar", "db4"):
        for mode in ("zero", "reflect", "periodic"):
            yield ("ptwt", f"wavedec2({wavelet}, {mode}, level=3)",
                   lambda w=wavelet, m=mode: fk_ptwt.wavedec2(x, w, mode=m, level=3),
                   lambda w=wavelet, m=mode: ptwt.wavedec2(x, w, mode=m, level=3))
        coeffs = ptwt.wavedec2(x, wavelet, mode="zero", level=3)
        yield ("ptwt", f"waverec2({wavelet}, level=3)", lambda c=coeffs, w=wavelet: fk_ptwt.waverec2(c, w),
               lambda c=coeffs, w=wavelet: ptwt.waverec2(c, w))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 2048])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    from importlib.metadata import version
    lines = ["# Drop-in modules vs the originals", "",
             f"- command: `python bench/bench_compat.py {' '.join(sys.argv[1:])}`",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- device: {device.type} ({platform.machine()}), torch threads {torch.get_num_threads()}",
             f"- versions: torch {torch.__version__}, front_kernels {fk.__version__}, torch-dct "
             f"{version('torch-dct')}, ptwt {version('ptwt')}",
             f"- float32, minimum over {args.repeat} calls after a warm-up; ratio = original / compat "
             "(> 1: compat faster)", "",
             "| library | call | input | compat (ms) | original (ms) | ratio |", "|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    shapes = [(n, n) for n in args.sizes] + [BATCH]
    slower = rows = 0
    for shape in shapes:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device)
        for lib, call, ours, theirs in cases(x):
            t_ours = best_time(lambda: (ours(), sync()), args.repeat)
            t_theirs = best_time(lambda: (theirs(), sync()), args.repeat)
            slower += t_ours > t_theirs
            rows += 1
            lines.append(f"| {lib} | {call} | {'x'.join(map(str, shape))} | {t_ours:.2f} | {t_theirs:.2f} | "
                         f"{t_theirs / t_ours:.2f} |")
            print(lines[-1], flush=True)
    lines += ["", f"compat slower than the original in {slower} of {rows} rows"]
    print(lines[-1])
    write_table(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
