r"""Wavelet transforms (PyWavelets' conventions, as the reference backend) on the CUDA kernels.

Two custom ops (:mod:`._ops`), same numbers:

* ``wavelet2d_levels`` when ``dims`` are the last two dims, in order: every
  level of :func:`wavedecn` / :func:`waverecn` (or the one level of
  :func:`dwtn` / :func:`idwtn`) on packed coefficients, in a single launch when
  a slice fits in shared memory (``csrc/dwt2_fused.cu``: one thread block per
  slice, the running approximation kept in shared memory between levels),
  else one banded launch per dim and level. The bands returned are views into
  the packed buffer (layout in :mod:`._plans`).
* ``wavelet_axes`` for any other dims: one banded launch per dim and level
  (``csrc/sparse_axis.cu``), the two bands of a dim side by side along it.

The banded tables come from the wavelet's taps and the boundary mode
(:mod:`._tables`); the backward of each op runs the transposed tables.
"""
from __future__ import annotations

import itertools

import torch

from ...wavelets import Wavelet
from . import _ops
from ._plans import BANDS_2D, coeff_len, filters_of


def _keys(nd: int) -> list[str]:
    return ["".join(p) for p in itertools.product("ad", repeat=nd)]


def _is_last_two(ndim: int, dims) -> bool:
    return ndim >= 2 and tuple(dims) == (ndim - 2, ndim - 1)


def _analysis_sizes(h: int, w: int, wavelet: Wavelet, mode: str, level: int) -> list[tuple[int, int]]:
    sizes = []
    for _ in range(level):
        h, w = coeff_len(h, wavelet.dec_len, mode), coeff_len(w, wavelet.dec_len, mode)
        sizes.append((h, w))
    return sizes


def _unpack(packed: torch.Tensor, sizes) -> list:
    """Packed coefficients -> ``[approx, details_coarsest, ..., details_finest]`` (views)."""
    details, pos = [], 0
    for kr, kc in sizes:
        bands = {}
        for key in BANDS_2D:
            bands[key] = packed[..., pos:pos + kr * kc].unflatten(-1, (kr, kc))
            pos += kr * kc
        details.append(bands)
    kr, kc = sizes[-1]
    return [packed[..., pos:pos + kr * kc].unflatten(-1, (kr, kc))] + details[::-1]


def _wavedec2(x: torch.Tensor, wavelet: Wavelet, mode: str, level: int) -> list:
    h, w = x.shape[-2:]
    packed = _ops.wavelet2d_levels(x, filters_of(wavelet), mode, [h, w, level], "analysis")
    return _unpack(packed, _analysis_sizes(h, w, wavelet, mode, level))


def _waverec2(approx: torch.Tensor, details: list, wavelet: Wavelet, mode: str, dtype) -> torch.Tensor:
    """``details`` finest first, every band present."""
    sizes = [tuple(d["da"].shape[-2:]) for d in details]
    kr, kc = sizes[-1]
    if approx.shape[-2] < kr or approx.shape[-1] < kc:
        raise ValueError(f"the approximation of shape {tuple(approx.shape)} is smaller than the coarsest "
                         f"details {(kr, kc)}")
    parts = [d[key].to(dtype).flatten(-2) for d in details for key in BANDS_2D]
    parts.append(approx[..., :kr, :kc].to(dtype).flatten(-2))
    lengths = [n for s in sizes for n in s]
    return _ops.wavelet2d_levels(torch.cat(parts, dim=-1), filters_of(wavelet), mode, lengths, "synthesis")


def _analysis_nd(x: torch.Tensor, wavelet: Wavelet, mode: str, dims) -> dict:
    sizes = [x.shape[d] for d in dims]
    y = _ops.wavelet_axes(x, filters_of(wavelet), mode, list(dims), sizes, "analysis")
    out = {}
    for key in _keys(len(dims)):
        band = y
        for ch, d, n in zip(key, dims, sizes):
            half = coeff_len(n, wavelet.dec_len, mode)
            band = band.narrow(d, 0 if ch == "a" else half, half)
        out[key] = band
    return out


def _synthesis_nd(coeffs: dict, wavelet: Wavelet, mode: str, dims, dtype) -> torch.Tensor:
    ref = next(v for v in coeffs.values() if v is not None)
    nd = len(dims)

    def assemble(prefix: str) -> torch.Tensor:
        if len(prefix) == nd:
            v = coeffs.get(prefix)
            return torch.zeros(ref.shape, dtype=dtype, device=ref.device) if v is None else v.to(dtype)
        return torch.cat([assemble(prefix + "a"), assemble(prefix + "d")], dim=dims[len(prefix)])

    lengths = [ref.shape[d] for d in dims]
    return _ops.wavelet_axes(assemble(""), filters_of(wavelet), mode, list(dims), lengths, "synthesis")


def _band_dtype(coeffs: dict) -> torch.dtype:
    return next(v for v in coeffs.values() if v is not None).dtype


# ------------------------------------------------------------------------------------------------
# backend entry points (signatures of the backend contract)


def dwtn(x: torch.Tensor, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """Single-level N-d DWT over ``dims``: ``{'aa..': approx, ..., 'dd..': ...}`` in ``x``'s dtype."""
    if _is_last_two(x.ndim, dims):
        approx, details = _wavedec2(x, wavelet, mode, 1)
        return {"aa": approx, **details}
    return _analysis_nd(x, wavelet, mode, dims)


def idwtn(coeffs: dict, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`dwtn`; a missing or ``None`` band counts as zeros."""
    dtype = _band_dtype(coeffs)
    ref = next(v for v in coeffs.values() if v is not None)
    if _is_last_two(ref.ndim, dims):
        full = {k: coeffs.get(k) if coeffs.get(k) is not None else
                torch.zeros(ref.shape, dtype=dtype, device=ref.device) for k in ("aa",) + BANDS_2D}
        return _waverec2(full["aa"], [{k: full[k] for k in BANDS_2D}], wavelet, mode, dtype)
    return _synthesis_nd(coeffs, wavelet, mode, dims, dtype)


def wavedecn(x: torch.Tensor, wavelet: Wavelet, mode: str, level: int, dims: tuple[int, ...]) -> list:
    """``[approx_level, details_level, ..., details_1]`` as ``pywt.wavedecn`` (details without the
    all-``'a'`` key)."""
    if level == 0:
        return [x]
    if _is_last_two(x.ndim, dims):
        return _wavedec2(x, wavelet, mode, level)
    approx_key = "a" * len(dims)
    a, details = x, []
    for _ in range(level):
        bands = _analysis_nd(a, wavelet, mode, dims)
        a = bands.pop(approx_key)
        details.append(bands)
    return [a] + details[::-1]


def waverecn(coeffs: list, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`wavedecn`; each reconstruction is trimmed to the next level's details."""
    nd = len(dims)
    approx_key = "a" * nd
    a = coeffs[0]
    if len(coeffs) == 1:
        return a.clone()
    dtype = a.dtype if a is not None else _band_dtype(coeffs[1])
    details = coeffs[1:]
    complete = a is not None and all(len(d) == 3 and all(d.get(k) is not None for k in BANDS_2D) for d in details)
    if nd == 2 and complete and _is_last_two(a.ndim, dims):
        return _waverec2(a, details[::-1], wavelet, mode, dtype)
    for d in details:
        present = [v for v in d.values() if v is not None]
        if a is not None and present:
            a = a[tuple(slice(None, s) for s in present[0].shape)]
        bands = dict(d)
        bands[approx_key] = a
        a = _synthesis_nd(bands, wavelet, mode, dims, dtype)
    return a
