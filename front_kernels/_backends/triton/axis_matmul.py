r"""Separable linear maps along chosen dims: the workhorse of DCT, resize and DWT.

For a tensor viewed as ``(B, K, R)`` around the transformed dim (``B`` the
product of the dims before it, ``R`` of the dims after) and a matrix ``A`` of
shape ``(M, K)``,

.. math:: y[b, i, r] = \sum_{k} A[i, k]\, x[b, k, r], \qquad y: (B, M, R).

:func:`apply_matrices` applies a chain of such maps, one per dim, with float32
(float64 for float64 input) intermediates and the output in ``x``'s dtype. It
is the custom op ``front_kernels_triton::apply_matrices``; its backward is the
same kernel with the transposed matrices in reverse order (the adjoint), so
gradients never leave Triton.

Tiling: each program computes a ``BLOCK_M x BLOCK_R`` output tile with
``tl.dot`` over ``BLOCK_K`` slices of ``A`` and ``x``, so ``x`` is read
``ceil(M / BLOCK_M)`` times (from L2 for the large tiles the autotuner picks)
and ``y`` written once. For the last dim (``R == 1``) the roles of ``B`` and
``R`` are swapped so the tile still spans many rows. Offsets are int64, so
tensors past 2**31 elements are addressed correctly; strides are passed
through, so non-contiguous inputs are read in place whenever the dims around
the transformed one can be merged (``reshape`` copies only otherwise).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ._runtime import MAX_GRID_YZ, LazyKernel, dot_precision, interpreting, triton, tl


def _axis_matmul_kernel(
    x_ptr, a_ptr, y_ptr,
    M, K, R,
    sxb, sxk, sxr,
    sam, sak,
    syb, sym, syr,
    BLOCK_M: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_K: tl.constexpr,
    PRECISION: tl.constexpr, FP64: tl.constexpr, HALF_DOT: tl.constexpr,
    K_LOOP: tl.constexpr = None,
):
    pid_r = tl.program_id(0)
    pid_m = tl.program_id(1)
    pid_b = tl.program_id(2).to(tl.int64)
    offs_m = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)).to(tl.int64)
    offs_r = (pid_r * BLOCK_R + tl.arange(0, BLOCK_R)).to(tl.int64)
    mask_m = offs_m < M
    mask_r = offs_r < R
    x_base = x_ptr + pid_b * sxb
    if FP64:
        acc = tl.full((BLOCK_M, BLOCK_R), 0.0, tl.float64)
    else:
        acc = tl.full((BLOCK_M, BLOCK_R), 0.0, tl.float32)
    # K_LOOP: the loop bound as a Python int, passed under the interpreter only, where ``range``
    # needs an int and Triton 3.6's interpreter cannot make one of a scalar argument under
    # NumPy >= 2.4 (nor of an assigned name: it turns assignments into tensors); compiled
    # kernels leave it None and loop to the runtime K.
    for k0 in range(0, K if K_LOOP is None else K_LOOP, BLOCK_K):
        offs_k = (k0 + tl.arange(0, BLOCK_K)).to(tl.int64)
        mask_k = offs_k < K
        a = tl.load(a_ptr + offs_m[:, None] * sam + offs_k[None, :] * sak,
                    mask=mask_m[:, None] & mask_k[None, :], other=0.0)
        xt = tl.load(x_base + offs_k[:, None] * sxk + offs_r[None, :] * sxr,
                     mask=mask_k[:, None] & mask_r[None, :], other=0.0)
        if FP64:
            acc += tl.dot(a, xt, input_precision="ieee", out_dtype=tl.float64)
        elif HALF_DOT:
            acc = tl.dot(a.to(xt.dtype), xt, acc)
        else:
            acc = tl.dot(a.to(tl.float32), xt.to(tl.float32), acc, input_precision=PRECISION)
    y_ptrs = y_ptr + pid_b * syb + offs_m[:, None] * sym + offs_r[None, :] * syr
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_r[None, :])


def _configs(fp64: bool = False):
    """Autotune space. Every config compiles for sm_90 without register spills under Triton 3.6
    and 3.9 (``bench/gpu_resources.py``): the 3xTF32 split holds two TF32 halves of each operand
    tile in registers, so the wider tiles (128 x 256, 256 x 128) and 4-warp programs of 128-row
    tiles with BLOCK_K=32 spill, and float64 accumulators allow fewer still."""
    if triton is None:
        return None
    c = triton.Config
    if fp64:
        return [
            c({"BLOCK_M": 128, "BLOCK_R": 64, "BLOCK_K": 32}, num_warps=8, num_stages=3),
            c({"BLOCK_M": 64, "BLOCK_R": 128, "BLOCK_K": 32}, num_warps=8, num_stages=3),
            c({"BLOCK_M": 32, "BLOCK_R": 64, "BLOCK_K": 32}, num_warps=4, num_stages=3),
        ]
    return [
        c({"BLOCK_M": 128, "BLOCK_R": 128, "BLOCK_K": 16}, num_warps=8, num_stages=4),
        c({"BLOCK_M": 128, "BLOCK_R": 64, "BLOCK_K": 32}, num_warps=8, num_stages=3),
        c({"BLOCK_M": 64, "BLOCK_R": 128, "BLOCK_K": 32}, num_warps=8, num_stages=3),
        c({"BLOCK_M": 64, "BLOCK_R": 64, "BLOCK_K": 32}, num_warps=4, num_stages=4),
        c({"BLOCK_M": 32, "BLOCK_R": 64, "BLOCK_K": 32}, num_warps=4, num_stages=3),
        c({"BLOCK_M": 16, "BLOCK_R": 128, "BLOCK_K": 32}, num_warps=4, num_stages=3),
    ]


def _lazy(fp64: bool) -> LazyKernel:
    return LazyKernel(
        _axis_matmul_kernel,
        configs=_configs(fp64),
        key=["M", "K", "R", "FP64", "HALF_DOT"],
        interpret_meta={"BLOCK_M": 16, "BLOCK_R": 16, "BLOCK_K": 16},
    )


_KERNEL = _lazy(False)
_KERNEL_FP64 = _lazy(True)


def _as_bkr(t: torch.Tensor, dim: int) -> torch.Tensor:
    """View ``t`` as (B, K, R) around ``dim``; copies only when the dims cannot merge."""
    b = math.prod(t.shape[:dim])
    r = math.prod(t.shape[dim + 1:])
    return t.reshape(b, t.shape[dim], r)


def apply_matrix_launch(x: torch.Tensor, mat: torch.Tensor, dim: int, out_dtype: torch.dtype) -> torch.Tensor:
    """``y = mat`` applied along ``dim`` of ``x`` (see the module docstring); one kernel launch."""
    m, k = mat.shape
    if x.shape[dim] != k:
        raise ValueError(f"matrix of shape {tuple(mat.shape)} cannot act on dim {dim} of size {x.shape[dim]}")
    out_shape = list(x.shape)
    out_shape[dim] = m
    y = torch.empty(out_shape, dtype=out_dtype, device=x.device)
    if y.numel() == 0:
        return y
    x3 = _as_bkr(x, dim)
    y3 = y.view(x3.shape[0], m, x3.shape[2])
    if x3.shape[2] == 1:  # last dim: let the rows be the tile's wide side
        x3 = x3.permute(2, 1, 0)
        y3 = y3.permute(2, 1, 0)
    fp64 = x.dtype == torch.float64
    # bfloat16 multiplies natively (matrix rounded to bfloat16); float16 goes through float32,
    # since scaled DCT matrices (entries down to 1/(2N)) fall into float16's subnormal range.
    half = x.dtype == torch.bfloat16
    mat = mat.to(torch.float64 if fp64 else torch.float32)
    nb, _, nr = x3.shape
    for b0 in range(0, nb, MAX_GRID_YZ):
        xb, yb = x3[b0:b0 + MAX_GRID_YZ], y3[b0:b0 + MAX_GRID_YZ]
        nbb = xb.shape[0]

        def grid(meta, nbb=nbb):
            return (triton.cdiv(nr, meta["BLOCK_R"]), triton.cdiv(m, meta["BLOCK_M"]), nbb)

        (_KERNEL_FP64 if fp64 else _KERNEL).launch(
            grid, xb, mat, yb, m, k, nr,
            *xb.stride(), *mat.stride(), *yb.stride(),
            PRECISION=dot_precision(x.dtype), FP64=fp64, HALF_DOT=half and not interpreting(),
            **({"K_LOOP": k} if interpreting() else {}),
        )
    return y


def apply_matrices_launch(x: torch.Tensor, mats: Sequence[torch.Tensor], dims: Sequence[int],
                          out_dtype: torch.dtype | None = None) -> torch.Tensor:
    """Apply ``mats[i]`` along ``dims[i]`` in order; intermediates in the compute dtype,
    the result in ``out_dtype`` (default ``x.dtype``)."""
    mid = torch.float64 if x.dtype == torch.float64 else torch.float32
    out_dtype = out_dtype or x.dtype
    if not mats:
        return x.to(out_dtype, copy=True)
    y = x
    for i, (mat, d) in enumerate(zip(mats, dims)):
        y = apply_matrix_launch(y, mat, d, out_dtype if i == len(mats) - 1 else mid)
    return y


@torch.library.custom_op("front_kernels_triton::apply_matrices", mutates_args=())
def apply_matrices(x: torch.Tensor, mats: list[torch.Tensor], dims: list[int]) -> torch.Tensor:
    """Custom op: ``mats[i]`` (shape ``(m_i, x.shape[dims[i]])``) along ``dims[i]``, in order."""
    return apply_matrices_launch(x, mats, dims)


@apply_matrices.register_fake
def _(x, mats, dims):
    shape = list(x.shape)
    for mat, d in zip(mats, dims):
        shape[d] = mat.shape[0]
    return x.new_empty(shape)


def _setup(ctx, inputs, output):
    _, mats, dims = inputs
    ctx.mats = mats
    ctx.dims = dims


def _backward(ctx, grad):
    adjoint = [m.t() for m in reversed(ctx.mats)]
    grad_x = apply_matrices(grad, adjoint, list(reversed(ctx.dims)))
    return grad_x, [None] * len(ctx.mats), None


apply_matrices.register_autograd(_backward, setup_context=_setup)
