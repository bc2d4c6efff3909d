"""Triton wavelet kernels against PyWavelets and the reference backend (through the public API)."""
from __future__ import annotations

import numpy as np
import pytest
import pywt
import torch

from triton_support import GPU_RTOL, RTOL, assert_close_rel, compiled, gpu, interpreter  # noqa: F401

import front_kernels as fk
from front_kernels._backends import reference
from front_kernels._backends.triton import dwtn as triton_dwtn
from front_kernels._backends.triton import wavedecn as triton_wavedecn
from front_kernels.wavelets import get_wavelet


def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a))


@pytest.mark.parametrize("mode", ["zero", "symmetric", "periodization"])
@pytest.mark.parametrize("wavelet", ["haar", "db2", "db5", "db10"])
def test_dwt_idwt_match_pywt(interpreter, wavelet, mode):
    x = torch.randn(2, 3, 19, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ca, cd = fk.dwt(x.float(), wavelet, mode, backend="triton")
    pa, pd = pywt.dwt(x.numpy(), wavelet, mode=mode)
    assert_close_rel(ca, _t(pa), RTOL[torch.float32])
    assert_close_rel(cd, _t(pd), RTOL[torch.float32])
    rec = fk.idwt(ca, cd, wavelet, mode, backend="triton")
    assert_close_rel(rec, _t(pywt.idwt(pa, pd, wavelet, mode=mode)), 4 * RTOL[torch.float32])


@pytest.mark.parametrize("mode", ["reflect", "antisymmetric", "constant", "smooth", "periodic"])
def test_dwt_other_modes_match_pywt(interpreter, mode):
    x = torch.randn(4, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    ca, cd = fk.dwt(x, "db3", mode, backend="triton")  # filter longer than the signal: repeated extension
    pa, pd = pywt.dwt(x.numpy(), "db3", mode=mode)
    assert_close_rel(ca, _t(pa), RTOL[torch.float64])
    assert_close_rel(cd, _t(pd), RTOL[torch.float64])
    assert_close_rel(fk.idwt(ca, cd, "db3", mode, backend="triton"), _t(pywt.idwt(pa, pd, "db3", mode=mode)),
                     RTOL[torch.float64])


@pytest.mark.parametrize("wavelet,mode", [("haar", "periodization"), ("db3", "symmetric"), ("db2", "zero")])
def test_wavedec2_waverec2_match_pywt(interpreter, wavelet, mode):
    x = torch.randn(2, 22, 29, generator=torch.Generator().manual_seed(3))
    got = fk.wavedec2(x, wavelet, mode, level=2, backend="triton")
    ref = pywt.wavedec2(x.double().numpy(), wavelet, mode=mode, level=2)
    assert_close_rel(got[0], _t(ref[0]), RTOL[torch.float32])
    for g, r in zip(got[1:], ref[1:]):
        for gb, rb in zip(g, r):
            assert_close_rel(gb, _t(rb), 2 * RTOL[torch.float32])
    rec = fk.waverec2(got, wavelet, mode, backend="triton")
    assert_close_rel(rec, _t(pywt.waverec2(ref, wavelet, mode=mode)), 4 * RTOL[torch.float32])


def test_wavedecn_three_axes_stacked_layers(interpreter):
    x = torch.randn(6, 10, 9, generator=torch.Generator().manual_seed(4))  # depth x rows x cols
    got = fk.wavedecn(x, "haar", "symmetric", level=1, backend="triton")
    ref = pywt.wavedecn(x.double().numpy(), "haar", mode="symmetric", level=1)
    assert_close_rel(got[0], _t(ref[0]), RTOL[torch.float32])
    for key, band in ref[1].items():
        assert_close_rel(got[1][key], _t(band), RTOL[torch.float32])
    rec = fk.waverecn(got, "haar", "symmetric", backend="triton")  # odd length: one sample longer, as pywt
    assert_close_rel(rec, _t(pywt.waverecn(ref, "haar", mode="symmetric")), 4 * RTOL[torch.float32])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_wavedec2_dtypes_and_noncontiguous(interpreter, dtype):
    x = torch.randn(23, 2, 14, generator=torch.Generator().manual_seed(5)).to(dtype).permute(1, 2, 0)
    assert not x.is_contiguous()
    got = fk.wavedec2(x, "db2", "symmetric", level=2, backend="triton")
    ref = fk.wavedec2(x.double(), "db2", "symmetric", level=2, backend="reference")
    assert got[0].dtype == dtype
    assert_close_rel(got[0], ref[0], RTOL[dtype])
    for g, r in zip(got[1:], ref[1:]):
        for gb, rb in zip(g, r):
            assert_close_rel(gb, rb, 2 * RTOL[dtype])


@pytest.mark.parametrize("mode", ["symmetric", "periodization", "smooth"])
def test_gradients_are_adjoints(interpreter, mode):
    w = get_wavelet("db2")
    x = torch.randn(1, 5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: triton_dwtn(t, w, mode, (1, 2))["da"], (x,), fast_mode=True)
    c = torch.randn(2, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(7), requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a: fk.idwt2((a[0], (None, a[1], None)), "db2", mode, backend="triton"), (c,), fast_mode=True)


def test_float32_gradient_matches_reference(interpreter):
    w = get_wavelet("db3")
    x = torch.randn(2, 21, 23, generator=torch.Generator().manual_seed(8), requires_grad=True)

    def loss(fn, t):
        coeffs = fn(t, w, "symmetric", 2, (1, 2))
        return sum((c * c).sum() for c in [coeffs[0], *coeffs[1].values(), *coeffs[2].values()])

    (gt,) = torch.autograd.grad(loss(triton_wavedecn, x), x)
    xr = x.detach().double().requires_grad_(True)
    (gr,) = torch.autograd.grad(loss(reference.wavedecn, xr), xr)
    assert_close_rel(gt, gr, 4 * RTOL[torch.float32])


@pytest.mark.parametrize("mode,dtype", [("periodization", torch.float32), ("zero", torch.bfloat16)])
def test_fused_multilevel_haar2_matches_pywt(interpreter, mode, dtype):
    x = torch.randn(2, 24, 40, generator=torch.Generator().manual_seed(9)).to(dtype)  # divisible by 2**3
    got = fk.wavedec2(x, "haar", mode, level=3, backend="triton")
    ref = pywt.wavedec2(x.double().numpy(), "haar", mode=mode, level=3)
    assert got[0].dtype == dtype
    assert_close_rel(got[0], _t(ref[0]), RTOL[dtype])
    for g, r in zip(got[1:], ref[1:]):
        for gb, rb in zip(g, r):
            assert_close_rel(gb, _t(rb), 2 * RTOL[dtype])
    rec = fk.waverec2(got, "haar", mode, backend="triton")
    assert_close_rel(rec, x.double(), 4 * RTOL[dtype])


def test_fused_haar2_five_levels_and_gradients(interpreter):
    x = torch.randn(1, 64, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(10))
    got = triton_wavedecn(x, get_wavelet("haar"), "symmetric", 5, (1, 2))  # two launches: 3 + 2 levels
    ref = pywt.wavedecn(x.numpy(), "haar", mode="symmetric", level=5, axes=(1, 2))
    assert_close_rel(got[0], _t(ref[0]), RTOL[torch.float64])
    for g, r in zip(got[1:], ref[1:]):
        for key in r:
            assert_close_rel(g[key], _t(r[key]), RTOL[torch.float64])
    small = torch.randn(1, 8, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(11), requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: fk.wavedec2(t, "haar", "periodization", level=2, backend="triton")[1][2], (small,), fast_mode=True)
    coeffs = fk.wavedec2(small.detach(), "haar", "periodization", level=2, backend="reference")
    flat = [coeffs[0], *coeffs[1], *coeffs[2]]
    leaves = [c.clone().requires_grad_(True) for c in flat]

    def rec(*c):
        return fk.waverec2([c[0], tuple(c[1:4]), tuple(c[4:7])], "haar", "periodization", backend="triton")

    assert torch.autograd.gradcheck(rec, tuple(leaves), fast_mode=True)


def test_antireflect_matches_pywt_and_short_axes_are_reported(interpreter):
    x = torch.randn(3, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    ca, cd = fk.dwt(x, "db3", "antireflect", backend="triton")
    pa, pd = pywt.dwt(x.numpy(), "db3", mode="antireflect")
    assert_close_rel(ca, _t(pa), RTOL[torch.float64])
    assert_close_rel(cd, _t(pd), RTOL[torch.float64])
    g = torch.randn(ca.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(13))
    xt = x.clone().requires_grad_(True)
    (gt,) = torch.autograd.grad(fk.dwt(xt, "db3", "antireflect", backend="triton")[0], xt, g)
    xr = x.clone().requires_grad_(True)
    (gr,) = torch.autograd.grad(fk.dwt(xr, "db3", "antireflect", backend="reference")[0], xr, g)
    assert_close_rel(gt, gr, RTOL[torch.float64])
    with pytest.raises(NotImplementedError, match="antireflect"):
        fk.dwt(torch.randn(4), "db3", "antireflect", backend="triton")


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("wavelet,mode,shape,level", [
    ("haar", "periodization", (4096, 4096), 3),
    ("haar", "zero", (12, 768, 3072), 4),
    ("db4", "symmetric", (12, 768, 3072), 2),
    ("db10", "zero", (3, 1000, 777), 1),
])
def test_gpu_wavedec2_realistic_sizes(compiled, wavelet, mode, shape, level, dtype):
    x = torch.randn(shape, device="cuda", dtype=dtype)
    got = fk.wavedec2(x, wavelet, mode, level=level, backend="triton")
    ref = fk.wavedec2(x.double(), wavelet, mode, level=level, backend="reference")
    assert_close_rel(got[0], ref[0], GPU_RTOL[dtype])
    for g, r in zip(got[1:], ref[1:]):
        for gb, rb in zip(g, r):
            assert_close_rel(gb, rb, GPU_RTOL[dtype])
    rec = fk.waverec2(got, wavelet, mode, backend="triton")
    assert_close_rel(rec, fk.waverec2(ref, wavelet, mode, backend="reference"), GPU_RTOL[dtype])
