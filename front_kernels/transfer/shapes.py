"""Shape rules of METHODS.md 1.1: the signal view of a parameter.

``(o, i, kh, kw)`` -> ``(o*i, kh*kw)``; ``(o, i, k)`` -> ``(o*i, k)``; a 2-D
shape with a singleton dim -> 1-D; a 0-d scalar -> ``(1,)``. Tensors of more
than 4 dims follow the same pattern: ``(d0*d1, prod(rest))``.
"""
from __future__ import annotations

import math
import re

import torch

# MLP weights whose hidden axis is the signal under ``mlp_dct='1d'``:
# (regex on the name, axis of the 2-D signal view that is the hidden axis).
MLP_HIDDEN_AXIS = (
    (re.compile(r"(mlp\.fc1|intermediate\.dense|mlp\.gate_proj|mlp\.up_proj)\.weight$"), 0),
    (re.compile(r"(mlp\.fc2|(?<!attention)\.output\.dense|mlp\.down_proj)\.weight$"), 1),
    (re.compile(r"mlp\.c_fc\.weight$"), 1),    # GPT-2 Conv1D stores (in, out)
    (re.compile(r"mlp\.c_proj\.weight$"), 0),
)


def signal_shape(shape) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return (1,)
    if len(shape) >= 3:
        shape = (shape[0] * shape[1], math.prod(shape[2:]))
    if len(shape) == 2 and 1 in shape:
        shape = (shape[0] * shape[1],)
    return shape


def mlp_hidden_axis(name: str) -> int | None:
    """Axis of the 2-D signal view that ``mlp_dct='1d'`` transforms, or ``None``."""
    for pat, axis in MLP_HIDDEN_AXIS:
        if pat.search(name):
            return axis
    return None


def fit(x: torch.Tensor, dim: int, n: int) -> torch.Tensor:
    """Crop or zero-pad ``x`` along ``dim`` to length ``n`` (keeping the start)."""
    cur = x.shape[dim]
    if cur == n:
        return x
    if cur > n:
        return x.narrow(dim, 0, n)
    pad_shape = list(x.shape)
    pad_shape[dim] = n - cur
    return torch.cat([x, x.new_zeros(pad_shape)], dim=dim)
