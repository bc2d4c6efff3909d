"""The regulariser's compiled CPU passes (front_kernels._cpu: gather_centred, band_energy,
scale_bands) against numpy, one pass at a time, including odd sizes and empty bands."""
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


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n1, n2, k1, k2", [(6, 7, 3, 2), (6, 7, 0, 4), (6, 7, 6, 7), (1, 33, 1, 16), (40, 50, 40, 0)])
def test_band_energy_and_scale_bands(dtype, n1, n2, k1, k2):
    b = 3
    x = torch.randn(b, n1, n2, dtype=dtype)
    xd = x.double().numpy().copy()
    mask = np.zeros((n1, n2), dtype=bool)
    mask[:k1, :k2] = True
    energy = torch.empty(b, 2, dtype=torch.float64)
    dbl = dtype == torch.float64
    native._cpu.band_energy(x.data_ptr(), b, n1, n2, k1, k2, energy.data_ptr(), dbl)
    np.testing.assert_allclose(energy[:, 0].numpy(), (xd ** 2 * mask).sum(axis=(1, 2)), rtol=1e-13, atol=0)
    np.testing.assert_allclose(energy[:, 1].numpy(), (xd ** 2 * ~mask).sum(axis=(1, 2)), rtol=1e-13, atol=0)
    alpha = torch.tensor([2.0, -0.5, 0.0], dtype=torch.float64)
    beta = torch.tensor([-3.0, 0.25, 1.0], dtype=torch.float64)
    native._cpu.scale_bands(x.data_ptr(), b, n1, n2, k1, k2, alpha.data_ptr(), beta.data_ptr(), dbl)
    want = xd * np.where(mask, beta.numpy()[:, None, None], alpha.numpy()[:, None, None])
    np.testing.assert_allclose(x.double().numpy(), want, rtol=1e-7 if not dbl else 1e-15, atol=0)


def test_passes_refuse_bad_sizes():
    x = torch.zeros(1, 4, 4)
    out = torch.zeros(1, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="corner"):
        native._cpu.band_energy(x.data_ptr(), 1, 4, 4, 5, 2, out.data_ptr(), False)
    with pytest.raises(ValueError, match="corner"):
        native._cpu.scale_bands(x.data_ptr(), 1, 4, 4, 2, -1, out.data_ptr(), out.data_ptr(), False)
    with pytest.raises(ValueError, match="positive"):
        native._cpu.gather_centred(x.data_ptr(), x.data_ptr(), 0, 4, 4, True, out.data_ptr(), False)
