"""CPU 2-D DCT: front_kernels (compiled fast path and pure-torch path) against scipy.fft and torch-dct.

Prints one table per run: float32 square inputs, ``norm='ortho'``, forward
(``dctn``) and inverse (``idctn``) over both dims. Every contender runs once per
round, rounds interleaved, and the minimum over rounds is reported, so a busy
machine slows all contenders alike. Ratios are ``scipy time / contender time``
(above 1: faster than scipy). GB/s counts one read of the input and one write
of the output.

    python bench/bench_cpu_dct.py [--sizes 1024 2048 4096] [--rounds 15] [--threads 2] [--clock wall|cpu]

``--clock cpu`` times with the process CPU clock: with ``--threads 1`` it
measures the work of each transform, which other jobs on a shared machine
disturb far less than the wall clock (with several threads it also counts
threads waiting on each other).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import scipy
import scipy.fft as sfft
import torch

import front_kernels as fk
from front_kernels._backends.reference import native

try:
    import torch_dct
except ImportError:  # optional peer: pip install torch-dct --no-deps
    torch_dct = None


def _torch_dct_2d(x, inverse):
    return torch_dct.idct_2d(x, norm="ortho") if inverse else torch_dct.dct_2d(x, norm="ortho")


def _front(x, inverse, use_native):
    native.enabled = use_native
    try:
        return (fk.idctn if inverse else fk.dctn)(x, norm="ortho", backend="reference")
    finally:
        native.enabled = True


def contenders(x: torch.Tensor, inverse: bool, workers: int) -> dict:
    xn = x.numpy()
    scipy_fn = sfft.idctn if inverse else sfft.dctn
    runs = {"scipy.fft": lambda: scipy_fn(xn, norm="ortho", workers=workers)}
    if native.available():
        runs["front_kernels native"] = lambda: _front(x, inverse, True)
    runs["front_kernels pure torch"] = lambda: _front(x, inverse, False)
    if torch_dct is not None:
        runs["torch-dct"] = lambda: _torch_dct_2d(x, inverse)
    return runs


def measure(runs: dict, rounds: int, clock=time.perf_counter) -> dict:
    best = {name: float("inf") for name in runs}
    for fn in runs.values():  # warm-up: plans, caches, page faults of the first allocation
        fn()
    for _ in range(rounds):
        for name, fn in runs.items():
            t0 = clock()
            fn()
            best[name] = min(best[name], clock() - t0)
    return best


def check(x: torch.Tensor, inverse: bool, workers: int) -> float:
    ref = (sfft.idctn if inverse else sfft.dctn)(x.double().numpy(), norm="ortho", workers=workers)
    got = _front(x, inverse, True).double().numpy()
    return float(np.abs(got - ref).max() / np.abs(ref).max())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads and scipy workers")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="wall clock or process CPU time")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"# {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"scipy {scipy.__version__}, native extension {'built' if native.available() else 'MISSING'}, "
          f"torch-dct {'yes' if torch_dct is not None else 'not installed'}")
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"# {args.clock} clock, min of {args.rounds} interleaved rounds, float32, norm='ortho'; "
          f"ratio = scipy time / time; load average {os.getloadavg()[0]:.1f}")
    header = f"{'size':>9} {'op':>6} {'contender':>26} {'ms':>9} {'GB/s':>7} {'vs scipy':>9}"
    print(header)
    print("-" * len(header))
    g = torch.Generator().manual_seed(0)
    for n in args.sizes:
        x = torch.randn(n, n, generator=g)
        for inverse in (False, True):
            op = "idctn" if inverse else "dctn"
            best = measure(contenders(x, inverse, args.threads), args.rounds, clock)
            base = best["scipy.fft"]
            for name, t in best.items():
                gbs = 2 * x.numel() * x.element_size() / t / 1e9
                print(f"{n:>4}x{n:<4} {op:>6} {name:>26} {t * 1e3:9.2f} {gbs:7.2f} {base / t:8.2f}x")
            if native.available():
                print(f"{'':>9} {op:>6} {'(native max rel. error)':>26} {check(x, inverse, args.threads):9.1e}")


if __name__ == "__main__":
    main()
