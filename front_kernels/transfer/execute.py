"""Executing one group of a transfer plan: from its source tensors to its target tensors.

:func:`group_result` reads a group's source layers into one stack and hands
it to the per-group transfer, following what the plan decided from the rule
table (:mod:`.kinds`): only the common entries of an unordered axis
(``g.common``, the rest from the target's own tensor), the parts of a fused
q/k/v one by one (``g.fused``), attention heads or input channels as blocks
(``g.blocks``), and copies for tied parameters (``g.tied``).
"""
from __future__ import annotations

import torch

from .group import compute_dtype_of, read_stack, transfer_stacked
from .loading import TensorStore
from .plan import TIE


def group_result(g, options, source: TensorStore, target: TensorStore, *, read=None, device=None,
                 clone: bool = True) -> dict[str, torch.Tensor]:
    """The target tensors of one group plan ``g``, by name.

    Computed groups read their source layers one at a time (``read(store, name)``,
    default ``store.get(name)``) into one stack on ``device`` (default: the
    sources' own) and transfer it (:func:`.group.transfer_stacked`); their
    tensors get the target entry's dtype. Kept and passed entries are the
    target's own tensors (cloned with ``clone``, so no two entries share memory).
    Parameters tied to one of the group's (``g.tied``) are copies of it; a
    ``'tie'`` group itself returns nothing.
    """
    read = read or (lambda store, name: store.get(name))
    read_into = getattr(read, "into", None) or (lambda store, name, out: store.read_into(name, out))
    if g.action == TIE:
        return {}  # written by the group of the parameter it is tied to
    if not g.computes:
        return {n: (t.detach().to(target.dtypes[n], copy=True) if clone else t.detach().to(target.dtypes[n]))
                for n in g.target_names for t in [read(target, n)]}
    shape = tuple(source.shapes[g.source_names[0]])
    cdt = compute_dtype_of(source.dtypes[n] for n in g.source_names)
    def into(name, out):  # a layer of the stack's dtype and shape is read straight into its slot
        return source.dtypes[name] == out.dtype and tuple(source.shapes[name]) == tuple(out.shape) and \
            read_into(source, name, out)

    def load(shape=shape):
        return read_stack(lambda n: read(source, n), g.source_names, shape, cdt, device, read_into=into)

    t_shape = g.target_shape
    if g.common is not None:  # an unordered axis changes size: transfer the common entries only
        full_load, t_shape = load, g.common
        shape = tuple(s if i in g.ordered else min(s, c) for i, (s, c) in enumerate(zip(shape, g.common)))

        def load(part=tuple(slice(0, n) for n in shape)):
            return full_load()[(slice(None),) + part].contiguous()
    dtype = target.dtypes[g.target_names[0]]
    owns = [read(target, n) for n in g.target_names] if g.fill else [None] * len(g.target_names)  # own init
    if g.fused is not None:
        res = _fused_result(g, load, shape, options, dtype, owns)
    elif g.blocks is not None:
        res = _blocked(g.key, g.blocks, g.target_shape, len(g.source_names), load, options, dtype, owns)
    else:
        res = transfer_stacked(g.key, load, (len(g.source_names),) + shape, [t_shape] * len(g.target_names), options,
                               dtype=dtype, ordered=g.ordered)
    if g.common is not None:
        res = [_embed(r, own, g.target_shape) for r, own in zip(res, owns)]
    out = dict(zip(g.target_names, res))
    out.update((name, out[lead].clone()) for name, lead in g.tied)
    return out


def _fused_result(g, load, shape, options, dtype, owns) -> list[torch.Tensor]:
    """A fused group (:mod:`.kinds`): its parts split off the stack, each transferred on its own (head by head
    when ``g.blocks`` describes a part's heads), joined again."""
    axis, n_parts = g.fused
    parts = list(load().chunk(n_parts, dim=axis + 1))
    part_shape = tuple(s // n_parts if i == axis else s for i, s in enumerate(shape))
    t_part = tuple(t // n_parts if i == axis else t for i, t in enumerate(g.target_shape))
    n_src, n_tgt = len(g.source_names), len(g.target_names)
    outs = []
    for p in range(n_parts):
        def take():
            return parts.pop(0).contiguous()
        if g.blocks is not None:
            own_parts = [None if o is None else o.reshape(g.target_shape).chunk(n_parts, dim=axis)[p] for o in owns]
            outs.append(_blocked(g.key, g.blocks, t_part, n_src, take, options, dtype, own_parts))
        else:
            outs.append(transfer_stacked(g.key, take, (n_src,) + part_shape, [t_part] * n_tgt, options, dtype=dtype))
    return [torch.cat(layer, dim=axis) for layer in zip(*outs)]


def _blocked(key, blocks, target_shape, n_src: int, load, options, dtype, owns) -> list[torch.Tensor]:
    """Attention heads as blocks (:mod:`.kinds`): each common head transferred on its own over all layers;
    heads the source lacks come from each target layer's own tensor (``owns``; ``None`` when not needed)."""
    sv, tv, axis, _ = blocks
    x = load().reshape((n_src,) + sv)
    common = min(sv[axis], tv[axis])
    block_s = sv[:axis] + sv[axis + 1:]
    block_t = tv[:axis] + tv[axis + 1:]
    heads = [x.select(axis + 1, h).contiguous() for h in range(common)]
    del x
    per_head = [transfer_stacked(key, lambda: heads.pop(0), (n_src,) + block_s, [block_t] * len(owns), options,
                                 dtype=dtype) for _ in range(common)]
    out = []
    for j, own in enumerate(owns):
        part = torch.stack([per_head[h][j] for h in range(common)], dim=axis)
        full = own.detach().to(part.device, dtype, copy=True).reshape(tv) if own is not None else part
        if own is not None:
            full.narrow(axis, 0, common).copy_(part)
        out.append(full.reshape(target_shape))
    return out


def _embed(part: torch.Tensor, own, shape) -> torch.Tensor:
    """``part`` (the common entries) placed in the target's own tensor ``own`` (or zeros) of ``shape``."""
    full = own.detach().to(part.device, part.dtype, copy=True) if own is not None else part.new_zeros(shape)
    full[tuple(slice(0, n) for n in part.shape)] = part
    return full
