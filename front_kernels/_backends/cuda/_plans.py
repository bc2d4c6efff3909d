r"""Host-side plans of the wavelet kernels: which banded table runs along which dim,
and how a multi-level 2-D transform is laid out.

Four transforms share one description, so a transform and its adjoint (the
backward) are the same kind of plan with other tables:

=================  ==========================================  =================================
transform          tables                                      shape
=================  ==========================================  =================================
``analysis``       :func:`_tables.analysis_table`              signal -> coefficients
``analysis_t``     :func:`_tables.analysis_table_t`            coefficients -> signal (adjoint)
``synthesis``      :func:`_tables.synthesis_table`             coefficients -> signal
``synthesis_t``    :func:`_tables.synthesis_table_t`           signal -> coefficients (adjoint)
=================  ==========================================  =================================

"Coefficient-shaped" ends are, per dim, the two bands side by side (per-dim
transforms) or, for the multi-level 2-D plans, one packed vector per slice:
level ``l`` (finest first) as the ``'da', 'ad', 'dd'`` bands (``kr x kc`` each),
then the coarsest approximation. ``lengths`` names a plan: the signal lengths
(2-D: ``(H, W, levels)``) for the analysis pair, the band lengths (2-D: the
flattened ``(kr, kc)`` of every level, finest first) for the synthesis pair.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from ...wavelets import Wavelet
from . import _tables as tables

TRANSFORMS = ("analysis", "analysis_t", "synthesis", "synthesis_t")
ADJOINT = {"analysis": "analysis_t", "analysis_t": "analysis", "synthesis": "synthesis_t",
           "synthesis_t": "synthesis"}
BANDS_2D = ("da", "ad", "dd")


def coeff_len(n, f: int, mode: str):
    """Band length of a one-level analysis of ``n`` samples (``pywt.dwt_coeff_len``); plain
    arithmetic, so symbolic sizes pass through ``torch.compile``."""
    return (n + 1) // 2 if mode == "periodization" else (n + f - 1) // 2


def filters_of(w: Wavelet) -> list[float]:
    """``dec_lo + dec_hi + rec_lo + rec_hi`` as one list (how the custom ops receive a wavelet)."""
    return [float(v) for f in w.filter_bank for v in f]


@functools.lru_cache(maxsize=64)
def _wavelet(filters: tuple[float, ...]) -> Wavelet:
    f = len(filters) // 4
    if f < 2 or len(filters) != 4 * f:
        raise ValueError(f"filters must hold four filters of one even length, got {len(filters)} taps")
    parts = [tuple(filters[i * f:(i + 1) * f]) for i in range(4)]
    return Wavelet("custom", *parts)


def wavelet_of(filters) -> Wavelet:
    return _wavelet(tuple(float(v) for v in filters))


def check_transform(transform: str) -> str:
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    return transform


# ------------------------------------------------------------------------------------------------
# one level along one dim


def axis_out_len(transform: str, length: int, f: int, mode: str) -> int:
    """Output length along a dim of ``length`` (signal length for the analysis pair, band length
    for the synthesis pair)."""
    if transform == "analysis":
        return 2 * coeff_len(length, f, mode)
    if transform == "analysis_t":
        return length
    if transform == "synthesis":
        return 2 * length if mode == "periodization" else 2 * length - f + 2
    return 2 * length


def axis_in_len(transform: str, length: int, f: int, mode: str) -> int:
    return axis_out_len(ADJOINT[transform], length, f, mode)


def axis_table(transform: str, length: int, w: Wavelet, mode: str):
    if transform == "analysis":
        return tables.analysis_table(length, w, mode)
    if transform == "analysis_t":
        return tables.analysis_table_t(length, w, mode)
    rows = tables.synthesis_len(length, w, mode)
    if transform == "synthesis":
        return tables.synthesis_table(length, w, mode, rows)
    return tables.synthesis_table_t(length, w, mode, rows)


def axis_tables_on(device: torch.device, transform: str, lengths: tuple[int, ...], w: Wavelet, mode: str):
    """Device ``(idx, weights)`` pairs, one per dim."""
    return tables.on_device([axis_table(transform, n, w, mode) for n in lengths], device,
                            ("axes", transform, lengths, w, mode))


# ------------------------------------------------------------------------------------------------
# multi-level 2-D plans


@dataclass(frozen=True)
class Level2D:
    in_h: int   # analysis-shaped: this level's input size; synthesis-shaped: its output size
    in_w: int
    kr: int     # band size of this level
    kc: int
    band_off: int


@dataclass(frozen=True)
class Plan2D:
    transform: str
    levels: tuple[Level2D, ...]
    row_tables: tuple    # per level, along the second-to-last dim
    col_tables: tuple    # per level, along the last dim
    approx_off: int
    packed_len: int
    height: int          # the signal end: (height, width)
    width: int
    buf0: int            # floats of shared memory the fused kernel needs per buffer
    buf1: int

    @property
    def packs(self) -> bool:
        """True when the plan reads the signal and writes packed coefficients."""
        return self.transform in ("analysis", "synthesis_t")

    @property
    def shared_bytes(self) -> int:
        return 4 * (self.buf0 + self.buf1)

    def plan_list(self, offsets: list[int]) -> list[int]:
        """The integer plan of ``front_kernels._cuda.dwt2_*`` for flat table ``offsets``."""
        out = [len(self.levels), self.buf0, self.buf1, self.approx_off, self.packed_len, self.height, self.width]
        for l, lv in enumerate(self.levels):
            out += [lv.in_h, lv.in_w, lv.kr, lv.kc, self.row_tables[l][0].shape[1], self.col_tables[l][0].shape[1],
                    offsets[2 * l], offsets[2 * l + 1], lv.band_off]
        return out


def _band_sizes_2d(transform: str, lengths: tuple[int, ...], f: int, mode: str):
    """(per-level signal-end sizes, per-level band sizes), finest first."""
    if transform in ("analysis", "analysis_t"):
        h, w, levels = lengths
        ins, sizes = [], []
        for _ in range(levels):
            kr, kc = coeff_len(h, f, mode), coeff_len(w, f, mode)
            ins.append((h, w))
            sizes.append((kr, kc))
            h, w = kr, kc
        return ins, sizes
    sizes = [(lengths[2 * i], lengths[2 * i + 1]) for i in range(len(lengths) // 2)]
    syn = "synthesis"
    outs = [(axis_out_len(syn, sizes[0][0], f, mode), axis_out_len(syn, sizes[0][1], f, mode))] + sizes[:-1]
    for l, ((kr, kc), (oh, ow)) in enumerate(zip(sizes, outs)):
        full = (axis_out_len(syn, kr, f, mode), axis_out_len(syn, kc, f, mode))
        if not (1 <= oh <= full[0] and 1 <= ow <= full[1]):
            raise ValueError(f"level {len(sizes) - l} bands of shape {(kr, kc)} reconstruct {full}, which cannot "
                             f"match the next level's bands of shape {(oh, ow)}")
    return outs, sizes


def packed_len_2d(transform: str, lengths: tuple[int, ...], f: int, mode: str) -> tuple[int, int, int]:
    """``(packed_len, height, width)`` of a 2-D plan, by size arithmetic only (fake kernels use it)."""
    ins, sizes = _band_sizes_2d(transform, lengths, f, mode)
    return sum(3 * kr * kc for kr, kc in sizes) + sizes[-1][0] * sizes[-1][1], ins[0][0], ins[0][1]


@functools.lru_cache(maxsize=128)
def plan_2d(transform: str, lengths: tuple[int, ...], w: Wavelet, mode: str) -> Plan2D:
    check_transform(transform)
    if not lengths or (transform.startswith("analysis") and (len(lengths) != 3 or lengths[2] < 1)):
        raise ValueError(f"a 2-D {transform} plan needs (H, W, levels) or band sizes, got {lengths}")
    f = w.dec_len
    ins, sizes = _band_sizes_2d(transform, lengths, f, mode)
    levels, pos = [], 0
    for (ih, iw), (kr, kc) in zip(ins, sizes):
        levels.append(Level2D(ih, iw, kr, kc, pos))
        pos += 3 * kr * kc
    if transform.startswith("analysis"):
        rows = [axis_table(transform, ih, w, mode) for ih, _ in ins]
        cols = [axis_table(transform, iw, w, mode) for _, iw in ins]
    else:
        rows = [tables.synthesis_table(kr, w, mode, oh) if transform == "synthesis" else
                tables.synthesis_table_t(kr, w, mode, oh) for (oh, _), (kr, _) in zip(ins, sizes)]
        cols = [tables.synthesis_table(kc, w, mode, ow) if transform == "synthesis" else
                tables.synthesis_table_t(kc, w, mode, ow) for (_, ow), (_, kc) in zip(ins, sizes)]
    buf0 = max(max(ih * iw, kr * kc) for (ih, iw), (kr, kc) in zip(ins, sizes))
    buf1 = max(ih * 2 * kc for (ih, _), (_, kc) in zip(ins, sizes))
    kr, kc = sizes[-1]
    return Plan2D(transform, tuple(levels), tuple(rows), tuple(cols), pos, pos + kr * kc, ins[0][0], ins[0][1],
                  buf0, buf1)


def plan_2d_on(plan: Plan2D, device: torch.device, key):
    """``(idx, weights, plan_list)`` for the fused kernel: all tables in one flat pair."""
    flat = [t for pair in zip(plan.row_tables, plan.col_tables) for t in pair]
    idx, w, offsets = tables.on_device(flat, device, ("plan2d", key), flat=True)
    return idx, w, plan.plan_list(offsets)


def level_tables_on(plan: Plan2D, device: torch.device, key):
    """Per level ``((row_idx, row_w), (col_idx, col_w))`` device tables for the per-level path."""
    pairs = tables.on_device([t for pair in zip(plan.row_tables, plan.col_tables) for t in pair], device,
                             ("levels2d", key))
    return [(pairs[2 * l], pairs[2 * l + 1]) for l in range(len(plan.levels))]
