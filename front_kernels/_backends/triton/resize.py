r"""Fused separable resize with the optional re-standardisation epilogue.

``resize(x, mats, rescale_std)`` (backend contract): for ``x`` of shape
``(*lead, n_1, ..., n_k)`` and ``mats[i]`` of shape ``(m_i, n_i)`` (or ``None``)

.. math:: y = A_1 \otimes A_2 \otimes \dots \otimes A_k \cdot x, \qquad y: (*lead, m_1, \dots, m_k),

one :mod:`.axis_matmul` pass per matrix, shrinking dims first so that every
later pass runs on the smaller tensor; the spectrum is never materialised
(the public layer folds truncate/pad and the inverse into ``A = C_m[:k]^T C_n[:k]``).

With ``rescale_std`` every leading-batch element ``b`` is re-standardised to
the moments of its input over the resized dims:

.. math:: \hat y_b = \frac{y_b - \bar y_b}{s(y_b) + 10^{-8}}\, s(x_b) + \bar x_b,

``s`` the standard deviation with Bessel's correction. The moments come from
:func:`row_moments` (each program reduces one chunk of one row to
``(count, mean, M2)`` in a single read; the chunks are merged in float64 with
Chan's formula) and the epilogue is one fused multiply-add pass writing the
input dtype. Custom op ``front_kernels_triton::resize_std``: its backward
differentiates the epilogue in closed form and sends the result through the
adjoint matrix chain (Triton).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ._runtime import MAX_GRID_YZ, LazyKernel, interpreting, triton, tl
from .axis_matmul import apply_matrices, apply_matrices_launch

STD_EPS = 1e-8
MOMENTS_BLOCK = 4096
AFFINE_BLOCK = 2048


def _row_moments_kernel(x_ptr, part_ptr, N, sxb, BLOCK: tl.constexpr):
    pid_c = tl.program_id(0)
    pid_b = tl.program_id(1).to(tl.int64)
    offs = pid_c.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < N
    v = tl.load(x_ptr + pid_b * sxb + offs, mask=mask, other=0.0).to(tl.float32)
    count = tl.minimum(N - pid_c.to(tl.int64) * BLOCK, BLOCK).to(tl.float32)
    mean = tl.reduce(v, 0, tl.standard._sum_combine) / count
    d = tl.where(mask, v - mean, 0.0)
    m2 = tl.reduce(d * d, 0, tl.standard._sum_combine)
    out = part_ptr + (pid_b * tl.num_programs(0) + pid_c) * 3
    tl.store(out, count)
    tl.store(out + 1, mean)
    tl.store(out + 2, m2)


def _row_affine_kernel(y_ptr, scale_ptr, shift_ptr, out_ptr, N, syb, sob, BLOCK: tl.constexpr):
    pid_c = tl.program_id(0)
    pid_b = tl.program_id(1).to(tl.int64)
    offs = pid_c.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < N
    a = tl.load(scale_ptr + pid_b)
    c = tl.load(shift_ptr + pid_b)
    v = tl.load(y_ptr + pid_b * syb + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + pid_b * sob + offs, (v * a + c).to(out_ptr.dtype.element_ty), mask=mask)


_MOMENTS = LazyKernel(_row_moments_kernel, interpret_meta={"BLOCK": 64})
_AFFINE = LazyKernel(_row_affine_kernel, interpret_meta={"BLOCK": 64})


def _block(kernel: LazyKernel, gpu_block: int) -> int:
    return kernel.interpret_meta["BLOCK"] if interpreting() else gpu_block


def row_moments(x2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and Bessel-corrected std (float64, shape ``(B,)``) of each row of a ``(B, N)`` tensor."""
    nb, n = x2.shape
    if x2.stride(1) != 1:
        x2 = x2.contiguous()
    if x2.dtype == torch.float64:  # float64 input: moments straight in float64
        return x2.mean(dim=1), x2.std(dim=1)
    block = _block(_MOMENTS, MOMENTS_BLOCK)
    nc = triton.cdiv(n, block)
    part = torch.empty(nb, nc, 3, dtype=torch.float32, device=x2.device)
    for b0 in range(0, nb, MAX_GRID_YZ):
        xb, pb = x2[b0:b0 + MAX_GRID_YZ], part[b0:b0 + MAX_GRID_YZ]
        _MOMENTS.launch((nc, xb.shape[0]), xb, pb, n, xb.stride(0), BLOCK=block)
    part = part.double()
    count, mean_c, m2_c = part.unbind(-1)
    mean = (count * mean_c).sum(1) / n
    m2 = m2_c.sum(1) + (count * (mean_c - mean[:, None]) ** 2).sum(1)
    return mean, (m2 / (n - 1)).sqrt()


def row_affine(y2: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, out_dtype: torch.dtype) -> torch.Tensor:
    """``y2 * scale[:, None] + shift[:, None]`` for a row-contiguous ``(B, N)`` tensor, in ``out_dtype``."""
    nb, n = y2.shape
    out = torch.empty(nb, n, dtype=out_dtype, device=y2.device)
    if y2.dtype == torch.float64:
        return torch.addcmul(shift[:, None], y2, scale[:, None], out=out)
    scale, shift = scale.float().contiguous(), shift.float().contiguous()
    block = _block(_AFFINE, AFFINE_BLOCK)
    for b0 in range(0, nb, MAX_GRID_YZ):
        sl = slice(b0, b0 + MAX_GRID_YZ)
        yb, ob = y2[sl], out[sl]
        _AFFINE.launch((triton.cdiv(n, block), yb.shape[0]), yb, scale[sl], shift[sl], ob, n,
                       yb.stride(0), ob.stride(0), BLOCK=block, num_warps=8)
    return out


def _order(mats: Sequence[torch.Tensor | None], ndim: int) -> tuple[list[torch.Tensor], list[int]]:
    k = len(mats)
    idx = sorted((i for i in range(k) if mats[i] is not None), key=lambda i: mats[i].shape[0] / mats[i].shape[1])
    return [mats[i] for i in idx], [ndim - k + i for i in idx]


def _rows(t: torch.Tensor, k: int) -> torch.Tensor:
    return t.reshape(math.prod(t.shape[: t.ndim - k]), math.prod(t.shape[t.ndim - k:]))


def _std_parameters(x: torch.Tensor, y: torch.Tensor, k: int):
    """Per-row moments of ``x`` and ``y`` and the epilogue's scale / shift (float64)."""
    mx, sx = row_moments(_rows(x, k))
    my, sy = row_moments(_rows(y, k))
    scale = sx / (sy + STD_EPS)
    return mx, sx, my, sy, scale, mx - my * scale


@torch.library.custom_op("front_kernels_triton::resize_std", mutates_args=())
def resize_std(x: torch.Tensor, mats: list[torch.Tensor], dims: list[int], k: int) -> torch.Tensor:
    """Custom op: the matrix chain, then re-standardisation of each row to ``x``'s moments."""
    mid = torch.float64 if x.dtype == torch.float64 else torch.float32
    y = apply_matrices_launch(x, mats, dims, mid)
    *_, scale, shift = _std_parameters(x, y, k)
    return row_affine(_rows(y, k), scale, shift, x.dtype).view(y.shape)


@resize_std.register_fake
def _(x, mats, dims, k):
    shape = list(x.shape)
    for mat, d in zip(mats, dims):
        shape[d] = mat.shape[0]
    return x.new_empty(shape)


def _setup(ctx, inputs, output):
    x, mats, dims, k = inputs
    ctx.save_for_backward(x)
    ctx.mats, ctx.dims, ctx.k = mats, dims, k


def _moments64(x2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x2 = x2.double()
    return x2.mean(dim=1), x2.std(dim=1)


def _backward(ctx, grad):
    # Custom ops and torch ops only (no kernel launched from Python), so that AOT autograd can trace
    # this backward on fake tensors with symbolic sizes.
    (x,) = ctx.saved_tensors
    mats, dims, k = ctx.mats, ctx.dims, ctx.k
    mid = torch.float64 if x.dtype == torch.float64 else torch.float32
    y = apply_matrices(x.to(mid), mats, dims)
    mx, sx = _moments64(_rows(x, k))
    my, sy = _moments64(_rows(y, k))
    scale = sx / (sy + STD_EPS)
    g = _rows(grad.to(mid), k)
    yc = _rows(y, k) - my[:, None].to(mid)
    xc = _rows(x.to(mid), k) - mx[:, None].to(mid)
    ny, nx = g.shape[1], xc.shape[1]
    s_y = (g * yc).sum(1, dtype=torch.float64)
    denom = sy + STD_EPS
    # out = (y - my) * sx / (sy + eps) + mx, differentiated through y, my, sy, mx and sx
    coef_y = (-sx / denom**2 * s_y / ((ny - 1) * sy)).to(mid)
    g_y = scale.to(mid)[:, None] * (g - g.mean(1, keepdim=True)) + coef_y[:, None] * yc
    coef_x = (s_y / denom / ((nx - 1) * sx)).to(mid)
    g_x = g.sum(1, keepdim=True) / nx + coef_x[:, None] * xc
    g_y = g_y.view(y.shape)
    if mats:
        g_y = apply_matrices(g_y, [m.t() for m in reversed(mats)], list(reversed(dims)))
    return (g_y + g_x.view(x.shape)).to(x.dtype), [None] * len(mats), None, None


resize_std.register_autograd(_backward, setup_context=_setup)


def resize(x: torch.Tensor, mats: Sequence[torch.Tensor | None], rescale_std: bool) -> torch.Tensor:
    """Backend contract: separable resampling of the trailing ``len(mats)`` dims (see the module docstring)."""
    mdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    ordered, dims = _order(mats, x.ndim)
    ordered = [m.to(device=x.device, dtype=mdt) for m in ordered]
    if rescale_std:
        return resize_std(x, ordered, dims, len(mats))
    if not ordered:
        return x.clone()
    return apply_matrices(x, ordered, dims)
