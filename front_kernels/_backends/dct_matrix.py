r"""Dense DCT matrices with scipy.fft's definitions, shared by the matrix-based GPU backends.

Un-normalised forward matrices (``norm='backward'``), rows = output index ``k``:
type 1 :math:`C_{kj} = 1, (-1)^k, 2\cos(\pi kj/(N-1))` for ``j = 0``, ``N-1``, otherwise;
type 2 :math:`2\cos(\pi k(2j+1)/(2N))`; type 3 :math:`1` for ``j = 0``, else
:math:`2\cos(\pi j(2k+1)/(2N))`; type 4 :math:`2\cos(\pi(2j+1)(2k+1)/(4N))`.
``idct`` of type ``t`` is the matrix of type 1, 3, 2, 4, divided by :math:`2(N-1)`
(type 1) or :math:`2N` where ``norm`` puts the factor; ``'ortho'`` scales rows and
columns to an orthonormal matrix. Built in float64 with the cosine's argument
reduced modulo its period in integer arithmetic, so large ``N`` loses no accuracy.
"""
from __future__ import annotations

import math

import torch

INVERSE_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}


def _cos_pi(num: torch.Tensor, den: int) -> torch.Tensor:
    """``cos(pi * num / den)`` for integer ``num``, reduced modulo ``2 den`` first."""
    return torch.cos(math.pi * torch.remainder(num, 2 * den).to(torch.float64) / den)


def _unnormalised(n: int, type: int, device) -> torch.Tensor:
    k = torch.arange(n, dtype=torch.int64, device=device)[:, None]
    j = torch.arange(n, dtype=torch.int64, device=device)[None, :]
    if type == 1:
        c = 2 * _cos_pi(k * j, max(n - 1, 1))
        c[:, 0] = 1.0
        c[:, n - 1] = 1.0 - 2.0 * (k[:, 0] % 2).to(torch.float64)
        return c
    if type == 2:
        return 2 * _cos_pi(k * (2 * j + 1), 2 * n)
    if type == 3:
        c = 2 * _cos_pi(j * (2 * k + 1), 2 * n)
        c[:, 0] = 1.0
        return c
    return 2 * _cos_pi((2 * j + 1) * (2 * k + 1), 4 * n)


def _orthonormal(n: int, type: int, device) -> torch.Tensor:
    c = _unnormalised(n, type, device)
    if type == 2:
        c *= math.sqrt(1 / (2 * n))
        c[0] *= math.sqrt(0.5)
    elif type == 3:
        c /= math.sqrt(2 * n)
        c[:, 0] *= math.sqrt(2.0)
    elif type == 4:
        c /= math.sqrt(2 * n)
    else:
        c[:, [0, n - 1]] *= math.sqrt(2.0)
        c[[0, n - 1], :] /= math.sqrt(2.0)
        c /= math.sqrt(2 * (n - 1))
    return c


def dct_matrix_float64(n: int, type: int, norm: str, inverse: bool, device=None) -> torch.Tensor:
    """The float64 ``(n, n)`` matrix ``C`` with ``C @ x == dct(x)`` (``inverse``: ``idct``) along one axis."""
    t = INVERSE_TYPE[type] if inverse else type
    if norm == "ortho":
        return _orthonormal(n, t, device)
    c = _unnormalised(n, t, device)
    if (norm == "backward") == inverse:
        c /= 2 * (n - 1) if type == 1 else 2 * n
    return c
