r"""Separable spectral resize on the CUDA kernels (see the backend contract).

``y = A_1 (x) ... (x) A_k . x``: one launch of the matrix-along-axis kernel per
resized dim, shrinking dims first so later launches read less; with
``rescale_std`` the float32 result is re-standardised per leading slice by
``csrc/moments.cu`` (two-pass float64 moments, then one fused affine pass that
writes the output dtype).
"""
from __future__ import annotations

import torch

from . import _ops


def resize(x: torch.Tensor, mats, rescale_std: bool) -> torch.Tensor:
    """Apply ``mats[i]`` (``(m_i, n_i)`` or ``None``) to trailing dim ``i`` of ``x``."""
    k = len(mats)
    present = [i for i in range(k) if mats[i] is not None]
    shrinking = [i for i in present if mats[i].shape[0] < mats[i].shape[1]]
    chosen = shrinking + [i for i in present if i not in shrinking]
    if chosen:
        mm = [mats[i].to(device=x.device, dtype=torch.float32) for i in chosen]
        y = _ops.apply_matrices(x, mm, [x.ndim - k + i for i in chosen], rescale_std)
    else:
        y = x.float() if rescale_std else x.clone()
    return _ops.restandardize(x, y, k) if rescale_std else y
