r"""BoT transfer of one group (METHODS.md section 2).

A repeated group, stacked to ``(L, *signal)``, is resized as one separable
signal to ``(L', *signal')`` with the wavelet resampling of
:func:`front_kernels.resize` (``method='dwt'``): per axis a ``j``-level DWT
keeping the approximation band (shrink) or a ``j``-level inverse DWT with
zero details (growth), ``j = floor(|log2|)`` of the ratio; a non-dyadic
remainder is finished per ``non_dyadic`` (a DCT resize, or truncation /
periodic extension). The whole group is one :mod:`.chain`: the depth axis is
the ``(L', L)`` matrix of the same resampling, the signal axes run as wavelet
steps (and a spectral finish) on the CPU, as dense matrices on a GPU. A group
of one resizes its signal axes only. Rescaling: see
:class:`~front_kernels.transfer.options.BotOptions`.
"""
from __future__ import annotations

import math

import torch

from ..transforms.resampling import _pad_or_truncate, dyadic_levels
from .chain import Dense, Rescaling, Spectral, WaveletSteps, run_group, shaped_outputs
from .depth import layer_matrix
from .options import BotOptions, depth_rule, is_residual_out
from .shapes import signal_shape


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


def wavelet_axis(n: int, m: int, rescale: str, wavelet: str, mode: str, non_dyadic: str):
    """The map of one axis ``n -> m``, equal to ``resample_matrix(n, m, 'dwt', ...)`` of
    :mod:`front_kernels.transforms.resampling` (``rescale``: ``'amplitude'`` or ``'reference'``)."""
    if n == m:
        return None
    grow = m > n
    levels = dyadic_levels(n, m)
    scale = 2.0 ** ((levels if grow else -levels) / 2) if rescale == "amplitude" else 1.0
    probe = WaveletSteps(n, n, wavelet, mode, grow, levels)
    mid = probe.step(torch.zeros(1, n, dtype=torch.float64), 1).shape[1]
    finish = None
    if mid != m:
        if non_dyadic == "dct":
            finish = Spectral(mid, m, min(mid, m), math.sqrt(m / mid) if rescale == "amplitude" else 1.0)
        else:
            finish = Dense(_pad_or_truncate(mid, m))
    if levels == 0:
        return finish
    return WaveletSteps(n, mid, wavelet, mode, grow, levels, scale, finish)


def bot_group(key: str, x: torch.Tensor, target_shapes, options: BotOptions, *,
              repeated: bool, blocks: int = 1) -> list[torch.Tensor]:
    """BoT of one group: the stacked source layers ``x`` (``(L, *shape)``, floating; overwritten)
    -> ``len(target_shapes)`` separate tensors of ``x``'s dtype; ``x`` may be a callable returning
    the stack, and ``blocks`` independent blocks per layer, as in :func:`.front.front_group`."""
    from ..transforms.resampling import resample_matrix
    from ..wavelets import get_wavelet
    x = x() if callable(x) else x
    L, L_t = x.shape[0] // blocks, len(target_shapes) // blocks
    sig_s = signal_shape(x.shape[1:])
    sig_t = signal_shape(target_shapes[0])
    std = options.rescale == "std"
    rescale = "amplitude" if std else options.rescale
    wavelet = get_wavelet(options.wavelet).name
    maps = [wavelet_axis(n, m, rescale, wavelet, options.mode, options.non_dyadic) for n, m in zip(sig_s, sig_t)]
    depth = None
    selection = None
    if repeated and L != L_t:
        rule = depth_rule(options, L, L_t)
        if rule == "wavelet":
            depth = Dense(resample_matrix(L, L_t, "dwt", rescale, wavelet, options.mode, options.non_dyadic))
        else:
            selection = layer_matrix(L, L_t, rule, is_residual_out(options, key))
            depth = Dense(selection)
    elif L != L_t:
        raise ValueError(f"group {key!r}: {L} source layers and {L_t} target layers, but it has no layer index")
    stats = {}  # per block (keyed by its first source layer's mean, which lives as long as the run)

    def target_stats(j, means, stds):
        key = id(means[0])
        if key not in stats:
            m, s = torch.stack(means), torch.stack(stds)
            if selection is None:
                stats[key] = interpolated_stats(m, L_t), interpolated_stats(s, L_t)
            else:
                a = selection.to(dtype=m.dtype, device=m.device)
                stats[key] = a @ m, a @ s
        mean, std = stats[key]
        return mean[j], std[j]

    rescaling = Rescaling(standardise=std, restandardise=std, target_stats=target_stats if std else None)
    stack = [x.reshape((L * blocks,) + sig_s)]
    del x
    out = run_group(stack, depth, maps, rescaling, blocks=blocks)
    return shaped_outputs(out, target_shapes, blocks)
