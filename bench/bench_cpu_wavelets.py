"""CPU timings of front_kernels' multilevel 2-D wavelet transforms against ptwt and PyWavelets.

    python bench/bench_cpu_wavelets.py --threads 2 --out bench/results/cpu_wavelets_2core.md
    python bench/bench_cpu_wavelets.py --sizes 2048 --dtypes float32 --levels 3 --repeat 15

A sweep over square sizes (default 256^2 .. 8192^2) and a batched stack of layer weights
``(12, 384, 1536)``, float32 and float64, ``wavedec2`` and ``waverec2``, wavelets (haar, db4),
modes (zero, symmetric, periodization) and levels 1-4. Each row: best-of-``repeat`` wall time
in ms of one call, ours / ptwt / pywt measured interleaved (one call of each per round) so that
load from other processes hits all of them alike, each timed call right after untimed calls of
the same function lasting at least 2 ms (below 4096^2), so that every library is timed in its
own steady state, not after the others' memory traffic (after ptwt's calls, or 64 MiB allocated
and freed, a 512^2 float64 call of ours takes 0.56 ms, then 0.35, 0.29, ... 0.22 over its next
calls, against 0.19 in steady state); ``vs ptwt`` and ``vs pywt`` are the peer's time
over ours (> 1: ours is faster). PyWavelets is single-threaded C and timed once per row from
4096^2 up (it takes seconds there); ours and ptwt run on ``torch.get_num_threads()`` threads.
ptwt has no ``'periodization'`` mode (n/a). ``extra MiB`` is the peak resident memory that one
call of ours adds above what the process held before it (``/proc/self/clear_refs``; outputs
included), after ``front_kernels.clear_workspace()``. Every timed configuration is first checked
against pywt in float64 on a 256^2 crop.

On a machine shared with other busy processes, OpenMP's default spin-waiting makes every
multi-threaded torch op (ours and ptwt's) wait for descheduled threads; compare
``--threads 1`` or run with ``OMP_WAIT_POLICY=PASSIVE`` there.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import re
import sys
from pathlib import Path

import numpy as np
import pywt
import torch

import front_kernels as fk
from front_kernels.bench_command import best_times, write_table

try:
    import ptwt
except ImportError:  # optional peer
    ptwt = None

BATCH = (12, 384, 1536)
PTWT_MODES = ("zero", "symmetric", "reflect", "constant", "periodic")


def _calls(op, x, wavelet, mode, level):
    """(ours, ptwt or None, pywt) callables for one configuration."""
    xn = x.numpy()
    has_peer = ptwt is not None and mode in PTWT_MODES
    if op == "wavedec2":
        peer = (lambda: ptwt.wavedec2(x, wavelet, mode=mode, level=level)) if has_peer else None
        return (lambda: fk.wavedec2(x, wavelet, mode, level), peer,
                lambda: pywt.wavedec2(xn, wavelet, mode, level))
    ours_c = fk.wavedec2(x, wavelet, mode, level)
    ref_c = pywt.wavedec2(xn, wavelet, mode, level)
    peer = None
    if has_peer:
        peer_c = ptwt.wavedec2(x, wavelet, mode=mode, level=level)
        peer = lambda: ptwt.waverec2(peer_c, wavelet)  # noqa: E731
    return (lambda: fk.waverec2(ours_c, wavelet, mode), peer, lambda: pywt.waverec2(ref_c, wavelet, mode))


def _check(op, x, wavelet, mode, level):
    """The numbers timed must be pywt's numbers (float64, a 256^2 crop)."""
    x = x[..., :256, :256].double()
    ref = pywt.wavedec2(x.numpy(), wavelet, mode, level)
    ours = fk.wavedec2(x, wavelet, mode, level)
    scale = np.abs(ref[0]).max()
    np.testing.assert_allclose(ours[0].numpy(), ref[0], rtol=0, atol=1e-10 * scale)
    if op == "waverec2":
        np.testing.assert_allclose(fk.waverec2(ours, wavelet, mode).numpy(), pywt.waverec2(ref, wavelet, mode),
                                   rtol=0, atol=1e-10 * scale)


def _rss_kib(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+)", Path("/proc/self/status").read_text(), re.M).group(1))


def peak_extra_mib(fn) -> float | None:
    """Peak RSS that one call of ``fn`` adds, in MiB (None where /proc/self/clear_refs is missing)."""
    fk.clear_workspace()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        return None
    base = _rss_kib("VmRSS")
    out = fn()
    peak = _rss_kib("VmHWM")
    del out
    return (peak - base) / 1024


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192])
    p.add_argument("--no-batch", action="store_true", help=f"leave out the {BATCH} stack")
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    p.add_argument("--ops", nargs="+", default=["wavedec2", "waverec2"], choices=["wavedec2", "waverec2"])
    p.add_argument("--wavelets", nargs="+", default=["haar", "db4"])
    p.add_argument("--modes", nargs="+", default=["zero", "symmetric", "periodization"])
    p.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3, 4])
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from importlib.metadata import version
    lines = ["# wavedec2 / waverec2 on the CPU against ptwt and PyWavelets", "",
             f"- command: `python bench/bench_cpu_wavelets.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- machine: {platform.machine()}, torch threads {torch.get_num_threads()}",
             f"- versions: torch {torch.__version__}, front_kernels {fk.__version__}, PyWavelets {pywt.__version__}, "
             f"ptwt {version('ptwt') if ptwt is not None else 'not installed'}",
             f"- best of {args.repeat} interleaved rounds, each timed call after untimed calls of the same "
             "function lasting at least 2 ms (from 4096^2 up: no untimed call, and pywt one call on its own); "
             "vs = peer time / ours",
             "", "| op | input | dtype | wavelet | mode | level | ours ms | ptwt ms | vs ptwt | pywt ms | vs pywt "
             "| extra MiB |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    shapes = [(n, n) for n in args.sizes] + ([] if args.no_batch else [BATCH])
    behind_ptwt = under_10x = rows = 0
    for shape in shapes:
        for dtype in args.dtypes:
            x = torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=getattr(torch, dtype))
            for op in args.ops:
                for wavelet in args.wavelets:
                    for mode in args.modes:
                        for level in args.levels:
                            _check(op, x, wavelet, mode, level)
                            ours, peer, ref = _calls(op, x, wavelet, mode, level)
                            alone = max(shape) >= 4096  # pywt takes seconds there: one call of it, on its own
                            fns = [ours] + ([peer] if peer else []) + ([] if alone else [ref])
                            times = best_times(fns, args.repeat, warm=not alone)
                            t_ref = best_times([ref], 1)[0] if alone else times[-1]
                            t_ours, t_peer = times[0], (times[1] if peer else None)
                            extra = peak_extra_mib(ours)
                            rows += 1
                            behind_ptwt += t_peer is not None and t_peer < t_ours
                            under_10x += max(shape[-2:]) >= 512 and t_ref < 10 * t_ours
                            peer_s = f"{t_peer:.2f} | {t_peer / t_ours:.2f}" if t_peer else "n/a | n/a"
                            extra_s = f"{extra:.1f}" if extra is not None else "n/a"
                            lines.append(f"| {op} | {'x'.join(map(str, shape))} | {dtype} | {wavelet} | {mode} | "
                                         f"{level} | {t_ours:.2f} | {peer_s} | {t_ref:.2f} | {t_ref / t_ours:.1f} | "
                                         f"{extra_s} |")
                            print(lines[-1], flush=True)
    lines += ["", f"{rows} rows; behind ptwt in {behind_ptwt}; under 10x PyWavelets (from 512^2 up) in {under_10x}"]
    print(lines[-1])
    write_table(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
