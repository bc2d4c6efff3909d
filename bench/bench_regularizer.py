"""Forward + backward time of the spectral regulariser against the plain formula.

Weights shaped like ViT-S (12 blocks of qkv 1152x384, proj 384x384, fc1
1536x384, fc2 384x1536), float32, keep_ratio 0.5, standardised. The plain
formula is what a user would write: standardise, full orthonormal
``front_kernels.dctn``, multiply by the high-frequency mask, square, sum, and
let autograd differentiate it, one parameter at a time.

    python bench/bench_regularizer.py [--repeats 9] [--device cpu|cuda] [--dtype float32|bfloat16]

Prints the median time of each and their ratio.

    python bench/bench_regularizer.py --train-step [--device cuda] [--batch 256]

times instead a whole training step of a ViT-S/16 at 224x224 (22.05M
parameters, AdamW, bf16 autocast on CUDA) with and without the regulariser
added to the loss, and prints the regulariser's share of the step: the GPU
target is under 5 %. On CUDA the regulariser's transforms use the default GPU
backend (Triton matrix DCT, O(n1 n2 (n1 + n2)) work); run it a second time with
``FRONT_KERNELS_BACKEND=reference`` (cuFFT-based DCT) to compare the two.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
from torch import nn

from front_kernels import SpectralRegularizer, dctn
from front_kernels.demo.vit import ViTConfig, VisionTransformer

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


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def once(fn, model, device) -> float:
    model.zero_grad(set_to_none=True)
    sync(device)
    t0 = time.perf_counter()
    fn().backward()
    sync(device)
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


def train_step_share(device, batch: int, repeats: int, keep_ratio: float) -> None:
    """Median step time of a ViT-S/16 with and without the regulariser, alternating."""
    torch.manual_seed(0)
    config = ViTConfig(depth=12, embed_dim=384, num_heads=6, img_size=224, patch_size=16, in_chans=3,
                       num_classes=1000)
    model = VisionTransformer(config).to(device)
    reg = SpectralRegularizer(model, keep_ratio=keep_ratio, weight=1e-4)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, 224, 224, device=device)
    y = torch.randint(0, 1000, (batch,), device=device)
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    def step(with_reg: bool) -> float:
        sync(device)
        t0 = time.perf_counter()
        with amp:
            loss = nn.functional.cross_entropy(model(x), y)
        if with_reg:
            loss = loss + reg()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sync(device)
        return time.perf_counter() - t0

    for _ in range(3):
        step(False), step(True)
    plain, with_reg = [], []
    for _ in range(repeats):
        plain.append(step(False))
        with_reg.append(step(True))
    t_plain, t_reg = statistics.median(plain), statistics.median(with_reg)
    print(f"device={device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}) "
          f"threads={torch.get_num_threads()} torch={torch.__version__} batch={batch}")
    print(f"ViT-S/16 training step, median of {repeats}: {t_plain * 1e3:.1f} ms without the regulariser, "
          f"{t_reg * 1e3:.1f} ms with it: +{(t_reg - t_plain) / t_plain * 100:.1f} % of the step")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--keep-ratio", type=float, default=0.5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float64"])
    ap.add_argument("--train-step", action="store_true", help="the regulariser's share of a ViT-S training step")
    ap.add_argument("--batch", type=int, default=256, help="images per training step (--train-step)")
    args = ap.parse_args()
    try:
        device = torch.device(args.device)
    except RuntimeError as exc:
        ap.error(f"--device: {exc}")
    if device.type == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: CUDA is not available here")
    if args.train_step:
        train_step_share(device, args.batch, args.repeats, args.keep_ratio)
        return
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
