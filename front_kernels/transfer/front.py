r"""FRONT transfer of one group (METHODS.md 1.1-1.3 and 1.5).

For source layers :math:`W_l` (``l < L``) of one shape and ``L'`` target
layers of another:

1. :math:`Z_l = (W_l - \mu_l)/(\sigma_l + 10^{-8})`, :math:`\sigma` with
   Bessel's correction (``0`` for a one-element tensor), viewed as the
   signal shape of :mod:`.shapes`;
2. :math:`C_l = \mathrm{DCT}(Z_l)` over every signal axis (only the hidden
   axis of MLP weights with ``mlp_dct='1d'``), cropped to the first
   ``max(1, floor(n * keep_ratio))`` coefficients per transformed axis;
3. repeated groups: depth mapping :func:`.depth.map_depth` ``L -> L'``;
   (an axis whose size does not change and whose coefficients are all kept is
   not transformed: its DCT and inverse cancel exactly);
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

from ..transforms import dctn, idctn
from .depth import map_depth
from .options import FrontOptions
from .shapes import fit, mlp_hidden_axis, signal_shape


def standardise(w: torch.Tensor) -> tuple[torch.Tensor, float, float]:
    """``(Z, mean, std)`` of METHODS 1.1 step 1 (std unbiased; 0 for one element)."""
    mean = w.mean()
    std = w.std() if w.numel() > 1 else w.new_zeros(())
    return (w - mean) / (std + 1e-8), mean, std


def spectral_forward(z: torch.Tensor, dims, rescale: str) -> torch.Tensor:
    if not dims:
        return z
    if rescale == "reference":
        return dctn(z, dim=dims, norm=None) / 2 ** len(dims)
    return dctn(z, dim=dims, norm="ortho")


def spectral_inverse(c: torch.Tensor, dims, rescale: str) -> torch.Tensor:
    if not dims:
        return c
    if rescale == "reference":
        return idctn(c * 2 ** len(dims), dim=dims, norm=None)
    return idctn(c, dim=dims, norm="ortho")


def restandardise(y: torch.Tensor, dims) -> torch.Tensor:
    """Each leading slice of ``y`` to zero mean and unit std over ``dims``."""
    mean = y.mean(dim=dims, keepdim=True)
    n = math.prod(y.shape[d] for d in dims)
    std = y.std(dim=dims, keepdim=True) if n > 1 else torch.zeros_like(mean)
    return (y - mean) / (std + 1e-8)


def transformed_axes(name: str, ndim: int, options: FrontOptions) -> tuple[int, ...]:
    """Signal axes (0-based, of the signal view) that the per-tensor DCT acts on."""
    if options.mlp_dct == "1d" and ndim == 2:
        axis = mlp_hidden_axis(name)
        if axis is not None:
            return (axis,)
    return tuple(range(ndim))


def front_group(key: str, sources, target_shapes, options: FrontOptions, *,
                compute_dtype: torch.dtype = torch.float32,
                generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """FRONT of one group: ``L`` source tensors -> ``len(target_shapes)`` tensors.

    ``sources`` share one shape, ``target_shapes`` share one shape; a group of
    one (``len == 1`` on both sides and no ``{i}`` in ``key``) skips the depth
    step. Returns tensors of ``compute_dtype``.
    """
    L, L_t = len(sources), len(target_shapes)
    sig_s = signal_shape(sources[0].shape)
    sig_t = signal_shape(target_shapes[0])
    nd = len(sig_s)
    keep = {a: max(1, math.floor(sig_s[a] * options.keep_ratio)) for a in range(nd)}
    # An axis whose size is unchanged and fully kept round-trips exactly: it is not transformed.
    axes = tuple(a for a in transformed_axes(key, nd, options) if not (sig_s[a] == sig_t[a] == keep[a]))
    dims = tuple(a + 1 for a in axes)

    zs, means, stds = [], [], []
    for w in sources:
        z, m, s = standardise(w.to(compute_dtype))
        zs.append(z.reshape(sig_s))
        means.append(m)
        stds.append(s)
    c = spectral_forward(torch.stack(zs), dims, options.rescale)
    for a, d in zip(axes, dims):
        c = fit(c, d, keep[a])

    if L != L_t or (options.select_n is not None and options.select_n < L):
        c = map_depth(c, L_t, mode=options.depth_mode, band=options.depth_band, select_n=options.select_n,
                      rescale=options.rescale, generator=generator)

    for a in range(nd):
        c = fit(c, a + 1, sig_t[a])
    if options.rescale == "amplitude":
        c = c * math.sqrt(math.prod(sig_t[a] / sig_s[a] for a in axes))
    y = spectral_inverse(c, dims, options.rescale)
    if options.rescale == "std":
        y = restandardise(y, tuple(range(1, nd + 1)))

    out = []
    for j in range(L_t):
        l = min(j, L - 1)
        out.append((y[j] * stds[l] + means[l]).reshape(tuple(target_shapes[j])))
    return out
