"""GPU report for the Triton kernels: time, GB/s against the measured copy bandwidth,
and speed ratios against the peers measured in the same run.

    python bench/bench_gpu_triton.py [--sizes 1024 2048 4096 8192 16384] [--repeat 20] [--out bench/results]
    TRITON_INTERPRET=1 python bench/bench_gpu_triton.py --dry-run   # checks the script on CPU, tiny shapes

Peers (each only when importable): torch-dct (``torch_dct``, cuFFT through
torch.fft), the torch.fft Makhoul DCT of the reference backend, ``cupyx.scipy.fft.dctn``,
ptwt and pytorch_wavelets for wavelets, and for resize the unfused composition
``dctn -> slice / zero-pad -> idctn`` (+ re-standardisation) in torch ops.
Times are medians of ``--repeat`` calls timed with CUDA events after warm-up;
GB/s = (bytes read once + bytes written once) / time; "% copy" divides by the
bandwidth of ``torch.Tensor.copy_`` on a 1 GiB buffer measured at start. The
table ends with the issue's targets and whether this run met them. Written to
``--out/gpu_triton_<device>.md``.
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import math
import re
import sys
from pathlib import Path

import time

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpu_timing  # noqa: E402

DEVICE = "cuda"
STACKED = (12, 768, 3072)


def cuda_time_ms(fn, repeat: int) -> float:
    if DEVICE != "cuda":
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1e3
    return gpu_timing.cuda_time_ms(fn, repeat)


def copy_bandwidth_gbps(repeat: int) -> float:
    numel = 256 * 1024 * 1024 if DEVICE == "cuda" else 1024 * 1024
    src = torch.empty(numel, dtype=torch.float32, device=DEVICE).normal_()
    dst = torch.empty_like(src)
    ms = cuda_time_ms(lambda: dst.copy_(src), repeat)
    return 2 * src.numel() * 4 / (ms * 1e6)


def nbytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(nbytes(v) for v in obj)
    return 0


def optional(name: str):
    try:
        return importlib.import_module(name)
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# peers


def makhoul_dct2_ortho(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Orthonormal DCT-II along ``dim`` with one real FFT (Makhoul), in plain torch.fft."""
    x = x.movedim(dim, -1)
    n = x.shape[-1]
    v = torch.cat([x[..., ::2], x[..., 1::2].flip(-1)], dim=-1)
    k = torch.arange(n, device=x.device, dtype=x.dtype)
    w = torch.polar(torch.ones_like(k), -math.pi * k / (2 * n))
    y = (torch.fft.fft(v, dim=-1) * w).real * math.sqrt(2.0 / n)
    y[..., 0] /= math.sqrt(2.0)
    return y.movedim(-1, dim)


def peer_dctn(x: torch.Tensor):
    """name -> callable computing the orthonormal 2-D DCT-II of the last two dims."""
    peers = {"torch.fft Makhoul": lambda: makhoul_dct2_ortho(makhoul_dct2_ortho(x, -1), -2)}
    torch_dct = optional("torch_dct")
    if torch_dct is not None:
        peers["torch-dct"] = lambda: torch_dct.dct_2d(x, norm="ortho")
    cupyx_fft = optional("cupyx.scipy.fft")
    cupy = optional("cupy")
    if cupyx_fft is not None and cupy is not None:
        xc = cupy.from_dlpack(x)
        peers["cupyx dctn"] = lambda: cupyx_fft.dctn(xc, type=2, axes=(-2, -1), norm="ortho")
    return peers


def peer_wavedec2(x: torch.Tensor, wavelet: str, mode: str, level: int):
    peers = {}
    ptwt = optional("ptwt")
    pywt = optional("pywt")
    if ptwt is not None and pywt is not None:
        ptwt_mode = {"periodization": "periodic", "symmetric": "symmetric", "zero": "zero"}[mode]
        peers["ptwt"] = lambda: ptwt.wavedec2(x, pywt.Wavelet(wavelet), level=level, mode=ptwt_mode)
    pw = optional("pytorch_wavelets")
    if pw is not None:
        pw_mode = {"periodization": "periodization", "symmetric": "symmetric", "zero": "zero"}[mode]
        xfm = pw.DWTForward(J=level, wave=wavelet, mode=pw_mode).to(x.device)
        x4 = x.reshape(-1, 1, *x.shape[-2:])
        peers["pytorch_wavelets"] = lambda: xfm(x4)
    return peers


def unfused_resize(x: torch.Tensor, shape, backend: str):
    """dctn -> slice / zero-pad -> idctn, then re-standardisation, as separate torch ops."""
    import front_kernels as fk

    def run():
        c = fk.dctn(x, dim=(-2, -1), norm="ortho", backend=backend)
        k0, k1 = min(shape[0], c.shape[-2]), min(shape[1], c.shape[-1])
        z = c.new_zeros(*c.shape[:-2], *shape)
        z[..., :k0, :k1] = c[..., :k0, :k1]
        y = fk.idctn(z, dim=(-2, -1), norm="ortho", backend=backend)
        dims = (-2, -1)
        y = (y - y.mean(dims, keepdim=True)) / (y.std(dims, keepdim=True) + 1e-8)
        return y * x.std(dims, keepdim=True) + x.mean(dims, keepdim=True)

    return run


# ---------------------------------------------------------------------------------------------
# cases: (op, label, ours callable, peers dict, input)


def cases(sizes):
    import front_kernels as fk

    def rnd(shape, dtype=torch.float32):
        return torch.randn(shape, device=DEVICE, dtype=dtype)

    squares = [(n, n) for n in sizes]
    stacked = STACKED
    for shape in squares + [stacked]:
        x = rnd(shape)
        yield ("dctn", f"dctn ortho 2-D {shape} fp32", x,
               lambda x=x: fk.dctn(x, dim=(-2, -1), norm="ortho", backend="triton"), peer_dctn(x))
    x = rnd(stacked, torch.bfloat16)
    yield ("dctn", f"dctn ortho 2-D {stacked} bf16", x,
           lambda x=x: fk.dctn(x, dim=(-2, -1), norm="ortho", backend="triton"), {})
    for block in (8, 16, 32, 64):
        for shape in squares + [stacked]:
            x = rnd(shape)
            yield ("blocked", f"blocked_dct2 b={block} {shape}", x,
                   lambda x=x, b=block: fk.blocked_dct2(x, block=b, backend="triton"), {})
    for wavelet, mode in (("haar", "periodization"), ("db4", "symmetric")):
        for shape in squares + [stacked]:
            x = rnd(shape)
            yield (f"wavedec2 {wavelet}", f"wavedec2 {wavelet} {mode} L3 {shape}", x,
                   lambda x=x, w=wavelet, m=mode: fk.wavedec2(x, w, mode=m, level=3, backend="triton"),
                   peer_wavedec2(x, wavelet, mode, 3))
    for src, dst in [((n, n), (n // 2, n // 2)) for n in sizes] + [(stacked, (stacked[0], stacked[1] // 2,
                                                                                   stacked[2] // 2))]:
        x = rnd(src)
        peers = {"unfused (torch.fft)": unfused_resize(x, dst[-2:], "reference"),
                 "unfused (triton dctn)": unfused_resize(x, dst[-2:], "triton")}
        yield ("resize", f"resize dct std {src}->{dst}", x,
               lambda x=x, d=dst: fk.resize(x, d, method="dct", rescale="std", backend="triton"), peers)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    p.add_argument("--dry-run", action="store_true",
                   help="run every case once on CPU tensors at tiny sizes (needs TRITON_INTERPRET=1)")
    args = p.parse_args(argv)
    if args.dry_run:
        global DEVICE, STACKED
        DEVICE, STACKED, args.sizes, args.repeat = "cpu", (2, 64, 128), [64], 1
    elif not torch.cuda.is_available():
        print("bench_gpu_triton: needs a CUDA device; none is present", file=sys.stderr)
        return 2
    import triton

    device = torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu (dry run)"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    copy_bw = copy_bandwidth_gbps(args.repeat)
    lines = [f"# Triton kernels on {device}", "",
             f"{stamp}; torch {torch.__version__}; triton {triton.__version__}; "
             f"measured copy bandwidth {copy_bw:.0f} GB/s; median of {args.repeat} calls.", "",
             "| case | triton ms | GB/s | % copy | peers: ms (peer time / triton time) |",
             "|---|---:|---:|---:|---|"]
    print("\n".join(lines), flush=True)
    results = []
    for op, label, x, ours, peers in cases(args.sizes):
        try:
            out = ours()
            ms = cuda_time_ms(ours, args.repeat)
        except Exception as exc:  # reported, not fatal: e.g. out of memory at the largest size
            lines.append(f"| {label} | n/a ({type(exc).__name__}: {str(exc)[:60]}) | | | |")
            print(lines[-1], flush=True)
            torch.cuda.empty_cache()
            continue
        gbps = (nbytes(x) + nbytes(out)) / (ms * 1e6)
        peer_cells, peer_ms = [], {}
        for name, fn in peers.items():
            try:
                peer_ms[name] = cuda_time_ms(fn, args.repeat)
                peer_cells.append(f"{name} {peer_ms[name]:.3f} ({peer_ms[name] / ms:.2f}x)")
            except Exception as exc:
                peer_cells.append(f"{name} n/a ({type(exc).__name__})")
        del out
        torch.cuda.empty_cache()
        results.append((op, label, ms, gbps, peer_ms))
        lines.append(f"| {label} | {ms:.3f} | {gbps:.0f} | {100 * gbps / copy_bw:.0f}% | {'; '.join(peer_cells)} |")
        print(lines[-1], flush=True)
    lines += ["", "## Targets (H100)", ""] + targets(results, copy_bw)
    print("\n".join(lines[-8:]))
    if args.dry_run:
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    tag = re.sub(r"[^A-Za-z0-9]+", "_", device).strip("_").lower()
    path = args.out / f"gpu_triton_{tag}.md"
    path.write_text("\n".join(lines) + "\n")
    print(f"written: {path}")
    return 0


def targets(results, copy_bw: float) -> list[str]:
    """The issue's targets, each with the worst case measured in this run."""
    out = []

    def bw_target(op_prefix, what):
        rows = [r for r in results if r[0].startswith(op_prefix)]
        if rows:
            worst = min(rows, key=lambda r: r[3])
            ok = worst[3] >= 0.5 * copy_bw
            out.append(f"- {what} >= 50% of copy bandwidth: {'met' if ok else 'NOT met'} "
                       f"(worst: {worst[1]}, {100 * worst[3] / copy_bw:.0f}%)")

    bw_target("blocked", "blocked DCT")
    bw_target("wavedec2 haar", "multi-level Haar DWT")
    bw_target("resize", "fused resize")
    for r in results:
        if r[0] == "dctn" and "(4096, 4096) fp32" in r[1]:
            for peer, factor in (("torch-dct", 3.0), ("cupyx dctn", 1.5)):
                if peer in r[4]:
                    speed = r[4][peer] / r[2]
                    out.append(f"- full 2-D DCT 4096^2 fp32 >= {factor}x faster than {peer}: "
                               f"{'met' if speed >= factor else 'NOT met'} ({speed:.2f}x)")
                else:
                    out.append(f"- full 2-D DCT 4096^2 fp32 vs {peer}: peer not installed")
    rs = [r for r in results if r[0] == "resize" and "unfused (torch.fft)" in r[4]]
    if rs:
        worst = min(rs, key=lambda r: r[4]["unfused (torch.fft)"] / r[2])
        speed = worst[4]["unfused (torch.fft)"] / worst[2]
        out.append(f"- fused resize >= 5x faster than the unfused composition: {'met' if speed >= 5 else 'NOT met'} "
                   f"(worst: {worst[1]}, {speed:.2f}x)")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
