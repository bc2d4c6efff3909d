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

CHUNK_NUMEL = 1 << 18  # layers transformed per call: at most this many elements (1 MiB in float32)

from ..transforms import dctn, idctn
from .depth import depth_matrix, map_depth
from .options import FrontOptions
from .shapes import fit, mlp_hidden_axis, signal_shape


def standardise(w: torch.Tensor) -> tuple[torch.Tensor, float, float]:
    """``(Z, mean, std)`` of METHODS 1.1 step 1 (std unbiased; 0 for one element)."""
    mean = w.mean()
    std = w.std() if w.numel() > 1 else w.new_zeros(())
    return (w - mean) / (std + 1e-8), mean, std


def standardise_layers_(x: torch.Tensor) -> tuple[list, list]:
    """Standardise every ``x[l]`` in place (as :func:`standardise`); returns the per-layer means and stds."""
    means, stds = [], []
    for w in x:
        mean = w.mean()
        std = w.std() if w.numel() > 1 else w.new_zeros(())
        w.sub_(mean).div_(std + 1e-8)
        means.append(mean)
        stds.append(std)
    return means, stds


def restandardise_(y: torch.Tensor) -> torch.Tensor:
    """``y`` to zero mean and unit std in place (std unbiased; 0 for one element)."""
    mean = y.mean()
    std = y.std() if y.numel() > 1 else torch.zeros_like(mean)
    return y.sub_(mean).div_(std + 1e-8)


def layer_chunks(n_layers: int, layer_numel: int, budget: int = CHUNK_NUMEL) -> list[slice]:
    """Consecutive layer ranges of at most ``budget`` elements (at least one layer each)."""
    step = max(1, budget // max(1, layer_numel))
    return [slice(i, min(i + step, n_layers)) for i in range(0, n_layers, step)]


def _by_passes(n_layers: int, sig, axes) -> bool:
    """Transform each layer axis by axis in chunks: a 2-D layer too large for the group to absorb the
    workspace of a whole-layer 2-D transform (about three layers' worth)."""
    return len(sig) == 2 and len(axes) > 0 and n_layers < 4 and math.prod(sig) > CHUNK_NUMEL


def _pass(t: torch.Tensor, axis: int, fn, out_len: int) -> torch.Tensor:
    """``fn`` applied along ``axis`` of the 2-D ``t`` to blocks of whole lines, each result cut or
    zero-padded to ``out_len``; one block of lines (about :data:`CHUNK_NUMEL` elements) at a time."""
    other = 1 - axis
    shape = list(t.shape)
    shape[axis] = out_len
    out = t.new_empty(shape)
    step = max(1, CHUNK_NUMEL // max(t.shape[axis], out_len))
    for start in range(0, t.shape[other], step):
        part = slice(start, start + step)
        index = (part, slice(None)) if other == 0 else (slice(None), part)
        out[index] = fit(fn(t[index]), axis, out_len)
    return out


def _forward_by_passes(z: torch.Tensor, axes, rescale: str, crop) -> torch.Tensor:
    """The cropped coefficients of one 2-D layer, one 1-D DCT pass per axis (last axis first)."""
    t = z
    for a in sorted(axes, reverse=True):
        t = _pass(t, a, lambda u, a=a: spectral_forward(u, (a,), rescale), crop[a])
    for a in range(2):
        t = fit(t, a, crop[a])
    return t


def _inverse_by_passes(c: torch.Tensor, axes, rescale: str, sig_t) -> torch.Tensor:
    """One 2-D target layer from its coefficients ``c``, one zero-padded 1-D inverse DCT pass per axis."""
    t = c
    for a in range(2):
        if a not in axes:
            t = fit(t, a, sig_t[a])
    for a in sorted(axes):
        t = _pass(t, a, lambda u, a=a: spectral_inverse(fit(u, a, sig_t[a]), (a,), rescale), sig_t[a])
    return t


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


def transformed_axes(name: str, ndim: int, options: FrontOptions) -> tuple[int, ...]:
    """Signal axes (0-based, of the signal view) that the per-tensor DCT acts on."""
    if options.mlp_dct == "1d" and ndim == 2:
        axis = mlp_hidden_axis(name)
        if axis is not None:
            return (axis,)
    return tuple(range(ndim))


def front_group(key: str, x: torch.Tensor, target_shapes, options: FrontOptions, *,
                generator: torch.Generator | None = None, ordered=None) -> list[torch.Tensor]:
    """FRONT of one group: the stacked source layers ``x`` (``(L, *shape)``, floating; overwritten)
    -> ``len(target_shapes)`` separate tensors of ``x``'s dtype.

    ``x`` may be a zero-argument callable returning the stack: this function then
    holds its only reference and frees it once the forward transform is done.

    A group of one (``L == len(target_shapes) == 1``) skips the depth step.
    ``ordered``: the signal axes that may be transformed (``None``: all); the
    others (unordered axes of :mod:`.kinds`, of equal size here) are left as they are.
    Memory: ``x``, the kept coefficients of every layer and the outputs, plus the
    workspace of one chunk of layers (:data:`CHUNK_NUMEL`); the depth map of the
    ``zero`` and ``consistence`` modes is one small ``(L', L)`` matrix product.
    """
    x = x() if callable(x) else x
    L, L_t = x.shape[0], len(target_shapes)
    sig_s = signal_shape(x.shape[1:])
    sig_t = signal_shape(target_shapes[0])
    nd = len(sig_s)
    keep = {a: max(1, math.floor(sig_s[a] * options.keep_ratio)) for a in range(nd)}
    # An axis whose size is unchanged and fully kept round-trips exactly: it is not transformed.
    axes = tuple(a for a in transformed_axes(key, nd, options) if not (sig_s[a] == sig_t[a] == keep[a])
                 and (ordered is None or a in ordered))
    dims = tuple(a + 1 for a in axes)
    depth = L != L_t or (options.select_n is not None and options.select_n < L)
    # Coefficients past the target size are dropped by the final crop; the random depth mode draws its
    # fill from the statistics of the whole kept block, so it keeps them until after the depth map.
    keep = {a: keep[a] if ordered is None or a in ordered else sig_s[a] for a in range(nd)}
    crop = {a: keep[a] if a in axes else sig_s[a] for a in range(nd)}
    if not (depth and options.depth_mode == "random"):
        crop = {a: min(n, sig_t[a]) for a, n in crop.items()}

    means, stds = standardise_layers_(x)
    z = x.reshape((L,) + sig_s)
    c = z.new_empty((L,) + tuple(crop[a] for a in range(nd)))
    if _by_passes(L, sig_s, axes):
        for l in range(L):
            c[l] = _forward_by_passes(z[l], axes, options.rescale, crop)
    else:
        for part in layer_chunks(L, math.prod(sig_s)):
            block = spectral_forward(z[part], dims, options.rescale)
            c[part] = block[(slice(None),) + tuple(slice(0, crop[a]) for a in range(nd))]
            del block
    del z, x

    if depth:
        if options.depth_mode == "random":
            c = map_depth(c, L_t, mode="random", band=options.depth_band, select_n=options.select_n,
                          rescale=options.rescale, generator=generator)
        else:
            m = depth_matrix(L, L_t, mode=options.depth_mode, band=options.depth_band, select_n=options.select_n,
                             rescale=options.rescale).to(c.dtype)
            c = torch.tensordot(m.to(c.device), c, dims=1)

    scale = math.sqrt(math.prod(sig_t[a] / sig_s[a] for a in axes)) if options.rescale == "amplitude" else 1.0
    out = []
    by_passes = _by_passes(L_t, sig_t, axes)
    for j in range(L_t):
        cj = c[j] * scale if scale != 1.0 else c[j]
        if by_passes:
            y = _inverse_by_passes(cj, axes, options.rescale, sig_t)
        else:
            for a in range(nd):
                cj = fit(cj, a, sig_t[a])
            y = spectral_inverse(cj, axes, options.rescale)
        if y.untyped_storage().data_ptr() == c.untyped_storage().data_ptr():
            y = y.clone(memory_format=torch.contiguous_format)  # every output owns its memory
        if options.rescale == "std":
            restandardise_(y)
        l = min(j, L - 1)
        out.append(y.mul_(stds[l]).add_(means[l]).reshape(tuple(target_shapes[j])))
    return out
