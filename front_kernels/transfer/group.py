"""The per-group transfer: ``(group key, source tensors, target shapes, options) -> target tensors``.

This is the unit a driver repeats group by group (see :mod:`.plan` for the
list of groups and :func:`front_kernels.transfer.api.transfer` for the whole
model); it knows nothing of files.
"""
from __future__ import annotations

import zlib

import torch

from .bot import bot_group
from .front import front_group
from .grouping import LAYER_PLACEHOLDER
from .options import BotOptions, FrontOptions
from .shapes import signal_shape


def group_generator(key: str, seed: int) -> torch.Generator:
    """Generator for ``depth_mode='random'``, fixed by ``(seed, key)`` alone."""
    return torch.Generator().manual_seed((seed * 1_000_003 + zlib.crc32(key.encode())) % (2 ** 63))


def _member_names(key, names, n):
    return list(names) if names is not None else [key.replace(LAYER_PLACEHOLDER, str(k)) for k in range(n)]


def check_group(key: str, sources, target_shapes, names=None) -> None:
    """Raise ``ValueError`` naming the tensor when a group cannot be transferred."""
    if len(sources) == 0:
        raise ValueError(f"group {key!r}: no source tensors")
    if len(target_shapes) == 0:
        raise ValueError(f"group {key!r}: no target shapes")
    names = _member_names(key, names, len(sources))
    shape0 = tuple(sources[0].shape)
    for n, w in zip(names, sources):
        if not isinstance(w, torch.Tensor) or not w.is_floating_point():
            raise TypeError(f"source tensor {n!r} must be a floating tensor, got "
                            f"{getattr(w, 'dtype', type(w).__name__)}")
        if tuple(w.shape) != shape0:
            raise ValueError(f"group {key!r}: the layers disagree in shape: {names[0]!r} is {shape0}, "
                             f"{n!r} is {tuple(w.shape)}")
        if w.numel() == 0:
            raise ValueError(f"source tensor {n!r} is empty")
        if not torch.isfinite(w).all():
            raise ValueError(f"source tensor {n!r} holds non-finite values (nan or inf)")
    t0 = tuple(target_shapes[0])
    for t in target_shapes:
        if tuple(t) != t0:
            raise ValueError(f"group {key!r}: the target layers disagree in shape: {t0} and {tuple(t)}")
    if len(signal_shape(shape0)) != len(signal_shape(t0)):
        raise ValueError(f"group {key!r}: source shape {shape0} and target shape {t0} have "
                         f"different ranks, cannot transfer")
    if LAYER_PLACEHOLDER not in key and (len(sources) != 1 or len(target_shapes) != 1):
        raise ValueError(f"group {key!r} has no layer index but {len(sources)} source / "
                         f"{len(target_shapes)} target members")


def is_plain_copy(sources, target_shapes, options) -> bool:
    """True when the transfer is the identity (same shapes and depth, nothing dropped)."""
    if len(sources) != len(target_shapes) or tuple(sources[0].shape) != tuple(target_shapes[0]):
        return False
    if isinstance(options, FrontOptions):
        return options.keep_ratio == 1 and (options.select_n is None or options.select_n >= len(sources))
    return True


def transfer_group(key: str, sources, target_shapes, options, *, names=None,
                   dtype: torch.dtype | None = None) -> list[torch.Tensor]:
    """Transfer one group.

    ``key``: the group name (``'blocks.{i}.attn.qkv.weight'``, or a plain name
    for a parameter that appears once); ``sources``: its ``L`` source tensors in
    layer order; ``target_shapes``: the ``L'`` target shapes; ``options``: a
    :class:`FrontOptions` or :class:`BotOptions`; ``names``: source names for
    error messages; ``dtype``: output dtype (default: float64 if the sources are
    float64, else float32). Computation runs in float64 for float64 sources and
    in float32 otherwise, on the sources' device.
    """
    if not isinstance(options, (FrontOptions, BotOptions)):
        raise TypeError(f"options must be FrontOptions or BotOptions, got {type(options).__name__}")
    check_group(key, sources, target_shapes, names)
    cdt = torch.float64 if any(w.dtype == torch.float64 for w in sources) else torch.float32
    out_dtype = dtype or cdt
    if is_plain_copy(sources, target_shapes, options):
        return [w.detach().to(out_dtype, copy=True) for w in sources]
    sources = [w.detach() for w in sources]
    if isinstance(options, FrontOptions):
        out = front_group(key, sources, target_shapes, options, compute_dtype=cdt,
                          generator=group_generator(key, options.seed))
    else:
        out = bot_group(key, sources, target_shapes, options, repeated=LAYER_PLACEHOLDER in key,
                        compute_dtype=cdt)
    return [t.to(out_dtype).contiguous() for t in out]
