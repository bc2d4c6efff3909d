"""GPU report: the CUDA kernels (backend='cuda') against the Triton kernels and the
reference backend on the same CUDA tensors, one table per run.

    python bench/bench_gpu_cuda.py [--repeat 20] [--out bench/results]

Each case is timed with CUDA events as the median of ``--repeat`` calls after
warm-up; GB/s counts one read of the input and one write of the output (the
memory roofline of a single-pass transform). The last column names the faster
GPU backend. The table (markdown, with device name and date) and
``gpu_backend_defaults_<device>.json`` (op -> faster of triton/cuda by the
geometric mean of the per-case time ratios) are written to ``--out``; that
measurement is what ``front_kernels._dispatch.gpu_choice`` encodes.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import re
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_timing import cuda_time_ms  # noqa: E402

BACKENDS = ("reference", "triton", "cuda")


def _nbytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v) for v in obj)
    return 0


def cases():
    """(op as dispatched, label, input, callable(backend) -> output)."""
    import front_kernels as fk

    def rnd(shape, dtype=torch.float32):
        return torch.randn(shape, device="cuda", dtype=dtype)

    for shape, dtype in (((1024, 1024), torch.float32), ((12, 768, 3072), torch.float32),
                         ((12, 768, 3072), torch.bfloat16)):
        x = rnd(shape, dtype)
        yield ("dct", f"dctn ortho last 2 {shape} {str(dtype)[6:]}", x,
               lambda b, x=x: fk.dctn(x, dim=(-2, -1), norm="ortho", backend=b))
    x = rnd((4, 333, 517))
    yield ("dct", "dct type 2 last dim (4, 333, 517)", x, lambda b, x=x: fk.dct(x, dim=-1, backend=b))
    for block in (8, 32):
        x = rnd((4096, 4096))
        yield ("blocked_dct2", f"blocked_dct2 b={block} (4096, 4096)", x,
               lambda b, x=x, k=block: fk.blocked_dct2(x, block=k, backend=b))
    for method in ("dct", "dwt"):
        x = rnd((12, 768, 3072))
        yield ("resize", f"resize {method} std (12,768,3072)->(6,384,1536)", x,
               lambda b, x=x, m=method: fk.resize(x, (6, 384, 1536), method=method, backend=b))
    for shape, wavelet, mode in (((256, 64, 64), "haar", "periodization"), ((64, 128, 128), "db4", "symmetric"),
                                 ((4096, 4096), "db4", "periodization"), ((12, 768, 768), "haar", "zero")):
        x = rnd(shape)
        yield ("wavedecn", f"wavedec2 {wavelet} {mode} L3 {shape}", x,
               lambda b, x=x, w=wavelet, m=mode: fk.wavedec2(x, w, mode=m, level=3, backend=b))
        coeffs = fk.wavedec2(x, wavelet, mode=mode, level=3, backend="reference")
        yield ("waverecn", f"waverec2 {wavelet} {mode} L3 {shape}", x,
               lambda b, c=coeffs, w=wavelet, m=mode: fk.waverec2(c, w, mode=m, backend=b))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("bench_gpu_cuda: needs a CUDA device; none is present", file=sys.stderr)
        return 2
    from front_kernels import _dispatch

    device = torch.cuda.get_device_name()
    props = torch.cuda.get_device_properties(0)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# CUDA vs Triton vs reference on {device}", "",
             f"{stamp}; torch {torch.__version__}; {props.multi_processor_count} SMs; "
             f"median of {args.repeat} calls (CUDA events); GB/s = (input + output bytes) / time.", "",
             "| case | reference ms | triton ms | cuda ms | cuda GB/s | faster GPU backend |",
             "|---|---:|---:|---:|---:|---|"]
    ratios: dict[str, list[float]] = {}
    for op, label, x, fn in cases():
        row, times = [label], {}
        out = None
        for b in BACKENDS:
            try:
                _dispatch.backend_module(b)
                out = fn(b)
                times[b] = cuda_time_ms(lambda: fn(b), args.repeat)
                row.append(f"{times[b]:.3f}")
            except Exception as exc:  # a backend that cannot run the case is reported, not fatal
                row.append(f"n/a ({type(exc).__name__})")
        gbps = (_nbytes(x) + _nbytes(out)) / (times["cuda"] * 1e6) if "cuda" in times and out is not None else None
        row.append(f"{gbps:.0f}" if gbps else "-")
        if "cuda" in times and "triton" in times:
            ratios.setdefault(op, []).append(times["triton"] / times["cuda"])
            row.append("cuda" if times["cuda"] < times["triton"] else "triton")
        else:
            row.append("cuda" if "cuda" in times else ("triton" if "triton" in times else "-"))
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    defaults = {op: ("cuda" if math.exp(statistics.fmean(math.log(r) for r in rs)) > 1.0 else "triton")
                for op, rs in ratios.items()}
    lines += ["", "Faster GPU backend per op (geometric mean of triton/cuda time ratios): "
              + ", ".join(f"{op}: {b}" for op, b in defaults.items())]
    args.out.mkdir(parents=True, exist_ok=True)
    tag = re.sub(r"[^A-Za-z0-9]+", "_", device).strip("_").lower()
    (args.out / f"gpu_cuda_vs_triton_{tag}.md").write_text("\n".join(lines) + "\n")
    (args.out / f"gpu_backend_defaults_{tag}.json").write_text(json.dumps(
        {"device": device, "date": stamp, "defaults": defaults,
         "triton_over_cuda_time_ratios": ratios}, indent=2) + "\n")
    print("\n".join(lines[-1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
