r"""Banded (ELL) tables of one wavelet level along one axis, built from the filter taps.

A table is ``(idx, weights)`` of shape ``(rows, taps)``: output ``r`` is
``sum_t weights[r, t] * input[idx[r, t]]`` (``idx < 0``: no term). With the
conventions of the reference backend (:mod:`front_kernels._backends.reference.dwt`),
for a filter bank of length :math:`F = 2K`:

* analysis of a length-``N`` axis, band ``i`` (0 low, 1 high) in rows
  ``i*n .. (i+1)*n - 1``: :math:`c_i[o] = \sum_m h_i[F-1-m]\, e[2o + m - s]`
  with :math:`s = F - 2` (:math:`K - 1` for ``'periodization'``) and ``e`` the
  boundary extension of the mode (:func:`reference.dwt._outside_value`);
* synthesis from ``2L`` coefficients (low then high):
  :math:`y[2p + r] = \sum_i \sum_{m<K} c_i[p + m]\, g_i[2(K-1-m) + r]`,
  ``2L - F + 2`` outputs; for ``'periodization'`` ``2L`` outputs ``j`` with
  :math:`p = \lfloor (j+K-1)/2 \rfloor`, :math:`r = (j+K-1) \bmod 2` and the
  coefficient index taken modulo ``L`` after subtracting ``K - 1``.

Tables are cached on the host per (size, wavelet, mode) and on each device.
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from ...wavelets import Wavelet, dwt_coeff_len

CACHE_SIZE = 256


def _pack(entries: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray]:
    taps = max(1, max((len(e) for e in entries), default=1))
    idx = np.full((len(entries), taps), -1, dtype=np.int32)
    w = np.zeros((len(entries), taps), dtype=np.float64)
    for r, row in enumerate(entries):
        for t, (i, v) in enumerate(row):
            idx[r, t] = i
            w[r, t] = v
    return idx, w


@functools.lru_cache(maxsize=CACHE_SIZE)
def analysis_table(n: int, wavelet: Wavelet, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """``(2 * dwt_coeff_len(n), taps)`` table: low band rows, then high band rows."""
    from ..reference.dwt import _outside_value  # the reference's boundary rules, shared exactly

    f = wavelet.dec_len
    n_out = dwt_coeff_len(n, f, mode)
    shift = f // 2 - 1 if mode == "periodization" else f - 2
    memo: dict = {}
    entries = []
    for h in (wavelet.dec_lo, wavelet.dec_hi):
        for o in range(n_out):
            row: dict[int, float] = {}
            for m in range(f):
                p = 2 * o + m - shift
                src = {p: 1.0} if 0 <= p < n else _outside_value(p, n, mode, memo)
                for i, c in src.items():
                    row[i] = row.get(i, 0.0) + c * h[f - 1 - m]
            entries.append([(i, v) for i, v in row.items() if v != 0.0])
    return _pack(entries)


def synthesis_len(n_coeffs: int, wavelet: Wavelet, mode: str) -> int:
    """Length of a one-level reconstruction from ``n_coeffs`` coefficients per band."""
    return 2 * n_coeffs if mode == "periodization" else 2 * n_coeffs - wavelet.rec_len + 2


@functools.lru_cache(maxsize=CACHE_SIZE)
def synthesis_table(n_coeffs: int, wavelet: Wavelet, mode: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, taps)`` table from ``2 * n_coeffs`` inputs (low then high): the first ``rows``
    samples of the one-level reconstruction (``rows <= synthesis_len``)."""
    f = wavelet.rec_len
    k = f // 2
    length = n_coeffs
    full = synthesis_len(n_coeffs, wavelet, mode)
    if not 0 < rows <= full:
        raise ValueError(f"a reconstruction from {n_coeffs} coefficients has {full} samples, {rows} asked")
    entries = []
    for j in range(rows):
        s = j + k - 1 if mode == "periodization" else j
        p, r = divmod(s, 2)
        row: dict[int, float] = {}
        for band, g in enumerate((wavelet.rec_lo, wavelet.rec_hi)):
            for m in range(k):
                q = p + m
                if mode == "periodization":
                    q = (q - (k - 1)) % length
                col = band * length + q
                row[col] = row.get(col, 0.0) + g[2 * (k - 1 - m) + r]
        entries.append([(i, v) for i, v in row.items() if v != 0.0])
    return _pack(entries)


def transpose_table(idx: np.ndarray, w: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """The table of the transposed map (``n_cols`` rows)."""
    entries: list[dict[int, float]] = [dict() for _ in range(n_cols)]
    for r in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            c = int(idx[r, t])
            if c >= 0:
                entries[c][r] = entries[c].get(r, 0.0) + float(w[r, t])
    return _pack([list(e.items()) for e in entries])


@functools.lru_cache(maxsize=CACHE_SIZE)
def analysis_table_t(n: int, wavelet: Wavelet, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Transpose of :func:`analysis_table` (``n`` rows)."""
    return transpose_table(*analysis_table(n, wavelet, mode), n)


@functools.lru_cache(maxsize=CACHE_SIZE)
def synthesis_table_t(n_coeffs: int, wavelet: Wavelet, mode: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Transpose of :func:`synthesis_table` (``2 * n_coeffs`` rows)."""
    return transpose_table(*synthesis_table(n_coeffs, wavelet, mode, rows), 2 * n_coeffs)


def dense(table: tuple[np.ndarray, np.ndarray], n_cols: int) -> np.ndarray:
    """The table as a dense ``(rows, n_cols)`` float64 matrix (for tests)."""
    idx, w = table
    out = np.zeros((idx.shape[0], n_cols))
    for t in range(idx.shape[1]):
        valid = idx[:, t] >= 0
        np.add.at(out, (np.nonzero(valid)[0], idx[valid, t]), w[valid, t])
    return out


_device_cache: dict = {}


def on_device(tables: list[tuple[np.ndarray, np.ndarray]], device: torch.device, key, flat: bool = False):
    """Tables as (int32, float32) tensors on ``device``: a list of pairs, or (``flat``) one
    concatenated pair with the entry offset of each table."""
    cache_key = (key, str(device), flat)
    hit = _device_cache.get(cache_key)
    if hit is None:
        if len(_device_cache) > 4 * CACHE_SIZE:
            _device_cache.clear()
        hit = _device_cache[cache_key] = _to_device(tables, device, flat)
    return hit


def _to_device(tables, device, flat):
    if not flat:
        return [(torch.from_numpy(i).to(device), torch.from_numpy(w).to(device=device, dtype=torch.float32))
                for i, w in tables]
    offsets, pos = [], 0
    for i, _ in tables:
        offsets.append(pos)
        pos += i.size
    idx = np.concatenate([i.ravel() for i, _ in tables])
    w = np.concatenate([w.ravel() for _, w in tables])
    return (torch.from_numpy(idx).to(device), torch.from_numpy(w).to(device=device, dtype=torch.float32), offsets)
