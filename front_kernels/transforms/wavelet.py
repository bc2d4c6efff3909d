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
``axes``. PyWavelets' argument conventions hold throughout:

* ``wavelet``: any name of :func:`front_kernels.wavelist`, a :class:`Wavelet`, a
  ``pywt.Wavelet`` or any object with a ``filter_bank``; the N-d functions also
  take one per axis (a sequence as long as ``axes``), and ``mode`` likewise
  (a name, a ``pywt.Modes`` integer, or one per axis);
* ``level=None`` means :func:`dwt_max_level` (the smallest over the axes); a
  larger level warns (``UserWarning``, as pywt) and decomposes anyway;
* in ``waverec`` / ``waverec2`` / ``waverecn`` a whole detail level may be
  ``None`` / ``(None, None, None)`` / ``{}`` (zeros), and ``coeffs[0]`` may be
  ``None``;
* bad input raises the exception class pywt raises for it (a coefficient list of
  the wrong container type raises :class:`CoefficientsError`, a ``ValueError``
  as in pywt that is also a ``TypeError``).
"""
from __future__ import annotations

import itertools
import numbers
import warnings

import torch

from .. import _dispatch
from .._checks import as_dtype, check_float_tensor, normalize_dim, normalize_dims
from ..wavelets import Wavelet, check_mode, coeff_len, dwt_coeff_len, dwt_max_level, get_wavelet

__all__ = [
    "dwt", "idwt", "dwt2", "idwt2", "dwtn", "idwtn",
    "wavedec", "waverec", "wavedec2", "waverec2", "wavedecn", "waverecn",
    "dwt_max_level", "dwt_coeff_len", "CoefficientsError",
]

_2D_KEYS = ("da", "ad", "dd")


class CoefficientsError(ValueError, TypeError):
    """A coefficient list or level of the wrong container type (pywt raises ``ValueError``)."""


# ----------------------------------------------------------------------------------------------
# argument checks


def _pick(axis, dim, default, name: str):
    if axis is not None and dim is not None:
        raise TypeError(f"give either {name} or its alias dim, not both (got {name}={axis!r}, dim={dim!r})")
    out = axis if axis is not None else dim
    return default if out is None else out


def _axis(x: torch.Tensor, axis, dim) -> int:
    return normalize_dim(_pick(axis, dim, -1, "axis"), x.ndim, "axis")


def _axes(x: torch.Tensor, axes, dim, default, unique: bool = True) -> tuple[int, ...]:
    chosen = _pick(axes, dim, default, "axes")
    if chosen is None:
        chosen = tuple(range(x.ndim))
    return normalize_dims(chosen, x.ndim, "axes", unique=unique)


def _axes2(x: torch.Tensor, axes, dim, unique: bool = True) -> tuple[int, int]:
    """The two dims of a 2-D transform (pywt: a scalar ``axes`` is a ``TypeError``)."""
    chosen = _pick(axes, dim, (-2, -1), "axes")
    if isinstance(chosen, numbers.Integral):
        raise TypeError(f"axes must be a pair of dims, got {chosen!r}")
    dims = normalize_dims(chosen, x.ndim, "axes", unique=unique)
    if len(dims) != 2:
        raise ValueError(f"axes must name exactly 2 dims, got {tuple(chosen)}")
    return dims


def _is_one(obj) -> bool:
    return isinstance(obj, (str, Wavelet)) or getattr(obj, "filter_bank", None) is not None


def _per_axis(wavelet, mode, n: int) -> tuple[tuple[Wavelet, ...], tuple[str, ...]]:
    """One wavelet and one mode per transformed axis, as pywt's ``_wavelets_per_axis`` /
    ``_modes_per_axis``: a single one is used on every axis, a sequence names one per axis."""
    if _is_one(wavelet) or not isinstance(wavelet, (list, tuple)):
        ws = (get_wavelet(wavelet),) * n
    else:
        ws = tuple(get_wavelet(w) for w in wavelet)
        if len(ws) == 1:
            ws = ws * n
        elif len(ws) != n:
            raise ValueError(f"wavelet names {len(ws)} wavelets but {n} axes are transformed")
    if isinstance(mode, (list, tuple)):
        ms = tuple(check_mode(m) for m in mode)
        if len(ms) == 1:
            ms = ms * n
        elif len(ms) != n:
            raise ValueError(f"mode names {len(ms)} modes but {n} axes are transformed")
    else:
        ms = (check_mode(mode),) * n
    return ws, ms


def _uniform(ws, ms, dims=()) -> bool:
    """One wavelet and one mode on every axis, and no axis twice: one backend call does it."""
    return (all(w == ws[0] for w in ws) and all(m == ms[0] for m in ms)
            and len(set(dims)) == len(dims))


def _check_lengths(shape, axes, modes, name: str) -> None:
    for a, mode in zip(axes, modes):
        if mode in ("reflect", "antireflect") and shape[a] < 2:
            raise ValueError(
                f"mode={mode!r} needs at least 2 samples along each transformed axis; "
                f"{name} has {shape[a]} along axis {a}"
            )


def _check_level_lengths(shape, axes, ws, modes, level: int, name: str) -> None:
    """``_check_lengths`` for the input of every level (deep levels shrink the approximation)."""
    shape = list(shape)
    for _ in range(level):
        _check_lengths(shape, axes, modes, name)
        for a, w, m in zip(axes, ws, modes):
            shape[a] = coeff_len(shape[a], w.dec_len, m)


def _level(level, x: torch.Tensor, axes, ws) -> int:
    """pywt's ``_check_level``: ``None`` is the maximum; above it warns and decomposes anyway."""
    max_level = min(dwt_max_level(x.shape[a], w.dec_len) for a, w in zip(axes, ws))
    if level is None:
        return max_level
    if isinstance(level, bool) or not isinstance(level, numbers.Integral):
        raise TypeError(f"level must be an int, got {level!r}")
    level = int(level)  # numpy integers, as pywt accepts them
    if level < 0:
        raise ValueError(f"level must be >= 0, got {level}")
    if level > max_level:
        sizes = tuple(x.shape[a] for a in axes)
        warnings.warn(
            f"Level value of {level} is too high: all coefficients will experience boundary effects "
            f"(axes of length {sizes} with {', '.join(sorted({w.name for w in ws}))}: the maximum is "
            f"{max_level}, dwt_max_level)",
            UserWarning, stacklevel=3,
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
    return {k: (None if v is None else as_dtype(v, dtype)) for k, v in bands.items()}


def _run(op: str, x: torch.Tensor, backend, wavelet):
    return getattr(_dispatch.select(op, x, backend, filter_length=wavelet.dec_len), op)


# ----------------------------------------------------------------------------------------------
# one wavelet or mode per axis: the 1-d backend transform along each axis in turn (pywt's order)


def _dwtn_per_axis(data, ws, ms, dims, backend) -> dict:
    bands = {"": data}
    for d, w, m in zip(dims, ws, ms):
        new = {}
        for key, v in bands.items():
            out = _run("dwtn", v, backend, w)(v, w, m, (d,))
            new[key + "a"], new[key + "d"] = out["a"], out["d"]
        bands = new
    return bands


def _idwtn_per_axis(coeffs: dict, ws, ms, dims, backend) -> torch.Tensor:
    for j in range(len(dims) - 1, -1, -1):
        new = {}
        for prefix in itertools.product("ad", repeat=j):
            key = "".join(prefix)
            lo, hi = coeffs.get(key + "a"), coeffs.get(key + "d")
            ref = lo if lo is not None else hi
            new[key] = None if ref is None else _run("idwtn", ref, backend, ws[j])({"a": lo, "d": hi}, ws[j], ms[j],
                                                                             (dims[j],))
        coeffs = new
    return coeffs[""]


def _dwtn(data, ws, ms, dims, backend) -> dict:
    if _uniform(ws, ms, dims):
        return _run("dwtn", data, backend, ws[0])(data, ws[0], ms[0], dims)
    return _dwtn_per_axis(data, ws, ms, dims, backend)


def _idwtn(bands: dict, ref, ws, ms, dims, backend) -> torch.Tensor:
    if _uniform(ws, ms, dims):
        return _run("idwtn", ref, backend, ws[0])(bands, ws[0], ms[0], dims)
    return _idwtn_per_axis(bands, ws, ms, dims, backend)


# ----------------------------------------------------------------------------------------------
# single level


def dwtn(data: torch.Tensor, wavelet, mode="symmetric", axes=None, *, dim=None,
         backend: str | None = None) -> dict[str, torch.Tensor]:
    """Single-level N-D DWT over ``axes`` (all dims when ``None``), as ``pywt.dwtn``.

    Returns ``{key: band}`` for the ``2**len(axes)`` keys over ``'a'``/``'d'``;
    each band has ``data``'s shape with every axis in ``axes`` resized to
    :func:`dwt_coeff_len`. ``wavelet`` and ``mode`` may be given per axis, and an axis may
    appear twice (transformed twice, as pywt does).
    """
    check_float_tensor(data, "data")
    dims = _axes(data, axes, dim, None, unique=False)
    ws, ms = _per_axis(wavelet, mode, len(dims))
    _check_lengths(data.shape, dims, ms, "data")
    return _dwtn(data, ws, ms, dims, backend)


def idwtn(coeffs: dict, wavelet, mode="symmetric", axes=None, *, dim=None,
          backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dwtn`, as ``pywt.idwtn``: missing or ``None`` bands count as zeros.

    ``axes=None`` means the first ``len(key)`` dims. Each axis of ``axes`` grows from
    ``L`` to ``2L - F + 2`` (``2L`` for ``'periodization'``).
    """
    if not isinstance(coeffs, dict):
        raise TypeError(f"coeffs must be a dict of band name -> tensor, got {type(coeffs).__name__}")
    if not coeffs:
        raise ValueError("coeffs must hold at least one band, got an empty dict")
    lengths = {len(k) if isinstance(k, str) else -1 for k in coeffs}
    nd = max(lengths)
    valid = {"".join(p) for p in itertools.product("ad", repeat=nd)}
    for k in coeffs:
        if k not in valid:
            raise ValueError(f"coeffs has an invalid key {k!r}: keys are {nd}-letter strings of 'a' and 'd'")
    present = _check_bands(coeffs, "coeffs")
    ref = present[0]
    chosen = _pick(axes, dim, None, "axes")
    dims = tuple(range(nd)) if chosen is None else normalize_dims(chosen, ref.ndim, "axes", unique=False)
    if len(dims) != nd:
        raise ValueError(f"axes={chosen!r} names {len(dims)} dims but the coefficient keys have {nd} letters")
    ws, ms = _per_axis(wavelet, mode, nd)
    for d, w, m in zip(dims, ws, ms):
        _check_rec_len(ref.shape[d], w, m, "coeffs", d)
    return _idwtn(_as_common(coeffs), ref, ws, ms, dims, backend)


def dwt(data: torch.Tensor, wavelet, mode="symmetric", axis: int | None = None, *, dim=None,
        backend: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-level 1-D DWT along ``axis`` (default -1): ``(cA, cD)``, as ``pywt.dwt``."""
    check_float_tensor(data, "data")
    d = _axis(data, axis, dim)
    out = dwtn(data, wavelet, mode, (d,), backend=backend)
    return out["a"], out["d"]


def idwt(cA, cD, wavelet, mode="symmetric", axis: int | None = None, *, dim=None,
         backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dwt`, as ``pywt.idwt``; ``cA`` or ``cD`` may be ``None`` (zeros)."""
    present = _check_bands({"a": cA, "d": cD}, "idwt (cA, cD)")
    d = _axis(present[0], axis, dim)
    return idwtn({"a": cA, "d": cD}, wavelet, mode, (d,), backend=backend)


def dwt2(data: torch.Tensor, wavelet, mode="symmetric", axes=None, *, dim=None,
         backend: str | None = None):
    """Single-level 2-D DWT over ``axes`` (default ``(-2, -1)``): ``(cA, (cH, cV, cD))``, as ``pywt.dwt2``."""
    check_float_tensor(data, "data")
    dims = _axes2(data, axes, dim, unique=False)
    out = dwtn(data, wavelet, mode, dims, backend=backend)
    return out["aa"], tuple(out[k] for k in _2D_KEYS)


def _unpack2(coeffs, name: str):
    if not isinstance(coeffs, (tuple, list)) or len(coeffs) != 2:
        raise CoefficientsError(f"{name} must be a pair (cA, (cH, cV, cD)), got {type(coeffs).__name__}")
    ca, details = coeffs
    if details is None:
        details = (None, None, None)
    if not isinstance(details, (tuple, list)) or len(details) != 3:
        raise CoefficientsError(f"{name}: the details must be a triple (cH, cV, cD), got {details!r:.80}")
    return ca, details


def idwt2(coeffs, wavelet, mode="symmetric", axes=None, *, dim=None,
          backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dwt2`, as ``pywt.idwt2``: ``coeffs = (cA, (cH, cV, cD))``, ``None`` = zeros."""
    ca, (ch, cv, cd) = _unpack2(coeffs, "coeffs")
    bands = {"aa": ca, "da": ch, "ad": cv, "dd": cd}
    ref = _check_bands(bands, "coeffs")[0]
    dims = _axes2(ref, axes, dim, unique=False)
    return idwtn(bands, wavelet, mode, dims, backend=backend)


# ----------------------------------------------------------------------------------------------
# multilevel


def wavedecn(data: torch.Tensor, wavelet, mode="symmetric", level: int | None = None, axes=None,
             *, dim=None, backend: str | None = None) -> list:
    """Multilevel N-D DWT, as ``pywt.wavedecn``: ``[cA_n, {details_n}, ..., {details_1}]``.

    ``wavelet`` and ``mode`` may be given per axis; a ``level`` above
    :func:`dwt_max_level` warns and decomposes, as pywt does.
    """
    check_float_tensor(data, "data")
    dims = _axes(data, axes, dim, None)
    ws, ms = _per_axis(wavelet, mode, len(dims))
    lev = _level(level, data, dims, ws)
    if lev == 0:
        return [data]
    _check_level_lengths(data.shape, dims, ws, ms, lev, "data")
    if _uniform(ws, ms):
        return _run("wavedecn", data, backend, ws[0])(data, ws[0], ms[0], lev, dims)
    approx_key = "a" * len(dims)
    a, details = data, []
    for _ in range(lev):
        bands = _dwtn_per_axis(a, ws, ms, dims, backend)
        a = bands.pop(approx_key)
        details.append(bands)
    return [a] + details[::-1]


def _check_levels(a, details: list, ws, ms, dims, what: str) -> None:
    """Validate a multilevel coefficient list (``{}`` levels allowed) against pywt's shape rules."""
    if a is not None:
        _check_coeff(a, f"{what}[0]")
    expect = None if a is None else tuple(a.shape)
    ndim = None if a is None else a.ndim
    for i, bands in enumerate(details, start=1):
        if bands:
            present = [v for v in bands.values() if v is not None]
            if not present:
                raise ValueError(f"{what}[{i}] holds no coefficients (all None); give {{}} for a zero level")
            _check_bands(bands, f"{what}[{i}]")
            shape = tuple(present[0].shape)
            if ndim is not None and len(shape) != ndim:
                raise ValueError(f"{what}[{i}] has {len(shape)} dims but the other coefficients have {ndim}")
            ndim = len(shape)
            if expect is not None:
                for d in range(len(shape)):
                    grow = expect[d] - shape[d]
                    ok = grow in (0, 1) if d in dims else grow == 0
                    if not ok:
                        raise ValueError(
                            f"{what}[{i}] has shape {shape} but the approximation it pairs with has shape "
                            f"{expect}: coefficient shapes do not match (were they made by one decomposition?)"
                        )
        elif expect is None:
            continue  # no approximation yet and no details: the level adds nothing (pywt skips it)
        else:
            shape = expect
        for d, w, m in zip(dims, ws, ms):
            _check_rec_len(shape[d], w, m, f"{what}[{i}]", d)
        grown = list(shape)
        for d, w, m in zip(dims, ws, ms):
            grown[d] = _rec_len(shape[d], w, m)
        expect = tuple(grown)


def _waverecn_checked(a, details: list, ws, ms, dims, backend) -> torch.Tensor:
    """The inverse over validated levels (``{}`` = zeros, leading empty levels without an
    approximation dropped), as one backend call when one wavelet and mode serve every axis."""
    while details and a is None and not details[0]:
        details = details[1:]
    tensors = [t for t in [a] + [v for d in details for v in d.values()] if t is not None]
    dtype = _common_dtype(tensors)
    a = None if a is None else as_dtype(a, dtype)
    details = [{k: (None if v is None else as_dtype(v, dtype)) for k, v in d.items()} for d in details]
    if not details:
        return a
    ref = tensors[0]
    if _uniform(ws, ms):
        return _run("waverecn", ref, backend, ws[0])([a] + details, ws[0], ms[0], dims)
    approx_key = "a" * len(dims)
    for d in details:
        present = next((v for v in d.values() if v is not None), None)
        if a is not None and present is not None:
            a = a[tuple(slice(None, s) for s in present.shape)]
        bands = dict(d)
        bands[approx_key] = a
        a = _idwtn_per_axis(bands, ws, ms, dims, backend)
    return a


def _check_coeff_list(coeffs, layout: str) -> None:
    if not isinstance(coeffs, (list, tuple)):
        raise CoefficientsError(f"coeffs must be a list {layout} as the decomposition returns, "
                                f"got {type(coeffs).__name__}")
    if not coeffs:
        raise ValueError(f"coeffs must not be empty: expected {layout}")


def waverecn(coeffs: list, wavelet, mode="symmetric", axes=None, *, dim=None,
             backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedecn`, as ``pywt.waverecn``.

    ``axes=None`` means every dim of the coefficients (their keys must have that many
    letters). A detail level may be ``{}`` (zeros) and ``coeffs[0]`` may be ``None``.
    Where a reconstructed approximation is one sample longer than the next
    level's details (odd lengths), its last sample is dropped, as pywt does.
    """
    _check_coeff_list(coeffs, "[cA, {details_n}, ..., {details_1}]")
    a, details = coeffs[0], list(coeffs[1:])
    for i, d in enumerate(details, start=1):
        if not isinstance(d, dict):
            raise CoefficientsError(f"Unexpected detail coefficient type: coeffs[{i}] must be a dict of detail "
                                    f"bands as wavedecn returns, got {type(d).__name__}")
    if not details:
        return _check_coeff(a, "coeffs[0]")
    key_lens = {len(k) if isinstance(k, str) else -1 for d in details for k in d}
    if len(key_lens) > 1:
        raise ValueError(f"coeffs: every detail key must have one length, got lengths {sorted(key_lens)}")
    tensors = [t for t in [a] + [v for d in details for v in d.values()] if t is not None]
    if not tensors:
        raise ValueError("coeffs: at least one coefficient array must not be None")
    for t in tensors:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"coefficients must be torch.Tensors, got {type(t).__name__}")
    ndims = {t.ndim for t in tensors}
    if len(ndims) > 1:
        raise ValueError(f"coeffs: all coefficients must have one number of dims, got {sorted(ndims)}")
    ndim = ndims.pop()
    chosen = _pick(axes, dim, None, "axes")
    dims = tuple(range(ndim)) if chosen is None else normalize_dims(chosen, ndim, "axes")
    nd = len(dims)
    valid = {"".join(p) for p in itertools.product("ad", repeat=nd)} - {"a" * nd}
    for i, d in enumerate(details, start=1):
        for k in d:
            if k not in valid:
                raise ValueError(f"coeffs[{i}] has an invalid key {k!r}: {nd} axes are transformed, so keys are "
                                 f"among {sorted(valid)}")
    ws, ms = _per_axis(wavelet, mode, nd)
    _check_levels(a, [dict(d) for d in details], ws, ms, dims, "coeffs")
    return _waverecn_checked(a, [dict(d) for d in details], ws, ms, dims, backend)


def wavedec(data: torch.Tensor, wavelet, mode="symmetric", level: int | None = None,
            axis: int | None = None, *, dim=None, backend: str | None = None) -> list:
    """Multilevel 1-D DWT along ``axis``, as ``pywt.wavedec``: ``[cA_n, cD_n, ..., cD_1]``."""
    check_float_tensor(data, "data")
    d = _axis(data, axis, dim)
    out = wavedecn(data, wavelet, mode, level, (d,), backend=backend)
    return [out[0]] + [bands["d"] for bands in out[1:]]


def waverec(coeffs: list, wavelet, mode="symmetric", axis: int | None = None, *, dim=None,
            backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec`, as ``pywt.waverec``; any ``cD`` (or ``cA_n``) may be ``None`` (zeros),
    but not a detail before which every array is ``None``."""
    _check_coeff_list(coeffs, "[cA_n, cD_n, ..., cD_1]")
    if len(coeffs) == 1:
        return _check_coeff(coeffs[0], "coeffs[0]")
    seen = coeffs[0] is not None
    for i, c in enumerate(coeffs[1:], start=1):
        if c is not None and not isinstance(c, torch.Tensor):
            raise CoefficientsError(f"Unexpected detail coefficient type: coeffs[{i}] must be a tensor (or None) "
                                    f"as wavedec returns, got {type(c).__name__}")
        if c is None and not seen:
            raise ValueError(f"coeffs[{i}]: cA and cD are both None at this level")
        seen = True
    ref = next(c for c in coeffs if c is not None)
    _check_coeff(ref, "coeffs")
    d = _axis(ref, axis, dim)
    return waverecn([coeffs[0]] + [{} if c is None else {"d": c} for c in coeffs[1:]], wavelet, mode, (d,),
                    backend=backend)


def wavedec2(data: torch.Tensor, wavelet, mode="symmetric", level: int | None = None, axes=None,
             *, dim=None, backend: str | None = None) -> list:
    """Multilevel 2-D DWT over ``axes`` (default ``(-2, -1)``), as ``pywt.wavedec2``:
    ``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]``."""
    check_float_tensor(data, "data")
    if data.ndim < 2:
        raise ValueError(f"data must have at least 2 dims for wavedec2, got shape {tuple(data.shape)}")
    dims = _axes2(data, axes, dim)
    out = wavedecn(data, wavelet, mode, level, dims, backend=backend)
    return [out[0]] + [tuple(bands[k] for k in _2D_KEYS) for bands in out[1:]]


def waverec2(coeffs: list, wavelet, mode="symmetric", axes=None, *, dim=None,
             backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec2`, as ``pywt.waverec2``; a level may be ``(None, None, None)`` (zeros)."""
    _check_coeff_list(coeffs, "[cA_n, (cH_n, cV_n, cD_n), ...]")
    if len(coeffs) == 1:
        return _check_coeff(coeffs[0], "coeffs[0]")
    levels = []
    for i, det in enumerate(coeffs[1:], start=1):
        if not isinstance(det, (tuple, list)) or len(det) != 3:
            raise CoefficientsError(f"Unexpected detail coefficient type: coeffs[{i}] must be a triple "
                                    f"(cH, cV, cD) as wavedec2 returns, got {type(det).__name__}")
        levels.append({k: v for k, v in zip(_2D_KEYS, det) if v is not None})
    ref = next((c for c in [coeffs[0]] + [v for lv in levels for v in lv.values()] if c is not None), None)
    if ref is None:
        raise ValueError("coeffs: at least one coefficient array must not be None")
    _check_coeff(ref, "coeffs")
    dims = _axes2(ref, axes, dim)
    return waverecn([coeffs[0]] + levels, wavelet, mode, dims, backend=backend)
