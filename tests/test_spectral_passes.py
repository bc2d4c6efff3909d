"""The regulariser's compiled CPU passes (front_kernels._cpu: gather_centred, dct2_post_bands,
dct3_pre_bands) against numpy and the plain DCT passes, including odd sizes and empty bands."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from front_kernels._backends.reference import native

pytestmark = pytest.mark.skipif(not native.available(), reason=f"front_kernels._cpu is not built ({native.IMPORT_ERROR})")


def _makhoul(n: int) -> np.ndarray:
    return np.concatenate([np.arange(0, n, 2), np.arange(n - 1 - n % 2, 0, -2)])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("b, n1, n2", [(1, 1, 7), (3, 5, 8), (2, 16, 9), (1, 200, 300)])
@pytest.mark.parametrize("centre", [True, False])
def test_gather_centred(dtype, b, n1, n2, centre):
    x = (torch.randn(b, n1, n2, dtype=torch.float64) * 0.01 + 3.0).to(dtype)
    v = torch.empty_like(x)
    stats = torch.empty(b, 2, dtype=torch.float64)
    native._cpu.gather_centred(x.data_ptr(), v.data_ptr(), b, n1, n2, centre, stats.data_ptr(),
                               dtype == torch.float64)
    xd = x.double().numpy()
    mean = xd.mean(axis=(1, 2)) if centre else np.zeros(b)
    centred = xd - mean[:, None, None]
    want = centred[:, _makhoul(n1)][:, :, _makhoul(n2)]
    tol = 1e-15 if dtype == torch.float64 else 6e-8
    np.testing.assert_allclose(v.double().numpy(), want, rtol=0, atol=tol * 4)
    np.testing.assert_allclose(stats[:, 0].numpy(), mean, rtol=1e-15, atol=0)
    # the sum of squares is that of the stored (rounded) centred values
    np.testing.assert_allclose(stats[:, 1].numpy(), (v.double().numpy() ** 2).sum(axis=(1, 2)), rtol=1e-13)


def _ortho_factors(n1, n2, inverse):
    from front_kernels._backends.reference.spectral_cpu import _factors
    return _factors(n1, n2, inverse)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n1, n2, k1, k2", [(6, 8, 3, 2), (7, 7, 0, 4), (6, 8, 6, 8), (1, 34, 1, 16), (40, 50, 40, 0),
                                            (5, 9, 2, 9)])
def test_band_passes_match_the_plain_passes(dtype, n1, n2, k1, k2):
    b = 3
    dbl = dtype == torch.float64
    spec = torch.fft.rfft2(torch.randn(b, n1, n2, dtype=dtype))
    mask = np.zeros((n1, n2), dtype=bool)
    mask[:k1, :k2] = True
    # dct2_post_bands = dct2_post, plus the two band energies of its output
    want = torch.empty(b, n1, n2, dtype=dtype)
    native._cpu.dct2_post(spec.data_ptr(), want.data_ptr(), b, n1, n2, *_ortho_factors(n1, n2, False), dbl)
    got = torch.empty_like(want)
    energy = torch.empty(b, 2, dtype=torch.float64)
    native._cpu.dct2_post_bands(spec.data_ptr(), got.data_ptr(), b, n1, n2, *_ortho_factors(n1, n2, False), k1, k2,
                                energy.data_ptr(), dbl)
    assert torch.equal(got, want)
    x = got.double().numpy()
    np.testing.assert_allclose(energy[:, 0].numpy(), (x ** 2 * mask).sum(axis=(1, 2)), rtol=1e-13, atol=0)
    np.testing.assert_allclose(energy[:, 1].numpy(), (x ** 2 * ~mask).sum(axis=(1, 2)), rtol=1e-13, atol=0)
    # dct3_pre_bands = band scaling in place, then dct3_pre
    alpha = torch.tensor([2.0, -0.5, 0.0], dtype=torch.float64)
    beta = torch.tensor([-3.0, 0.25, 1.0], dtype=torch.float64)
    scaled = torch.from_numpy(x * np.where(mask, beta.numpy()[:, None, None], alpha.numpy()[:, None, None])).to(dtype)
    for packed in ([True, False] if n2 % 2 == 0 else [False]):
        width = n2 // 2 if packed else n2 // 2 + 1
        ctype = torch.complex128 if dbl else torch.complex64
        want_spec = torch.empty(b, n1, width, dtype=ctype)
        native._cpu.dct3_pre(scaled.data_ptr(), want_spec.data_ptr(), b, n1, n2, *_ortho_factors(n1, n2, True),
                             packed, dbl)
        coef = got.clone()
        got_spec = torch.empty_like(want_spec)
        native._cpu.dct3_pre_bands(coef.data_ptr(), got_spec.data_ptr(), b, n1, n2, *_ortho_factors(n1, n2, True),
                                   packed, k1, k2, alpha.data_ptr(), beta.data_ptr(), dbl)
        assert torch.equal(coef, scaled)
        assert torch.equal(got_spec, want_spec)


def test_passes_refuse_bad_sizes():
    x = torch.zeros(1, 4, 4)
    spec = torch.zeros(1, 4, 3, dtype=torch.complex64)
    out = torch.zeros(1, 2, dtype=torch.float64)
    f = (1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="corner"):
        native._cpu.dct2_post_bands(spec.data_ptr(), x.data_ptr(), 1, 4, 4, *f, 5, 2, out.data_ptr(), False)
    with pytest.raises(ValueError, match="corner"):
        native._cpu.dct3_pre_bands(x.data_ptr(), spec.data_ptr(), 1, 4, 4, *f, True, 2, -1, out.data_ptr(),
                                   out.data_ptr(), False)
    with pytest.raises(ValueError, match="even"):
        native._cpu.dct3_pre_bands(x.data_ptr(), spec.data_ptr(), 1, 4, 5, *f, True, 2, 2, out.data_ptr(),
                                   out.data_ptr(), False)
    with pytest.raises(ValueError, match="positive"):
        native._cpu.gather_centred(x.data_ptr(), x.data_ptr(), 0, 4, 4, True, out.data_ptr(), False)
