"""``front-kernels bench``: time the transforms on this machine against the
peers that are installed (scipy.fft, PyWavelets), in one run, as ratios.

Each case is timed as the minimum over ``--repeat`` calls after a warm-up
call; the ratio is peer time / front_kernels time (> 1: front_kernels faster).
"""
from __future__ import annotations

import argparse
import importlib.util
import time

import torch


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048], help="square sizes to time (float32)")
    p.add_argument("--repeat", type=int, default=5, help="timed calls per case (minimum is reported)")
    p.add_argument("--threads", type=int, default=None, help="torch threads and scipy workers (default: torch's)")


def best_time(fn, repeat: int) -> float:
    """Minimum wall time of ``repeat`` calls of ``fn`` after one warm-up call, in milliseconds."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def best_times(fns, repeat: int, warm: bool = False, warm_ms: float = 2.0) -> list[float]:
    """Minimum wall time in milliseconds of each of ``fns`` over ``repeat`` rounds, after one
    warm-up call each; every round calls each function once, in turn, so that load from other
    processes falls on all of them alike. With ``warm``, each timed call directly follows untimed
    calls of the same function, at least one and for at least ``warm_ms`` milliseconds, so every
    function is timed in its own steady state (its data in cache, its allocations recycled) rather
    than after the others' traffic: on the 2-core VM a 0.2 ms call runs 2.8x slower right after
    64 MiB were allocated and freed, and needs about 1.5 ms of its own calls to recover."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            if warm:
                t_end = time.perf_counter() + warm_ms * 1e-3
                fn()
                while time.perf_counter() < t_end:
                    fn()
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [b * 1e3 for b in best]


def write_table(lines: list[str], out) -> None:
    """Write a benchmark's markdown ``lines`` to ``out`` (a path; folders created), when given."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n")
        print(f"wrote {out}")


def cases(n: int, workers: int):
    """(name, front_kernels callable, peer name, peer callable or None) for an ``n x n`` float32 input."""
    import front_kernels as fk

    x = torch.randn(n, n)
    xn = x.numpy()
    have_scipy = importlib.util.find_spec("scipy") is not None
    have_pywt = importlib.util.find_spec("pywt") is not None
    if have_scipy:
        import scipy.fft as sf
    if have_pywt:
        import pywt
    yield ("dctn ortho", lambda: fk.dctn(x, norm="ortho"), "scipy.fft",
           (lambda: sf.dctn(xn, norm="ortho", workers=workers)) if have_scipy else None)
    yield ("idctn ortho", lambda: fk.idctn(x, norm="ortho"), "scipy.fft",
           (lambda: sf.idctn(xn, norm="ortho", workers=workers)) if have_scipy else None)
    for wavelet, mode in [("haar", "symmetric"), ("db4", "symmetric"), ("db4", "periodization")]:
        yield (f"wavedec2 {wavelet} {mode} L3", lambda w=wavelet, m=mode: fk.wavedec2(x, w, mode=m, level=3),
               "pywt", (lambda w=wavelet, m=mode: pywt.wavedec2(xn, w, mode=m, level=3)) if have_pywt else None)
    yield ("resize dct to n/2", lambda: fk.resize(x, (n // 2, n // 2)), "-", None)


def run(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    workers = torch.get_num_threads()
    print(f"torch {torch.__version__}, {workers} threads, float32")
    print(f"{'op':<32}{'size':>7}{'ours ms':>10}{'peer':>11}{'peer ms':>10}{'ratio':>8}")
    for n in args.sizes:
        for name, ours, peer_name, peer in cases(n, workers):
            t_ours = best_time(ours, args.repeat)
            t_peer = best_time(peer, args.repeat) if peer else float("nan")
            ratio = t_peer / t_ours if peer else float("nan")
            print(f"{name:<32}{n:>7}{t_ours:>10.2f}{peer_name:>11}{t_peer:>10.2f}{ratio:>8.3g}")
    return 0
