r"""Full DCT / IDCT (types 1-4, every norm) as matrix products in Triton.

Along a length-``N`` dim the transform is ``y = C x`` with the ``N x N``
matrix of :func:`dct_matrix`, which holds exactly the numbers of the reference
backend (scipy's definitions): for the un-normalised forward transforms

* type 1: :math:`C_{kn} = 1,\ (-1)^k,\ 2\cos(\pi k n/(N-1))` for ``n = 0``, ``N-1``, otherwise
* type 2: :math:`C_{kn} = 2\cos(\pi k(2n+1)/(2N))`
* type 3: :math:`C_{kn} = 1` for ``n = 0``, else :math:`2\cos(\pi n(2k+1)/(2N))`
* type 4: :math:`C_{kn} = 2\cos(\pi(2n+1)(2k+1)/(4N))`

then the scale factors of ``norm`` (``'ortho'``: scipy's orthonormal rows and
columns) and, for ``inverse=True``, the matrix of the inverse type (1, 3, 2, 4)
with scipy's ``1/(2N)`` (type 1: ``1/(2(N-1))``) where ``norm`` puts it.

The matrix is built once per (size, type, norm, direction, dtype, device) on
the device in float64, with the cosine's argument reduced in exact integer
arithmetic, and cached (:data:`MATRIX_CACHE_SIZE` entries), so a call does no
host work that grows with ``N``. A 2-D transform is two passes of
:mod:`.axis_matmul` (the second reading the float32 intermediate). Its
accuracy on a GPU follows ``FRONT_KERNELS_TRITON_FP32_DOT`` (see
:mod:`._runtime`): about float32 rounding for the default ``tf32x3``.
"""
from __future__ import annotations


import torch

from ._runtime import device_cache
from ..dct_matrix import dct_matrix_float64
from .axis_matmul import apply_matrices

MATRIX_CACHE_SIZE = 8  # a 16384-point matrix is 1 GiB in float32
@device_cache(MATRIX_CACHE_SIZE)
def dct_matrix(n: int, type: int, norm: str, inverse: bool, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The ``(n, n)`` matrix of ``dct`` (``inverse=False``) or ``idct`` along one dim."""
    return dct_matrix_float64(n, type, norm, inverse, device).to(dtype)


def _matrix_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def dct(x: torch.Tensor, type: int, dims: tuple[int, ...], norm: str, inverse: bool) -> torch.Tensor:
    """DCT (or inverse) of ``type`` along each of ``dims``; same shape and dtype as ``x``."""
    mdt = _matrix_dtype(x.dtype)
    mats = [dct_matrix(x.shape[d], type, norm, inverse, mdt, x.device) for d in dims]
    return apply_matrices(x, mats, list(dims))
