r"""BoT transfer of one group (METHODS.md section 2).

A repeated group, stacked to ``(L, *signal)``, is resized as one separable
signal to ``(L', *signal')`` with the wavelet resampling matrices of
:func:`front_kernels.resize` (``method='dwt'``): per axis a ``j``-level DWT
keeping the approximation band (shrink) or a ``j``-level inverse DWT with
zero details (growth), ``j = log2`` of the ratio; a non-dyadic remainder is
finished per ``non_dyadic``. The signal axes are resized layer by layer
(:func:`front_kernels.resize` over the trailing dims), then the depth axis by
one ``(L', L)`` matrix product, one target layer at a time. A group of one
resizes its signal axes only. Rescaling: see
:class:`~front_kernels.transfer.options.BotOptions`.
"""
from __future__ import annotations

import math

import torch

from .front import layer_chunks, restandardise_, standardise_layers_
from .options import BotOptions
from .shapes import signal_shape


def _resize():
    try:
        from ..transforms import resize
    except ImportError as exc:
        raise RuntimeError("method='bot' needs front_kernels.resize, which this installation lacks") from exc
    return resize


def interpolated_stats(values: torch.Tensor, L_target: int) -> torch.Tensor:
    """Linear interpolation of per-layer ``values`` (length ``L``) at the centres
    ``(j + 0.5) L / L' - 0.5`` of ``L'`` target layers (clamped to the ends)."""
    L = values.shape[0]
    if L == L_target:
        return values
    pos = ((torch.arange(L_target, dtype=values.dtype, device=values.device) + 0.5) * L / L_target - 0.5).clamp(0, L - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=L - 1)
    t = pos - lo.to(values.dtype)
    return values[lo] * (1 - t) + values[hi] * t


def bot_group(key: str, x: torch.Tensor, target_shapes, options: BotOptions, *,
              repeated: bool) -> list[torch.Tensor]:
    """BoT of one group: the stacked source layers ``x`` (``(L, *shape)``, floating; overwritten)
    -> ``len(target_shapes)`` separate tensors of ``x``'s dtype; ``x`` may be a callable returning
    the stack, as in :func:`.front.front_group`."""
    from ..transforms.resampling import resample_matrices
    resize = _resize()
    x = x() if callable(x) else x
    L, L_t = x.shape[0], len(target_shapes)
    sig_s = signal_shape(x.shape[1:])
    sig_t = signal_shape(target_shapes[0])
    z = x.reshape((L,) + sig_s)
    std = options.rescale == "std"
    rescale = "amplitude" if std else options.rescale
    kw = dict(method="dwt", rescale=rescale, wavelet=options.wavelet, mode=options.mode,
              non_dyadic=options.non_dyadic)
    if std:
        means, stds = standardise_layers_(z)
        means = interpolated_stats(torch.stack(means), L_t)
        stds = interpolated_stats(torch.stack(stds), L_t)
    parts = layer_chunks(L, max(math.prod(sig_s), math.prod(sig_t)))
    if repeated and L != L_t:
        w = z.new_empty((L,) + sig_t)
        for part in parts:
            w[part] = resize(z[part], sig_t, **kw)
        del z, x
        (a,) = resample_matrices((L,), (L_t,), "dwt", rescale, options.wavelet, options.mode,
                                 options.non_dyadic, w.dtype, w.device)
        out = [torch.tensordot(a[j], w, dims=1) for j in range(L_t)]
        del w
    else:
        out = []
        for part in parts:
            block = resize(z[part], sig_t, **kw)
            out.extend(block.unbind(0) if block.shape[0] == 1 else [b.clone() for b in block.unbind(0)])
        del z, x
    if std:
        for j, y in enumerate(out):
            restandardise_(y).mul_(stds[j]).add_(means[j])
    return [y.reshape(tuple(target_shapes[j])) for j, y in enumerate(out)]
