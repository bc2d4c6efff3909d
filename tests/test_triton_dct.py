"""Triton full DCT / IDCT against scipy.fft and the float64 reference backend."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.fft as sfft
import torch

from triton_support import GPU_RTOL, RTOL, assert_close_rel, compiled, gpu, interpreter  # noqa: F401

import front_kernels as fk
from front_kernels import _dispatch
from front_kernels._backends import reference
from front_kernels._backends.triton import dct as triton_dct

NORMS = ("backward", "ortho", "forward")


def _scipy(x: torch.Tensor, type, dims, norm, inverse):
    f = sfft.idctn if inverse else sfft.dctn
    return torch.from_numpy(f(x.double().numpy(), type=type, axes=dims, norm=norm))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("type", [2, 3])
def test_dct2d_types_2_3_match_scipy(interpreter, type, norm, inverse):
    x = torch.randn(2, 3, 19, 13, generator=torch.Generator().manual_seed(type))
    y = triton_dct(x, type, (2, 3), norm, inverse)
    assert y.dtype == x.dtype
    assert_close_rel(y, _scipy(x, type, (2, 3), norm, inverse), RTOL[torch.float32])


@pytest.mark.parametrize("type", [1, 4])
def test_dct_types_1_4_match_scipy(interpreter, type):
    x = torch.randn(3, 17, generator=torch.Generator().manual_seed(4))
    for inverse in (False, True):
        y = triton_dct(x, type, (1,), "ortho", inverse)
        assert_close_rel(y, _scipy(x, type, (1,), "ortho", inverse), RTOL[torch.float32])


def test_dct_middle_dim_and_noncontiguous(interpreter):
    base = torch.randn(7, 5, 22, generator=torch.Generator().manual_seed(1))
    x = base.transpose(0, 2)[::2]  # (11, 5, 7), non-contiguous
    assert not x.is_contiguous()
    y = triton_dct(x, 2, (1,), "backward", False)
    assert_close_rel(y, _scipy(x, 2, (1,), "backward", False), RTOL[torch.float32])
    y = triton_dct(x, 3, (0, 2), "ortho", True)
    assert_close_rel(y, _scipy(x, 3, (0, 2), "ortho", True), RTOL[torch.float32])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_dct_dtypes(interpreter, dtype):
    x = torch.randn(2, 9, 21, generator=torch.Generator().manual_seed(2)).to(dtype)
    y = triton_dct(x, 2, (1, 2), "ortho", False)
    assert y.dtype == dtype
    expected = reference.dct(x.double(), 2, (1, 2), "ortho", False)
    assert_close_rel(y, expected, RTOL[dtype])


def test_public_api_dispatches_to_triton(interpreter):
    x = torch.randn(4, 6, 10, generator=torch.Generator().manual_seed(3))
    y = fk.dctn(x, dim=(-2, -1), norm="ortho", backend="triton")
    assert_close_rel(y, _scipy(x, 2, (1, 2), "ortho", False), RTOL[torch.float32])
    z = fk.idct(y, dim=1, norm="ortho", backend="triton")
    assert_close_rel(z, _scipy(y, 2, (1,), "ortho", True), RTOL[torch.float32])


def test_gradient_is_the_adjoint(interpreter):
    x = torch.randn(1, 5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: triton_dct(t, 2, (1, 2), "backward", False), (x,))
    g = torch.randn(1, 5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    (gt,) = torch.autograd.grad(triton_dct(x, 3, (1, 2), "forward", True), x, g)
    xr = x.detach().clone().requires_grad_(True)
    (gr,) = torch.autograd.grad(reference.dct(xr, 3, (1, 2), "forward", True), xr, g)
    assert_close_rel(gt, gr, 1e-12)


def test_float32_gradient_matches_reference(interpreter):
    x = torch.randn(3, 7, 9, generator=torch.Generator().manual_seed(7), requires_grad=True)
    g = torch.randn(3, 7, 9, generator=torch.Generator().manual_seed(8))
    (gt,) = torch.autograd.grad(triton_dct(x, 2, (2,), "ortho", False), x, g)
    xr = x.detach().double().requires_grad_(True)
    (gr,) = torch.autograd.grad(reference.dct(xr, 2, (2,), "ortho", False), xr, g.double())
    assert_close_rel(gt, gr, RTOL[torch.float32])


def test_cpu_without_interpreter_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    x = torch.randn(4, 4)
    with pytest.raises(RuntimeError, match="TRITON_INTERPRET=1"):
        _dispatch.select("dct", x, "triton")
    with pytest.raises(RuntimeError, match="TRITON_INTERPRET=1"):
        fk.dct(x, backend="triton")


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape,dims", [((1024, 1024), (0, 1)), ((12, 768, 3072), (1, 2)), ((4, 333, 517), (2,))])
@pytest.mark.parametrize("type,inverse", [(2, False), (2, True), (3, False)])
def test_gpu_dct_realistic_sizes(compiled, shape, dims, dtype, type, inverse):
    x = torch.randn(shape, device="cuda", dtype=dtype)
    y = triton_dct(x, type, dims, "ortho", inverse)
    expected = reference.dct(x.double(), type, dims, "ortho", inverse)
    assert_close_rel(y, expected, GPU_RTOL[dtype])


@gpu
def test_gpu_dct_past_int32_offsets(compiled):
    x = torch.randn(2**25 + 3, 64, device="cuda", dtype=torch.float16)  # 2.1e9 elements > 2**31
    assert x.numel() > 2**31
    y = triton_dct(x, 2, (1,), "ortho", False)
    tail = slice(x.shape[0] - 1000, None)
    assert_close_rel(y[tail], reference.dct(x[tail].double(), 2, (1,), "ortho", False), GPU_RTOL[torch.float16])
    z = triton_dct(x.t(), 2, (0,), "ortho", False)  # the same along a strided dim
    assert_close_rel(z[:, tail].t(), y[tail], GPU_RTOL[torch.float16])
