"""Triton blocked (tile-local) 2-D DCT against scipy.fft per tile and the reference backend."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.fft as sfft
import torch

from triton_support import GPU_RTOL, RTOL, assert_close_rel, compiled, gpu, interpreter  # noqa: F401

import front_kernels as fk
from front_kernels._backends import reference
from front_kernels._backends.triton import blocked_dct2


def _scipy_blocked(x: torch.Tensor, block: int, norm: str, inverse: bool) -> torch.Tensor:
    a = x.double().numpy()
    *lead, h, w = a.shape
    tiles = a.reshape(*lead, h // block, block, w // block, block)
    f = sfft.idctn if inverse else sfft.dctn
    out = f(tiles, type=2, axes=(-3, -1), norm=norm)
    return torch.from_numpy(np.ascontiguousarray(out).reshape(a.shape))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("norm", ["ortho", "backward", "forward"])
@pytest.mark.parametrize("block,shape", [(8, (2, 3, 24, 40)), (16, (48, 16)), (12, (2, 36, 24)), (64, (1, 64, 128))])
def test_blocked_matches_scipy(interpreter, block, shape, norm, inverse):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(block))
    y = blocked_dct2(x, block, norm, inverse)
    assert_close_rel(y, _scipy_blocked(x, block, norm, inverse), RTOL[torch.float32])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_blocked_dtypes_and_noncontiguous(interpreter, dtype):
    base = torch.randn(40, 3, 24, generator=torch.Generator().manual_seed(9)).to(dtype)
    x = base.permute(1, 2, 0)  # (3, 24, 40), non-contiguous
    y = blocked_dct2(x, 8, "ortho", False)
    assert y.dtype == dtype
    assert_close_rel(y, reference.blocked_dct2(x.double(), 8, "ortho", False), RTOL[dtype])


def test_blocked_public_api_and_round_trip(interpreter):
    x = torch.randn(2, 32, 48, generator=torch.Generator().manual_seed(10))
    y = fk.blocked_dct2(x, block=16, backend="triton")
    assert_close_rel(y, _scipy_blocked(x, 16, "ortho", False), RTOL[torch.float32])
    assert_close_rel(fk.blocked_idct2(y, block=16, backend="triton"), x, 4 * RTOL[torch.float32])


def test_blocked_gradient(interpreter):
    x = torch.randn(1, 8, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(11), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: blocked_dct2(t, 8, "backward", True), (x,), fast_mode=True)
    g = torch.randn(1, 8, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    (gt,) = torch.autograd.grad(blocked_dct2(x, 4, "forward", False), x, g)
    xr = x.detach().clone().requires_grad_(True)
    (gr,) = torch.autograd.grad(reference.blocked_dct2(xr, 4, "forward", False), xr, g)
    assert_close_rel(gt, gr, 1e-12)


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("block", [8, 16, 32, 64])
@pytest.mark.parametrize("shape", [(4096, 4096), (12, 768, 3072)])
def test_gpu_blocked_realistic_sizes(compiled, shape, block, dtype):
    x = torch.randn(shape, device="cuda", dtype=dtype)
    for inverse in (False, True):
        y = blocked_dct2(x, block, "ortho", inverse)
        assert_close_rel(y, reference.blocked_dct2(x.double(), block, "ortho", inverse), GPU_RTOL[dtype])


@gpu
def test_gpu_blocked_past_int32_offsets(compiled):
    x = torch.randn(33, 8192, 8192, device="cuda", dtype=torch.float16)  # 2.2e9 elements > 2**31
    assert x.numel() > 2**31
    y = blocked_dct2(x, 8, "ortho", False)
    for b in (0, 32):  # the last batch element lies past 2**31
        assert_close_rel(y[b, -64:, -64:], reference.blocked_dct2(x[b, -64:, -64:].double(), 8, "ortho", False),
                         GPU_RTOL[torch.float16])
