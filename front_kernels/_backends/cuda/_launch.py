"""Host launchers of the kernels in ``csrc/``: check every operand, then hand raw
pointers, element strides and the current stream to ``front_kernels._cuda``.

Nothing else in the package calls the extension; each function allocates its
output and returns it.
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


def blocked_dct2_launch(x: torch.Tensor, mat: torch.Tensor, block: int) -> torch.Tensor:
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


# fused 2-D wavelet plans
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


def restandardize_launch(x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """Per leading slice over the last ``k`` dims: ``(y - mean y) / (std y + eps) * std x + mean x``."""
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


def max_shared_bytes(device: torch.device) -> int:
    """Shared memory one thread block may opt into on ``device``."""
    return extension().max_shared_bytes(device.index if device.index is not None else torch.cuda.current_device())
