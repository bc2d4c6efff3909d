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
from . import native
from .dct2d import _reorder_index, _unorder_index, dct2_2d, dct3_2d

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


def _dct2_raw(x: torch.Tensor, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    if n == 1:
        return 2 * x
    v = x.index_select(dim, _reorder_index(n, x.device))
    y = torch.fft.rfft(v, dim=dim) * _along(2 * _twiddle(n, -1.0, x.dtype, x.device), dim, x.ndim)
    tail = (n - 1) // 2  # y_{N-k} = -2 Im Y_k for k = 1..tail
    if not tail:
        return y.real
    rev = torch.arange(tail, 0, -1, device=x.device)
    return torch.cat([y.real, y.imag.index_select(dim, rev).neg_()], dim=dim)


def _dct3_raw(x: torch.Tensor, dim: int) -> torch.Tensor:
    """2N times the exact inverse of ``_dct2_raw``."""
    n = x.shape[dim]
    if n == 1:
        return x.clone()
    half = n // 2 + 1
    # X_{N-k} for k = 0..N//2, with X_N := 0.
    mirrored = torch.cat(
        [torch.zeros_like(x.narrow(dim, 0, 1)), x.index_select(dim, torch.arange(n - 1, n - half, -1, device=x.device))],
        dim=dim,
    )
    spec = torch.complex(x.narrow(dim, 0, half), -mirrored)
    spec = spec * _along(n * _twiddle(n, 1.0, x.dtype, x.device), dim, x.ndim)
    v = torch.fft.irfft(spec, n=n, dim=dim)  # times 2N * (1/2) folded into the twiddles
    return v.index_select(dim, _unorder_index(n, x.device))


def _dct1_raw(x: torch.Tensor, dim: int, fft_norm: str = "backward") -> torch.Tensor:
    """Type 1 as the real FFT of the even extension ``(x_0, ..., x_{N-1}, x_{N-2}, ..., x_1)`` (length
    :math:`2(N-1)`); ``fft_norm='forward'`` divides by that length, which is ``idct`` type 1."""
    n = x.shape[dim]
    if n <= 2:
        y = _dct1_small(x, dim)
        return y / (2 * (n - 1)) if fft_norm == "forward" else y
    return torch.fft.rfft(_even_extension(x, dim), dim=dim, norm=fft_norm).real.narrow(dim, 0, n)


def _even_extension(x: torch.Tensor, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    if dim != x.ndim - 1 or not native.usable(x) or (x.requires_grad and torch.is_grad_enabled()) \
            or torch.compiler.is_compiling():
        return torch.cat([x, x.narrow(dim, 1, n - 2).flip(dim)], dim=dim)
    # Outside autograd the extension goes into this thread's reusable buffer: a fresh one of the
    # input's size per call costs as much as the FFT's own passes (first touch of new pages).
    ext = native._scratch("even_extension", (*x.shape[:-1], 2 * n - 2), x.dtype)
    ext[..., :n].copy_(x)
    ext[..., n:].copy_(x[..., 1:-1].flip(-1))
    return ext


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


def _axis_factors(n: int, t: int, norm: str, inverse: bool) -> tuple[float, float]:
    """``(first, rest)`` of :func:`_axis_scale`: the factor at index 0 and at every other index."""
    if norm == "ortho":
        if t == 2:
            return math.sqrt(1 / (4 * n)), math.sqrt(1 / (2 * n))
        return 1 / math.sqrt(n), 1 / math.sqrt(2 * n)
    scaled = (norm == "backward") == inverse
    return (1 / (2 * n),) * 2 if scaled else (1.0, 1.0)


def _axis_scale(n: int, t: int, norm: str, inverse: bool, dtype, device) -> torch.Tensor:
    """Per-index factor of one axis for types 2/3: output factor for type 2, input factor for type 3."""
    first, rest = _axis_factors(n, t, norm, inverse)
    return _edge_scale(n, first, None, rest, dtype, device)


def _two_axes(x: torch.Tensor, t: int, d1: int, d2: int, norm: str, inverse: bool) -> torch.Tensor:
    n1, n2 = x.shape[d1], x.shape[d2]
    if native.usable(x):
        return native.dct_two_axes(x, t, d1, d2, _axis_factors(n1, t, norm, inverse),
                                   _axis_factors(n2, t, norm, inverse))
    scale = torch.outer(_axis_scale(n1, t, norm, inverse, x.dtype, x.device),
                        _axis_scale(n2, t, norm, inverse, x.dtype, x.device))
    if t == 2:
        return dct2_2d(x, d1, d2, scale)
    shape = [1] * x.ndim
    shape[d1], shape[d2] = n1, n2
    return dct3_2d(x * scale.reshape(shape), d1, d2)


def dct(x: torch.Tensor, type: int, dims: tuple[int, ...], norm: str, inverse: bool) -> torch.Tensor:
    """DCT (``inverse=False``) or inverse DCT of ``type`` along every dim of ``dims``."""
    out_dtype, work = x.dtype, compute_dtype(x.dtype)
    y = x if work == out_dtype else x.to(work)
    t = _INVERSE_TYPE[type] if inverse else type
    rest = list(dims)
    if t in (2, 3) and len(rest) >= 2 and min(y.shape[d] for d in rest[:2]) >= 2:
        d1, d2 = sorted(rest[:2])
        y = _two_axes(y, t, d1, d2, norm, inverse)
        rest = rest[2:]
    for d in rest:
        if t in (2, 3) and native.usable(y):
            # another axis is moved last for the native op (a transposed copy): ~2x faster than the
            # strided FFT along it
            f = _axis_factors(y.shape[d], t, norm, inverse)
            y = native.dct_last_axis(y, t, f) if d == y.ndim - 1 else \
                native.dct_last_axis(y.movedim(d, -1), t, f).movedim(-1, d)
        else:
            y = _one_axis(y, type, d, norm, inverse)
    return y if y.dtype == out_dtype else y.to(out_dtype)


def blocked_dct2(x: torch.Tensor, block: int, norm: str, inverse: bool) -> torch.Tensor:
    """Tile-local 2-D transform: each ``block x block`` tile of the last two dims."""
    *lead, h, w = x.shape
    tiles = x.reshape(*lead, h // block, block, w // block, block)
    out = dct(tiles, 2, (tiles.ndim - 3, tiles.ndim - 1), norm, inverse)
    return out.reshape(x.shape)


def ortho_window_takes(x: torch.Tensor, lengths) -> bool:
    """True when :func:`ortho_window` computes ``x`` for full lengths ``lengths`` (it returns ``None`` otherwise)."""
    return native.window_usable(x, tuple(lengths))


def ortho_window(x: torch.Tensor, lengths: tuple[int, ...], keep: tuple[int, ...], inverse: bool,
                 out: torch.Tensor | None = None):
    r"""Orthonormal DCT-II (``inverse``: its inverse, the DCT-III) over the trailing ``len(lengths)`` dims
    (one or two) of full lengths ``lengths``, of ``x`` read as the leading corner of the zero-padded input,
    keeping the leading ``keep`` corner of the result: ``dctn(pad(x))[..., :keep_1, :keep_2]`` in one
    pass per axis (the panel kernels). ``None`` when those kernels do not take ``x`` (not built, another
    device or dtype, lengths they lack, or a gradient to record): the caller pads and crops instead.
    """
    if not ortho_window_takes(x, lengths):
        return None
    t = 3 if inverse else 2
    return native.dct_window(x, t, tuple(lengths), tuple(keep),
                             tuple(_axis_factors(n, t, "ortho", inverse) for n in lengths), out=out)
