r"""The CUDA kernels as ``torch.library`` custom ops, with fake kernels and autograd.

The ops take the tensor and plain parameters (sizes, dims, filter taps, mode);
matrices and banded tables are built and cached inside, at run time, so
``torch.compile`` sees one opaque node per op and no host work. Every op is
linear in its tensor input except :func:`restandardize`, and its backward is
the adjoint, run by the same kernels:

* ``dct_axes``: the DCT matrices ``C_d`` along ``dims``; adjoint: ``C_d^T`` in reverse order.
* ``blocked_dct2``: :math:`Y_t = A X_t A^T` per tile; adjoint: the same with ``A^T``.
* ``apply_matrices``: given matrices along dims (the separable resize); adjoint: the transposes.
* ``wavelet_axes``: one wavelet level along each of ``dims`` (:mod:`._plans` transforms);
  adjoint: the paired transform.
* ``wavelet2d_levels``: every level of a 2-D transform on the last two dims, packed
  coefficients; fused in one launch when a slice fits in shared memory
  (:data:`FUSED_2D`), else one banded launch per dim and level.
* ``restandardize``: :math:`(y - \bar y)/(s_y + \epsilon)\, s_x + \bar x` per leading
  slice over the last ``k`` dims; its backward is written out.

Launches go through :mod:`._launch` (looked up at call time).
"""
from __future__ import annotations

import functools
import math

import torch

from . import _launch
from . import _plans as plans
from ..dct_matrix import dct_matrix_float64
from ._launch import STD_EPS

FUSED_2D = True  # run multi-level 2-D transforms in one launch when a slice fits in shared memory


def _contiguous_mat(m: torch.Tensor) -> torch.Tensor:
    return m.to(torch.float32).contiguous()


# ------------------------------------------------------------------------------------------------
# DCT along dims


@functools.lru_cache(maxsize=64)
def dct_matrix(n: int, type: int, norm: str, inverse: bool, transpose: bool, device: torch.device) -> torch.Tensor:
    """The float32 ``(n, n)`` matrix ``C`` of ``dct`` (``inverse``: ``idct``) along one dim, or
    ``C^T``, on ``device`` (definitions in :mod:`front_kernels._backends.dct_matrix`)."""
    c = dct_matrix_float64(n, type, norm, inverse)
    return _contiguous_mat((c.t() if transpose else c).to(device))


def _chain(x: torch.Tensor, mats, dims, float32_out: bool) -> torch.Tensor:
    y = x
    for i, (mat, d) in enumerate(zip(mats, dims)):
        last = i == len(mats) - 1
        y = _launch.matrix_axis_launch(y, mat, d, torch.float32 if (float32_out or not last) else x.dtype)
    return y


@torch.library.custom_op("front_kernels_cuda::dct_axes", mutates_args=())
def dct_axes(x: torch.Tensor, type: int, dims: list[int], norm: str, inverse: bool, transpose: bool) -> torch.Tensor:
    """DCT (``inverse``: IDCT) of ``type`` and ``norm`` along ``dims`` in order (``transpose``: the
    transposed matrices); same shape and dtype as ``x``."""
    mats = [dct_matrix(x.shape[d], type, norm, inverse, transpose, x.device) for d in dims]
    return _chain(x, mats, dims, False)


@dct_axes.register_fake
def _(x, type, dims, norm, inverse, transpose):
    return torch.empty_like(x)


def _dct_setup(ctx, inputs, output):
    ctx.args = inputs[1:]


def _dct_backward(ctx, grad):
    type, dims, norm, inverse, transpose = ctx.args
    return dct_axes(grad, type, list(reversed(dims)), norm, inverse, not transpose), None, None, None, None, None


dct_axes.register_autograd(_dct_backward, setup_context=_dct_setup)


# ------------------------------------------------------------------------------------------------
# blocked 2-D DCT


@torch.library.custom_op("front_kernels_cuda::blocked_dct2", mutates_args=())
def blocked_dct2(x: torch.Tensor, block: int, norm: str, inverse: bool, transpose: bool) -> torch.Tensor:
    """``A X_t A^T`` for every ``block x block`` tile of the last two dims, ``A`` the block's DCT-II
    matrix (``inverse``: its inverse; ``transpose``: transposed)."""
    return _launch.blocked_dct2_launch(x, dct_matrix(block, 2, norm, inverse, transpose, x.device), block)


@blocked_dct2.register_fake
def _(x, block, norm, inverse, transpose):
    return torch.empty_like(x)


def _blocked_setup(ctx, inputs, output):
    ctx.args = inputs[1:]


def _blocked_backward(ctx, grad):
    block, norm, inverse, transpose = ctx.args
    return blocked_dct2(grad, block, norm, inverse, not transpose), None, None, None, None


blocked_dct2.register_autograd(_blocked_backward, setup_context=_blocked_setup)


# ------------------------------------------------------------------------------------------------
# given matrices along dims (separable resize)


@torch.library.custom_op("front_kernels_cuda::apply_matrices", mutates_args=())
def apply_matrices(x: torch.Tensor, mats: list[torch.Tensor], dims: list[int], float32_out: bool) -> torch.Tensor:
    """``mats[i]`` (``(m_i, x.shape[dims[i]])``) along ``dims[i]`` in order, float32 intermediates;
    the result in ``x``'s dtype, or float32 with ``float32_out``."""
    if len(mats) != len(dims) or not mats:
        raise ValueError(f"mats and dims must be non-empty and of equal length, got {len(mats)} and {len(dims)}")
    return _chain(x, [_contiguous_mat(m) for m in mats], dims, float32_out)


@apply_matrices.register_fake
def _(x, mats, dims, float32_out):
    shape = list(x.shape)
    for mat, d in zip(mats, dims):
        shape[d] = mat.shape[0]
    return x.new_empty(shape, dtype=torch.float32 if float32_out else x.dtype)


def _apply_matrices_setup(ctx, inputs, output):
    x, mats, dims, _ = inputs
    ctx.mats, ctx.dims, ctx.dtype = mats, dims, x.dtype


def _apply_matrices_backward(ctx, grad):
    adjoint = [m.t() for m in reversed(ctx.mats)]
    grad_x = apply_matrices(grad, adjoint, list(reversed(ctx.dims)), False).to(ctx.dtype)
    return grad_x, [None] * len(ctx.mats), None, None


apply_matrices.register_autograd(_apply_matrices_backward, setup_context=_apply_matrices_setup)


# ------------------------------------------------------------------------------------------------
# one wavelet level along dims


@torch.library.custom_op("front_kernels_cuda::wavelet_axes", mutates_args=())
def wavelet_axes(x: torch.Tensor, filters: list[float], mode: str, dims: list[int], lengths: list[int],
                 transform: str) -> torch.Tensor:
    """One level of ``transform`` (see :mod:`._plans`) along each of ``dims``; ``lengths[i]`` is the
    signal (analysis pair) or band (synthesis pair) length along ``dims[i]``. The two bands of a dim
    lie side by side along it, low first."""
    plans.check_transform(transform)
    w = plans.wavelet_of(filters)
    f = w.dec_len
    for d, n in zip(dims, lengths):
        if x.shape[d] != plans.axis_in_len(transform, n, f, mode):
            raise ValueError(f"dim {d} of x has size {x.shape[d]}, a {transform} of length {n} reads "
                             f"{plans.axis_in_len(transform, n, f, mode)}")
    tabs = plans.axis_tables_on(x.device, transform, tuple(lengths), w, mode)
    y = x
    for i, (d, (idx, wts)) in enumerate(zip(dims, tabs)):
        y = _launch.sparse_axis_launch(y, idx, wts, d, x.dtype if i == len(dims) - 1 else torch.float32)
    return y


@wavelet_axes.register_fake
def _(x, filters, mode, dims, lengths, transform):
    shape = list(x.shape)
    for d, n in zip(dims, lengths):
        shape[d] = plans.axis_out_len(transform, n, len(filters) // 4, mode)
    return x.new_empty(shape)


def _axes_setup(ctx, inputs, output):
    ctx.args = inputs[1:]


def _axes_backward(ctx, grad):
    filters, mode, dims, lengths, transform = ctx.args
    grad_x = wavelet_axes(grad, filters, mode, list(reversed(dims)), list(reversed(lengths)),
                          plans.ADJOINT[transform])
    return grad_x, None, None, None, None, None


wavelet_axes.register_autograd(_axes_backward, setup_context=_axes_setup)


# ------------------------------------------------------------------------------------------------
# multi-level 2-D wavelet transform on the last two dims


def _levels_one_by_one(x: torch.Tensor, plan: plans.Plan2D, tabs) -> torch.Tensor:
    """The fused kernel's computation as banded launches, one per dim and level."""
    nd = x.ndim
    f32 = torch.promote_types(x.dtype, torch.float32)  # the intermediates' dtype (float32 on the GPU)
    if plan.packs:
        lead = x.shape[:-2]
        out = torch.empty(*lead, plan.packed_len, dtype=x.dtype, device=x.device)
        cur = x
        for lv, ((ri, rw), (ci, cw)) in zip(plan.levels, tabs):
            t = _launch.sparse_axis_launch(cur, ci, cw, nd - 1, f32)
            full = _launch.sparse_axis_launch(t, ri, rw, nd - 2, f32)
            kr, kc = lv.kr, lv.kc
            quads = (full[..., kr:, :kc], full[..., :kr, kc:], full[..., kr:, kc:])
            for b, q in enumerate(quads):
                start = lv.band_off + b * kr * kc
                out[..., start:start + kr * kc] = q.reshape(*lead, kr * kc)
            cur = full[..., :kr, :kc]
        out[..., plan.approx_off:] = cur.reshape(*lead, -1)
        return out
    lead = x.shape[:-1]
    last = plan.levels[-1]
    cur = x[..., plan.approx_off:].reshape(*lead, last.kr, last.kc).to(f32)
    for l in range(len(plan.levels) - 1, -1, -1):
        lv = plan.levels[l]
        (ri, rw), (ci, cw) = tabs[l]
        kr, kc = lv.kr, lv.kc
        band = [x[..., lv.band_off + b * kr * kc: lv.band_off + (b + 1) * kr * kc].reshape(*lead, kr, kc).to(f32)
                for b in range(3)]
        quad = torch.cat([torch.cat([cur, band[1]], -1), torch.cat([band[0], band[2]], -1)], -2)
        t = _launch.sparse_axis_launch(quad, ri, rw, quad.ndim - 2, f32)
        cur = _launch.sparse_axis_launch(t, ci, cw, quad.ndim - 1, f32 if l else x.dtype)
    return cur


@functools.lru_cache(maxsize=16)
def _shared_bytes_limit(device: torch.device) -> int:
    return _launch.max_shared_bytes(device)


@torch.library.custom_op("front_kernels_cuda::wavelet2d_levels", mutates_args=())
def wavelet2d_levels(x: torch.Tensor, filters: list[float], mode: str, lengths: list[int],
                     transform: str) -> torch.Tensor:
    """Every level of a 2-D ``transform`` over the last two dims (see :mod:`._plans` for
    ``lengths`` and the packed layout): signal ``(..., H, W)`` <-> packed ``(..., packed_len)``."""
    w = plans.wavelet_of(filters)
    key = (transform, tuple(lengths), w, mode)
    plan = plans.plan_2d(*key)
    want = (plan.height, plan.width) if plan.packs else (plan.packed_len,)
    if tuple(x.shape[x.ndim - len(want):]) != want:
        raise ValueError(f"x must end in dims {want} for this {transform}, got shape {tuple(x.shape)}")
    if FUSED_2D and plan.shared_bytes <= _shared_bytes_limit(x.device):
        idx, wts, plan_list = plans.plan_2d_on(plan, x.device, key)
        return _launch.dwt2_fused_launch(x, idx, wts, plan_list, not plan.packs)
    return _levels_one_by_one(x, plan, plans.level_tables_on(plan, x.device, key))


@wavelet2d_levels.register_fake
def _(x, filters, mode, lengths, transform):
    packed_len, h, w = plans.packed_len_2d(transform, tuple(lengths), len(filters) // 4, mode)
    if transform in ("analysis", "synthesis_t"):
        return x.new_empty(*x.shape[:-2], packed_len)
    return x.new_empty(*x.shape[:-1], h, w)


def _levels_setup(ctx, inputs, output):
    ctx.args = inputs[1:]


def _levels_backward(ctx, grad):
    filters, mode, lengths, transform = ctx.args
    return wavelet2d_levels(grad, filters, mode, lengths, plans.ADJOINT[transform]), None, None, None, None


wavelet2d_levels.register_autograd(_levels_backward, setup_context=_levels_setup)


# ------------------------------------------------------------------------------------------------
# re-standardisation of a resized tensor


@torch.library.custom_op("front_kernels_cuda::restandardize", mutates_args=())
def restandardize(x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """Per leading slice over the last ``k`` dims: ``(y - mean y) / (std y + eps) * std x + mean x``,
    std with Bessel's correction; ``y`` float32, the result in ``x``'s dtype."""
    return _launch.restandardize_launch(x.contiguous(), y.contiguous(), k)


@restandardize.register_fake
def _(x, y, k):
    return y.new_empty(y.shape, dtype=x.dtype)


def _restandardize_setup(ctx, inputs, output):
    x, y, k = inputs
    ctx.save_for_backward(x, y)
    ctx.k = k


def restandardize_backward(x: torch.Tensor, y: torch.Tensor, k: int, grad: torch.Tensor):
    """Gradients of :func:`restandardize` w.r.t. ``x`` and ``y`` (plain torch ops, float32):
    with :math:`s = s_x / (s_y + \\epsilon)`, :math:`c = y - \\bar y`, :math:`G = \\sum g c`,

    .. math:: \\bar y_i = s (g_i - \\bar g) - \\frac{s_x G\\, c_i}{(s_y+\\epsilon)^2 (n_y - 1) s_y}, \\qquad
              \\bar x_i = \\frac{\\sum g}{n_x} + \\frac{G (x_i - \\bar x)}{(s_y+\\epsilon)(n_x - 1) s_x}.
    """
    dims = tuple(range(x.ndim - k, x.ndim))
    xf, yf, g = x.float(), y.float(), grad.float()
    nx, ny = math.prod(x.shape[-k:]), math.prod(y.shape[-k:])
    mx, sx = xf.mean(dims, keepdim=True), xf.std(dims, keepdim=True)
    cy = yf - yf.mean(dims, keepdim=True)
    sy = yf.std(dims, keepdim=True)
    den = sy + STD_EPS
    gc = (g * cy).sum(dims, keepdim=True)
    grad_y = sx / den * (g - g.mean(dims, keepdim=True)) - sx / den**2 * gc * cy / ((ny - 1) * sy)
    grad_x = g.sum(dims, keepdim=True) / nx + gc / den * (xf - mx) / ((nx - 1) * sx)
    return grad_x.to(x.dtype), grad_y


def _restandardize_backward(ctx, grad):
    x, y = ctx.saved_tensors
    grad_x, grad_y = restandardize_backward(x, y, ctx.k, grad)
    return grad_x, grad_y, None


restandardize.register_autograd(_restandardize_backward, setup_context=_restandardize_setup)
