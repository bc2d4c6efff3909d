"""CPU timings of front_kernels' multilevel 2-D wavelet transforms against PyWavelets and ptwt.

    python bench/bench_cpu_wavelets.py                      # 1024^2, 2048^2, 4096^2, float32
    python bench/bench_cpu_wavelets.py --sizes 2048 --threads 1 --repeat 15 --ops wavedec2 waverec2

Each row: best-of-``repeat`` wall time in ms of one call, ours / pywt / ptwt measured
interleaved (one call of each per round) so that load from other processes hits all
three alike; ``ratio`` is pywt time / our time. PyWavelets is single-threaded C; ours
runs on ``torch.get_num_threads()`` threads (``--threads``). ptwt is reported where it
is installed and supports the mode (it has no ``'periodization'``).

On a machine shared with other busy processes, OpenMP's default spin-waiting makes every
multi-threaded torch op (ours and ptwt's) wait for descheduled threads; compare
``--threads 1`` or run with ``OMP_WAIT_POLICY=PASSIVE`` there.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pywt
import torch

import front_kernels as fk

try:
    import ptwt
except ImportError:  # optional peer
    ptwt = None


def _ptwt_call(op, x, wavelet, mode, level, coeffs):
    if ptwt is None or mode not in ("zero", "symmetric", "reflect", "constant", "periodic"):
        return None
    if op == "wavedec2":
        return lambda: ptwt.wavedec2(x, wavelet, mode=mode, level=level)
    return lambda: ptwt.waverec2(coeffs, wavelet)


def _calls(op, x, wavelet, mode, level):
    xn = x.numpy()
    if op == "wavedec2":
        ours = lambda: fk.wavedec2(x, wavelet, mode, level)  # noqa: E731
        ref = lambda: pywt.wavedec2(xn, wavelet, mode, level)  # noqa: E731
        peer = _ptwt_call(op, x, wavelet, mode, level, None)
    else:
        c = fk.wavedec2(x, wavelet, mode, level)
        cn = pywt.wavedec2(xn, wavelet, mode, level)
        ours = lambda: fk.waverec2(c, wavelet, mode)  # noqa: E731
        ref = lambda: pywt.waverec2(cn, wavelet, mode)  # noqa: E731
        peer = None
        if ptwt is not None and mode in ("zero", "symmetric", "reflect", "constant", "periodic"):
            pc = ptwt.wavedec2(x, wavelet, mode=mode, level=level)
            peer = lambda: ptwt.waverec2(pc, wavelet)  # noqa: E731
    return ours, ref, peer


def _check(op, x, wavelet, mode, level):
    """The numbers timed must be pywt's numbers."""
    if op != "wavedec2":
        return
    ours = fk.wavedec2(x.double(), wavelet, mode, level)
    ref = pywt.wavedec2(x.double().numpy(), wavelet, mode, level)
    np.testing.assert_allclose(ours[0].numpy(), ref[0], rtol=1e-9, atol=1e-9 * np.abs(ref[0]).max())


def best_of(fns, repeat):
    times = [[] for _ in fns]
    for f in fns:
        if f is not None:
            f()  # warm-up
    for _ in range(repeat):
        for i, f in enumerate(fns):
            if f is None:
                continue
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [min(t) * 1e3 if t else None for t in times]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    p.add_argument("--wavelets", nargs="+", default=["haar", "db4"])
    p.add_argument("--modes", nargs="+", default=["symmetric", "periodization"])
    p.add_argument("--ops", nargs="+", default=["wavedec2"], choices=["wavedec2", "waverec2"])
    p.add_argument("--level", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); pywt {pywt.__version__}; "
          f"ptwt {'installed' if ptwt is not None else 'not installed'}; float32; best of {args.repeat}")
    header = f"{'op':9s} {'size':>10s} {'wavelet':7s} {'mode':14s} {'lvl':>3s} {'ours ms':>9s} " \
             f"{'pywt ms':>9s} {'ratio':>6s} {'ptwt ms':>9s}"
    print(header)
    print("-" * len(header))
    gen = torch.Generator().manual_seed(0)
    for n in args.sizes:
        x = torch.randn(n, n, generator=gen)
        for op in args.ops:
            for wavelet in args.wavelets:
                for mode in args.modes:
                    _check(op, x[:256, :256], wavelet, mode, args.level)
                    ours, ref, peer = _calls(op, x, wavelet, mode, args.level)
                    t_ours, t_ref, t_peer = best_of([ours, ref, peer], args.repeat)
                    peer_s = f"{t_peer:9.1f}" if t_peer is not None else f"{'n/a':>9s}"
                    print(f"{op:9s} {f'{n}x{n}':>10s} {wavelet:7s} {mode:14s} {args.level:3d} {t_ours:9.1f} "
                          f"{t_ref:9.1f} {t_ref / t_ours:6.2f} {peer_s}", flush=True)


if __name__ == "__main__":
    main()
