r"""DCT types 1-4 with scipy.fft's definitions, through ``torch.fft``.

Un-normalised transforms (scipy ``norm='backward'`` forward direction), for a
length-``N`` axis:

* type 1: :math:`y_k = x_0 + (-1)^k x_{N-1} + 2\sum_{n=1}^{N-2} x_n \cos(\pi k n/(N-1))`
* type 2: :math:`y_k = 2\sum_{n=0}^{N-1} x_n \cos(\pi k(2n+1)/(2N))`
* type 3: :math:`y_k = x_0 + 2\sum_{n=1}^{N-1} x_n \cos(\pi n(2k+1)/(2N))`
* type 4: :math:`y_k = 2\sum_{n=0}^{N-1} x_n \cos(\pi(2n+1)(2k+1)/(4N))`

Type 2 uses Makhoul's reordering: with :math:`v = (x_0, x_2, \dots, x_3, x_1)`
and :math:`Y_k = e^{-i\pi k/(2N)}\,\mathrm{rfft}(v)_k`, one has
:math:`y_k = 2\,\mathrm{Re}\,Y_k` and :math:`y_{N-k} = -2\,\mathrm{Im}\,Y_k`, so a
single real FFT of length ``N`` gives the whole transform. Type 3 inverts that
with one inverse real FFT. Types 1 and 4 use an even extension and a
zero-padded complex FFT respectively.

The inverses and normalisations follow scipy: ``idct(type=t)`` is ``dct`` of
type 1, 3, 2, 4 for ``t`` = 1, 2, 3, 4, divided by :math:`2(N-1)` (type 1) or
:math:`2N` for ``norm='backward'``; ``'forward'`` moves that factor to the
forward transform; ``'ortho'`` makes the transform orthonormal.
"""
from __future__ import annotations

import math

import torch

from ..._checks import compute_dtype

_INVERSE_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}


def _shape_for(dim: int, ndim: int, n: int) -> list[int]:
    shape = [1] * ndim
    shape[dim] = n
    return shape


def _along(v: torch.Tensor, dim: int, ndim: int) -> torch.Tensor:
    """View a 1-D vector so that it broadcasts along ``dim``."""
    return v.reshape(_shape_for(dim, ndim, v.numel()))


def _twiddle(n: int, sign: float, dtype: torch.dtype, device) -> torch.Tensor:
    k = torch.arange(n // 2 + 1, dtype=dtype, device=device)
    return torch.polar(torch.ones_like(k), sign * math.pi * k / (2 * n))


def _strided(x: torch.Tensor, dim: int, start: int) -> torch.Tensor:
    """Every second element of ``x`` along ``dim``, from ``start``."""
    return x[(slice(None),) * dim + (slice(start, None, 2),)]


def _dct2_raw(x: torch.Tensor, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    if n == 1:
        return 2 * x
    v = torch.cat([_strided(x, dim, 0), _strided(x, dim, 1).flip(dim)], dim=dim)
    y = torch.fft.rfft(v, dim=dim) * _along(_twiddle(n, -1.0, x.dtype, x.device), dim, x.ndim)
    tail = (n - 1) // 2  # y_{N-k} = -2 Im Y_k for k = 1..tail
    return 2 * torch.cat([y.real, (-y.imag).narrow(dim, 1, tail).flip(dim)], dim=dim)


def _dct3_raw(x: torch.Tensor, dim: int) -> torch.Tensor:
    """2N times the exact inverse of ``_dct2_raw``."""
    n = x.shape[dim]
    if n == 1:
        return x.clone()
    half = n // 2 + 1
    # X_{N-k} for k = 0..N//2, with X_N := 0.
    mirrored = torch.cat(
        [torch.zeros_like(x.narrow(dim, 0, 1)), x.narrow(dim, n - half + 1, half - 1).flip(dim)], dim=dim
    )
    spec = torch.complex(x.narrow(dim, 0, half), -mirrored)
    spec = spec * _along(_twiddle(n, 1.0, x.dtype, x.device), dim, x.ndim)
    v = torch.fft.irfft(spec, n=n, dim=dim) * n  # 2N * (1/2) * irfft
    # undo the reordering: x_{2m} = v_m, x_{2m+1} = v_{N-1-m}
    even = (n + 1) // 2
    v_even = v.narrow(dim, 0, even)
    v_odd = v.narrow(dim, even, n - even).flip(dim)
    if n % 2:
        v_odd = torch.cat([v_odd, torch.zeros_like(v_odd.narrow(dim, 0, 1))], dim=dim)
    return torch.stack([v_even, v_odd], dim=dim + 1).flatten(dim, dim + 1).narrow(dim, 0, n)


def _dct1_raw(x: torch.Tensor, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    ext = torch.cat([x, x.narrow(dim, 1, n - 2).flip(dim)], dim=dim) if n > 2 else x
    return torch.fft.rfft(ext, dim=dim).real.narrow(dim, 0, n) if n > 2 else _dct1_small(x, dim)


def _dct1_small(x: torch.Tensor, dim: int) -> torch.Tensor:
    # N == 2: y_0 = x_0 + x_1, y_1 = x_0 - x_1.
    a, b = x.narrow(dim, 0, 1), x.narrow(dim, 1, 1)
    return torch.cat([a + b, a - b], dim=dim)


def _dct4_raw(x: torch.Tensor, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    ctype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
    k = torch.arange(n, dtype=x.dtype, device=x.device)
    pre = _along(torch.polar(torch.ones_like(k), -math.pi * k / (2 * n)), dim, x.ndim)
    post = _along(torch.polar(torch.ones_like(k), -math.pi * (2 * k + 1) / (4 * n)), dim, x.ndim)
    z = torch.fft.fft(x.to(ctype) * pre, n=2 * n, dim=dim).narrow(dim, 0, n)
    return 2 * (z * post).real


_RAW = {1: _dct1_raw, 2: _dct2_raw, 3: _dct3_raw, 4: _dct4_raw}


def _edge_scale(n: int, first: float, last: float | None, rest: float, dtype, device) -> torch.Tensor:
    s = torch.full((n,), rest, dtype=dtype, device=device)
    s[0] = first
    if last is not None:
        s[-1] = last
    return s


def _ortho(x: torch.Tensor, type: int, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    nd = x.ndim
    if type == 2:
        scale = _edge_scale(n, math.sqrt(1 / (4 * n)), None, math.sqrt(1 / (2 * n)), x.dtype, x.device)
        return _dct2_raw(x, dim) * _along(scale, dim, nd)
    if type == 3:
        scale = _edge_scale(n, 1 / math.sqrt(n), None, 1 / math.sqrt(2 * n), x.dtype, x.device)
        return _dct3_raw(x * _along(scale, dim, nd), dim)
    if type == 4:
        return _dct4_raw(x, dim) / math.sqrt(2 * n)
    r2 = math.sqrt(2.0)
    pre = _along(_edge_scale(n, r2, r2, 1.0, x.dtype, x.device), dim, nd)
    post = _along(_edge_scale(n, 1 / r2, 1 / r2, 1.0, x.dtype, x.device), dim, nd)
    return _dct1_raw(x * pre, dim) * post / math.sqrt(2 * (n - 1))


def _one_axis(x: torch.Tensor, type: int, dim: int, norm: str, inverse: bool) -> torch.Tensor:
    n = x.shape[dim]
    t = _INVERSE_TYPE[type] if inverse else type
    if norm == "ortho":
        return _ortho(x, t, dim)
    y = _RAW[t](x, dim)
    scaled_direction_is_this = (norm == "backward") == inverse
    if scaled_direction_is_this:
        y = y / (2 * (n - 1) if type == 1 else 2 * n)
    return y


def dct(x: torch.Tensor, type: int, dims: tuple[int, ...], norm: str, inverse: bool) -> torch.Tensor:
    """DCT (``inverse=False``) or inverse DCT of ``type`` along every dim of ``dims``."""
    out_dtype = x.dtype
    y = x.to(compute_dtype(x.dtype))
    for d in dims:
        y = _one_axis(y, type, d, norm, inverse)
    return y.to(out_dtype)


def blocked_dct2(x: torch.Tensor, block: int, norm: str, inverse: bool) -> torch.Tensor:
    """Tile-local 2-D transform: each ``block x block`` tile of the last two dims."""
    *lead, h, w = x.shape
    tiles = x.reshape(*lead, h // block, block, w // block, block)
    out = dct(tiles, 2, (tiles.ndim - 3, tiles.ndim - 1), norm, inverse)
    return out.reshape(x.shape)
