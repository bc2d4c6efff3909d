"""The per-group chain of front_kernels.transfer.chain: its CPU path against its dense (fused resize) path,
and BoT's axis maps against the resampling matrices of front_kernels.resize."""
from __future__ import annotations

import pytest
import torch

from front_kernels.transfer.bot import wavelet_axis
from front_kernels.transfer.chain import Dense, Rescaling, Spectral, run_dense, run_spectral
from front_kernels.transforms.resampling import resample_matrix


@pytest.mark.parametrize("n, m", [(64, 32), (96, 48), (64, 256), (80, 120), (100, 30), (40, 40)])
@pytest.mark.parametrize("wavelet, mode, non_dyadic", [("haar", "periodization", "dct"), ("db2", "zero", "dct"),
                                                        ("db3", "symmetric", "pad")])
@pytest.mark.parametrize("rescale", ["amplitude", "reference"])
def test_bot_axis_map_is_the_resampling_matrix(n, m, wavelet, mode, non_dyadic, rescale):
    amap = wavelet_axis(n, m, rescale, wavelet, mode, non_dyadic)
    want = resample_matrix(n, m, "dwt", rescale, wavelet, mode, non_dyadic)
    if want is None:
        assert amap is None
    else:
        torch.testing.assert_close(amap.matrix(), want, rtol=0, atol=1e-12)


def _front_like(L):
    return Rescaling(standardise=True, restandardise=True,
                     target_stats=lambda j, means, stds: (means[min(j, L - 1)], stds[min(j, L - 1)]))


@pytest.mark.parametrize("maps, depth", [
    ([Spectral(72, 40, 30, 1.0), Spectral(80, 96, 80, 1.0)], Dense(torch.randn(5, 4, dtype=torch.float64))),
    ([wavelet_axis(128, 64, "amplitude", "db2", "zero", "dct"), Spectral(70, 70, 50, 2.0)], None),
    ([Dense(torch.randn(12, 16, dtype=torch.float64)), wavelet_axis(64, 96, "amplitude", "haar", "periodization",
                                                                    "dct")], Dense(torch.randn(3, 4, dtype=torch.float64))),
])
def test_cpu_chain_equals_the_fused_dense_resize(maps, depth):
    """run_spectral (FFTs, wavelet passes, small products) and run_dense (one matrix per dim, the op the GPU
    kernels implement; here the reference backend) give the same target layers, rescaling included."""
    n = tuple(a.n for a in maps)
    x = torch.randn((4,) + n, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.3 + 0.1
    got = run_spectral([x.clone()], depth, list(maps), _front_like(4))
    want = run_dense([x.clone()], depth, list(maps), _front_like(4), backend="reference")
    assert len(got) == len(want) == (4 if depth is None else depth.m)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)
