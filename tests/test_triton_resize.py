"""Triton fused resize against the float64 reference backend and a literal scipy composition."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.fft as sfft
import torch

from triton_support import GPU_RTOL, RTOL, assert_close_rel, compiled, gpu, interpreter  # noqa: F401

import front_kernels as fk
from front_kernels._backends import reference
from front_kernels._backends.triton import resize as triton_resize


def _mats(sizes_out, sizes_in, seed):
    g = torch.Generator().manual_seed(seed)
    return [None if m is None else torch.randn(m, n, dtype=torch.float64, generator=g)
            for m, n in zip(sizes_out, sizes_in)]


@pytest.mark.parametrize("rescale_std", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
def test_resize_matches_reference(interpreter, dtype, rescale_std):
    x = (3 * torch.randn(2, 5, 9, 13, generator=torch.Generator().manual_seed(1)) + 1).to(dtype)
    mats = _mats((3, None, 21), (5, 9, 13), 2)  # depth shrinks, rows kept, columns grow
    y = triton_resize(x, [None if m is None else m.to(torch.float64 if dtype == torch.float64 else torch.float32)
                          for m in mats], rescale_std)
    assert y.dtype == dtype and y.shape == (2, 3, 9, 21)
    expected = reference.resize(x.double(), mats, rescale_std)
    assert_close_rel(y, expected, 2 * RTOL[dtype])


def test_resize_noncontiguous_input(interpreter):
    x = torch.randn(11, 4, 6, generator=torch.Generator().manual_seed(3)).transpose(0, 2)  # (6, 4, 11)
    mats = [torch.randn(5, 4, dtype=torch.float64), torch.randn(8, 11, dtype=torch.float64)]
    y = triton_resize(x, [m.float() for m in mats], True)
    assert_close_rel(y, reference.resize(x.double(), mats, True), 2 * RTOL[torch.float32])


@pytest.mark.parametrize("shape", [(6, 10), (17, 5)])
def test_public_dct_resize_matches_scipy_composition(interpreter, shape):
    x = torch.randn(3, 11, 8, generator=torch.Generator().manual_seed(4))
    y = fk.resize(x, shape, method="dct", rescale="amplitude", backend="triton")
    a = x.double().numpy()
    c = sfft.dctn(a, axes=(1, 2), norm="ortho")
    z = np.zeros((3, *shape))
    k0, k1 = min(11, shape[0]), min(8, shape[1])
    z[:, :k0, :k1] = c[:, :k0, :k1]
    expected = sfft.idctn(z, axes=(1, 2), norm="ortho") * np.sqrt(shape[0] / 11 * shape[1] / 8)
    assert_close_rel(y, torch.from_numpy(expected), 2 * RTOL[torch.float32])


@pytest.mark.parametrize("method", ["dct", "dwt"])
def test_public_resize_std_matches_reference_backend(interpreter, method):
    x = torch.randn(2, 12, 16, generator=torch.Generator().manual_seed(5))
    y = fk.resize(x, (6, 32), method=method, rescale="std", backend="triton")
    expected = fk.resize(x.double(), (6, 32), method=method, rescale="std", backend="reference")
    assert_close_rel(y, expected, 2 * RTOL[torch.float32])


@pytest.mark.parametrize("rescale_std", [False, True])
def test_resize_gradient(interpreter, rescale_std):
    x = torch.randn(2, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6), requires_grad=True)
    mats = [torch.randn(2, 3, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)]
    assert torch.autograd.gradcheck(lambda t: triton_resize(t, mats, rescale_std), (x,), fast_mode=True)
    g = torch.randn(2, 2, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    xf = x.detach().float().requires_grad_(True)
    (gt,) = torch.autograd.grad(triton_resize(xf, [m.float() for m in mats], rescale_std), xf, g.float())
    xr = x.detach().clone().requires_grad_(True)
    (gr,) = torch.autograd.grad(reference.resize(xr, mats, rescale_std), xr, g)
    assert_close_rel(gt, gr, 1e-5)


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("method", ["dct", "dwt"])
@pytest.mark.parametrize("src,dst", [((12, 768, 3072), (6, 384, 1536)), ((12, 384, 1536), (24, 768, 3072)),
                                     ((4096, 4096), (2048, 6144))])
def test_gpu_resize_realistic_sizes(compiled, src, dst, method, dtype):
    x = torch.randn(src, device="cuda", dtype=dtype)
    y = fk.resize(x, dst, method=method, rescale="std", backend="triton")
    expected = fk.resize(x.double(), dst, method=method, rescale="std", backend="reference")
    assert_close_rel(y, expected, GPU_RTOL[dtype])
