"""Weight selection: the simple baseline a user tries first.

Every target parameter takes the source parameter of the same name from an
evenly spaced source layer, cut to its leading rows / columns (its leading
entries along every dim). Where the target is larger than the source along a
dim, only the leading block is copied and the rest keeps the target's own
initialisation; parameters the source lacks keep theirs too.

Layer mapping for a group with ``L`` source and ``L'`` target layers: target
layer ``i`` takes source layer ``floor(i (L - 1) / (L' - 1) + 1/2)`` (``0``
when ``L' = 1``): evenly spaced, the first and the last layer always kept; layers
repeat when the target is deeper.
"""
from __future__ import annotations

import re

import torch
from torch import nn

from ..transfer.depth import evenly_spaced

_LAYER = re.compile(r"(?<![^.])(\d+)(?=\.|$)")


def _layer_key(name: str) -> tuple[str, int | None]:
    """``blocks.3.attn.qkv.weight`` -> (``blocks.{i}.attn.qkv.weight``, 3)."""
    m = _LAYER.search(name)
    if m is None:
        return name, None
    return name[:m.start()] + "{i}" + name[m.end():], int(m.group(1))


def _depths(names) -> dict[str, int]:
    depth: dict[str, int] = {}
    for n in names:
        key, layer = _layer_key(n)
        if layer is not None:
            depth[key] = max(depth.get(key, 0), layer + 1)
    return depth


def select_weights(source, target: nn.Module) -> dict[str, torch.Tensor]:
    """The target's full state dict initialised by weight selection from ``source``.

    ``source``: an ``nn.Module`` or a state dict; ``target``: an ``nn.Module``
    (its own values fill what the source cannot). Returns new tensors (the
    target is not modified).
    """
    src = source.state_dict() if isinstance(source, nn.Module) else dict(source)
    if not isinstance(target, nn.Module):
        raise TypeError(f"target must be an nn.Module, got {type(target).__name__}")
    tgt = target.state_dict()
    src_depth, tgt_depth = _depths(src), _depths(tgt)
    out = {}
    for name, t in tgt.items():
        new = t.detach().clone()
        key, layer = _layer_key(name)
        src_name = name
        if layer is not None and key in src_depth:
            src_name = key.replace("{i}", str(evenly_spaced(layer, src_depth[key], tgt_depth[key])), 1)
        s = src.get(src_name)
        if s is not None and s.ndim == t.ndim and t.is_floating_point():
            corner = tuple(slice(0, min(a, b)) for a, b in zip(s.shape, t.shape))
            new[corner] = s[corner].to(new.dtype)
        out[name] = new
    return out
