r"""Discrete cosine and sine transforms with ``scipy.fft``'s arguments and numbers.

For a length-``N`` axis the un-normalised DCT-II (``norm=None`` / ``'backward'``) is

.. math:: y_k = 2 \sum_{n=0}^{N-1} x_n \cos\left(\frac{\pi k (2n+1)}{2N}\right),

``norm='ortho'`` scales it to an orthonormal matrix and ``norm='forward'``
divides the forward transform by :math:`2N` instead of the inverse. Types 1,
3 and 4 are defined as in :func:`scipy.fft.dct`; ``idct(type=t)`` inverts
``dct(type=t)`` for the same ``norm``. The other normalisation METHODS.md uses
(:math:`X_k = \sum_n x_n \cos(\cdot)`, scipy's backward DCT-II halved) is
``dct(x, norm=None) / 2``.

The DSTs (:func:`dst`, :func:`idst`, :func:`dstn`, :func:`idstn`) follow
:func:`scipy.fft.dst`; types 2-4 run on the backend's DCT through the exact identities

.. math:: \mathrm{DST2}(x)_k = \mathrm{DCT2}(s \odot x)_{N-1-k}, \quad
          \mathrm{DST3}(x) = s \odot \mathrm{DCT3}(\mathrm{flip}\,x), \quad
          \mathrm{DST4}(x)_k = \mathrm{DCT4}(s \odot x)_{N-1-k},

with :math:`s_n = (-1)^n` (the normalisations of the two families agree type by
type), and DST-I, :math:`y_k = 2 \sum_n x_n \sin(\pi (k+1)(n+1)/(N+1))`, as a product
with its matrix on the backend's matrix-chain op (``resize``), so every backend
that has the DCT has the DST.

Arguments as scipy: ``axis`` / ``axes`` are aliases of ``dim``; ``n``, ``s``,
``axis`` and ``axes`` take Python or numpy integers, ``s`` and ``axes`` also
sequences or arrays, a scalar ``s`` goes with a scalar ``axes``, and ``-1`` in
``s`` keeps that axis' length; ``orthogonalize`` (default: ``norm == 'ortho'``)
rescales the end samples as :func:`scipy.fft.dct` does; ``overwrite_x`` and
``workers`` are accepted and have no effect (the input is never modified).

All functions take any number of leading dims, float16/bfloat16/float32
(computed in float32) or float64, any strides, and are differentiable.
"""
from __future__ import annotations

import math
import numbers
import operator

import torch
import torch.nn.functional as F

from .. import _dispatch
from .._checks import check_float_tensor, check_norm, check_positive_int, compute_dtype, normalize_dim

_TYPES = (1, 2, 3, 4)
_INVERSE_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}
_SQRT2 = math.sqrt(2.0)

__all__ = ["dct", "idct", "dctn", "idctn", "dst", "idst", "dstn", "idstn"]


def _check_type(type) -> int:
    if isinstance(type, bool) or not isinstance(type, numbers.Integral) or int(type) not in _TYPES:
        raise ValueError(f"type must be 1, 2, 3 or 4, got {type!r}")
    return int(type)


def _fit_length(x: torch.Tensor, dim: int, n: int) -> torch.Tensor:
    """Truncate or zero-pad ``x`` along ``dim`` to length ``n`` (scipy's ``n``/``s``)."""
    cur = x.shape[dim]
    if n == cur:
        return x
    if n < cur:
        return x.narrow(dim, 0, n)
    pad = [0, 0] * (x.ndim - 1 - dim) + [0, n - cur]
    return F.pad(x, pad)


def _pick(dim, alias, alias_name: str):
    if dim is not None and alias is not None:
        raise TypeError(f"give either dim or its alias {alias_name}, not both (got dim={dim!r}, "
                        f"{alias_name}={alias!r})")
    return alias if dim is None else dim


def _int_list(value, name: str) -> list:
    """scipy's ``_iterable_of_int``: a scalar or an iterable of integers (``None`` entries kept for ``s``)."""
    if isinstance(value, numbers.Number) or (isinstance(value, torch.Tensor) and value.ndim == 0):
        value = (value,)
    try:
        return [None if v is None else operator.index(v) for v in value]
    except TypeError as exc:
        raise ValueError(f"{name} must be an integer or a sequence of integers, got {value!r}") from exc


def _nd_dims_and_sizes(x: torch.Tensor, s, axes):
    """scipy's ``_init_nd_shape_and_axes``: the transformed dims and the size of each."""
    dims = None
    if axes is not None:
        dims = [a + x.ndim if a < 0 else a for a in _int_list(axes, "axes")]
        if any(a >= x.ndim or a < 0 for a in dims):
            raise ValueError(f"dim={axes!r} is out of range for a tensor with {x.ndim} dimensions")
        if len(set(dims)) != len(dims):
            raise ValueError(f"dim={axes!r} repeats a dimension")
    if s is not None:
        sizes = _int_list(s, "s")
        if dims is not None and len(dims) != len(sizes):
            raise ValueError(f"s has {len(sizes)} entries but {len(dims)} dims are transformed "
                             f"(when given, axes and shape arguments have to be of the same length)")
        if dims is None:
            if len(sizes) > x.ndim:
                raise ValueError(f"s has {len(sizes)} entries but x has only {x.ndim} dimensions")
            dims = list(range(x.ndim - len(sizes), x.ndim))
        sizes = [x.shape[d] if n is None or n == -1 else n for n, d in zip(sizes, dims)]
    else:
        if dims is None:
            dims = list(range(x.ndim))
        sizes = [x.shape[d] for d in dims]
    for n in sizes:
        if n < 1:
            raise ValueError(f"s must be >= 1 (invalid number of data points {n})")
    return tuple(dims), tuple(sizes)


def _prepare(x, type, sizes, dims, norm, name_sizes, kind: str):
    type = _check_type(type)
    norm = check_norm(norm)
    if sizes is not None:
        if len(sizes) != len(dims):
            raise ValueError(f"{name_sizes} has {len(sizes)} entries but {len(dims)} dims are transformed")
        for d, n in zip(dims, sizes):
            if n is None or n == -1:
                continue
            n = check_positive_int(n, name_sizes)
            x = _fit_length(x, d, n)
    if type == 1 and kind == "dct":
        for d in dims:
            if x.shape[d] < 2:
                raise ValueError(f"DCT type 1 needs at least 2 points along dim {d}, got {x.shape[d]}")
    return x, type, norm


# ----------------------------------------------------------------------------------------------
# orthogonalize (scipy >= 1.8): rescaled end samples, relative to what the backends compute


def _scale_ends(x: torch.Tensor, dims, first: float, last: float) -> torch.Tensor:
    for d in dims:
        n = x.shape[d]
        w = torch.ones(n, dtype=x.dtype, device=x.device)
        w[0] = first
        w[n - 1] = w[n - 1] * last
        shape = [1] * x.ndim
        shape[d] = n
        x = x * w.reshape(shape)
    return x


# (pre first, pre last, post first, post last) turning the transform of effective type t
# without scipy's orthogonalization into the orthogonalized one
_ORTHOGONALIZE = {
    ("dct", 1): (_SQRT2, _SQRT2, 1 / _SQRT2, 1 / _SQRT2),
    ("dct", 2): (1.0, 1.0, 1 / _SQRT2, 1.0),
    ("dct", 3): (_SQRT2, 1.0, 1.0, 1.0),
    ("dst", 2): (1.0, 1.0, 1.0, 1 / _SQRT2),
    ("dst", 3): (1.0, _SQRT2, 1.0, 1.0),
}


def _run(kind, x, type, dims, norm, inverse, orthogonalize, backend):
    """The transform, with scipy's ``orthogonalize`` on top of the backend's convention
    (orthogonalized for ``'ortho'``, plain otherwise)."""
    want = norm == "ortho" if orthogonalize is None else bool(orthogonalize)
    fix = None
    if want != (norm == "ortho"):
        fix = _ORTHOGONALIZE.get((kind, _INVERSE_TYPE[type] if inverse else type))
    if fix is not None:
        pre_first, pre_last, post_first, post_last = fix if want else tuple(1 / f for f in fix)
        if (pre_first, pre_last) != (1.0, 1.0):
            x = _scale_ends(x.to(compute_dtype(x.dtype)), dims, pre_first, pre_last)
    transform = _dct if kind == "dct" else _dst
    y = transform(x, type, dims, norm, inverse, backend)
    if fix is not None and (post_first, post_last) != (1.0, 1.0):
        y = _scale_ends(y, dims, post_first, post_last)
    return y


def _dct(x, type, dims, norm, inverse, backend):
    lengths = [x.shape[d] for d in dims]
    return _dispatch.select("dct", x, backend, lengths=lengths).dct(x, type, dims, norm, inverse)


# ----------------------------------------------------------------------------------------------
# DST on the backends' DCT (types 2-4) and matrix chain (type 1)


def _alternate(x: torch.Tensor, dims) -> torch.Tensor:
    """``x`` times ``(-1)^n`` along every dim of ``dims``."""
    for d in dims:
        n = x.shape[d]
        s = 1 - 2 * (torch.arange(n, device=x.device) % 2)
        shape = [1] * x.ndim
        shape[d] = n
        x = x * s.to(x.dtype).reshape(shape)
    return x


def _dst1_matrix(n: int, norm: str, inverse: bool, dtype, device) -> torch.Tensor:
    """``(n, n)`` DST-I matrix of scipy's ``dst(type=1)`` (``inverse``: ``idst``), built in float64
    with the sine's argument reduced modulo its period in integer arithmetic."""
    k = torch.arange(1, n + 1, dtype=torch.int64, device=device)
    arg = torch.remainder(k[:, None] * k[None, :], 2 * (n + 1)).to(torch.float64)
    m = 2 * torch.sin(math.pi * arg / (n + 1))
    if norm == "ortho":
        m = m / math.sqrt(2 * (n + 1))
    elif (norm == "backward") == inverse:
        m = m / (2 * (n + 1))
    return m.to(dtype)


def _dst1(x, dims, norm, inverse, backend):
    mod = _dispatch.select("resize", x, backend, lengths=[x.shape[d] for d in dims])
    mdt = compute_dtype(x.dtype)
    for d in dims:
        mat = _dst1_matrix(x.shape[d], norm, inverse, mdt, x.device)
        x = mod.resize(x.movedim(d, -1), [mat], False).movedim(-1, d)
    return x


def _dst(x, type, dims, norm, inverse, backend):
    if type == 1:
        return _dst1(x, dims, norm, inverse, backend)
    dims = tuple(dims)
    # DST2 = flip . DCT2 . s, DST3 = s . DCT3 . flip, DST4 = flip . DCT4 . s (s: (-1)^n);
    # the inverses reverse the order: IDST2 = s . IDCT2 . flip, IDST3 = flip . IDCT3 . s, ...
    if (type == 3) != inverse:
        return _alternate(_dct(x.flip(dims), type, dims, norm, inverse, backend), dims)
    return _dct(_alternate(x, dims), type, dims, norm, inverse, backend).flip(dims)


# ----------------------------------------------------------------------------------------------
# public functions


def _one(kind, inverse, x, type, n, dim, norm, orthogonalize, axis, backend):
    check_float_tensor(x)
    d = normalize_dim(-1 if (chosen := _pick(dim, axis, "axis")) is None else chosen, x.ndim)
    x, type, norm = _prepare(x, type, None if n is None else (n,), (d,), norm, "n", kind)
    return _run(kind, x, type, (d,), norm, inverse, orthogonalize, backend)


def _many(kind, inverse, x, type, s, dim, norm, orthogonalize, axes, backend):
    check_float_tensor(x)
    dims, sizes = _nd_dims_and_sizes(x, s, _pick(dim, axes, "axes"))
    x, type, norm = _prepare(x, type, sizes, dims, norm, "s", kind)
    return _run(kind, x, type, dims, norm, inverse, orthogonalize, backend)


def dct(x: torch.Tensor, type: int = 2, n: int | None = None, dim: int | None = None, norm: str | None = None,
        overwrite_x: bool = False, workers=None, orthogonalize: bool | None = None, *, axis: int | None = None,
        backend: str | None = None) -> torch.Tensor:
    """1-D DCT of ``type`` along ``dim`` (alias ``axis``, default -1); same arguments and numbers as
    :func:`scipy.fft.dct`.

    ``n`` truncates or zero-pads the input along ``dim`` first. Returns a tensor
    of ``x``'s dtype whose ``dim`` has length ``n`` (or the input length).
    """
    return _one("dct", False, x, type, n, dim, norm, orthogonalize, axis, backend)


def idct(x: torch.Tensor, type: int = 2, n: int | None = None, dim: int | None = None, norm: str | None = None,
         overwrite_x: bool = False, workers=None, orthogonalize: bool | None = None, *, axis: int | None = None,
         backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dct` for the same ``type`` and ``norm``, as :func:`scipy.fft.idct`."""
    return _one("dct", True, x, type, n, dim, norm, orthogonalize, axis, backend)


def dctn(x: torch.Tensor, type: int = 2, s=None, dim=None, norm: str | None = None, overwrite_x: bool = False,
         workers=None, *, orthogonalize: bool | None = None, axes=None, backend: str | None = None) -> torch.Tensor:
    """N-D DCT over ``dim`` (alias ``axes``; all dims, or the last ``len(s)``, when ``None``), as
    :func:`scipy.fft.dctn`.

    The transform is separable: the 1-D DCT applied along each dim in turn.
    """
    return _many("dct", False, x, type, s, dim, norm, orthogonalize, axes, backend)


def idctn(x: torch.Tensor, type: int = 2, s=None, dim=None, norm: str | None = None, overwrite_x: bool = False,
          workers=None, *, orthogonalize: bool | None = None, axes=None, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dctn` for the same ``type`` and ``norm``, as :func:`scipy.fft.idctn`."""
    return _many("dct", True, x, type, s, dim, norm, orthogonalize, axes, backend)


def dst(x: torch.Tensor, type: int = 2, n: int | None = None, dim: int | None = None, norm: str | None = None,
        overwrite_x: bool = False, workers=None, orthogonalize: bool | None = None, *, axis: int | None = None,
        backend: str | None = None) -> torch.Tensor:
    r"""1-D DST of ``type`` along ``dim`` (alias ``axis``), as :func:`scipy.fft.dst`.

    Un-normalised (``norm=None``): type 1 :math:`y_k = 2\sum_n x_n \sin(\pi(k+1)(n+1)/(N+1))`,
    type 2 :math:`2\sum_n x_n \sin(\pi(k+1)(2n+1)/(2N))`, type 3
    :math:`(-1)^k x_{N-1} + 2\sum_{n<N-1} x_n \sin(\pi(2k+1)(n+1)/(2N))`, type 4
    :math:`2\sum_n x_n \sin(\pi(2k+1)(2n+1)/(4N))`; ``norm`` as for :func:`dct`
    (type 1's inverse factor is :math:`2(N+1)`).
    """
    return _one("dst", False, x, type, n, dim, norm, orthogonalize, axis, backend)


def idst(x: torch.Tensor, type: int = 2, n: int | None = None, dim: int | None = None, norm: str | None = None,
         overwrite_x: bool = False, workers=None, orthogonalize: bool | None = None, *, axis: int | None = None,
         backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dst` for the same ``type`` and ``norm``, as :func:`scipy.fft.idst`."""
    return _one("dst", True, x, type, n, dim, norm, orthogonalize, axis, backend)


def dstn(x: torch.Tensor, type: int = 2, s=None, dim=None, norm: str | None = None, overwrite_x: bool = False,
         workers=None, *, orthogonalize: bool | None = None, axes=None, backend: str | None = None) -> torch.Tensor:
    """N-D DST over ``dim`` (alias ``axes``), as :func:`scipy.fft.dstn`."""
    return _many("dst", False, x, type, s, dim, norm, orthogonalize, axes, backend)


def idstn(x: torch.Tensor, type: int = 2, s=None, dim=None, norm: str | None = None, overwrite_x: bool = False,
          workers=None, *, orthogonalize: bool | None = None, axes=None, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dstn` for the same ``type`` and ``norm``, as :func:`scipy.fft.idstn`."""
    return _many("dst", True, x, type, s, dim, norm, orthogonalize, axes, backend)
