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


def check_member(name: str, w, shape0) -> None:
    """Raise naming the tensor when one source layer cannot be transferred."""
    if not isinstance(w, torch.Tensor) or not w.is_floating_point():
        raise TypeError(f"source tensor {name!r} must be a floating tensor, got "
                        f"{getattr(w, 'dtype', type(w).__name__)}")
    if tuple(w.shape) != tuple(shape0):
        raise ValueError(f"the layers of its group disagree in shape: source tensor {name!r} is "
                         f"{tuple(w.shape)}, the first layer {tuple(shape0)}")
    if w.numel() == 0:
        raise ValueError(f"source tensor {name!r} is empty")
    if not all_finite(w):
        raise ValueError(f"source tensor {name!r} holds non-finite values (nan or inf)")


def all_finite(w: torch.Tensor) -> bool:
    """No nan or inf in ``w``: a finite sum proves it in one pass (nan and inf reach the sum); only a
    non-finite sum, which an overflow can also give, is settled element by element."""
    total = w.sum(dtype=torch.float64 if w.dtype == torch.float64 else torch.float32)
    return bool(torch.isfinite(total)) or bool(torch.isfinite(w).all())


def check_targets(key: str, source_shape, target_shapes) -> None:
    """Raise when the target shapes of a group disagree, or differ in rank from the source's signal view."""
    if len(target_shapes) == 0:
        raise ValueError(f"group {key!r}: no target shapes")
    t0 = tuple(target_shapes[0])
    for t in target_shapes:
        if tuple(t) != t0:
            raise ValueError(f"group {key!r}: the target layers disagree in shape: {t0} and {tuple(t)}")
    if len(signal_shape(source_shape)) != len(signal_shape(t0)):
        raise ValueError(f"group {key!r}: source shape {tuple(source_shape)} and target shape {t0} have "
                         f"different ranks, cannot transfer")


def check_group(key: str, sources, target_shapes, names=None) -> None:
    """Raise ``ValueError`` naming the tensor when a group cannot be transferred."""
    if len(sources) == 0:
        raise ValueError(f"group {key!r}: no source tensors")
    names = _member_names(key, names, len(sources))
    shape0 = tuple(getattr(sources[0], "shape", ()))
    for n, w in zip(names, sources):
        check_member(n, w, shape0)
    check_targets(key, shape0, target_shapes)
    if LAYER_PLACEHOLDER not in key and (len(sources) != 1 or len(target_shapes) != 1):
        raise ValueError(f"group {key!r} has no layer index but {len(sources)} source / "
                         f"{len(target_shapes)} target members")


def compute_dtype_of(dtypes) -> torch.dtype:
    """float64 when any source is float64, else float32."""
    return torch.float64 if any(d == torch.float64 for d in dtypes) else torch.float32


def read_stack(read, names, shape, dtype: torch.dtype, device=None, read_into=None) -> torch.Tensor:
    """``(L, *shape)`` tensor of ``dtype`` holding ``read(name)`` for every name, one layer in memory at a time
    besides the stack; every layer is checked (:func:`check_member`). ``device``: where the stack lives
    (default: the first layer's device). ``read_into(name, out)``: reads a layer straight into its slot of a
    CPU stack and returns ``True``, or returns ``False`` (then ``read`` is used)."""
    direct = read_into is not None and (device is None or torch.device(device).type == "cpu")
    x = torch.empty((len(names),) + tuple(shape), dtype=dtype) if direct else None
    for i, n in enumerate(names):
        if direct and read_into(n, x[i]):
            check_member(n, x[i], shape)
            continue
        w = read(n)
        check_member(n, w, shape)
        if x is None:
            x = torch.empty((len(names),) + tuple(shape), dtype=dtype, device=w.device if device is None else device)
        x[i].copy_(w)
        del w
    return x


def is_plain_copy(n_sources: int, source_shape, target_shapes, options) -> bool:
    """True when the transfer is the identity (same shapes and depth, nothing dropped)."""
    if n_sources != len(target_shapes) or tuple(source_shape) != tuple(target_shapes[0]):
        return False
    if isinstance(options, FrontOptions):
        return options.keep_ratio == 1 and (options.select_n is None or options.select_n >= n_sources)
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
    cdt = compute_dtype_of(w.dtype for w in sources)
    return transfer_stacked(key, lambda: torch.stack([w.detach().to(cdt) for w in sources]),
                            (len(sources),) + tuple(sources[0].shape), target_shapes, options, dtype=dtype or cdt)


def transfer_stacked(key: str, load, stack_shape, target_shapes, options, *,
                     dtype: torch.dtype, ordered=None, blocks: int = 1) -> list[torch.Tensor]:
    """:func:`transfer_group` of checked source layers: ``load()`` returns them stacked, a float32 or
    float64 tensor of shape ``stack_shape`` = ``(L, *shape)`` that the transfer owns and overwrites
    (it is freed as soon as the forward transform is done). ``ordered``: the signal axes that may be
    transformed (``None``: all; see :mod:`.kinds`). ``blocks``: the rows of the stack and the target
    shapes are layers of that many independent blocks, layer-major (:func:`.front.front_group`). Returns
    ``L'`` separate tensors of ``dtype`` (with ``blocks``, each ``(blocks, *target block shape)``)."""
    n, shape = stack_shape[0], tuple(stack_shape[1:])
    check_targets(key, shape, target_shapes)
    if LAYER_PLACEHOLDER not in key and (n != blocks or len(target_shapes) != blocks):
        raise ValueError(f"group {key!r} has no layer index but {n // blocks} source / "
                         f"{len(target_shapes) // blocks} target members")
    if is_plain_copy(n, shape, target_shapes, options):
        x = load()
        return [w.to(dtype, copy=True) for w in (x if blocks == 1 else x.view((-1, blocks) + shape))]
    if isinstance(options, FrontOptions):
        out = front_group(key, load, target_shapes, options, generator=group_generator(key, options.seed),
                          ordered=ordered, blocks=blocks)
    else:
        out = bot_group(key, load, target_shapes, options, repeated=LAYER_PLACEHOLDER in key, blocks=blocks)
    return [t.to(dtype).contiguous() for t in out]
