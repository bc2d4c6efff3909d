r"""Discrete cosine transforms with ``scipy.fft``'s arguments and numbers.

For a length-``N`` axis the un-normalised DCT-II (``norm=None`` / ``'backward'``) is

.. math:: y_k = 2 \sum_{n=0}^{N-1} x_n \cos\left(\frac{\pi k (2n+1)}{2N}\right),

``norm='ortho'`` scales it to an orthonormal matrix and ``norm='forward'``
divides the forward transform by :math:`2N` instead of the inverse. Types 1,
3 and 4 are defined as in :func:`scipy.fft.dct`; ``idct(type=t)`` inverts
``dct(type=t)`` for the same ``norm``. The other normalisation METHODS.md uses
(:math:`X_k = \sum_n x_n \cos(\cdot)`, scipy's backward DCT-II halved) is
``dct(x, norm=None) / 2``.

All functions take any number of leading dims, float16/bfloat16/float32
(computed in float32) or float64, any strides, and are differentiable.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import _dispatch
from .._checks import check_float_tensor, check_norm, check_positive_int, normalize_dim, normalize_dims

_TYPES = (1, 2, 3, 4)


def _check_type(type) -> int:
    if type not in _TYPES:
        raise ValueError(f"type must be 1, 2, 3 or 4, got {type!r}")
    return type


def _fit_length(x: torch.Tensor, dim: int, n: int) -> torch.Tensor:
    """Truncate or zero-pad ``x`` along ``dim`` to length ``n`` (scipy's ``n``/``s``)."""
    cur = x.shape[dim]
    if n == cur:
        return x
    if n < cur:
        return x.narrow(dim, 0, n)
    pad = [0, 0] * (x.ndim - 1 - dim) + [0, n - cur]
    return F.pad(x, pad)


def _prepare(x, type, sizes, dims, norm, name_sizes):
    check_float_tensor(x)
    _check_type(type)
    norm = check_norm(norm)
    if sizes is not None:
        if len(sizes) != len(dims):
            raise ValueError(f"{name_sizes} has {len(sizes)} entries but {len(dims)} dims are transformed")
        for d, n in zip(dims, sizes):
            if n is None or n == -1:
                continue
            check_positive_int(n, name_sizes)
            x = _fit_length(x, d, n)
    if type == 1:
        for d in dims:
            if x.shape[d] < 2:
                raise ValueError(f"DCT type 1 needs at least 2 points along dim {d}, got {x.shape[d]}")
    return x, norm


def _run(x, type, dims, norm, inverse, backend):
    return _dispatch.select("dct", x, backend).dct(x, type, dims, norm, inverse)


def dct(x: torch.Tensor, type: int = 2, n: int | None = None, dim: int = -1, norm: str | None = None,
        *, backend: str | None = None) -> torch.Tensor:
    """1-D DCT of ``type`` along ``dim``; same arguments and numbers as :func:`scipy.fft.dct`.

    ``n`` truncates or zero-pads the input along ``dim`` first. Returns a tensor
    of ``x``'s dtype whose ``dim`` has length ``n`` (or the input length).
    """
    check_float_tensor(x)
    d = normalize_dim(dim, x.ndim)
    x, norm = _prepare(x, type, None if n is None else (n,), (d,), norm, "n")
    return _run(x, type, (d,), norm, False, backend)


def idct(x: torch.Tensor, type: int = 2, n: int | None = None, dim: int = -1, norm: str | None = None,
         *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dct` for the same ``type`` and ``norm``, as :func:`scipy.fft.idct`."""
    check_float_tensor(x)
    d = normalize_dim(dim, x.ndim)
    x, norm = _prepare(x, type, None if n is None else (n,), (d,), norm, "n")
    return _run(x, type, (d,), norm, True, backend)


def _nd_dims(x, s, dim):
    if dim is None:
        dims = tuple(range(x.ndim)) if s is None else tuple(range(x.ndim - len(s), x.ndim))
        if s is not None and len(s) > x.ndim:
            raise ValueError(f"s has {len(s)} entries but x has only {x.ndim} dimensions")
        return dims
    return normalize_dims(dim, x.ndim)


def dctn(x: torch.Tensor, type: int = 2, s=None, dim=None, norm: str | None = None,
         *, backend: str | None = None) -> torch.Tensor:
    """N-D DCT over ``dim`` (all dims, or the last ``len(s)``, when ``None``), as :func:`scipy.fft.dctn`.

    The transform is separable: the 1-D DCT applied along each dim in turn.
    """
    check_float_tensor(x)
    dims = _nd_dims(x, s, dim)
    x, norm = _prepare(x, type, None if s is None else tuple(s), dims, norm, "s")
    return _run(x, type, dims, norm, False, backend)


def idctn(x: torch.Tensor, type: int = 2, s=None, dim=None, norm: str | None = None,
          *, backend: str | None = None) -> torch.Tensor:
    """Inverse of :func:`dctn` for the same ``type`` and ``norm``, as :func:`scipy.fft.idctn`."""
    check_float_tensor(x)
    dims = _nd_dims(x, s, dim)
    x, norm = _prepare(x, type, None if s is None else tuple(s), dims, norm, "s")
    return _run(x, type, dims, norm, True, backend)
