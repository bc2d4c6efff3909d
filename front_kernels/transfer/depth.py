r"""Depth mapping of METHODS.md 1.2: ``L`` stacked coefficient blocks -> ``L'``.

With ``D = DCT_depth(C)`` (length ``L``) and ``s = min(L, L', select_n)``, the
kept band is ``D[b : b+s]`` where ``b`` is ``0`` (``'first'``), ``L - s``
(``'last'``) or ``(L - s) // 2`` (``'middle'``). Target slots ``[0, s)`` hold
it; the other ``L' - s`` slots are zero (``'zero'``), drawn from
``N(mean, std)`` of the kept band (``'random'``), or the kept band is
instead repeated in order, index ``k`` ``L'//s + (k < L' % s)`` times
(``'consistence'``). The result is ``IDCT_depth`` at length ``L'``.
``rescale='reference'`` uses the un-normalised pair of 1.5, the others the
orthonormal one, ``'amplitude'`` times :math:`\sqrt{L'/L}`.
"""
from __future__ import annotations

import functools
import math

import torch

from ..transforms import dct, idct


def depth_forward(c: torch.Tensor, rescale: str) -> torch.Tensor:
    if rescale == "reference":
        return dct(c, dim=0, norm=None) / 2
    return dct(c, dim=0, norm="ortho")


def depth_inverse(d: torch.Tensor, rescale: str) -> torch.Tensor:
    if rescale == "reference":
        return idct(d * 2, dim=0, norm=None)
    return idct(d, dim=0, norm="ortho")


def kept_depth(L: int, L_target: int, select_n: int | None) -> int:
    return min(L, L_target, select_n if select_n is not None else L)


def map_depth(c: torch.Tensor, L_target: int, *, mode: str = "zero", band: str = "first",
              select_n: int | None = None, rescale: str = "reference",
              generator: torch.Generator | None = None) -> torch.Tensor:
    """``(L, ...)`` per-layer coefficients -> ``(L_target, ...)``, as in the module doc."""
    L = c.shape[0]
    s = kept_depth(L, L_target, select_n)
    if s == L == L_target:
        return c
    d = depth_forward(c, rescale)
    start = {"first": 0, "last": L - s, "middle": (L - s) // 2}[band]
    kept = d[start:start + s]
    rest_shape = (L_target - s,) + tuple(c.shape[1:])
    if mode == "consistence":
        counts = torch.tensor([L_target // s + (1 if k < L_target % s else 0) for k in range(s)],
                              device=kept.device)
        slots = torch.repeat_interleave(kept, counts, dim=0)
    elif mode == "random":
        mu = kept.mean()
        sd = kept.std() if kept.numel() > 1 else kept.new_zeros(())
        noise = torch.randn(rest_shape, generator=generator, dtype=kept.dtype).to(kept.device)
        slots = torch.cat([kept, noise * sd + mu], dim=0)
    else:
        slots = torch.cat([kept, kept.new_zeros(rest_shape)], dim=0)
    if rescale == "amplitude":
        slots = slots * math.sqrt(L_target / L)
    return depth_inverse(slots, rescale)


DEPTH_RULES = ("wavelet", "select", "split", "identity")


def evenly_spaced(target_layer: int, source_depth: int, target_depth: int) -> int:
    """Source layer for ``target_layer`` of ``target_depth``: ``floor(i (L-1) / (L'-1) + 1/2)``
    (``0`` when ``L' = 1``): evenly spaced, the first and the last layer always kept."""
    if target_depth <= 1:
        return 0
    return math.floor(target_layer * (source_depth - 1) / (target_depth - 1) + 0.5)


@functools.lru_cache(maxsize=64)
def layer_matrix(L: int, L_target: int, rule: str, residual_out: bool = False) -> torch.Tensor:
    r"""The ``(L', L)`` float64 depth map of a layer-selection rule (BoT's ``depth_shrink`` / ``depth_grow``).

    Target layer ``i`` takes source layer :math:`s(i)` = :func:`evenly_spaced` ``(i, L, L')``
    (shrinking keeps the first and the last layer; growing repeats layers, each
    :math:`r_s` times). ``'select'``: plain copies, :math:`M_{i,s(i)} = 1`. For the
    output projections of the residual branches (``residual_out``; attention
    output and MLP down projection, weights and biases) a repeated layer is
    made to add, over its copies, what the one source layer added:
    ``'split'``: :math:`M_{i,s(i)} = 1/r_{s(i)}` (each copy adds a share; the
    function is kept to first order); ``'identity'``: the first copy is
    :math:`1`, the others :math:`0` (they are identity blocks of a pre-norm
    network, which keeps its function exactly). The other parameters of every
    copy are plain copies.
    """
    if rule not in DEPTH_RULES[1:]:
        raise ValueError(f"depth rule must be one of {', '.join(map(repr, DEPTH_RULES[1:]))}; got {rule!r}")
    src = [evenly_spaced(i, L, L_target) for i in range(L_target)]
    counts = [src.count(k) for k in range(L)]
    m = torch.zeros(L_target, L, dtype=torch.float64)
    seen = set()
    for i, k in enumerate(src):
        if residual_out and rule == "split":
            m[i, k] = 1.0 / counts[k]
        elif residual_out and rule == "identity":
            m[i, k] = 0.0 if k in seen else 1.0
        else:
            m[i, k] = 1.0
        seen.add(k)
    return m


@functools.lru_cache(maxsize=64)
def depth_matrix(L: int, L_target: int, *, mode: str = "zero", band: str = "first", select_n: int | None = None,
                 rescale: str = "reference") -> torch.Tensor:
    """The ``(L_target, L)`` float64 matrix ``M`` with ``map_depth(c) == M @ c`` (along dim 0) for the
    linear modes ``'zero'`` and ``'consistence'``: ``map_depth`` applied to the identity."""
    if mode not in ("zero", "consistence"):
        raise ValueError(f"depth_matrix: mode {mode!r} is not linear (use 'zero' or 'consistence')")
    return map_depth(torch.eye(L, dtype=torch.float64), L_target, mode=mode, band=band, select_n=select_n,
                     rescale=rescale)
