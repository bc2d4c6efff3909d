r"""BoT transfer of one group (METHODS.md section 2).

A repeated group is stacked to ``(L, *signal)`` and resized as one signal to
``(L', *signal')`` by :func:`front_kernels.resize` with ``method='dwt'``:
per axis a ``j``-level DWT keeping the approximation band (shrink) or a
``j``-level inverse DWT with zero details (growth), ``j = log2`` of the
ratio; a non-dyadic remainder is finished per ``non_dyadic``. A group of one
resizes its signal axes only. Rescaling: see
:class:`~front_kernels.transfer.options.BotOptions`.
"""
from __future__ import annotations

import torch

from .front import restandardise, standardise
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


def bot_group(key: str, sources, target_shapes, options: BotOptions, *, repeated: bool,
              compute_dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    """BoT of one group: ``L`` source tensors -> ``len(target_shapes)`` tensors of ``compute_dtype``."""
    resize = _resize()
    L, L_t = len(sources), len(target_shapes)
    sig_s = signal_shape(sources[0].shape)
    sig_t = signal_shape(target_shapes[0])
    nd = len(sig_s)
    ws = [w.to(compute_dtype).reshape(sig_s) for w in sources]
    shape = ((L_t,) if repeated else ()) + sig_t
    kw = dict(method="dwt", wavelet=options.wavelet, mode=options.mode, non_dyadic=options.non_dyadic)
    if options.rescale == "std":
        stats = [standardise(w) for w in ws]
        x = torch.stack([z for z, _, _ in stats])
        means = interpolated_stats(torch.stack([m for _, m, _ in stats]), L_t)
        stds = interpolated_stats(torch.stack([s for _, _, s in stats]), L_t)
        y = resize(x if repeated else x[0], shape, rescale="amplitude", **kw)
        y = y if repeated else y.unsqueeze(0)
        y = restandardise(y, tuple(range(1, nd + 1)))
        y = y * stds.reshape((-1,) + (1,) * nd) + means.reshape((-1,) + (1,) * nd)
    else:
        x = torch.stack(ws)
        y = resize(x if repeated else x[0], shape, rescale=options.rescale, **kw)
        y = y if repeated else y.unsqueeze(0)
    return [y[j].reshape(tuple(target_shapes[j])) for j in range(L_t)]
