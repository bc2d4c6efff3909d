"""Forward + backward time of the spectral regulariser against the plain formula.

Weights shaped like ViT-S (12 blocks of qkv 1152x384, proj 384x384, fc1
1536x384, fc2 384x1536), float32, keep_ratio 0.5, standardised. The plain
formula is what a user would write: standardise, full orthonormal
``front_kernels.dctn``, multiply by the high-frequency mask, square, sum, and
let autograd differentiate it, one parameter at a time.

    python bench/bench_regularizer.py [--repeats 9] [--device cpu|cuda] [--dtype float32|bfloat16]

Prints the median time of each and their ratio. GPU note: the issue's target
there is "under 5% of a ViT-S training step"; run with ``--device cuda``
next to a training-step timing on the same device.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
from torch import nn

from front_kernels import SpectralRegularizer, dctn

SHAPES = {"attn.qkv": (1152, 384), "attn.proj": (384, 384), "mlp.fc1": (1536, 384), "mlp.fc2": (384, 1536)}


def vit_s_weights(depth: int, dtype, device) -> nn.Module:
    model = nn.Module()
    for name, shape in SHAPES.items():
        for i in range(depth):
            p = nn.Parameter(torch.randn(shape, dtype=dtype, device=device) * 0.02)
            model.register_parameter(f"b{i}_{name.replace('.', '_')}", p)
    return model


def plain_penalty(model: nn.Module, keep_ratio: float) -> torch.Tensor:
    total = 0.0
    for p in model.parameters():
        x = p if p.dtype == torch.float64 else p.float()
        z = (x - x.mean()) / (x.std() + 1e-8)
        coef = dctn(z, norm="ortho")
        mask = torch.ones_like(coef)
        mask[: math.floor(p.shape[0] * keep_ratio), : math.floor(p.shape[1] * keep_ratio)] = 0
        total = total + (coef * mask).square().sum()
    return total


def once(fn, model, device) -> float:
    model.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn().backward()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def timeit_pair(fn_a, fn_b, model, repeats: int, device) -> tuple[float, float]:
    """Median times of ``fn_a`` and ``fn_b``, run alternately so that load on a shared machine hits both."""
    for _ in range(3):  # warm-up: first-call set-up, FFT descriptors, the allocator's thresholds
        once(fn_a, model, device), once(fn_b, model, device)
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(once(fn_a, model, device))
        tb.append(once(fn_b, model, device))
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--keep-ratio", type=float, default=0.5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float64"])
    args = ap.parse_args()
    device = torch.device(args.device)
    model = vit_s_weights(args.depth, getattr(torch, args.dtype), device)
    reg = SpectralRegularizer(model, keep_ratio=args.keep_ratio)
    with torch.no_grad():
        a, b = float(reg()), float(plain_penalty(model, args.keep_ratio))
    t_reg, t_plain = timeit_pair(reg, lambda: plain_penalty(model, args.keep_ratio), model, args.repeats, device)
    print(f"device={device} dtype={args.dtype} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"penalty: regulariser {a:.6g}, plain {b:.6g} (relative difference {abs(a - b) / abs(b):.1e})")
    print(f"forward+backward, median of {args.repeats}: SpectralRegularizer {t_reg * 1e3:.1f} ms, "
          f"plain formula {t_plain * 1e3:.1f} ms, speed-up {t_plain / t_reg:.2f}x")


if __name__ == "__main__":
    main()
