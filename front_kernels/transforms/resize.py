r"""Spectral resize of the trailing dims of a tensor: FRONT's DCT truncate / pad
and BoT's wavelet down / up-sampling (METHODS.md sections 1.3, 1.5, 2.1, 3).

For ``x`` of shape ``(*batch, n_1, ..., n_k)`` and ``shape = (m_1, ..., m_k)``

.. math:: y = A_1 \otimes A_2 \otimes \dots \otimes A_k \cdot x,

one ``m_i x n_i`` matrix per axis (see :mod:`front_kernels.transforms.resampling`
for the matrices and the rescale factors). With ``rescale='std'`` the result
of every batch element is re-standardised to that element's input statistics:

.. math:: y \leftarrow \frac{y - \mathrm{mean}(y)}{\mathrm{std}(y) + 10^{-8}}\,\mathrm{std}(x) + \mathrm{mean}(x)

(std with Bessel's correction, over the resized dims), so the result has the
scale of the source tensor.
"""
from __future__ import annotations

import torch

from .. import _dispatch
from .._checks import check_choice, check_float_tensor, check_positive_int, compute_dtype
from .resampling import METHODS, NON_DYADIC, RESCALES, resample_matrices


def resize(x: torch.Tensor, shape, method: str = "dct", rescale: str = "std", *, wavelet: str = "haar",
           mode: str = "periodization", non_dyadic: str = "dct", backend: str | None = None) -> torch.Tensor:
    """Resize the trailing ``len(shape)`` dims of ``x`` to ``shape`` in the DCT or wavelet domain.

    Parameters
    ----------
    x : Tensor of shape ``(*batch, n_1, ..., n_k)``, floating.
    shape : sequence of ``k`` ints ``m_i >= 1`` (``-1`` keeps that dim).
    method : ``'dct'`` (keep / zero-pad the low-frequency DCT coefficients) or
        ``'dwt'`` (keep the wavelet approximation band / synthesise with zero details).
    rescale : ``'std'`` (default), ``'amplitude'`` or ``'reference'`` (see module docs).
    wavelet, mode : wavelet and boundary mode for ``method='dwt'`` (PyWavelets names).
    non_dyadic : how ``method='dwt'`` finishes a ratio that is not a power of two:
        ``'dct'`` (DCT resize of the remaining factor) or ``'pad'``.

    Returns a tensor of shape ``(*batch, m_1, ..., m_k)`` and ``x``'s dtype.
    """
    check_float_tensor(x)
    check_choice(method, METHODS, "method")
    check_choice(rescale, RESCALES, "rescale")
    check_choice(non_dyadic, NON_DYADIC, "non_dyadic")
    if isinstance(shape, int) or not hasattr(shape, "__len__"):
        raise TypeError(f"shape must be a sequence of ints, got {shape!r}")
    k = len(shape)
    if not 1 <= k <= x.ndim:
        raise ValueError(f"shape={tuple(shape)} must name between 1 and x.ndim={x.ndim} trailing dims")
    sizes_in = tuple(x.shape[x.ndim - k:])
    sizes_out = tuple(n if m == -1 else check_positive_int(m, "shape") for n, m in zip(sizes_in, shape))
    if method == "dwt":
        from ..wavelets import check_mode, get_wavelet

        wavelet = get_wavelet(wavelet).name
        check_mode(mode)
    if rescale == "std":
        count = 1
        for n in sizes_in:
            count *= n
        if count < 2:
            raise ValueError("rescale='std' needs at least 2 elements in the resized dims to measure a std")
    mats = resample_matrices(sizes_in, sizes_out, method, rescale, wavelet, mode, non_dyadic,
                             compute_dtype(x.dtype), x.device)
    lengths = list(sizes_in) + list(sizes_out)
    return _dispatch.select("resize", x, backend, lengths=lengths).resize(x, mats, rescale == "std")
