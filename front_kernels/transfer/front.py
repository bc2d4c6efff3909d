r"""FRONT transfer of one group (METHODS.md 1.1-1.3 and 1.5).

For source layers :math:`W_l` (``l < L``) of one shape and ``L'`` target
layers of another:

1. :math:`Z_l = (W_l - \mu_l)/(\sigma_l + 10^{-8})`, :math:`\sigma` with
   Bessel's correction (``0`` for a one-element tensor), viewed as the
   signal shape of :mod:`.shapes`;
2. :math:`C_l = \mathrm{DCT}(Z_l)` over every signal axis (only the hidden
   axis of MLP weights with ``mlp_dct='1d'``), cropped to the first
   ``max(1, floor(n * keep_ratio))`` coefficients per transformed axis;
3. repeated groups: depth mapping :func:`.depth.map_depth` ``L -> L'``
   (modes ``zero`` and ``consistence``: one ``(L', L)`` matrix product along
   depth, :func:`.depth.depth_matrix`); an axis whose size does not change and
   whose coefficients are all kept is not transformed (its DCT and inverse
   cancel exactly);
4. every target layer ``j``: crop / zero-pad to the target's signal shape,
   inverse DCT at that size, rescale, then
   :math:`W'_j = Y_j \sigma_{l} + \mu_{l}` with ``l = min(j, L-1)``.

The DCT pair is the un-normalised one of 1.5 for ``rescale='reference'``
(``dctn(x)/2^d`` and ``idctn(2^d X)`` with scipy's ``norm=None``), else the
orthonormal one; see :class:`~front_kernels.transfer.options.FrontOptions`.
"""
from __future__ import annotations

import math

import torch

from .chain import Dense, Rescaling, Spectral, run_group, shaped_outputs, truncate_or_pad
from .depth import depth_matrix, map_depth
from .options import FrontOptions
from .shapes import mlp_hidden_axis, signal_shape


def standardise(w: torch.Tensor) -> tuple[torch.Tensor, float, float]:
    """``(Z, mean, std)`` of METHODS 1.1 step 1 (std unbiased; 0 for one element)."""
    mean = w.mean()
    std = w.std() if w.numel() > 1 else w.new_zeros(())
    return (w - mean) / (std + 1e-8), mean, std


def transformed_axes(name: str, ndim: int, options: FrontOptions) -> tuple[int, ...]:
    """Signal axes (0-based, of the signal view) that the per-tensor DCT acts on."""
    if options.mlp_dct == "1d" and ndim == 2:
        axis = mlp_hidden_axis(name)
        if axis is not None:
            return (axis,)
    return tuple(range(ndim))


def axis_maps(sig_s, sig_t, axes, keep, rescale: str, crop_to_target: bool = True) -> list:
    """The :mod:`.chain` map of every signal axis: :class:`~.chain.Spectral` for a transformed axis (keep
    ``min(keep, m)`` coefficients, or ``keep`` with ``crop_to_target=False``), truncation / zero-padding
    for an untransformed axis that changes size, else the identity."""
    maps = []
    for a, (n, m) in enumerate(zip(sig_s, sig_t)):
        if a not in axes:
            maps.append(truncate_or_pad(n, m))
            continue
        k = min(keep[a], m) if crop_to_target else keep[a]
        scale = {"reference": math.sqrt(n / m), "amplitude": math.sqrt(m / n)}.get(rescale, 1.0)
        maps.append(Spectral(n, m, k, scale))
    return maps


def _unnormalised(n: int, k: int) -> torch.Tensor:
    r"""Factors from the first ``k`` orthonormal DCT-II coefficients of a length-``n`` axis to those of
    ``dct(x, norm=None) / 2`` (METHODS 1.5): :math:`\sqrt{n}` for the first, :math:`\sqrt{n/2}` after."""
    v = torch.full((k,), math.sqrt(n / 2), dtype=torch.float64)
    v[0] = math.sqrt(n)
    return v


def _weighted(c: torch.Tensor, axes, factors) -> torch.Tensor:
    """``c`` (``(L, *coefficients)``) times ``factors(a, length)`` along every transformed axis ``a``."""
    for a in axes:
        shape = [1] * c.ndim
        shape[a + 1] = c.shape[a + 1]
        c = c * factors(a, c.shape[a + 1]).to(c.dtype).view(shape)
    return c


def front_group(key: str, x: torch.Tensor, target_shapes, options: FrontOptions, *,
                generator: torch.Generator | None = None, ordered=None, blocks: int = 1) -> list[torch.Tensor]:
    """FRONT of one group: the stacked source layers ``x`` (``(L, *shape)``, floating; overwritten)
    -> ``len(target_shapes)`` separate tensors of ``x``'s dtype.

    ``x`` may be a zero-argument callable returning the stack: this function then
    holds its only reference and frees it once the forward transform is done.

    A group of one (``L == len(target_shapes) == 1``) skips the depth step.
    ``ordered``: the signal axes that may be transformed (``None``: all); the
    others (unordered axes of :mod:`.kinds`, of equal size here) are left as they are.
    The group runs as one :mod:`.chain` of per-axis maps (depth modes ``zero`` and
    ``consistence``: the ``(L', L)`` matrix :func:`.depth.depth_matrix`; ``random``:
    :func:`.depth.map_depth` on the kept coefficients). Memory: ``x``, the kept
    coefficients of every layer and the outputs, plus one chunk's workspace.

    ``blocks``: the rows of ``x`` and the target shapes are layers of ``blocks`` independent blocks
    (attention heads), layer-major, each transferred as a group of its own in one chain
    (:func:`.chain.run_spectral`); the result is then one ``(blocks, *shape')`` tensor per target
    layer. Not with ``depth_mode='random'``.
    """
    x = x() if callable(x) else x
    L, L_t = x.shape[0] // blocks, len(target_shapes) // blocks
    sig_s = signal_shape(x.shape[1:])
    sig_t = signal_shape(target_shapes[0])
    nd = len(sig_s)
    keep = {a: max(1, math.floor(sig_s[a] * options.keep_ratio)) for a in range(nd)}
    # An axis whose size is unchanged and fully kept round-trips exactly: it is not transformed.
    axes = tuple(a for a in transformed_axes(key, nd, options) if not (sig_s[a] == sig_t[a] == keep[a])
                 and (ordered is None or a in ordered))
    depth = L != L_t or (options.select_n is not None and options.select_n < L)
    random_depth = depth and options.depth_mode == "random"
    # The random depth mode draws its fill from the statistics of the whole kept block, so it keeps the
    # coefficients past the target size until after the depth map.
    reference_random = random_depth and options.rescale == "reference"
    maps = axis_maps(sig_s, sig_t, axes, keep, "std" if reference_random else options.rescale,
                     crop_to_target=not random_depth)
    if not depth:
        depth_map = None
    elif random_depth:
        def depth_map(c):
            if reference_random:  # the fill's statistics are those of the un-normalised coefficients of 1.5
                c = _weighted(c, axes, lambda a, k: _unnormalised(sig_s[a], k))
            c = map_depth(c, L_t, mode="random", band=options.depth_band, select_n=options.select_n,
                          rescale=options.rescale, generator=generator)
            if reference_random:
                c = _weighted(c, axes, lambda a, k: 1.0 / _unnormalised(sig_t[a], k))
            return c
    else:
        depth_map = Dense(depth_matrix(L, L_t, mode=options.depth_mode, band=options.depth_band,
                                       select_n=options.select_n, rescale=options.rescale))
    rescaling = Rescaling(standardise=True, restandardise=options.rescale == "std",
                          target_stats=lambda j, means, stds: (means[min(j, L - 1)], stds[min(j, L - 1)]))
    stack = [x.reshape((L * blocks,) + sig_s)]
    del x
    out = run_group(stack, depth_map, maps, rescaling, blocks=blocks)
    return shaped_outputs(out, target_shapes, blocks)
