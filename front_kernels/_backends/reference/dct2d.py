r"""Two-axis DCT-II / DCT-III with one real 2-D FFT (Makhoul's reordering in 2-D).

Let :math:`v` be ``x`` reordered along both axes (even samples, then odd
samples reversed), :math:`V = \mathrm{rfft2}(v)` (columns :math:`k_2 \le N_2/2`)
and :math:`Q = V \odot (W_1 \otimes W_2)` with :math:`W_j(k) = e^{-i\pi k/(2N_j)}`.
Write :math:`\bar Q` for ``Q`` with its rows reflected (:math:`k_1 \to N_1-k_1`)
and row 0 replaced by :math:`-iQ_{0,\cdot}`. The scipy-normalised 2-D DCT-II
(:math:`4\sum\sum x\cos\cos`) is then

.. math::
   X_{k_1,k_2} = 2(\mathrm{Re}\,Q - \mathrm{Im}\,\bar Q)_{k_1,k_2}, \qquad
   X_{k_1,N_2-k_2} = -2(\mathrm{Im}\,Q + \mathrm{Re}\,\bar Q)_{k_1,k_2},

so the whole transform costs one ``rfft2`` and a few elementwise passes over
the half spectrum, instead of two 1-D FFT passes plus reorderings. The
inverse solves these relations for ``Q`` (row- and column-mirrors of ``X``
with a zero row / column 0) and uses one ``irfft2``.
"""
from __future__ import annotations

import math

import torch


def _reorder_index(n: int, device) -> torch.Tensor:
    """Makhoul's order: even samples, then odd samples reversed."""
    return torch.cat([torch.arange(0, n, 2, device=device), torch.arange(1, n, 2, device=device).flip(0)])


def _unorder_index(n: int, device) -> torch.Tensor:
    """Inverse permutation of :func:`_reorder_index`."""
    return torch.argsort(_reorder_index(n, device))


def _reflect_index(n: int, device) -> torch.Tensor:
    return (-torch.arange(n, device=device)) % n


def _twiddle_2d(n1: int, n2: int, dtype, device, sign: float) -> torch.Tensor:
    k1 = torch.arange(n1, dtype=dtype, device=device)
    k2 = torch.arange(n2 // 2 + 1, dtype=dtype, device=device)
    phase = sign * math.pi * (k1[:, None] / (2 * n1) + k2[None, :] / (2 * n2))
    return torch.polar(torch.ones_like(phase), phase)


def _view2d(v: torch.Tensor, ndim: int, d1: int, d2: int) -> torch.Tensor:
    shape = [1] * ndim
    shape[d1], shape[d2] = v.shape
    return v.reshape(shape)


def dct2_2d(x: torch.Tensor, d1: int, d2: int, scale: torch.Tensor) -> torch.Tensor:
    """scipy's un-normalised DCT-II along ``d1`` and ``d2`` (``d1 < d2``), times ``scale``.

    ``scale`` is an ``(N1, N2)`` tensor that multiplies the output; it must be
    of the form ``c * a_1 (x) a_2`` where ``a_j`` is 1 except possibly at index
    0 (every normalisation of scipy's DCT-II has that form).
    """
    n1, n2 = x.shape[d1], x.shape[d2]
    tail = (n2 - 1) // 2
    dev = x.device
    v = x.index_select(d2, _reorder_index(n2, dev)).index_select(d1, _reorder_index(n1, dev))
    # the uniform part of ``scale`` rides on the twiddles; row/column 0 are fixed afterwards
    c = scale[-1, -1]
    tw = _twiddle_2d(n1, n2, x.dtype, dev, -1.0) * (2 * c)
    q = torch.fft.rfft2(v, dim=(d1, d2)) * _view2d(tw, x.ndim, d1, d2)
    qm = q.index_select(d1, _reflect_index(n1, dev))
    qm = torch.cat([qm.narrow(d1, 0, 1) * -1j, qm.narrow(d1, 1, n1 - 1)], dim=d1)
    parts = [q.real - qm.imag]
    if tail:
        rev = torch.arange(tail, 0, -1, device=dev)
        parts.append(torch.add(q.imag.index_select(d2, rev), qm.real.index_select(d2, rev)).neg_())
    out = torch.cat(parts, dim=d2)
    fix_row, fix_col = scale[0, -1] / c, scale[-1, 0] / c
    out = torch.cat([out.narrow(d1, 0, 1) * fix_row, out.narrow(d1, 1, n1 - 1)], dim=d1)
    return torch.cat([out.narrow(d2, 0, 1) * fix_col, out.narrow(d2, 1, n2 - 1)], dim=d2)


def dct3_2d(x: torch.Tensor, d1: int, d2: int) -> torch.Tensor:
    """scipy's un-normalised DCT-III along ``d1`` and ``d2``: ``4 N1 N2`` times the inverse of the DCT-II."""
    n1, n2 = x.shape[d1], x.shape[d2]
    h2 = n2 // 2 + 1
    dev = x.device
    left = x.narrow(d2, 0, h2)
    zero_col = torch.zeros_like(x.narrow(d2, 0, 1))
    # column mirror x[:, n2 - k2] for k2 >= 1 (column n2/2 is its own mirror), zero for k2 = 0
    xr = torch.cat([zero_col, x.index_select(d2, torch.arange(n2 - 1, n2 - h2, -1, device=dev))], dim=d2)
    refl = _reflect_index(n1, dev)

    def reflect_rows(t):
        t = t.index_select(d1, refl)
        return torch.cat([torch.zeros_like(t.narrow(d1, 0, 1)), t.narrow(d1, 1, n1 - 1)], dim=d1)

    q = torch.complex(left - reflect_rows(xr), -(xr + reflect_rows(left)))
    # 4 N1 N2 * (1/4) * irfft2 (irfft2 already divides by N1 N2)
    tw = _twiddle_2d(n1, n2, x.dtype, dev, 1.0) * (n1 * n2)
    v = torch.fft.irfft2(q * _view2d(tw, x.ndim, d1, d2), s=(n1, n2), dim=(d1, d2))
    return v.index_select(d1, _unorder_index(n1, dev)).index_select(d2, _unorder_index(n2, dev))
