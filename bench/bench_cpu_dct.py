"""CPU timings of front_kernels' 2-D DCT (``dctn`` / ``idctn``, ``norm='ortho'``) against scipy.fft and torch-dct.

    python bench/bench_cpu_dct.py --threads 2 --out bench/results/cpu_dct_2core.md
    python bench/bench_cpu_dct.py --sizes 4096 --dtypes float32 --repeat 15

A sweep over square sizes (default 256^2 .. 8192^2) and a batched stack of layer weights
``(12, 384, 1536)``, float32 and float64, forward and inverse over the two trailing dims. Each
row: the best over interleaved rounds (at least ``repeat``, as many as fit in about a second) of the wall time in ms of one call, ours / scipy.fft (``workers`` = torch's
threads) / torch-dct measured interleaved (one call of each per round), so that load from other
processes hits all of them alike; ``vs scipy`` and ``vs torch-dct`` are the peer's time over ours
(> 1: ours is faster). torch-dct is timed once per row from 4096^2 up (it takes seconds there).
``GB/s`` counts one read of the input and one write of the output. ``extra MiB`` is the peak
resident memory that one call of ours adds above what the process held before it (output included),
after ``front_kernels.clear_workspace()``. Every row is first checked against scipy in float64.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.fft as sfft
import torch

import front_kernels as fk
from front_kernels._backends.reference import native
from front_kernels.bench_command import best_times, write_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cpu_wavelets import peak_extra_mib  # noqa: E402

try:
    import torch_dct
except ImportError:  # optional peer: pip install torch-dct --no-deps
    torch_dct = None

BATCH = (12, 384, 1536)


def _calls(op: str, x: torch.Tensor, workers: int):
    """(ours, scipy, torch-dct or None) callables for one configuration."""
    xn = x.numpy()
    inverse = op == "idctn"
    ours = lambda: (fk.idctn if inverse else fk.dctn)(x, dim=(-2, -1), norm="ortho")  # noqa: E731
    ref = lambda: (sfft.idctn if inverse else sfft.dctn)(xn, axes=(-2, -1), norm="ortho", workers=workers)  # noqa: E731
    peer = None
    if torch_dct is not None:
        peer = lambda: (torch_dct.idct_2d if inverse else torch_dct.dct_2d)(x, norm="ortho")  # noqa: E731
    return ours, ref, peer


def _check(op: str, x: torch.Tensor) -> None:
    """The numbers timed must be scipy's (float64 reference, relative to the largest coefficient)."""
    inverse = op == "idctn"
    ref = (sfft.idctn if inverse else sfft.dctn)(x.double().numpy(), axes=(-2, -1), norm="ortho", workers=2)
    got = (fk.idctn if inverse else fk.dctn)(x, dim=(-2, -1), norm="ortho").double().numpy()
    tol = 1e-13 if x.dtype == torch.float64 else 1e-5
    err = np.abs(got - ref).max() / np.abs(ref).max()
    if not err < tol:
        raise AssertionError(f"{op} {tuple(x.shape)} {x.dtype}: relative error {err:.2e} >= {tol}")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _rounds(ours, ref, least: int, budget_s: float = 1.0) -> int:
    """Rounds that fit in about ``budget_s`` (at least ``least``, at most 200): small sizes, whose
    timings scatter most on a shared machine, get the most rounds."""
    t0 = time.perf_counter()
    ours()
    ref()
    return max(least, min(200, int(budget_s / max(time.perf_counter() - t0, 1e-6))))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192])
    p.add_argument("--no-batch", action="store_true", help=f"leave out the {BATCH} stack")
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    p.add_argument("--ops", nargs="+", default=["dctn", "idctn"], choices=["dctn", "idctn"])
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads and scipy workers")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from importlib.metadata import version
    workers = torch.get_num_threads()
    isa = fk._cpu.panel_dct_isa() if native.available() else "not built"
    lines = ["# dctn / idctn on the CPU against scipy.fft and torch-dct", "",
             f"- command: `python bench/bench_cpu_dct.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- machine: {platform.machine()} {_cpu_model()}, torch threads and scipy workers "
             f"{workers}, panel kernels: {isa}",
             f"- versions: torch {torch.__version__}, front_kernels {fk.__version__}, scipy {scipy.__version__}, "
             f"torch-dct {version('torch-dct') if torch_dct else 'not installed'}",
             f"- best of {args.repeat} to 200 interleaved rounds (as many as fit in about 1 s; torch-dct: one call from 4096^2 up); "
             "vs = peer time / ours; norm='ortho', both trailing dims",
             "", "| op | input | dtype | ours ms | GB/s | scipy ms | vs scipy | torch-dct ms | vs torch-dct "
             "| extra MiB |", "|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    shapes = [(n, n) for n in args.sizes] + ([] if args.no_batch else [BATCH])
    rows = under = 0
    for shape in shapes:
        for dtype in args.dtypes:
            x = torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=getattr(torch, dtype))
            for op in args.ops:
                _check(op, x)
                ours, ref, peer = _calls(op, x, workers)
                t_ours, t_ref = best_times([ours, ref], _rounds(ours, ref, args.repeat))
                t_peer = None
                if peer is not None:
                    t_peer = best_times([peer], 1 if max(shape) >= 4096 else args.repeat)[0]
                extra = peak_extra_mib(ours)
                gbs = 2 * x.numel() * x.element_size() / (t_ours * 1e-3) / 1e9
                rows += 1
                under += t_ref < 1.5 * t_ours
                peer_s = f"{t_peer:.2f} | {t_peer / t_ours:.1f}" if t_peer else "n/a | n/a"
                extra_s = f"{extra:.1f}" if extra is not None else "n/a"
                lines.append(f"| {op} | {'x'.join(map(str, shape))} | {dtype} | {t_ours:.2f} | {gbs:.2f} | "
                             f"{t_ref:.2f} | {t_ref / t_ours:.2f} | {peer_s} | {extra_s} |")
                print(lines[-1], flush=True)
    lines += ["", f"{rows} rows; under 1.5x scipy.fft in {under}"]
    print(lines[-1])
    write_table(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
