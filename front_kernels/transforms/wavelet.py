r"""Discrete wavelet transforms with PyWavelets' arguments, coefficient layout and numbers.

One level along one axis of length :math:`N`, filter length :math:`F`:

.. math:: cA[o] = \sum_{j=0}^{F-1} \mathrm{dec\_lo}[j]\; \bar x[2o + 1 - j], \qquad
          cD[o] = \sum_{j=0}^{F-1} \mathrm{dec\_hi}[j]\; \bar x[2o + 1 - j],

where :math:`\bar x` is :math:`x` extended beyond its ends by the boundary
``mode`` (see :mod:`front_kernels.wavelets`), giving
:func:`dwt_coeff_len` ``= floor((N + F - 1) / 2)`` coefficients per band
(``ceil(N / 2)`` for ``'periodization'``). :func:`idwt` is the synthesis
(upsample, convolve with ``rec_lo`` / ``rec_hi``, keep the ``2L - F + 2`` valid
samples, ``2L`` for ``'periodization'``), which inverts :func:`dwt` exactly.

Multi-dim transforms apply the 1-D one along each axis in turn; band keys name
the filter per axis in order (``'ad'``: low-pass along ``axes[0]``, high-pass
along ``axes[1]``). Multilevel decompositions recurse on the approximation:
``wavedec`` returns ``[cA_n, cD_n, ..., cD_1]``, ``wavedec2`` returns
``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]`` with
``(cH, cV, cD) = ('da', 'ad', 'dd')``, ``wavedecn`` returns
``[cA_n, {'ad': ..., 'da': ..., 'dd': ...}, ...]``.

Every function takes tensors with any leading dims and strides, float16 /
bfloat16 / float32 (computed in float32, returned in the input dtype) or
float64, is differentiable, and accepts ``dim=`` as an alias of ``axis`` /
``axes``. ``level=None`` means :func:`dwt_max_level` (the smallest over the
axes); a larger level is an error.
"""
from __future__ import annotations

import itertools
import numbers

import torch

from .. import _dispatch
from .._checks import check_float_tensor, check_positive_int, normalize_dim, normalize_dims
from ..wavelets import Wavelet, check_mode, dwt_coeff_len, dwt_max_level, get_wavelet

__all__ = [
    "dwt", "idwt", "dwt2", "idwt2", "dwtn", "idwtn",
    "wavedec", "waverec", "wavedec2", "waverec2", "wavedecn", "waverecn",
    "dwt_max_level", "dwt_coeff_len",
]

_2D_KEYS = ("da", "ad", "dd")


# ----------------------------------------------------------------------------------------------
# argument checks


def _pick(axis, dim, default, name: str):
    if axis is not None and dim is not None:
        raise TypeError(f"give either {name} or its alias dim, not both (got {name}={axis!r}, dim={dim!r})")
    out = axis if axis is not None else dim
    return default if out is None else out


def _axis(x: torch.Tensor, axis, dim) -> int:
    return normalize_dim(_pick(axis, dim, -1, "axis"), x.ndim, "axis")


def _axes(x: torch.Tensor, axes, dim, default) -> tuple[int, ...]:
    chosen = _pick(axes, dim, default, "axes")
    if chosen is None:
        chosen = tuple(range(x.ndim))
    return normalize_dims(chosen, x.ndim, "axes")


def _setup(wavelet, mode) -> tuple[Wavelet, str]:
    return get_wavelet(wavelet), check_mode(mode)


def _check_lengths(x: torch.Tensor, axes, mode: str, name: str) -> None:
    if mode in ("reflect", "antireflect"):
        for a in axes:
            if x.shape[a] < 2:
                raise ValueError(
                    f"mode={mode!r} needs at least 2 samples along each transformed axis; "
                    f"{name} has {x.shape[a]} along axis {a}"
                )


def _level(level, x: torch.Tensor, axes, w: Wavelet) -> int:
    max_level = min(dwt_max_level(x.shape[a], w.dec_len) for a in axes)
    if level is None:
        return max_level
    if isinstance(level, numbers.Integral) and not isinstance(level, bool):
        level = int(level)  # numpy integers, as pywt accepts them
    check_positive_int(level, "level", minimum=0)
    if level > max_level:
        sizes = tuple(x.shape[a] for a in axes)
        raise ValueError(
            f"level={level} is too deep for axes of length {sizes} with the {w.dec_len}-tap wavelet "
            f"{w.name!r}: the maximum is {max_level} (dwt_max_level)"
        )
    return level


def _check_coeff(c, name: str) -> torch.Tensor:
    return check_float_tensor(c, name)


def _common_dtype(tensors) -> torch.dtype:
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return dtype


def _check_rec_len(length: int, w: Wavelet, mode: str, name: str, axis: int) -> None:
    if mode != "periodization" and 2 * length - w.rec_len + 2 < 1:
        raise ValueError(
            f"{name} has {length} coefficients along axis {axis}, too few for the {w.rec_len}-tap "
            f"wavelet {w.name!r} (need at least {w.rec_len // 2}); were they made with this wavelet and mode?"
        )


def _rec_len(length: int, w: Wavelet, mode: str) -> int:
    return 2 * length if mode == "periodization" else 2 * length - w.rec_len + 2


def _check_bands(bands: dict, what: str) -> tuple[torch.Tensor, ...]:
    """All non-None bands: float tensors of one shape and device."""
    present = [(k, v) for k, v in bands.items() if v is not None]
    if not present:
        raise ValueError(f"{what}: at least one coefficient array must not be None")
    ref_key, ref = present[0]
    for k, v in present:
        _check_coeff(v, f"{what}[{k!r}]")
        if v.shape != ref.shape:
            raise ValueError(
                f"{what}: coefficient shapes must match, got {tuple(ref.shape)} for {ref_key!r} "
                f"and {tuple(v.shape)} for {k!r}"
            )
        if v.device != ref.device:
            raise ValueError(f"{what}: coefficients must be on one device, got {ref.device} and {v.device}")
    return tuple(v for _, v in present)


def _as_common(bands: dict) -> dict:
    present = [v for v in bands.values() if v is not None]
    dtype = _common_dtype(present)
    return {k: (None if v is None else v.to(dtype)) for k, v in bands.items()}


def _run(op: str, x: torch.Tensor, backend):
    return getattr(_dispatch.select(op, x, backend), op)


# ----------------------------------------------------------------------------------------------
# single level


def dwtn(data: torch.Tensor, wavelet, mode: str = "symmetric", axes=None, *, dim=None,
         backend: str | None = None) -> dict[str, torch.Tensor]:
    """Single-level N-D DWT over ``axes`` (all dims when ``None``), as ``pywt.dwtn``.

    Returns ``{key: band}`` for the ``2**len(axes)`` keys over ``'a'``/``'d'``;
    each band has ``data``'s shape with every axis in ``axes`` resized to
    :func:`dwt_coeff_len`.
    """
    check_float_tensor(data, "data")
    w, mode = _setup(wavelet, mode)
    dims = _axes(data, axes, dim, None)
    _check_lengths(data, dims, mode, "data")
    return _run("dwtn", data, backend)(data, w, mode, dims)


def idwtn(coeffs: dict, wavelet, mode: str = "symmetric", axes=None, *, dim=None,
          backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dwtn`, as ``pywt.idwtn``: missing or ``None`` bands count as zeros.

    ``axes=None`` means the first ``len(key)`` dims. Each axis of ``axes`` grows from
    ``L`` to ``2L - F + 2`` (``2L`` for ``'periodization'``).
    """
    if not isinstance(coeffs, dict) or not coeffs:
        raise TypeError(f"coeffs must be a non-empty dict of band name -> tensor, got {type(coeffs).__name__}")
    w, mode = _setup(wavelet, mode)
    lengths = {len(k) if isinstance(k, str) else -1 for k in coeffs}
    nd = max(lengths)
    valid = {"".join(p) for p in itertools.product("ad", repeat=nd)}
    for k in coeffs:
        if k not in valid:
            raise ValueError(f"coeffs has an invalid key {k!r}: keys are {nd}-letter strings of 'a' and 'd'")
    present = _check_bands(coeffs, "coeffs")
    ref = present[0]
    chosen = _pick(axes, dim, None, "axes")
    dims = tuple(range(nd)) if chosen is None else normalize_dims(chosen, ref.ndim, "axes")
    if len(dims) != nd:
        raise ValueError(f"axes={chosen!r} names {len(dims)} dims but the coefficient keys have {nd} letters")
    for d in dims:
        _check_rec_len(ref.shape[d], w, mode, "coeffs", d)
    bands = _as_common(coeffs)
    return _run("idwtn", ref, backend)(bands, w, mode, dims)


def dwt(data: torch.Tensor, wavelet, mode: str = "symmetric", axis: int | None = None, *, dim=None,
        backend: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-level 1-D DWT along ``axis`` (default -1): ``(cA, cD)``, as ``pywt.dwt``."""
    check_float_tensor(data, "data")
    d = _axis(data, axis, dim)
    out = dwtn(data, wavelet, mode, (d,), backend=backend)
    return out["a"], out["d"]


def idwt(cA, cD, wavelet, mode: str = "symmetric", axis: int | None = None, *, dim=None,
         backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dwt`, as ``pywt.idwt``; ``cA`` or ``cD`` may be ``None`` (zeros)."""
    present = _check_bands({"a": cA, "d": cD}, "idwt (cA, cD)")
    d = _axis(present[0], axis, dim)
    return idwtn({"a": cA, "d": cD}, wavelet, mode, (d,), backend=backend)


def dwt2(data: torch.Tensor, wavelet, mode: str = "symmetric", axes=None, *, dim=None,
         backend: str | None = None):
    """Single-level 2-D DWT over ``axes`` (default ``(-2, -1)``): ``(cA, (cH, cV, cD))``, as ``pywt.dwt2``."""
    check_float_tensor(data, "data")
    dims = _axes(data, axes, dim, (-2, -1))
    if len(dims) != 2:
        raise ValueError(f"axes must name exactly 2 dims, got {dims}")
    out = dwtn(data, wavelet, mode, dims, backend=backend)
    return out["aa"], tuple(out[k] for k in _2D_KEYS)


def _unpack2(coeffs, name: str):
    if not isinstance(coeffs, (tuple, list)) or len(coeffs) != 2:
        raise TypeError(f"{name} must be a pair (cA, (cH, cV, cD)), got {type(coeffs).__name__}")
    ca, details = coeffs
    if details is None:
        details = (None, None, None)
    if not isinstance(details, (tuple, list)) or len(details) != 3:
        raise TypeError(f"{name}: the details must be a triple (cH, cV, cD), got {details!r:.80}")
    return ca, details


def idwt2(coeffs, wavelet, mode: str = "symmetric", axes=None, *, dim=None,
          backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dwt2`, as ``pywt.idwt2``: ``coeffs = (cA, (cH, cV, cD))``, ``None`` = zeros."""
    ca, (ch, cv, cd) = _unpack2(coeffs, "coeffs")
    bands = {"aa": ca, "da": ch, "ad": cv, "dd": cd}
    ref = _check_bands(bands, "coeffs")[0]
    dims = _axes(ref, axes, dim, (-2, -1))
    if len(dims) != 2:
        raise ValueError(f"axes must name exactly 2 dims, got {dims}")
    return idwtn(bands, wavelet, mode, dims, backend=backend)


# ----------------------------------------------------------------------------------------------
# multilevel


def wavedecn(data: torch.Tensor, wavelet, mode: str = "symmetric", level: int | None = None, axes=None,
             *, dim=None, backend: str | None = None) -> list:
    """Multilevel N-D DWT, as ``pywt.wavedecn``: ``[cA_n, {details_n}, ..., {details_1}]``."""
    check_float_tensor(data, "data")
    w, mode = _setup(wavelet, mode)
    dims = _axes(data, axes, dim, None)
    lev = _level(level, data, dims, w)
    if lev == 0:
        return [data]
    _check_lengths(data, dims, mode, "data")
    return _run("wavedecn", data, backend)(data, w, mode, lev, dims)


def _check_levels(a, details: list, w: Wavelet, mode: str, dims, what: str) -> tuple:
    """Validate a multilevel coefficient list; return the reference tensor."""
    ref = None if a is None else _check_coeff(a, f"{what}[0]")
    expect = None if a is None else tuple(a.shape)
    for i, bands in enumerate(details, start=1):
        present = [v for v in bands.values() if v is not None]
        if not present:
            raise ValueError(f"{what}[{i}] holds no coefficients (all None)")
        _check_bands(bands, f"{what}[{i}]")
        shape = tuple(present[0].shape)
        ref = present[0] if ref is None else ref
        if len(shape) != ref.ndim:
            raise ValueError(f"{what}[{i}] has {len(shape)} dims but {what}[0] has {ref.ndim}")
        if expect is not None:
            for d in range(len(shape)):
                grow = expect[d] - shape[d]
                ok = grow in (0, 1) if d in dims else grow == 0
                if not ok:
                    raise ValueError(
                        f"{what}[{i}] has shape {shape} but the approximation it pairs with has shape "
                        f"{expect}: coefficient shapes do not match (were they made by one decomposition?)"
                    )
        for d in dims:
            _check_rec_len(shape[d], w, mode, f"{what}[{i}]", d)
        expect = tuple(_rec_len(s, w, mode) if d in dims else s for d, s in enumerate(shape))
    return ref


def waverecn(coeffs: list, wavelet, mode: str = "symmetric", axes=None, *, dim=None,
             backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedecn`, as ``pywt.waverecn``.

    Where a reconstructed approximation is one sample longer than the next
    level's details (odd lengths), its last sample is dropped, as pywt does.
    """
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise TypeError(f"coeffs must be a non-empty list [cA, {{details}}, ...], got {type(coeffs).__name__}")
    w, mode = _setup(wavelet, mode)
    a, details = coeffs[0], list(coeffs[1:])
    if not details:
        return _check_coeff(a, "coeffs[0]")
    for i, d in enumerate(details, start=1):
        if not isinstance(d, dict):
            raise TypeError(f"coeffs[{i}] must be a dict of detail bands, got {type(d).__name__}")
    nd = max(len(k) for k in details[0])
    valid = {"".join(p) for p in itertools.product("ad", repeat=nd)} - {"a" * nd}
    for i, d in enumerate(details, start=1):
        for k in d:
            if k not in valid:
                raise ValueError(f"coeffs[{i}] has an invalid key {k!r}: expected keys among {sorted(valid)}")
    ref_any = a if a is not None else next(v for v in details[0].values() if v is not None)
    if not isinstance(ref_any, torch.Tensor):
        raise TypeError(f"coefficients must be torch.Tensors, got {type(ref_any).__name__}")
    chosen = _pick(axes, dim, None, "axes")
    dims = tuple(range(nd)) if chosen is None else normalize_dims(chosen, ref_any.ndim, "axes")
    if len(dims) != nd:
        raise ValueError(f"axes={chosen!r} names {len(dims)} dims but the detail keys have {nd} letters")
    ref = _check_levels(a, [dict(d) for d in details], w, mode, dims, "coeffs")
    dtype = _common_dtype([t for t in [a] + [v for d in details for v in d.values()] if t is not None])
    cast = [None if a is None else a.to(dtype)]
    cast += [{k: (None if v is None else v.to(dtype)) for k, v in d.items()} for d in details]
    return _run("waverecn", ref, backend)(cast, w, mode, dims)


def wavedec(data: torch.Tensor, wavelet, mode: str = "symmetric", level: int | None = None,
            axis: int | None = None, *, dim=None, backend: str | None = None) -> list:
    """Multilevel 1-D DWT along ``axis``, as ``pywt.wavedec``: ``[cA_n, cD_n, ..., cD_1]``."""
    check_float_tensor(data, "data")
    d = _axis(data, axis, dim)
    out = wavedecn(data, wavelet, mode, level, (d,), backend=backend)
    return [out[0]] + [bands["d"] for bands in out[1:]]


def waverec(coeffs: list, wavelet, mode: str = "symmetric", axis: int | None = None, *, dim=None,
            backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec`, as ``pywt.waverec``."""
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise TypeError(f"coeffs must be a non-empty list [cA_n, cD_n, ..., cD_1], got {type(coeffs).__name__}")
    ref = next((c for c in coeffs if c is not None), None)
    if ref is None:
        raise ValueError("coeffs: at least one coefficient array must not be None")
    _check_coeff(ref, "coeffs")
    d = _axis(ref, axis, dim)
    return waverecn([coeffs[0]] + [{"d": c} for c in coeffs[1:]], wavelet, mode, (d,), backend=backend)


def wavedec2(data: torch.Tensor, wavelet, mode: str = "symmetric", level: int | None = None, axes=None,
             *, dim=None, backend: str | None = None) -> list:
    """Multilevel 2-D DWT over ``axes`` (default ``(-2, -1)``), as ``pywt.wavedec2``:
    ``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]``."""
    check_float_tensor(data, "data")
    dims = _axes(data, axes, dim, (-2, -1))
    if len(dims) != 2:
        raise ValueError(f"axes must name exactly 2 dims, got {dims}")
    out = wavedecn(data, wavelet, mode, level, dims, backend=backend)
    return [out[0]] + [tuple(bands[k] for k in _2D_KEYS) for bands in out[1:]]


def waverec2(coeffs: list, wavelet, mode: str = "symmetric", axes=None, *, dim=None,
             backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec2`, as ``pywt.waverec2``."""
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise TypeError(f"coeffs must be a non-empty list [cA_n, (cH, cV, cD), ...], got {type(coeffs).__name__}")
    levels = []
    for i, det in enumerate(coeffs[1:], start=1):
        if not isinstance(det, (tuple, list)) or len(det) != 3:
            raise TypeError(f"coeffs[{i}] must be a triple (cH, cV, cD), got {type(det).__name__}")
        levels.append(dict(zip(_2D_KEYS, det)))
    ref = next((c for c in [coeffs[0]] + [v for lv in levels for v in lv.values()] if c is not None), None)
    if ref is None:
        raise ValueError("coeffs: at least one coefficient array must not be None")
    _check_coeff(ref, "coeffs")
    dims = _axes(ref, axes, dim, (-2, -1))
    if len(dims) != 2:
        raise ValueError(f"axes must name exactly 2 dims, got {dims}")
    return waverecn([coeffs[0]] + levels, wavelet, mode, dims, backend=backend)
