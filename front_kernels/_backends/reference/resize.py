"""Separable resize: one matrix product per resized trailing dim (see the backend contract)."""
from __future__ import annotations

import torch

from ..._checks import compute_dtype

STD_EPS = 1e-8


def _standardise_like(y: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    dims = tuple(range(x.ndim - k, x.ndim))
    mean_x, std_x = x.mean(dim=dims, keepdim=True), x.std(dim=dims, keepdim=True)
    mean_y, std_y = y.mean(dim=dims, keepdim=True), y.std(dim=dims, keepdim=True)
    return (y - mean_y) / (std_y + STD_EPS) * std_x + mean_x


def resize(x: torch.Tensor, mats, rescale_std: bool) -> torch.Tensor:
    out_dtype = x.dtype
    xc = x.to(compute_dtype(x.dtype))
    k = len(mats)
    y = xc
    # shrinking axes first: every later product then runs on a smaller tensor
    order = sorted(range(k), key=lambda i: 1.0 if mats[i] is None else mats[i].shape[0] / mats[i].shape[1])
    for i in order:
        a = mats[i]
        if a is None:
            continue
        dim = x.ndim - k + i
        if dim == x.ndim - 1:
            y = y @ a.T
        else:
            y = torch.matmul(a, y.movedim(dim, -2)).movedim(-2, dim)
    if rescale_std:
        y = _standardise_like(y, xc, k)
    return y.to(out_dtype)
