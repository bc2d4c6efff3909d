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
whose backward is the adjoint (the transposed matrices).
"""
from __future__ import annotations

import functools

import torch

from .. import reference
from ._ops import apply_matrices
from ._ops import blocked_dct2 as _blocked_op

MATRIX_CACHE_SIZE = 64


@functools.lru_cache(maxsize=MATRIX_CACHE_SIZE)
def dct_matrix(n: int, type: int, norm: str, inverse: bool, device: torch.device) -> torch.Tensor:
    """The float32 ``(n, n)`` matrix of ``dct`` (or ``idct``) along one dim, on ``device``."""
    eye = torch.eye(n, dtype=torch.float64, device=device)
    return reference.dct(eye, type, (1,), norm, inverse).t().contiguous().to(torch.float32)


def dct(x: torch.Tensor, type: int, dims: tuple[int, ...], norm: str, inverse: bool) -> torch.Tensor:
    """DCT (or inverse) of ``type`` along each of ``dims``; same shape and dtype as ``x``."""
    mats = [dct_matrix(x.shape[d], type, norm, inverse, x.device) for d in dims]
    return apply_matrices(x, mats, list(dims), False)


def blocked_dct2(x: torch.Tensor, block: int, norm: str, inverse: bool) -> torch.Tensor:
    """Tile-local 2-D DCT-II (inverse: DCT-III) of the last two dims (multiples of ``block``)."""
    return _blocked_op(x, dct_matrix(block, 2, norm, inverse, x.device), block)
