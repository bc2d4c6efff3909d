r"""Blocked (tile-local) 2-D DCT-II / DCT-III: one read and one write of the tensor.

Every ``b x b`` tile ``X_t`` of the last two dims becomes :math:`Y_t = C X_t C^T`
with ``C`` the ``b x b`` matrix of :func:`.dct.dct_matrix` (type 2, or its
inverse, for ``norm``). A program loads a ``TILE x TILE`` window holding
``G x G`` whole blocks (``G = TILE // b``, ``TILE`` a power of two >= 16) and
computes :math:`D X D^T` with the block-diagonal :math:`D = I_G \otimes C`
(zero-padded to ``TILE``): two ``tl.dot`` of ``TILE^3`` on tensor cores, enough
to stay memory-bound for every block size, and the window advances by
``G b`` so partial windows at the edges carry only whole blocks.

Custom op ``front_kernels_triton::blocked_transform(x, d)``; its backward is
the same kernel with ``D^T`` (the adjoint of ``X -> D X D^T``).
"""
from __future__ import annotations

import math

import torch

from ._runtime import MAX_GRID_YZ, LazyKernel, device_cache, dot_precision, interpreting, triton, tl
from .dct import dct_matrix

GPU_TILE = 64


def _blocked_kernel(
    x_ptr, d_ptr, y_ptr,
    H, W, STEP,
    sxb, sxh, sxw,
    syb, syh, syw,
    TILE: tl.constexpr, PRECISION: tl.constexpr, FP64: tl.constexpr,
):
    pid_w = tl.program_id(0)
    pid_h = tl.program_id(1)
    pid_b = tl.program_id(2).to(tl.int64)
    local = tl.arange(0, TILE)
    rows = pid_h.to(tl.int64) * STEP + local
    cols = pid_w.to(tl.int64) * STEP + local
    mask = ((rows < H) & (local < STEP))[:, None] & ((cols < W) & (local < STEP))[None, :]
    x = tl.load(x_ptr + pid_b * sxb + rows[:, None] * sxh + cols[None, :] * sxw, mask=mask, other=0.0)
    d = tl.load(d_ptr + local[:, None] * TILE + local[None, :])
    dt = tl.load(d_ptr + local[:, None] + local[None, :] * TILE)
    if FP64:
        t = tl.dot(d, x.to(tl.float64), input_precision="ieee", out_dtype=tl.float64)
        y = tl.dot(t, dt, input_precision="ieee", out_dtype=tl.float64)
    else:
        t = tl.dot(d, x.to(tl.float32), input_precision=PRECISION)
        y = tl.dot(t, dt, input_precision=PRECISION)
    tl.store(y_ptr + pid_b * syb + rows[:, None] * syh + cols[None, :] * syw,
             y.to(y_ptr.dtype.element_ty), mask=mask)


_KERNEL = LazyKernel(_blocked_kernel)


def _tile_for(block: int) -> int:
    if interpreting():
        return max(16, 1 << (block - 1).bit_length())
    return max(GPU_TILE, 1 << (block - 1).bit_length())


@device_cache(64)
def tile_matrix(block: int, tile: int, norm: str, inverse: bool, dtype: torch.dtype, device: torch.device):
    """``I_G (x) C_b`` zero-padded to ``(tile, tile)``, ``G = tile // block``."""
    c = dct_matrix(block, 2, norm, inverse, torch.float64, device)
    g = tile // block
    d = torch.zeros(tile, tile, dtype=torch.float64, device=device)
    d[: g * block, : g * block] = torch.kron(torch.eye(g, dtype=torch.float64, device=device), c)
    return d.to(dtype).contiguous()


def blocked_launch(x: torch.Tensor, d: torch.Tensor, block: int) -> torch.Tensor:
    """``D X D^T`` on every ``G*block`` window of the last two dims of ``x``."""
    tile = d.shape[0]
    step = block * (tile // block)
    *lead, h, w = x.shape
    y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    x3 = x.reshape(math.prod(lead), h, w)
    y3 = y.view(x3.shape)
    fp64 = x.dtype == torch.float64
    d = d.to(torch.float64 if fp64 else torch.float32).contiguous()
    for b0 in range(0, x3.shape[0], MAX_GRID_YZ):
        xb, yb = x3[b0:b0 + MAX_GRID_YZ], y3[b0:b0 + MAX_GRID_YZ]
        grid = (triton.cdiv(w, step), triton.cdiv(h, step), xb.shape[0])
        _KERNEL.launch(grid, xb, d, yb, h, w, step, *xb.stride(), *yb.stride(),
                       TILE=tile, PRECISION=dot_precision(x.dtype), FP64=fp64,
                       num_warps=4)
    return y


@torch.library.custom_op("front_kernels_triton::blocked_transform", mutates_args=())
def blocked_transform(x: torch.Tensor, d: torch.Tensor, block: int) -> torch.Tensor:
    """Custom op: ``D X D^T`` per window, ``d`` the ``(TILE, TILE)`` block-diagonal matrix."""
    return blocked_launch(x, d, block)


@blocked_transform.register_fake
def _(x, d, block):
    return torch.empty_like(x)


def _setup(ctx, inputs, output):
    ctx.d = inputs[1]
    ctx.block = inputs[2]


def _backward(ctx, grad):
    return blocked_transform(grad, ctx.d.t().contiguous(), ctx.block), None, None


blocked_transform.register_autograd(_backward, setup_context=_setup)


def blocked_dct2(x: torch.Tensor, block: int, norm: str, inverse: bool) -> torch.Tensor:
    """Backend contract: tile-local 2-D DCT-II (inverse: DCT-III) of ``block x block`` tiles."""
    mdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    d = tile_matrix(block, _tile_for(block), norm, inverse, mdt, x.device)
    return blocked_transform(x, d, block)
