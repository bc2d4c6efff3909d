"""Executing one group of a transfer plan: from its source tensors to its target tensors.

:func:`read_group` reads what a group needs (its source layers into one
stack, the target entries it keeps or fills) and :func:`group_result` hands
it to the per-group transfer, following what the plan decided from the rule
table (:mod:`.kinds`): only the common entries of an unordered axis
(``g.common``, the rest from the target's own tensor), the parts of a fused
q/k/v one by one (``g.fused``), attention heads or input channels as blocks
(``g.blocks``), and copies for tied parameters (``g.tied``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .group import compute_dtype_of, read_stack, transfer_stacked
from .loading import TensorStore
from .plan import TIE


@dataclass
class GroupInputs:
    """What one group reads, read ahead of its transform (:func:`read_group`).

    ``stack``: a computed group's source layers as one ``(L, *shape)`` tensor
    (handed to the transform once, by :meth:`take_stack`, which owns and frees
    it); ``own``: the target entries the group needs, by position in
    ``g.target_names`` (a kept or passed group's tensors; a computed group's own
    init where it fills entries the source lacks; else ``None``), as
    zero-argument callables. A target built from a config creates an entry
    when it is read, by running the model's init: a kept or passed group's
    entries are created by the thread that runs the group (they are its only
    work); a computed group's fills are created with its stack, on the reading
    thread, so that drawing them overlaps the transform of the group before.
    """

    stack: torch.Tensor | None
    own: list

    def take_stack(self) -> torch.Tensor:
        stack, self.stack = self.stack, None
        if stack is None:
            raise RuntimeError("a group's source stack was taken twice")
        return stack

    def own_tensors(self) -> list:
        return [None if f is None else f() for f in self.own]


def read_group(g, source: TensorStore, target: TensorStore, *, read=None, device=None) -> GroupInputs:
    """Every source tensor group plan ``g`` reads, and nothing else: its source layers, one at a time, into
    one stack on ``device`` (default: the sources' own), each layer checked (:func:`.group.read_stack`);
    and how to read the target entries it needs (:class:`GroupInputs`). ``read(store, name)`` reads one
    tensor (default ``store.get(name)``); a ``read.into(store, name, out)`` attribute, when present, reads a
    layer straight into its slot."""
    read = read or (lambda store, name: store.get(name))
    read_into = getattr(read, "into", None) or (lambda store, name, out: store.read_into(name, out))

    def reader(name):
        return lambda: read(target, name)

    if g.action == TIE:
        return GroupInputs(None, [])
    if not g.computes:
        return GroupInputs(None, [reader(n) for n in g.target_names])
    shape = tuple(source.shapes[g.source_names[0]])
    cdt = compute_dtype_of(source.dtypes[n] for n in g.source_names)

    def into(name, out):  # a layer of the stack's dtype and shape is read straight into its slot
        return source.dtypes[name] == out.dtype and tuple(source.shapes[name]) == tuple(out.shape) and \
            read_into(source, name, out)

    stack = read_stack(lambda n: read(source, n), g.source_names, shape, cdt, device, read_into=into)
    own = [_ready(read(target, n)) for n in g.target_names] if g.fill else [None] * len(g.target_names)
    return GroupInputs(stack, own)


def _ready(t: torch.Tensor):
    return lambda: t


def group_result(g, options, source: TensorStore, target: TensorStore, *, read=None, device=None,
                 clone: bool = True, inputs: GroupInputs | None = None) -> dict[str, torch.Tensor]:
    """The target tensors of one group plan ``g``, by name.

    ``inputs``: what the group reads, read ahead (:func:`read_group`); by
    default it is read now, with ``read`` onto ``device``. Computed groups
    transfer their stack (:func:`.group.transfer_stacked`), and their tensors
    get the target entry's dtype. Kept and passed entries are the target's own
    tensors (cloned with ``clone``, so no two entries share memory).
    Parameters tied to one of the group's (``g.tied``) are copies of it; a
    ``'tie'`` group itself returns nothing.
    """
    if inputs is None:
        inputs = read_group(g, source, target, read=read, device=device)
    if g.action == TIE:
        return {}  # written by the group of the parameter it is tied to
    if not g.computes:
        return {n: (t.detach().to(target.dtypes[n], copy=True) if clone else t.detach().to(target.dtypes[n]))
                for n, t in zip(g.target_names, inputs.own_tensors())}
    shape = tuple(source.shapes[g.source_names[0]])
    load = inputs.take_stack
    t_shape = g.target_shape
    if g.common is not None:  # an unordered axis changes size: transfer the common entries only
        full_load, t_shape = load, g.common
        shape = tuple(s if i in g.ordered else min(s, c) for i, (s, c) in enumerate(zip(shape, g.common)))

        def load(part=tuple(slice(0, n) for n in shape)):
            return full_load()[(slice(None),) + part].contiguous()
    dtype = target.dtypes[g.target_names[0]]
    owns = inputs.own_tensors()
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
    heads the source lacks come from each target layer's own tensor (``owns``; ``None`` when not needed).

    With a linear depth map the common heads of every layer run as one stack of blocks (rows layer-major,
    :func:`.chain.run_spectral`), which gives what one group per head gives; FRONT's random depth mode,
    which draws per group, runs head by head."""
    sv, tv, axis, _ = blocks
    n_tgt = len(owns)
    x = load().reshape((n_src,) + sv)
    common = min(sv[axis], tv[axis])
    block_s = sv[:axis] + sv[axis + 1:]
    block_t = tv[:axis] + tv[axis + 1:]
    if getattr(options, "depth_mode", None) == "random":
        heads = [x.select(axis + 1, h).contiguous() for h in range(common)]
        del x
        per_head = [transfer_stacked(key, lambda: heads.pop(0), (n_src,) + block_s, [block_t] * n_tgt, options,
                                     dtype=dtype) for _ in range(common)]
        layers = [torch.stack([per_head[h][j] for h in range(common)], dim=axis) for j in range(n_tgt)]
    else:
        rows = [x.narrow(axis + 1, 0, common).movedim(axis + 1, 1).reshape((n_src * common,) + block_s)]
        del x
        layers = transfer_stacked(key, rows.pop, (n_src * common,) + block_s, [block_t] * (n_tgt * common),
                                  options, dtype=dtype, blocks=common)  # (common, *block_t) per target layer
        layers = [y.reshape((common,) + block_t).movedim(0, axis) for y in layers]
    result = []
    for j, own in enumerate(owns):
        part = layers[j]
        layers[j] = None
        if own is None:
            result.append(part.reshape(target_shape))
            continue
        full = part.new_empty(tv)
        rest = tv[axis] - common
        full.narrow(axis, common, rest).copy_(own.detach().reshape(tv).narrow(axis, common, rest))
        full.narrow(axis, 0, common).copy_(part)
        result.append(full.view(target_shape))
    return result


def _embed(part: torch.Tensor, own, shape) -> torch.Tensor:
    """``part`` (the common entries) placed in the target's own tensor ``own`` (or zeros) of ``shape``."""
    full = own.detach().to(part.device, part.dtype, copy=True) if own is not None else part.new_zeros(shape)
    full[tuple(slice(0, n) for n in part.shape)] = part
    return full
