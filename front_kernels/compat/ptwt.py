r"""Drop-in for `ptwt <https://github.com/v0lta/PyTorch-Wavelet-Toolbox>`_'s fast wavelet
transforms: the same names, arguments, coefficient containers and numbers, computed by
front_kernels' own transforms::

    import front_kernels.compat.ptwt as ptwt          # instead of: import ptwt

    coeffs = ptwt.wavedec(x, "db4", mode="reflect", level=3)       # [cA3, cD3, cD2, cD1]
    x2 = ptwt.waverec(coeffs, "db4")
    c2 = ptwt.wavedec2(img, pywt.Wavelet("sym3"), mode="zero")      # (cA, (H, V, D), ...)
    c3 = ptwt.fswavedec3(vol, "haar", level=2, axes=(1, 2, 3))     # (cA, {'daa': ..., ...}, ...)

Covered: ``wavedec`` / ``waverec``, ``wavedec2`` / ``waverec2``, ``wavedec3`` / ``waverec3``,
``fswavedec2`` / ``fswaverec2``, ``fswavedec3`` / ``fswaverec3``. **Not covered**: ptwt's wavelet
packets (``WaveletPacket``, ``WaveletPacket2D``), matrix transforms (``MatrixWavedec*`` /
``MatrixWaverec*``, the ``'boundary'`` mode), the continuous transform (``cwt``) and the stationary
transform (``swt`` / ``iswt``).

The math (ptwt's, which is pywt's). One analysis level along one axis of length :math:`N` with
the filters ``dec_lo`` / ``dec_hi`` of even length :math:`F`:

.. math:: cA[o] = \sum_{j=0}^{F-1} \mathrm{dec\_lo}[j]\, \bar x[2o + 1 - j], \qquad
          cD[o] = \sum_{j=0}^{F-1} \mathrm{dec\_hi}[j]\, \bar x[2o + 1 - j],
          \qquad o = 0, \dots, \lfloor (N + F - 1)/2 \rfloor - 1,

where :math:`\bar x` is :math:`x` extended past both ends by ``mode``. ptwt pads :math:`F - 2`
samples on the left and :math:`F - 2 + (N \bmod 2)` on the right and runs a stride-2 convolution
with the flipped filters; that is exactly the sum above, and its boundary modes are these pywt
modes of the same name (checked against ptwt for every mode, filter and length ptwt accepts):

============  ============================================  =========================
ptwt mode     extension (left side)                         pywt / front_kernels mode
============  ============================================  =========================
``reflect``   ``x2 x1 | x0 x1 ...`` (whole-sample mirror)   ``'reflect'``
``zero``      ``0 0 | x0 x1 ...``                           ``'zero'``
``constant``  ``x0 x0 | x0 x1 ...`` (edge replicated)       ``'constant'``
``periodic``  ``x[N-2] x[N-1] | x0 x1 ...`` (period N)      ``'periodic'`` (not ``'periodization'``)
``symmetric`` ``x1 x0 | x0 x1 ...`` (half-sample mirror)    ``'symmetric'``
============  ============================================  =========================

so every band has :math:`\lfloor (N + F - 1)/2 \rfloor` coefficients along each transformed axis,
for every mode. Multi-dim transforms apply the 1-D level along each axis (the filters separate),
and the multilevel ones recurse on the approximation. Synthesis (``waverec*``, no ``mode``
argument, as in ptwt) upsamples, convolves with ``rec_lo`` / ``rec_hi`` and keeps the
:math:`2L - F + 2` central samples (pywt's ``idwt`` for any non-periodization mode); where a
reconstructed approximation is one sample longer than the next level's details (odd lengths) its
last sample is dropped. So ``waverec(wavedec(x))`` returns ``x`` for even lengths and ``x`` plus one
trailing sample for odd ones, as ptwt and pywt do.

Conventions (ptwt's):

- ``wavelet``: a pywt name, a ``pywt.Wavelet``, any object with a pywt-style ``filter_bank``
  (``(dec_lo, dec_hi, rec_lo, rec_hi)``, e.g. ptwt's learnable ``ProductFilter`` /
  ``SoftOrthogonalWavelet`` or ``WaveletTensorTuple``), or such a 4-tuple itself.
- ``mode`` (keyword-only): one of ``'reflect'``, ``'zero'``, ``'constant'``, ``'periodic'``,
  ``'symmetric'``; default ``'reflect'`` except ``wavedec3`` (``'zero'``), as in ptwt.
- ``level`` (keyword-only): ``None`` is the deepest level at which the approximation is still one
  filter long (pywt's ``dwt_max_level``, the smallest over the axes); a larger level is computed
  without a warning, as ptwt does.
- ``axis`` (1-D, default ``-1``) / ``axes`` (default the last 2 or 3 dims): which dims are
  transformed; every other dim is a batch dim. The same dim twice, or the wrong number of axes,
  is a ``ValueError``.
- Containers: ``wavedec`` returns a ``list`` ``[cA_n, cD_n, ..., cD_1]``; ``wavedec2`` a ``tuple``
  ``(cA_n, T_n, ..., T_1)`` whose ``T_l`` are ``WaveletDetailTuple2d(horizontal, vertical,
  diagonal)`` named tuples (pywt's ``(cH, cV, cD)``: high-pass along ``axes[0]``, along
  ``axes[1]``, along both); ``wavedec3`` a ``tuple`` ``(cA_n, D_n, ..., D_1)`` of dicts keyed
  ``'aad', 'ada', 'add', 'daa', 'dad', 'dda', 'ddd'`` (letter ``i`` names the filter along
  ``axes[i]``); ``fswavedec2`` / ``fswavedec3`` the same tuple-of-dicts layout with ptwt's key order
  (``'da', 'ad', 'dd'`` and ``'daa', 'ada', 'dda', 'aad', 'dad', 'add', 'ddd'``). When ptwt is
  installed, ``WaveletDetailTuple2d`` *is* ``ptwt.constants.WaveletDetailTuple2d`` (so ``type()``
  and ``isinstance`` checks written for ptwt hold); otherwise an identical named tuple defined here.
  The inverses take those containers (``waverec2`` needs each level to be a tuple of 3 tensors and
  ``waverec3`` a dict of the 7 bands, as ptwt); all coefficients must share one dtype and device.

Every function is differentiable in its tensor input (the package's autograd) and, for a
learnable wavelet whose filter tensors require grad, in the filters too: each transform is linear
in each filter, :math:`\mathrm{dwt}(x; h) = \sum_j h_j\, \mathrm{dwt}(x; e_j)` with :math:`e_j` the
unit impulses, so that case runs the package's transforms of the :math:`F` unit banks and combines
them with the tap tensors (about :math:`F` times the work of constant filters; constant filters,
or any call under ``torch.no_grad()``, take the direct path). Differences from ptwt, all on input
ptwt rejects or mishandles: float16 / bfloat16 inputs work (computed in float32); ``reflect`` /
``periodic`` on an axis shorter than the padding (where torch's padding raises in ptwt) give
pywt's values; ``wavedec3`` with zero levels (``level=None`` on a too-small volume) returns
``(x,)``, where ptwt 1.0.1 returns ``x`` with its internal batch / channel dims still added;
``fswaverec*`` does not add the approximation to the caller's detail dicts (ptwt mutates them);
missing or ``None`` detail bands count as zeros. Every function takes a keyword-only
``backend=`` (``'reference'``, ``'triton'``, ``'cuda'``), as the rest of front_kernels.
"""
from __future__ import annotations

import itertools
import numbers
import warnings
from typing import NamedTuple

import torch

from .. import transforms as _fk
from .._checks import check_float_tensor
from ..wavelets import dwt_max_level, get_wavelet

__all__ = ["wavedec", "waverec", "wavedec2", "waverec2", "wavedec3", "waverec3",
           "fswavedec2", "fswaverec2", "fswavedec3", "fswaverec3", "WaveletDetailTuple2d"]

try:  # the very class ptwt returns, so type() / isinstance checks written for ptwt hold
    from ptwt.constants import WaveletDetailTuple2d
except ImportError:  # ptwt not installed: the same named tuple
    class WaveletDetailTuple2d(NamedTuple):
        """Detail coefficients ``(horizontal, vertical, diagonal)`` of one 2-D level (pywt's
        ``(cH, cV, cD)``), as ``ptwt.constants.WaveletDetailTuple2d``."""

        horizontal: torch.Tensor
        vertical: torch.Tensor
        diagonal: torch.Tensor

MODES = ("reflect", "zero", "constant", "periodic", "symmetric")
# ptwt's mode names are pywt's (and front_kernels') modes of the same name; see the module docstring
_SYNTHESIS_MODE = "zero"  # synthesis is one and the same for every non-periodization mode
_KEYS_3D = ("aad", "ada", "add", "daa", "dad", "dda", "ddd")
_FS_KEYS = {2: ("da", "ad", "dd"), 3: ("daa", "ada", "dda", "aad", "dad", "add", "ddd")}


# ----------------------------------------------------------------------------------------------
# arguments


class _Bank:
    """A plain 4-tuple ``(dec_lo, dec_hi, rec_lo, rec_hi)`` seen as a pywt-style bank."""

    def __init__(self, bank):
        self.filter_bank = tuple(bank)


class _TensorBank:
    """The filters of a wavelet whose taps are tensors that require grad (a learnable wavelet): the
    transforms then run on unit-impulse banks and combine them with these taps, so the gradient
    reaches the filters too (see :func:`_dwt_axis`)."""

    def __init__(self, bank):
        bank = [f.reshape(-1) for f in bank]
        if len({f.numel() for f in bank}) != 1 or bank[0].numel() < 2:
            raise ValueError(f"the four filters of the wavelet must have one length >= 2, got {[f.numel() for f in bank]}")
        if bank[0].numel() % 2:  # an odd bank gets a trailing zero, as pywt.Wavelet(filter_bank=...) does
            bank = [torch.cat([f, f.new_zeros(1)]) for f in bank]
        self.filters = bank
        self.dec_len = bank[0].numel()


def _wavelet(wavelet):
    """A front_kernels ``Wavelet`` (constant taps) or a :class:`_TensorBank` (taps that need a gradient)."""
    if isinstance(wavelet, (tuple, list)) and getattr(wavelet, "filter_bank", None) is None:
        if len(wavelet) != 4:
            raise ValueError(f"a wavelet given as a tuple must be (dec_lo, dec_hi, rec_lo, rec_hi), got {len(wavelet)} "
                             "entries")
        wavelet = _Bank(wavelet)
    bank = getattr(wavelet, "filter_bank", None)
    if bank is not None:
        bank = tuple(bank)
        if torch.is_grad_enabled() and any(isinstance(f, torch.Tensor) and f.requires_grad for f in bank):
            if len(bank) != 4:
                raise ValueError(f"wavelet.filter_bank must hold four filters, got {len(bank)}")
            return _TensorBank([torch.as_tensor(f) for f in bank])
        bank = [f.detach().cpu().reshape(-1).tolist() if isinstance(f, torch.Tensor) else f for f in bank]
        wavelet = _Bank(bank) if getattr(wavelet, "name", None) is None else _Named(wavelet.name, bank)
    return get_wavelet(wavelet)


class _Named(_Bank):
    def __init__(self, name, bank):
        super().__init__(bank)
        self.name = name


def _mode(mode, default: str) -> str:
    if mode is None and default == "reflect":
        return "reflect"  # ptwt's 1-d / 2-d padding treats None as its default
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"Padding mode not supported: {mode!r} (ptwt's modes: {', '.join(map(repr, MODES))})")
    return mode


def _dims(data: torch.Tensor, axes, ndim: int) -> tuple[int, ...]:
    """ptwt's axis rules: ``ndim`` distinct dims of ``data``, which needs at least ``ndim`` dims."""
    if isinstance(axes, numbers.Integral) and not isinstance(axes, bool):
        axes = (axes,)
    axes = tuple(axes)
    if len(axes) != ndim:
        raise ValueError(f"{ndim}D transforms work with {ndim} axes, got axes={axes!r}")
    if data.ndim < ndim:
        raise ValueError(f"At least {ndim} input dimensions required, got shape {tuple(data.shape)}")
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral) or not -data.ndim <= a < data.ndim:
            raise ValueError(f"axes={axes!r} is not a valid set of dims of a {data.ndim}-dim tensor")
        out.append(int(a) % data.ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"Cant transform the same axis twice: axes={axes!r}")
    return tuple(out)


def _level(level, data: torch.Tensor, dims, w) -> int:
    if level is None:
        return min(dwt_max_level(data.shape[d], w.dec_len) for d in dims)
    if isinstance(level, bool) or not isinstance(level, numbers.Integral):
        raise TypeError(f"level must be an int or None, got {level!r}")
    return max(int(level), 0)  # ptwt decomposes range(level) times


def _analysis(data, wavelet, mode, level, axes, ndim, default_mode, backend) -> list:
    """``[cA_n, {details_n}, ..., {details_1}]`` by front_kernels' wavedecn (ptwt warns for no level)."""
    check_float_tensor(data, "data")
    w = _wavelet(wavelet)
    m = _mode(mode, default_mode)
    dims = _dims(data, axes, ndim)
    lev = _level(level, data, dims, w)
    if lev == 0:
        return [data]
    if isinstance(w, _TensorBank):
        return _wavedecn_taps(data, w, m, lev, dims, backend)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Level value of", category=UserWarning)
        return _fk.wavedecn(data, w, m, lev, dims, backend=backend)


def _synthesis(coeffs: list, wavelet, dims, backend) -> torch.Tensor:
    """``[cA_n, {details_n}, ..., {details_1}]`` back to the signal over ``dims``."""
    w = _wavelet(wavelet)
    if isinstance(w, _TensorBank):
        return _waverecn_taps(coeffs, w, dims, backend)
    return _fk.waverecn(coeffs, w, _SYNTHESIS_MODE, axes=dims, backend=backend)


# ----------------------------------------------------------------------------------------------
# learnable filters: the transforms are linear in each filter, so with e_j the j-th unit impulse
#   dwt(x; h)[o] = sum_j h[j] * dwt(x; e_j)[o]   (dwt(x; e_j)[o] is the extended sample x[2o + 1 - j])
#   idwt(c; g)   = sum_j g[j] * idwt(c; e_j)
# Both sides are front_kernels transforms of unit banks combined with the tap tensors, so autograd
# differentiates in the data and in the taps.


_UNITS: dict = {}


def _units(f: int):
    if f not in _UNITS:
        rows = [tuple(1.0 if i == j else 0.0 for i in range(f)) for j in range(f)]
        _UNITS[f] = [get_wavelet(_Named(f"unit{j}/{f}", (r, r, r, r))) for j, r in enumerate(rows)]
    return _UNITS[f]


def _taps(filt: torch.Tensor, parts: list) -> torch.Tensor:
    return torch.tensordot(filt.to(device=parts[0].device, dtype=parts[0].dtype), torch.stack(parts), dims=1)


def _dwt_axis(x, bank: _TensorBank, mode: str, axis: int, backend):
    parts = [_fk.dwt(x, u, mode, axis=axis, backend=backend)[0] for u in _units(bank.dec_len)]
    return _taps(bank.filters[0], parts), _taps(bank.filters[1], parts)


def _idwt_axis(a, d, bank: _TensorBank, axis: int, backend):
    out = None
    for c, filt in ((a, bank.filters[2]), (d, bank.filters[3])):
        if c is None:
            continue
        y = _taps(filt, [_fk.idwt(c, None, u, _SYNTHESIS_MODE, axis=axis, backend=backend) for u in _units(bank.dec_len)])
        out = y if out is None else out + y
    return out


def _wavedecn_taps(data, bank, mode, level, dims, backend) -> list:
    approx, details = data, []
    for _ in range(level):
        bands = {"": approx}
        for d in dims:
            new = {}
            for key, v in bands.items():
                new[key + "a"], new[key + "d"] = _dwt_axis(v, bank, mode, d, backend)
            bands = new
        approx = bands.pop("a" * len(dims))
        details.append(bands)
    return [approx] + details[::-1]


def _waverecn_taps(coeffs, bank, dims, backend) -> torch.Tensor:
    a = coeffs[0]
    for level in coeffs[1:]:
        present = next((v for v in level.values() if v is not None), None)
        if present is None:
            raise ValueError("a detail level holds no coefficients")
        a = a[tuple(slice(0, s) for s in present.shape)]  # an odd length: drop the approximation's extra sample
        bands = dict(level)
        bands["a" * len(dims)] = a
        for j in range(len(dims) - 1, -1, -1):
            new = {}
            for prefix in itertools.product("ad", repeat=j):
                key = "".join(prefix)
                lo, hi = bands.get(key + "a"), bands.get(key + "d")
                new[key] = None if lo is None and hi is None else _idwt_axis(lo, hi, bank, dims[j], backend)
            bands = new
        a = bands[""]
    return a


def _check_same(tensors, what: str) -> torch.Tensor:
    """ptwt's rule: every coefficient a tensor of one dtype and device (a ``ValueError`` otherwise)."""
    tensors = [t for t in tensors if t is not None]
    if not tensors or not isinstance(tensors[0], torch.Tensor):
        raise ValueError(f"{what}: the first element of coeffs must be the approximation coefficient tensor")
    ref = tensors[0]
    for t in tensors:
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{what}: coefficients must be tensors, got {type(t).__name__}")
        if t.device != ref.device:
            raise ValueError(f"{what}: coefficients must be on the same device, got {ref.device} and {t.device}")
        if t.dtype != ref.dtype:
            raise ValueError(f"{what}: coefficients must have the same dtype, got {ref.dtype} and {t.dtype}")
    return ref


def _check_coeffs(coeffs, what: str):
    if not isinstance(coeffs, (list, tuple)) or not coeffs:
        raise ValueError(f"{what}: coeffs must be the non-empty list / tuple the decomposition returns, got "
                         f"{type(coeffs).__name__}")
    if not isinstance(coeffs[0], torch.Tensor):
        raise ValueError(f"{what}: the first element of coeffs must be the approximation coefficient tensor")


# ----------------------------------------------------------------------------------------------
# 1-d


def wavedec(data: torch.Tensor, wavelet, *, mode: str = "reflect", level: int | None = None, axis: int = -1,
            backend: str | None = None) -> list[torch.Tensor]:
    r"""Multilevel 1-D fast wavelet transform along ``axis``, as ``ptwt.wavedec``.

    Level :math:`s` splits the approximation :math:`c_{A,s-1}` (:math:`c_{A,0} = x`) into
    :math:`c_{A,s}` and :math:`c_{D,s}` by the sums of the module docstring, with ``mode``'s
    extension at the boundaries. Returns the ``list`` ``[cA_n, cD_n, ..., cD_1]``, each tensor of
    ``data``'s shape with ``axis`` shortened to :math:`\lfloor (N + F - 1)/2 \rfloor` per level.
    """
    out = _analysis(data, wavelet, mode, level, axis, 1, "reflect", backend)
    return [out[0]] + [bands["d"] for bands in out[1:]]


def waverec(coeffs, wavelet, axis: int = -1, *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec` along ``axis``, as ``ptwt.waverec``: from ``[cA_n, cD_n, ..., cD_1]``
    (a list or tuple) to the signal (one trailing sample longer than the input for odd lengths)."""
    _check_coeffs(coeffs, "waverec")
    ref = _check_same(coeffs, "waverec")
    if len(coeffs) == 1:
        return coeffs[0]
    d = _dims(ref, axis, 1)
    return _synthesis([coeffs[0]] + [{} if c is None else {"d": c} for c in coeffs[1:]], wavelet, d, backend)


# ----------------------------------------------------------------------------------------------
# 2-d


def wavedec2(data: torch.Tensor, wavelet, *, mode: str = "reflect", level: int | None = None,
             axes: tuple[int, int] = (-2, -1), backend: str | None = None) -> tuple:
    r"""Multilevel 2-D fast wavelet transform over ``axes``, as ``ptwt.wavedec2``.

    Each level filters the approximation along ``axes[0]`` and ``axes[1]``:
    :math:`c_{ll}` (low, low) is the next approximation and the details are
    ``WaveletDetailTuple2d(horizontal, vertical, diagonal)`` = (high-low, low-high, high-high),
    pywt's ``(cH, cV, cD)``. Returns the ``tuple`` ``(cA_n, T_n, ..., T_1)``.
    """
    out = _analysis(data, wavelet, mode, level, axes, 2, "reflect", backend)
    return (out[0],) + tuple(WaveletDetailTuple2d(b["da"], b["ad"], b["dd"]) for b in out[1:])


def waverec2(coeffs, wavelet, axes: tuple[int, int] = (-2, -1), *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec2` over ``axes``, as ``ptwt.waverec2``: ``coeffs`` is
    ``(cA_n, T_n, ..., T_1)`` with each ``T_l`` a tuple ``(horizontal, vertical, diagonal)``."""
    _check_coeffs(coeffs, "waverec2")
    for i, det in enumerate(coeffs[1:], start=1):
        if not isinstance(det, tuple) or len(det) != 3:
            raise ValueError(f"Unexpected detail coefficient type: {type(det)} at coeffs[{i}]. Detail coefficients "
                             "must be a 3-tuple of tensors as returned by wavedec2.")
    ref = _check_same([coeffs[0]] + [t for det in coeffs[1:] for t in det], "waverec2")
    if len(coeffs) == 1:
        return coeffs[0]
    dims = _dims(ref, axes, 2)
    return _synthesis([coeffs[0]] + [{k: v for k, v in zip(("da", "ad", "dd"), det) if v is not None} for det in coeffs[1:]], wavelet, dims, backend)


# ----------------------------------------------------------------------------------------------
# 3-d


def wavedec3(data: torch.Tensor, wavelet, *, mode: str = "zero", level: int | None = None,
             axes: tuple[int, int, int] = (-3, -2, -1), backend: str | None = None) -> tuple:
    """Multilevel 3-D fast wavelet transform over ``axes``, as ``ptwt.wavedec3`` (default
    ``mode='zero'``). Returns the ``tuple`` ``(cA_n, D_n, ..., D_1)``; each ``D_l`` is a dict keyed
    ``'aad', 'ada', 'add', 'daa', 'dad', 'dda', 'ddd'`` whose letter ``i`` names the filter
    (``a``: low-pass, ``d``: high-pass) along ``axes[i]``."""
    out = _analysis(data, wavelet, mode, level, axes, 3, "zero", backend)
    return (out[0],) + tuple({k: b[k] for k in _KEYS_3D} for b in out[1:])


def _check_dicts(coeffs, what: str, n_keys: int | None):
    for i, det in enumerate(coeffs[1:], start=1):
        if not isinstance(det, dict) or (n_keys is not None and len(det) != n_keys):
            raise ValueError(f"Unexpected detail coefficient type: {type(det)} at coeffs[{i}]. Detail coefficients "
                             f"must be a dict{f' containing {n_keys} tensors' if n_keys else ''} as returned by "
                             f"{what.replace('rec', 'dec')}.")
    return _check_same([coeffs[0]] + [t for det in coeffs[1:] for t in det.values()], what)


def waverec3(coeffs, wavelet, axes: tuple[int, int, int] = (-3, -2, -1), *,
             backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`wavedec3` over ``axes``, as ``ptwt.waverec3``: ``coeffs`` is
    ``(cA_n, D_n, ..., D_1)`` with each ``D_l`` a dict of the 7 detail bands."""
    _check_coeffs(coeffs, "waverec3")
    ref = _check_dicts(coeffs, "waverec3", 7)
    if len(coeffs) == 1:
        return coeffs[0]
    dims = _dims(ref, axes, 3)
    return _synthesis([coeffs[0]] + [dict(d) for d in coeffs[1:]], wavelet, dims, backend)


# ----------------------------------------------------------------------------------------------
# separable 2-d and 3-d


def _fswavedec(data, wavelet, mode, level, axes, ndim, backend) -> tuple:
    if axes is None:
        axes = tuple(range(-ndim, 0))
    out = _analysis(data, wavelet, mode, level, axes, ndim, "reflect", backend)
    return (out[0],) + tuple({k: b[k] for k in _FS_KEYS[ndim]} for b in out[1:])


def _fswaverec(coeffs, wavelet, axes, ndim, backend) -> torch.Tensor:
    what = f"fswaverec{ndim}"
    if axes is None:
        axes = tuple(range(-ndim, 0))
    _check_coeffs(coeffs, what)
    # ptwt overwrites an all-'a' entry of a detail dict with the running approximation (and, for
    # batched input, leaves it in the caller's dicts), so such an entry is ignored here as well
    approx_key = "a" * ndim
    coeffs = [coeffs[0]] + [{k: v for k, v in d.items() if k != approx_key} if isinstance(d, dict) else d
                            for d in coeffs[1:]]
    ref = _check_dicts(coeffs, what, None)
    if len(coeffs) == 1:
        return coeffs[0]
    dims = _dims(ref, axes, ndim)
    return _synthesis(coeffs, wavelet, dims, backend)


def fswavedec2(data: torch.Tensor, wavelet, *, mode: str = "reflect", level: int | None = None,
               axes: tuple[int, int] = (-2, -1), backend: str | None = None) -> tuple:
    """Separable multilevel 2-D transform over ``axes``, as ``ptwt.fswavedec2``: one 1-D level
    along each axis, recursing on the ``'aa'`` band (so the numbers are :func:`wavedec2`'s).
    Returns the ``tuple`` ``(cA_n, D_n, ..., D_1)`` of dicts keyed ``'da', 'ad', 'dd'`` (letter
    ``i``: the filter along ``axes[i]``; ``'da'`` is :func:`wavedec2`'s horizontal band)."""
    return _fswavedec(data, wavelet, mode, level, axes, 2, backend)


def fswaverec2(coeffs, wavelet, axes: tuple[int, int] = (-2, -1), *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`fswavedec2` over ``axes``, as ``ptwt.fswaverec2`` (the caller's dicts are
    left unchanged; missing bands count as zeros; an ``'aa'`` entry, which ptwt's own
    ``fswaverec2`` writes into batched callers' dicts, is ignored, as ptwt ignores it)."""
    return _fswaverec(coeffs, wavelet, axes, 2, backend)


def fswavedec3(data: torch.Tensor, wavelet, *, mode: str = "reflect", level: int | None = None,
               axes: tuple[int, int, int] = (-3, -2, -1), backend: str | None = None) -> tuple:
    """Separable multilevel 3-D transform over ``axes``, as ``ptwt.fswavedec3`` (default
    ``mode='reflect'``, unlike :func:`wavedec3`). Returns ``(cA_n, D_n, ..., D_1)``, dicts keyed
    ``'daa', 'ada', 'dda', 'aad', 'dad', 'add', 'ddd'`` in ptwt's order."""
    return _fswavedec(data, wavelet, mode, level, axes, 3, backend)


def fswaverec3(coeffs, wavelet, axes: tuple[int, int, int] = (-3, -2, -1), *,
               backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`fswavedec3` over ``axes``, as ``ptwt.fswaverec3``."""
    return _fswaverec(coeffs, wavelet, axes, 3, backend)
