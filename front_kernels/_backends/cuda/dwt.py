r"""Wavelet transforms (PyWavelets' conventions, as the reference backend) on the CUDA kernels.

Two paths, same numbers:

* fused 2-D (``dims`` are the last two dims, in order, and one slice fits in
  shared memory): every level of :func:`wavedecn` / :func:`waverecn` (or the one
  level of :func:`dwtn` / :func:`idwtn`) in a single launch, one thread block
  per slice, the running approximation kept in shared memory
  (``csrc/dwt2_fused.cu``). Coefficients travel packed per slice: level ``l``
  (finest first) as ``'da', 'ad', 'dd'`` bands of ``kr x kc``, then the
  coarsest approximation; the bands returned are views into that buffer.
* any dims: one launch per dim and level of the banded-map kernel
  (``csrc/sparse_axis.cu``), the two bands of a pass side by side along the dim.

Both read the banded tables of :mod:`._tables`, built from the wavelet's taps
and the boundary mode; their backward runs the transposed tables (the adjoint).
"""
from __future__ import annotations

import functools
import itertools

import torch

from ...wavelets import Wavelet, dwt_coeff_len
from . import _tables as tables
from ._ext import extension
from ._ops import dwt2_fused, sparse_maps

_BANDS_2D = ("da", "ad", "dd")  # packed order of one level's detail bands


@functools.lru_cache(maxsize=16)
def _max_shared_bytes(device_index: int) -> int:
    return extension().max_shared_bytes(device_index)


def _keys(nd: int) -> list[str]:
    return ["".join(p) for p in itertools.product("ad", repeat=nd)]


# ------------------------------------------------------------------------------------------------
# fused 2-D plans


def _plan_tensors(levels, device, key):
    """``levels``: per level ``(in_h, in_w, kr, kc, table_r, table_c, band_off)``; returns the flat
    device tables and the plan list of ``_ops.dwt2_fused``."""
    flat = []
    for lv in levels:
        flat += [lv[4], lv[5]]
    idx, w, offsets = tables.on_device(flat, device, key, flat=True)
    rows = []
    for l, (in_h, in_w, kr, kc, tr, tc, band_off) in enumerate(levels):
        rows += [in_h, in_w, kr, kc, tr[0].shape[1], tc[0].shape[1], offsets[2 * l], offsets[2 * l + 1], band_off]
    return idx, w, rows


def _packed_layout(sizes):
    offs, pos = [], 0
    for kr, kc in sizes:
        offs.append(pos)
        pos += 3 * kr * kc
    kr, kc = sizes[-1]
    return offs, pos, pos + kr * kc


@functools.lru_cache(maxsize=128)
def _analysis_plan(h: int, w: int, wavelet: Wavelet, mode: str, levels: int, device: torch.device):
    """Fused analysis of an ``(h, w)`` slice and its adjoint; band sizes per level, finest first."""
    sizes, ins = [], []
    for _ in range(levels):
        kr, kc = dwt_coeff_len(h, wavelet, mode), dwt_coeff_len(w, wavelet, mode)
        ins.append((h, w))
        sizes.append((kr, kc))
        h, w = kr, kc
    offs, approx_off, packed_len = _packed_layout(sizes)
    fwd, adj = [], []
    for (ih, iw), (kr, kc), off in zip(ins, sizes, offs):
        fwd.append((ih, iw, kr, kc, tables.analysis_table(ih, wavelet, mode),
                    tables.analysis_table(iw, wavelet, mode), off))
        adj.append((ih, iw, kr, kc, tables.analysis_table_t(ih, wavelet, mode),
                    tables.analysis_table_t(iw, wavelet, mode), off))
    buf0 = max(max(ih * iw, kr * kc) for (ih, iw), (kr, kc) in zip(ins, sizes))
    buf1 = max(ih * 2 * kc for (ih, _), (_, kc) in zip(ins, sizes))
    key = ("ana", ins[0], wavelet, mode, levels)
    head = [levels, buf0, buf1, approx_off, packed_len, ins[0][0], ins[0][1]]
    idx, wts, rows = _plan_tensors(fwd, device, key + ("fwd",))
    aidx, awts, arows = _plan_tensors(adj, device, key + ("adj",))
    return (idx, wts, head + rows, aidx, awts, head + arows), sizes, 4 * (buf0 + buf1)


@functools.lru_cache(maxsize=128)
def _synthesis_plan(sizes: tuple, wavelet: Wavelet, mode: str, device: torch.device):
    """Fused synthesis from band sizes ``sizes`` (finest first) and its adjoint; output size."""
    outs = []
    for l, (kr, kc) in enumerate(sizes):
        if l == 0:
            outs.append((tables.synthesis_len(kr, wavelet, mode), tables.synthesis_len(kc, wavelet, mode)))
        else:
            outs.append(sizes[l - 1])
    for l, ((kr, kc), (oh, ow)) in enumerate(zip(sizes, outs)):
        full = (tables.synthesis_len(kr, wavelet, mode), tables.synthesis_len(kc, wavelet, mode))
        if oh > full[0] or ow > full[1] or oh < 1 or ow < 1:
            raise ValueError(f"level {len(sizes) - l} bands of shape {(kr, kc)} reconstruct {full}, which cannot "
                             f"match the next level's bands of shape {(oh, ow)}")
    offs, approx_off, packed_len = _packed_layout(list(sizes))
    fwd, adj = [], []
    for (kr, kc), (oh, ow), off in zip(sizes, outs, offs):
        fwd.append((oh, ow, kr, kc, tables.synthesis_table(kr, wavelet, mode, oh),
                    tables.synthesis_table(kc, wavelet, mode, ow), off))
        adj.append((oh, ow, kr, kc, tables.synthesis_table_t(kr, wavelet, mode, oh),
                    tables.synthesis_table_t(kc, wavelet, mode, ow), off))
    buf0 = max(max(oh * ow, kr * kc) for (kr, kc), (oh, ow) in zip(sizes, outs))
    buf1 = max(oh * 2 * kc for (kr, kc), (oh, ow) in zip(sizes, outs))
    key = ("syn", sizes, wavelet, mode)
    head = [len(sizes), buf0, buf1, approx_off, packed_len, outs[0][0], outs[0][1]]
    idx, wts, rows = _plan_tensors(fwd, device, key + ("fwd",))
    aidx, awts, arows = _plan_tensors(adj, device, key + ("adj",))
    return (idx, wts, head + rows, aidx, awts, head + arows), 4 * (buf0 + buf1)


def _is_last_two(ndim: int, dims) -> bool:
    return ndim >= 2 and tuple(dims) == (ndim - 2, ndim - 1)


def _fits(nbytes: int, device: torch.device) -> bool:
    return nbytes <= _max_shared_bytes(device.index)


def _unpack(packed: torch.Tensor, sizes, offsets_approx) -> list:
    """Packed coefficients -> ``[approx, details_coarsest, ..., details_finest]``."""
    offs, approx_off = offsets_approx
    lead = packed.shape[:-1]
    details = []
    for (kr, kc), off in zip(sizes, offs):
        bands = {}
        for b, key in enumerate(_BANDS_2D):
            start = off + b * kr * kc
            bands[key] = packed[..., start:start + kr * kc].unflatten(-1, (kr, kc))
        details.append(bands)
    kr, kc = sizes[-1]
    approx = packed[..., approx_off:approx_off + kr * kc].unflatten(-1, (kr, kc))
    assert approx.shape[:-2] == lead
    return [approx] + details[::-1]


def _fused_wavedec2(x: torch.Tensor, wavelet: Wavelet, mode: str, level: int):
    """``None`` when the slice does not fit in shared memory."""
    h, w = x.shape[-2:]
    args, sizes, nbytes = _analysis_plan(h, w, wavelet, mode, level, x.device)
    if not _fits(nbytes, x.device):
        return None
    packed = dwt2_fused(x, *args, False)
    offs, approx_off, _ = _packed_layout(sizes)
    return _unpack(packed, sizes, (offs, approx_off))


def _fused_waverec2(approx, details: list, wavelet: Wavelet, mode: str, dtype):
    """``details`` finest first, every band present; ``None`` when it does not fit."""
    sizes = tuple(tuple(d["da"].shape[-2:]) for d in details)
    ref = details[0]["da"]
    args, nbytes = _synthesis_plan(sizes, wavelet, mode, ref.device)
    if not _fits(nbytes, ref.device):
        return None
    kr, kc = sizes[-1]
    parts = [d[key].to(dtype).reshape(*d[key].shape[:-2], -1) for d in details for key in _BANDS_2D]
    parts.append(approx[..., :kr, :kc].to(dtype).reshape(*approx.shape[:-2], -1))
    return dwt2_fused(torch.cat(parts, dim=-1), *args, True)


# ------------------------------------------------------------------------------------------------
# per-dim path


def _device_tables(tabs, device, key):
    pairs = tables.on_device(tabs, device, key)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _analysis_nd(x: torch.Tensor, wavelet: Wavelet, mode: str, dims) -> dict:
    sizes = [x.shape[d] for d in dims]
    idx, w = _device_tables([tables.analysis_table(n, wavelet, mode) for n in sizes], x.device,
                            ("ana1", tuple(sizes), wavelet, mode))
    aidx, aw = _device_tables([tables.analysis_table_t(n, wavelet, mode) for n in sizes], x.device,
                              ("ana1t", tuple(sizes), wavelet, mode))
    y = sparse_maps(x, idx, w, list(dims), sizes, aidx, aw)
    out = {}
    for key in _keys(len(dims)):
        band = y
        for ch, d, n in zip(key, dims, sizes):
            half = dwt_coeff_len(n, wavelet, mode)
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

    full = assemble("")
    sizes = [ref.shape[d] for d in dims]
    outs = [tables.synthesis_len(n, wavelet, mode) for n in sizes]
    key = (tuple(sizes), wavelet, mode)
    idx, w = _device_tables([tables.synthesis_table(n, wavelet, mode, o) for n, o in zip(sizes, outs)],
                            ref.device, ("syn1",) + key)
    aidx, aw = _device_tables([tables.synthesis_table_t(n, wavelet, mode, o) for n, o in zip(sizes, outs)],
                              ref.device, ("syn1t",) + key)
    return sparse_maps(full, idx, w, list(dims), [2 * n for n in sizes], aidx, aw)


# ------------------------------------------------------------------------------------------------
# backend entry points (signatures of the backend contract)


def _band_dtype(coeffs: dict) -> torch.dtype:
    return next(v for v in coeffs.values() if v is not None).dtype


def dwtn(x: torch.Tensor, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """Single-level N-d DWT over ``dims``: ``{'aa..': approx, ..., 'dd..': ...}`` in ``x``'s dtype."""
    if _is_last_two(x.ndim, dims):
        out = _fused_wavedec2(x, wavelet, mode, 1)
        if out is not None:
            return {"aa": out[0], **out[1]}
    return _analysis_nd(x, wavelet, mode, dims)


def idwtn(coeffs: dict, wavelet: Wavelet, mode: str, dims: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`dwtn`; a missing or ``None`` band counts as zeros."""
    dtype = _band_dtype(coeffs)
    ref = next(v for v in coeffs.values() if v is not None)
    if _is_last_two(ref.ndim, dims):
        full = {k: (coeffs.get(k) if coeffs.get(k) is not None else torch.zeros(ref.shape, dtype=dtype,
                                                                              device=ref.device))
                for k in ("aa",) + _BANDS_2D}
        y = _fused_waverec2(full["aa"], [{k: full[k] for k in _BANDS_2D}], wavelet, mode, dtype)
        if y is not None:
            return y
    return _synthesis_nd(coeffs, wavelet, mode, dims, dtype)


def wavedecn(x: torch.Tensor, wavelet: Wavelet, mode: str, level: int, dims: tuple[int, ...]) -> list:
    """``[approx_level, details_level, ..., details_1]`` as ``pywt.wavedecn`` (details without the
    all-``'a'`` key)."""
    if level == 0:
        return [x]
    if _is_last_two(x.ndim, dims):
        out = _fused_wavedec2(x, wavelet, mode, level)
        if out is not None:
            return out
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
    complete = a is not None and all(all(d.get(k) is not None for k in _BANDS_2D) and len(d) == 3
                                     for d in details)
    if nd == 2 and complete and _is_last_two(a.ndim, dims):
        y = _fused_waverec2(a, details[::-1], wavelet, mode, dtype)
        if y is not None:
            return y
    for d in details:
        present = [v for v in d.values() if v is not None]
        if a is not None and present:
            a = a[tuple(slice(None, s) for s in present[0].shape)]
        bands = dict(d)
        bands[approx_key] = a
        a = _synthesis_nd(bands, wavelet, mode, dims, dtype)
    return a
