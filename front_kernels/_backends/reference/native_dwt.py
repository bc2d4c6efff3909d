r"""CPU fast path of one DWT level over the two trailing dims (or the last one alone):
``front_kernels._cpu``'s ``dwt2_analysis`` / ``dwt2_synthesis`` (``csrc/cpu/dwt2_cpu.cpp``).

The numbers are those of :mod:`.dwt` (pywt's conventions; its module doc has the formulas),
computed directly instead of as blocked GEMMs: each level reads its input once and writes
each band once, and a sample outside a filter's support never reaches an output. The
boundary extension is handed over as an index map with signs, so the modes whose extension
is a signed copy of a sample (``zero``, ``constant``, ``symmetric``, ``reflect``,
``periodic``, ``periodization``, ``antisymmetric``) run here; ``smooth`` and
``antireflect`` (linear combinations of samples) keep the GEMM path. Synthesis does not
depend on the mode except for ``periodization``, so it runs here for every mode.

Outputs of 8 MiB and more come from recycled, already resident memory (:mod:`.output_pool`):
a fresh buffer's first-touch page zeroing costs as much as the level that fills it.

The op is used outside autograd and ``torch.compile`` only (:func:`usable`); gradients take
the GEMM path, which autograd differentiates.
"""
from __future__ import annotations

import math

import torch

from ...wavelets import Wavelet
from . import native, output_pool

_maps: dict = {}


def clear_cache() -> None:
    """Forget the boundary maps built so far."""
    _maps.clear()


def usable(x: torch.Tensor) -> bool:
    """True when the compiled level applies to ``x`` (float32/float64 on the CPU, no autograd)."""
    return (native.usable(x) and hasattr(native._cpu, "dwt2_analysis")
            and not (torch.is_grad_enabled() and x.requires_grad) and not torch.compiler.is_compiling())


def _analysis_map(n: int, f: int, mode: str, outside):
    """``(n_out, left, src, sign)`` of one axis, or None when ``mode`` is not a signed copy."""
    key = ("ana", n, f, mode)
    if key not in _maps:
        if mode == "periodization":
            n_out, left = (n + 1) // 2, f // 2 - 1
        else:
            n_out, left = (n + f - 1) // 2, f - 2
        src, sign, memo = [], [], {}
        for j in range(2 * n_out + f - 2):
            p = j - left
            value = {p: 1.0} if 0 <= p < n else outside(p, n, mode, memo)
            if len(value) > 1 or any(abs(s) != 1.0 for s in value.values()):
                _maps[key] = None
                break
            (i, s), = value.items() if value else ((0, 0.0),)
            src.append(i)
            sign.append(s)
        else:
            _maps[key] = (n_out, left, src, sign)
    return _maps[key]


def _synthesis_map(l: int, k: int, periodization: bool):
    """``(pairs, shift, keep, src)`` of one axis: ``l`` coefficients extended to ``pairs + k - 1``
    (periodically for ``periodization``), outputs ``[shift, shift + keep)`` of ``2 * pairs``."""
    key = ("syn", l, k, periodization)
    if key not in _maps:
        if periodization:
            pairs = l + (k + 1) // 2
            src = [(j - (k - 1)) % l for j in range(pairs + k - 1)]
            _maps[key] = (pairs, k - 1, 2 * l, src)
        else:
            pairs = l - k + 1
            _maps[key] = (pairs, 0, 2 * pairs, list(range(l)))
    return _maps[key]


def analysis_supported(h: int, w: int, wavelet: Wavelet, mode: str, outside) -> bool:
    f = wavelet.dec_len
    return _analysis_map(h, f, mode, outside) is not None and _analysis_map(w, f, mode, outside) is not None


def dwt2(x: torch.Tensor, wavelet: Wavelet, mode: str, outside) -> torch.Tensor:
    """One analysis level of ``x`` (``(*lead, H, W)``) as ``(2_W, 2_H, *lead, n_H, n_W)``."""
    *lead, h, w = x.shape
    f = wavelet.dec_len
    nh, left_h, src_h, sign_h = _analysis_map(h, f, mode, outside)
    nw, left_w, src_w, sign_w = _analysis_map(w, f, mode, outside)
    x = x.contiguous()
    b = x.numel() // (h * w)
    out = output_pool.empty((2, 2, *lead, nh, nw), dtype=x.dtype)
    native._cpu.dwt2_analysis(x.data_ptr(), out.data_ptr(), b, h, w, list(wavelet.dec_lo), list(wavelet.dec_hi),
                              nh, left_h, src_h, sign_h, nw, left_w, src_w, sign_w, x.dtype == torch.float64, 0)
    return out


def wavedec2(x: torch.Tensor, wavelet: Wavelet, mode: str, level: int, outside) -> list | None:
    """``level`` analysis levels over the two trailing dims as ``[a, {'ad', 'da', 'dd'}_level, ...,
    {...}_1]`` (the bands of a level are views of one stacked tensor), or None when some level's
    lengths are not a signed copy of the input (``mode`` such as ``smooth``)."""
    f = wavelet.dec_len
    h, w = x.shape[-2:]
    for _ in range(level):
        mh, mw = _analysis_map(h, f, mode, outside), _analysis_map(w, f, mode, outside)
        if mh is None or mw is None:
            return None
        h, w = mh[0], mw[0]
    a, details = x, []
    for _ in range(level):
        a, da, ad, dd = dwt2(a, wavelet, mode, outside).flatten(0, 1).unbind(0)
        details.append({"ad": ad, "da": da, "dd": dd})
    return [a] + details[::-1]


def waverec2(a: torch.Tensor | None, details: list, wavelet: Wavelet, mode: str) -> torch.Tensor | None:
    """The synthesis levels over the two trailing dims from ``a`` and the ``details`` dicts (coarsest
    first; validated shapes, one dtype; a missing or ``None`` band is zeros, ``{}`` a zero level), each
    level's approximation cropped to its details as pywt does; None when a level is too short for
    the filter (outside ``periodization``)."""
    k = wavelet.rec_len // 2
    for i, d in enumerate(details):
        ref = next((v for v in d.values() if v is not None), None)
        if ref is None:  # a zero level: the approximation alone
            d, ref = {}, a
        elif a is not None:
            a = a[..., : ref.shape[-2], : ref.shape[-1]]
        if ref is None or (mode != "periodization" and min(ref.shape[-2:]) < k):
            return None
        # the levels before the last write into two alternating reusable buffers (no fresh pages)
        a = idwt2({"aa": a, **d}, wavelet, mode, scratch=f"synthesis{i % 2}" if i < len(details) - 1 else None)
    return a


def dwt_last(x: torch.Tensor, wavelet: Wavelet, mode: str, outside) -> torch.Tensor | None:
    """One 1-D analysis level along the last dim as ``(2, *lead, n)``, or None when ``mode``
    is not a signed copy."""
    *lead, w = x.shape
    f = wavelet.dec_len
    axis = _analysis_map(w, f, mode, outside)
    if axis is None:
        return None
    nw, left_w, src_w, sign_w = axis
    x = x.contiguous()
    rows = x.numel() // w
    out = output_pool.empty((2, *lead, nw), dtype=x.dtype)
    native._cpu.dwt2_analysis(x.data_ptr(), out.data_ptr(), 1, rows, w, list(wavelet.dec_lo), list(wavelet.dec_hi),
                              rows, 0, [], [], nw, left_w, src_w, sign_w, x.dtype == torch.float64, 1)
    return out


def dwt_axis(x: torch.Tensor, dim: int, wavelet: Wavelet, mode: str, outside) -> torch.Tensor | None:
    """One 1-D analysis level along ``dim`` (not the last) as ``(2, *shape with dim resized)``,
    or None when ``mode`` is not a signed copy."""
    shape = x.shape
    n = shape[dim]
    f = wavelet.dec_len
    axis = _analysis_map(n, f, mode, outside)
    if axis is None:
        return None
    n_out, left, src, sign = axis
    x = x.contiguous()
    pre, post = math.prod(shape[:dim]), math.prod(shape[dim + 1:])
    out = output_pool.empty((2, *shape[:dim], n_out, *shape[dim + 1:]), dtype=x.dtype)
    native._cpu.dwt2_analysis(x.data_ptr(), out.data_ptr(), pre, n, post, list(wavelet.dec_lo),
                              list(wavelet.dec_hi), n_out, left, src, sign, post, 0, [], [],
                              x.dtype == torch.float64, 2)
    return out


def idwt_axis(c: torch.Tensor, dim: int, wavelet: Wavelet, mode: str) -> torch.Tensor | None:
    """One 1-D synthesis level along ``dim`` (not the last; counted without ``c``'s leading band
    dim) from ``c`` (``(2, ...)``), or None when that dim is too short for the filter."""
    shape = c.shape[1:]
    l1 = shape[dim]
    k = wavelet.rec_len // 2
    per = mode == "periodization"
    if not per and l1 < k:
        return None
    ph, sh, kh, src_h = _synthesis_map(l1, k, per)
    c = c.contiguous()
    pre, post = math.prod(shape[:dim]), math.prod(shape[dim + 1:])
    out = output_pool.empty((*shape[:dim], kh, *shape[dim + 1:]), dtype=c.dtype)
    native._cpu.dwt2_synthesis([c[0].data_ptr(), c[1].data_ptr(), 0, 0], out.data_ptr(), pre, l1, post,
                               list(wavelet.rec_lo), list(wavelet.rec_hi), ph, sh, kh, src_h, post, 0, post, [],
                               c.dtype == torch.float64, 2)
    return out


def synthesis_supported(l1: int, l2: int, wavelet: Wavelet, mode: str) -> bool:
    k = wavelet.rec_len // 2
    return mode == "periodization" or min(l1, l2) >= k


def idwt2(bands: dict, wavelet: Wavelet, mode: str, scratch: str | None = None) -> torch.Tensor:
    """One synthesis level from ``{'aa', 'ad', 'da', 'dd'}`` (key character 0 along H; a
    missing or ``None`` band is zeros), all of shape ``(*lead, L1, L2)`` and one dtype; into this
    thread's reusable buffer named ``scratch`` when given (valid until that buffer's next use)."""
    ref = next(v for v in bands.values() if v is not None)
    *lead, l1, l2 = ref.shape
    k = wavelet.rec_len // 2
    per = mode == "periodization"
    ph, sh, kh, src_h = _synthesis_map(l1, k, per)
    pw, sw, kw, src_w = _synthesis_map(l2, k, per)
    b = ref.numel() // (l1 * l2)
    kept = [None if bands.get(key) is None else bands[key].contiguous() for key in ("aa", "ad", "da", "dd")]
    shape = (*lead, kh, kw)
    out = output_pool.empty(shape, dtype=ref.dtype) if scratch is None else native._scratch(scratch, shape, ref.dtype)
    native._cpu.dwt2_synthesis([0 if v is None else v.data_ptr() for v in kept], out.data_ptr(), b, l1, l2,
                               list(wavelet.rec_lo), list(wavelet.rec_hi), ph, sh, kh, src_h, pw, sw, kw, src_w,
                               ref.dtype == torch.float64, 0)
    return out


def idwt_last(c: torch.Tensor, wavelet: Wavelet, mode: str) -> torch.Tensor | None:
    """One 1-D synthesis level along the last dim from ``c`` (``(2, *lead, L)``: approximation,
    detail), or None when ``L`` is too short for the filter (outside ``periodization``)."""
    *lead, l2 = c.shape[1:]
    k = wavelet.rec_len // 2
    per = mode == "periodization"
    if not per and l2 < k:
        return None
    pw, sw, kw, src_w = _synthesis_map(l2, k, per)
    c = c.contiguous()
    rows = c[0].numel() // l2
    out = output_pool.empty((*lead, kw), dtype=c.dtype)
    native._cpu.dwt2_synthesis([c[0].data_ptr(), c[1].data_ptr(), 0, 0], out.data_ptr(), 1, rows, l2,
                               list(wavelet.rec_lo), list(wavelet.rec_hi), rows, 0, rows, [], pw, sw, kw, src_w,
                               c.dtype == torch.float64, 1)
    return out
