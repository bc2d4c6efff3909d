r"""The CUDA kernels as ``torch.library`` custom ops with fake kernels and autograd.

Every op is linear in its tensor input except :func:`restandardize`, and its
backward is the adjoint, run by the same kernels:

* ``apply_matrices(x, mats, dims)``: :math:`y = (A_k \otimes \dots \otimes A_1)\,x`,
  ``mats[i]`` along ``dims[i]`` in order; adjoint: the transposes in reverse order.
* ``blocked_dct2(x, mat, block)``: :math:`Y_t = A X_t A^T` per tile; adjoint: ``A^T``.
* ``sparse_maps(x, tables, dims)``: banded maps (wavelet levels) along dims; the
  adjoint tables are passed along (built with the forward ones).
* ``dwt2_fused(x, tables, plan, adjoint)``: all levels of a 2-D wavelet analysis
  (or synthesis) in one launch; the adjoint is the other kernel with the
  adjoint plan.
* ``restandardize(x, y, k)``: :math:`(y - \bar y)/(s_y + \epsilon)\, s_x + \bar x` per
  leading-batch slice over the last ``k`` dims; its backward is written out.
"""
from __future__ import annotations

import math

import torch

from ._ext import DTYPE_CODES, as_3d, check_operand, extension, launch_args

STD_EPS = 1e-8
_MATRIX_DTYPES = (torch.float32,)
_INDEX_DTYPES = (torch.int32,)


def _view_strides(t3: torch.Tensor) -> list[int]:
    return list(t3.stride())


# ------------------------------------------------------------------------------------------------
# dense map along one dim (DCT, resize factors)


def matrix_axis_launch(x: torch.Tensor, mat: torch.Tensor, dim: int, out_dtype: torch.dtype) -> torch.Tensor:
    """``y = mat`` applied along ``dim`` of ``x``: one launch of ``dct_matrix_axis``."""
    check_operand(x, "x")
    check_operand(mat, "mat", device=x.device, dtypes=_MATRIX_DTYPES, contiguous=True, ndim=2)
    if out_dtype not in DTYPE_CODES:
        raise TypeError(f"out_dtype must be float32, float16 or bfloat16, got {out_dtype}")
    if not 0 <= dim < x.ndim:
        raise ValueError(f"dim={dim} is out of range for a tensor with {x.ndim} dimensions")
    m, n = mat.shape
    if x.shape[dim] != n:
        raise ValueError(f"mat of shape {(m, n)} cannot act on dim {dim} of size {x.shape[dim]}")
    shape = list(x.shape)
    shape[dim] = m
    y = torch.empty(shape, dtype=out_dtype, device=x.device)
    if y.numel() == 0:
        return y
    x3, y3 = as_3d(x, dim), as_3d(y, dim)
    device, stream = launch_args(x)
    extension().dct_matrix_axis(
        mat.data_ptr(), m, n, x3.data_ptr(), _view_strides(x3), DTYPE_CODES[x.dtype],
        y3.data_ptr(), _view_strides(y3), DTYPE_CODES[out_dtype], x3.shape[0], x3.shape[2], device, stream,
    )
    return y


@torch.library.custom_op("front_kernels_cuda::apply_matrices", mutates_args=())
def apply_matrices(x: torch.Tensor, mats: list[torch.Tensor], dims: list[int], float32_out: bool) -> torch.Tensor:
    """``mats[i]`` (float32, ``(m_i, x.shape[dims[i]])``) along ``dims[i]`` in order; float32
    intermediates; the result in ``x``'s dtype, or float32 with ``float32_out``."""
    if len(mats) != len(dims) or not mats:
        raise ValueError(f"mats and dims must be non-empty and of equal length, got {len(mats)} and {len(dims)}")
    y = x
    for i, (mat, d) in enumerate(zip(mats, dims)):
        last = i == len(mats) - 1
        y = matrix_axis_launch(y, mat, d, torch.float32 if (float32_out or not last) else x.dtype)
    return y


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
    adjoint = [m.t().contiguous() for m in reversed(ctx.mats)]
    grad_x = apply_matrices(grad.to(ctx.dtype), adjoint, list(reversed(ctx.dims)), False)
    return grad_x, [None] * len(ctx.mats), None, None


apply_matrices.register_autograd(_apply_matrices_backward, setup_context=_apply_matrices_setup)


# ------------------------------------------------------------------------------------------------
# blocked 2-D DCT


@torch.library.custom_op("front_kernels_cuda::blocked_dct2", mutates_args=())
def blocked_dct2(x: torch.Tensor, mat: torch.Tensor, block: int) -> torch.Tensor:
    """``A X_t A^T`` for every ``block x block`` tile of the last two dims of ``x``."""
    check_operand(x, "x")
    check_operand(mat, "mat", device=x.device, dtypes=_MATRIX_DTYPES, contiguous=True, ndim=2)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions, got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    if tuple(mat.shape) != (block, block) or not 1 <= block <= 64 or h % block or w % block:
        raise ValueError(f"block={block} must be in [1, 64], divide the last two dims {(h, w)} and match "
                         f"mat of shape {tuple(mat.shape)}")
    y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    x3 = x.reshape(-1, h, w)
    y3 = y.view(-1, h, w)
    device, stream = launch_args(x)
    extension().blocked_dct2(
        mat.data_ptr(), block, x3.data_ptr(), _view_strides(x3), DTYPE_CODES[x.dtype],
        y3.data_ptr(), _view_strides(y3), DTYPE_CODES[x.dtype], x3.shape[0], h, w, device, stream,
    )
    return y


@blocked_dct2.register_fake
def _(x, mat, block):
    return torch.empty_like(x)


def _blocked_setup(ctx, inputs, output):
    _, mat, block = inputs
    ctx.mat, ctx.block = mat, block


def _blocked_backward(ctx, grad):
    return blocked_dct2(grad, ctx.mat.t().contiguous(), ctx.block), None, None


blocked_dct2.register_autograd(_blocked_backward, setup_context=_blocked_setup)


# ------------------------------------------------------------------------------------------------
# banded maps along dims (one wavelet level per dim)


def sparse_axis_launch(x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor, dim: int,
                       out_dtype: torch.dtype) -> torch.Tensor:
    """``y[.., r, ..] = sum_t weights[r, t] x[.., idx[r, t], ..]`` along ``dim`` (``idx < 0``: no term)."""
    check_operand(x, "x")
    check_operand(idx, "idx", device=x.device, dtypes=_INDEX_DTYPES, contiguous=True, ndim=2)
    check_operand(weights, "weights", device=x.device, dtypes=_MATRIX_DTYPES, contiguous=True, ndim=2)
    if idx.shape != weights.shape:
        raise ValueError(f"idx {tuple(idx.shape)} and weights {tuple(weights.shape)} must have one shape")
    if not 0 <= dim < x.ndim:
        raise ValueError(f"dim={dim} is out of range for a tensor with {x.ndim} dimensions")
    rows, taps = idx.shape
    shape = list(x.shape)
    shape[dim] = rows
    y = torch.empty(shape, dtype=out_dtype, device=x.device)
    if y.numel() == 0:
        return y
    x3, y3 = as_3d(x, dim), as_3d(y, dim)
    xs, ys = _view_strides(x3), _view_strides(y3)
    device, stream = launch_args(x)
    extension().dwt_sparse_axis(
        idx.data_ptr(), weights.data_ptr(), rows, taps,
        x3.data_ptr(), xs, x3.data_ptr(), xs, x3.shape[1], DTYPE_CODES[x.dtype],
        y3.data_ptr(), ys, y3.data_ptr(), ys, rows, DTYPE_CODES[out_dtype],
        x3.shape[0], x3.shape[2], device, stream,
    )
    return y


@torch.library.custom_op("front_kernels_cuda::sparse_maps", mutates_args=())
def sparse_maps(x: torch.Tensor, idx: list[torch.Tensor], weights: list[torch.Tensor], dims: list[int],
                in_sizes: list[int], adj_idx: list[torch.Tensor], adj_weights: list[torch.Tensor]) -> torch.Tensor:
    """Banded map ``i`` (``idx[i]``, ``weights[i]``: ``(rows_i, taps_i)``) along ``dims[i]``, in order;
    ``in_sizes[i]`` is the size of ``dims[i]`` it reads, ``adj_*`` the transposed tables."""
    y = x
    for i, d in enumerate(dims):
        if y.shape[d] != in_sizes[i]:
            raise ValueError(f"dim {d} has size {y.shape[d]}, the wavelet table expects {in_sizes[i]}")
        y = sparse_axis_launch(y, idx[i], weights[i], d, x.dtype if i == len(dims) - 1 else torch.float32)
    return y


@sparse_maps.register_fake
def _(x, idx, weights, dims, in_sizes, adj_idx, adj_weights):
    shape = list(x.shape)
    for t, d in zip(idx, dims):
        shape[d] = t.shape[0]
    return x.new_empty(shape)


def _sparse_setup(ctx, inputs, output):
    _, idx, weights, dims, in_sizes, adj_idx, adj_weights = inputs
    ctx.saved = (idx, weights, dims, [t.shape[0] for t in idx], adj_idx, adj_weights)
    ctx.n_maps = len(idx)


def _sparse_backward(ctx, grad):
    idx, weights, dims, out_sizes, adj_idx, adj_weights = ctx.saved
    r = slice(None, None, -1)
    grad_x = sparse_maps(grad, adj_idx[r], adj_weights[r], dims[r], out_sizes[r], idx[r], weights[r])
    none = [None] * ctx.n_maps
    return grad_x, none, none, None, None, none, none


sparse_maps.register_autograd(_sparse_backward, setup_context=_sparse_setup)


# ------------------------------------------------------------------------------------------------
# fused multi-level 2-D wavelet transform
#
# plan: [levels, buf0, buf1, approx_off, packed_len, height, width] + 9 ints per level
#       (in_h, in_w, kr, kc, taps_r, taps_c, tab_r, tab_c, band_off), see csrc/kernels.h.

PLAN_HEAD = 7


def _plan_parts(plan: list[int]):
    levels, buf0, buf1, approx_off, packed_len, height, width = plan[:PLAN_HEAD]
    rows = [plan[PLAN_HEAD + 9 * l: PLAN_HEAD + 9 * (l + 1)] for l in range(levels)]
    return rows, buf0, buf1, approx_off, packed_len, height, width


def dwt2_fused_launch(x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor, plan: list[int],
                      synthesis: bool) -> torch.Tensor:
    """Analysis: ``x (..., H, W) -> (..., packed_len)``; synthesis: the reverse."""
    check_operand(x, "x")
    check_operand(idx, "idx", device=x.device, dtypes=_INDEX_DTYPES, contiguous=True, ndim=1)
    check_operand(weights, "weights", device=x.device, dtypes=_MATRIX_DTYPES, contiguous=True, ndim=1)
    rows, buf0, buf1, approx_off, packed_len, height, width = _plan_parts(plan)
    device, stream = launch_args(x)
    ext = extension()
    if not synthesis:
        if x.ndim < 2 or tuple(x.shape[-2:]) != (height, width):
            raise ValueError(f"x must end in dims {(height, width)}, got shape {tuple(x.shape)}")
        lead = x.shape[:-2]
        out = torch.empty(*lead, packed_len, dtype=x.dtype, device=x.device)
        if out.numel() == 0:
            return out
        x3 = x.reshape(-1, height, width)
        ext.dwt2_analysis(idx.data_ptr(), weights.data_ptr(), rows, buf0, buf1, approx_off, packed_len,
                          x3.data_ptr(), _view_strides(x3), DTYPE_CODES[x.dtype], out.data_ptr(),
                          DTYPE_CODES[x.dtype], x3.shape[0], device, stream)
        return out
    if x.ndim < 1 or x.shape[-1] != packed_len:
        raise ValueError(f"packed coefficients must end in a dim of {packed_len}, got shape {tuple(x.shape)}")
    x = x.contiguous()
    lead = x.shape[:-1]
    y = torch.empty(*lead, height, width, dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    y3 = y.view(-1, height, width)
    ext.dwt2_synthesis(idx.data_ptr(), weights.data_ptr(), rows, buf0, buf1, approx_off, packed_len,
                       x.data_ptr(), DTYPE_CODES[x.dtype], y3.data_ptr(), _view_strides(y3),
                       DTYPE_CODES[x.dtype], y3.shape[0], device, stream)
    return y


@torch.library.custom_op("front_kernels_cuda::dwt2_fused", mutates_args=())
def dwt2_fused(x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor, plan: list[int],
               adj_idx: torch.Tensor, adj_weights: torch.Tensor, adj_plan: list[int],
               synthesis: bool) -> torch.Tensor:
    """All levels of a 2-D wavelet analysis (``synthesis=False``) or synthesis in one launch."""
    return dwt2_fused_launch(x, idx, weights, plan, synthesis)


@dwt2_fused.register_fake
def _(x, idx, weights, plan, adj_idx, adj_weights, adj_plan, synthesis):
    _, _, _, _, packed_len, height, width = _plan_parts(plan)
    if synthesis:
        return x.new_empty(*x.shape[:-1], height, width)
    return x.new_empty(*x.shape[:-2], packed_len)


def _dwt2_setup(ctx, inputs, output):
    ctx.args = inputs[1:]


def _dwt2_backward(ctx, grad):
    idx, weights, plan, adj_idx, adj_weights, adj_plan, synthesis = ctx.args
    grad_x = dwt2_fused(grad, adj_idx, adj_weights, adj_plan, idx, weights, plan, not synthesis)
    return grad_x, None, None, None, None, None, None, None


dwt2_fused.register_autograd(_dwt2_backward, setup_context=_dwt2_setup)


# ------------------------------------------------------------------------------------------------
# re-standardisation of a resized tensor


@torch.library.custom_op("front_kernels_cuda::restandardize", mutates_args=())
def restandardize(x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """Per leading slice over the last ``k`` dims: ``(y - mean y) / (std y + eps) * std x + mean x``,
    std with Bessel's correction; ``y`` float32, the result in ``x``'s dtype."""
    check_operand(x, "x", contiguous=True)
    check_operand(y, "y", device=x.device, dtypes=(torch.float32,), contiguous=True)
    if not 1 <= k <= x.ndim or x.ndim != y.ndim or x.shape[:-k] != y.shape[:-k]:
        raise ValueError(f"x {tuple(x.shape)} and y {tuple(y.shape)} must share their leading dims before the "
                         f"last k={k}")
    rows = math.prod(x.shape[:-k])
    x_len, y_len = math.prod(x.shape[-k:]), math.prod(y.shape[-k:])
    out = torch.empty(y.shape, dtype=x.dtype, device=x.device)
    if out.numel() == 0:
        return out
    stats = torch.empty(4 * rows, dtype=torch.float32, device=x.device)
    device, stream = launch_args(x)
    extension().resize_restandardize(x.data_ptr(), DTYPE_CODES[x.dtype], x_len, y.data_ptr(), y_len, rows,
                                     stats.data_ptr(), STD_EPS, out.data_ptr(), DTYPE_CODES[x.dtype], device, stream)
    return out


@restandardize.register_fake
def _(x, y, k):
    return y.new_empty(y.shape, dtype=x.dtype)


def _restandardize_setup(ctx, inputs, output):
    x, y, k = inputs
    ctx.save_for_backward(x, y)
    ctx.k = k


def restandardize_backward(x: torch.Tensor, y: torch.Tensor, k: int, grad: torch.Tensor):
    """Gradients of :func:`restandardize` w.r.t. ``x`` and ``y`` (plain torch ops, float32)."""
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
