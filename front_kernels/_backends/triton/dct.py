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

import math

import torch

from ._runtime import device_cache
from .axis_matmul import apply_matrices

MATRIX_CACHE_SIZE = 8  # a 16384-point matrix is 1 GiB in float32
_INVERSE_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}


def _cos_pi_ratio(num: torch.Tensor, den: int) -> torch.Tensor:
    """``cos(pi * num / den)`` for integer ``num``, reduced modulo the period ``2 den`` first."""
    return torch.cos(math.pi * torch.remainder(num, 2 * den).to(torch.float64) / den)


def _raw_matrix(n: int, type: int, device) -> torch.Tensor:
    k = torch.arange(n, dtype=torch.int64, device=device)[:, None]
    j = torch.arange(n, dtype=torch.int64, device=device)[None, :]
    if type == 1:
        c = 2 * _cos_pi_ratio(k * j, n - 1)
        c[:, 0] = 1.0
        c[:, n - 1] = 1.0 - 2.0 * (k[:, 0] % 2).to(torch.float64)
        return c
    if type == 2:
        return 2 * _cos_pi_ratio(k * (2 * j + 1), 2 * n)
    if type == 3:
        c = 2 * _cos_pi_ratio(j * (2 * k + 1), 2 * n)
        c[:, 0] = 1.0
        return c
    return 2 * _cos_pi_ratio((2 * j + 1) * (2 * k + 1), 4 * n)


def _ortho_matrix(n: int, type: int, device) -> torch.Tensor:
    c = _raw_matrix(n, type, device)
    if type == 2:
        c *= math.sqrt(1 / (2 * n))
        c[0] *= math.sqrt(0.5)
    elif type == 3:
        c *= 1 / math.sqrt(2 * n)
        c[:, 0] *= math.sqrt(2.0)
    elif type == 4:
        c /= math.sqrt(2 * n)
    else:
        r2 = math.sqrt(2.0)
        c[:, [0, n - 1]] *= r2
        c[[0, n - 1], :] /= r2
        c /= math.sqrt(2 * (n - 1))
    return c


@device_cache(MATRIX_CACHE_SIZE)
def dct_matrix(n: int, type: int, norm: str, inverse: bool, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The ``(n, n)`` matrix of ``dct`` (``inverse=False``) or ``idct`` along one dim."""
    t = _INVERSE_TYPE[type] if inverse else type
    if norm == "ortho":
        c = _ortho_matrix(n, t, device)
    else:
        c = _raw_matrix(n, t, device)
        if (norm == "backward") == inverse:
            c /= 2 * (n - 1) if type == 1 else 2 * n
    return c.to(dtype)


def _matrix_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def dct(x: torch.Tensor, type: int, dims: tuple[int, ...], norm: str, inverse: bool) -> torch.Tensor:
    """DCT (or inverse) of ``type`` along each of ``dims``; same shape and dtype as ``x``."""
    mdt = _matrix_dtype(x.dtype)
    mats = [dct_matrix(x.shape[d], type, norm, inverse, mdt, x.device) for d in dims]
    return apply_matrices(x, mats, list(dims))
