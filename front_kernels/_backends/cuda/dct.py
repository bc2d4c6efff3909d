r"""DCT / IDCT (types 1-4, every norm) and the blocked 2-D DCT on the CUDA kernels.

Along a length-``N`` dim the transform is ``y = C x`` with ``C`` the ``N x N``
matrix of the reference backend's transform (``C[:, j]`` is the transform of
the unit vector ``e_j``, computed once per size, type, norm, direction and
device in float64, kept in float32). Each dim is one launch of the tiled
matrix-along-axis kernel (``csrc/matrix_axis.cu``) with float32 accumulation
and float32 intermediates.

The blocked transform computes :math:`Y_t = A X_t A^T` for every
``block x block`` tile (``csrc/blocked_dct.cu``), with :math:`A` the block's
DCT-II matrix (the inverse's matrix for ``inverse=True``). Both are custom ops
(:mod:`._ops`) whose backward is the adjoint (the transposed matrices).
"""
from __future__ import annotations

import torch

from . import _ops


def dct(x: torch.Tensor, type: int, dims: tuple[int, ...], norm: str, inverse: bool) -> torch.Tensor:
    """DCT (or inverse) of ``type`` along each of ``dims``; same shape and dtype as ``x``."""
    return _ops.dct_axes(x, type, list(dims), norm, inverse, False)


def blocked_dct2(x: torch.Tensor, block: int, norm: str, inverse: bool) -> torch.Tensor:
    """Tile-local 2-D DCT-II (inverse: DCT-III) of the last two dims (multiples of ``block``)."""
    return _ops.blocked_dct2(x, block, norm, inverse, False)
