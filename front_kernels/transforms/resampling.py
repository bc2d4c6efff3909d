r"""Per-axis resampling matrices for :func:`front_kernels.resize`.

Every resize of METHODS.md is separable: along each axis of length ``n`` that
becomes ``m`` it multiplies by an ``m x n`` matrix ``A``. The matrices are built
once in float64 on the CPU with the public transforms themselves (so they are
exactly what the transforms compute), cached, and moved to the caller's
device and dtype.

DCT (orthonormal DCT-II matrix :math:`C_n`, rows = frequencies, :math:`k=\min(m,n)`):

.. math:: A = \gamma\, C_m[:k]^T\, C_n[:k]

DWT, ratio :math:`2^j` (``j`` single-level steps of the chosen wavelet and mode):

* shrink (L2S): :math:`A = \gamma\, H_{j} \cdots H_{1}` where :math:`H_i` is the
  approximation (low-pass) half of one analysis step (the details are dropped);
* grow (S2L): :math:`A = \gamma\, G_{j} \cdots G_{1}` where :math:`G_i` is one
  synthesis step with the detail band set to zero.

A ratio that is not a power of two takes ``j = floor(|log2(m/n)|)`` wavelet
steps towards ``m`` (never past it) and finishes the remaining factor (< 2)
with the DCT matrix above (``non_dyadic='dct'``) or by truncating /
periodically extending the approximation band (``non_dyadic='pad'``). With
mode ``'periodization'`` every step halves / doubles the length exactly; with
the other modes the band lengths follow PyWavelets and the non-dyadic step
absorbs the difference.

Rescale factor :math:`\gamma` per axis:

* ``'amplitude'``: DCT :math:`\sqrt{m/n}`; DWT :math:`2^{-j/2}` when shrinking,
  :math:`2^{j/2}` when growing — a smooth signal keeps its values;
* ``'reference'``: DCT :math:`\sqrt{n/m}` — the numbers of the FRONT reference
  script's un-normalised pair :math:`X_k=\sum_n x_n\cos(\pi k(2n+1)/2N)` and its
  exact inverse, which scale amplitudes by about :math:`n/m`; DWT 1 (plain
  orthonormal coefficients, as PyWavelets returns them);
* ``'std'``: 1 here; the output is re-standardised afterwards.
"""
from __future__ import annotations

import functools
import math

import torch

RESCALES = ("std", "amplitude", "reference")
METHODS = ("dct", "dwt")
NON_DYADIC = ("dct", "pad")
_DEVICE_CACHE_SIZE = 64


@functools.lru_cache(maxsize=256)
def dct_matrix(n: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix :math:`C_n` (float64, CPU): ``C_n @ x == dct(x, norm='ortho')``."""
    from .dct import dct

    return dct(torch.eye(n, dtype=torch.float64), dim=0, norm="ortho", backend="reference")


def _dct_matrix(n: int) -> torch.Tensor:
    return dct_matrix.__wrapped__(n) if torch.compiler.is_compiling() else dct_matrix(n)


def _dct_resample(n: int, m: int, rescale: str) -> torch.Tensor:
    k = min(n, m)
    a = _dct_matrix(m)[:k].T @ _dct_matrix(n)[:k]
    if rescale == "amplitude":
        a = a * math.sqrt(m / n)
    elif rescale == "reference":
        a = a * math.sqrt(n / m)
    return a


def _dwt_step(n: int, wavelet: str, mode: str, grow: bool) -> torch.Tensor:
    from .wavelet import dwt, idwt

    eye = torch.eye(n, dtype=torch.float64)
    if grow:
        return idwt(eye, None, wavelet, mode=mode, axis=0, backend="reference")
    return dwt(eye, wavelet, mode=mode, axis=0, backend="reference")[0]


def _pad_or_truncate(n: int, m: int) -> torch.Tensor:
    """Truncate to the first ``m`` samples, or extend periodically to ``m`` samples."""
    return torch.eye(n, dtype=torch.float64)[torch.arange(m) % n]


def dyadic_levels(n: int, m: int) -> int:
    """Wavelet levels of a resize ``n -> m``: ``j = floor(|log2(m / n)|)`` (0 for a ratio below 2)."""
    return int(math.floor(abs(math.log2(m / n)) + 1e-12))


def _dwt_resample(n: int, m: int, rescale: str, wavelet: str, mode: str, non_dyadic: str) -> torch.Tensor:
    grow = m > n
    levels = dyadic_levels(n, m)
    a = torch.eye(n, dtype=torch.float64)
    for _ in range(levels):
        a = _dwt_step(a.shape[0], wavelet, mode, grow) @ a
    if rescale == "amplitude":
        a = a * 2.0 ** ((levels if grow else -levels) / 2)
    cur = a.shape[0]
    if cur != m:
        finish = _dct_resample(cur, m, "std" if rescale == "reference" else rescale) if non_dyadic == "dct" \
            else _pad_or_truncate(cur, m)
        a = finish @ a
    return a


@functools.lru_cache(maxsize=256)
def resample_matrix(n: int, m: int, method: str, rescale: str, wavelet: str, mode: str,
                    non_dyadic: str) -> torch.Tensor | None:
    """The ``(m, n)`` float64 CPU matrix of one axis, or ``None`` for the identity."""
    if n == m:
        return None
    if method == "dct":
        return _dct_resample(n, m, rescale)
    return _dwt_resample(n, m, rescale, wavelet, mode, non_dyadic)


@functools.lru_cache(maxsize=_DEVICE_CACHE_SIZE)
def _on_device(key: tuple, dtype: torch.dtype, device: torch.device) -> torch.Tensor | None:
    a = resample_matrix(*key)
    return None if a is None else a.to(device=device, dtype=dtype)


def resample_matrices(sizes_in, sizes_out, method, rescale, wavelet, mode, non_dyadic, dtype, device):
    """Matrices for every resized axis, in ``dtype`` on ``device`` (cached, bounded).

    Under ``torch.compile`` the matrices are built inside the graph instead
    (the compiler folds them into constants), since the caches are Python state.
    """
    keys = [(n, m, method, rescale, wavelet, mode, non_dyadic) for n, m in zip(sizes_in, sizes_out)]
    if torch.compiler.is_compiling():
        built = [resample_matrix.__wrapped__(*key) for key in keys]
        return tuple(None if a is None else a.to(device=device, dtype=dtype) for a in built)
    return tuple(_on_device(key, dtype, torch.device(device)) for key in keys)


def clear_cache() -> None:
    """Drop every cached matrix (float64 builds and their device copies)."""
    dct_matrix.cache_clear()
    resample_matrix.cache_clear()
    _on_device.cache_clear()
