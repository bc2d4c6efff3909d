r"""Spectral energy of a tensor: the share kept by a low-frequency corner.

With :math:`Z` the standardised tensor in its signal view (METHODS 1.1) and
:math:`C` its orthonormal DCT over every signal axis,
``low_frequency_share = sum(C[:k1, :k2]^2) / sum(C^2)``,
``k = max(1, floor(n * keep_ratio))`` per axis (Parseval: ``sum(C^2) = sum(Z^2)``).
A constant tensor (``Z = 0``) has share 1.
"""
from __future__ import annotations

import math

import torch

from ..transforms import dctn
from .front import standardise
from .shapes import signal_shape


def low_frequency_share(w: torch.Tensor, keep_ratio: float = 0.5) -> float:
    if not 0 < keep_ratio <= 1:
        raise ValueError(f"keep_ratio must be in (0, 1], got {keep_ratio!r}")
    sig = signal_shape(w.shape)
    z, _, _ = standardise(w.detach().to(torch.float64 if w.dtype == torch.float64 else torch.float32))
    c = dctn(z.reshape(sig), norm="ortho")
    total = float((c * c).sum())
    if total == 0:
        return 1.0
    low = c[tuple(slice(0, max(1, math.floor(n * keep_ratio))) for n in sig)]
    return float((low * low).sum()) / total
