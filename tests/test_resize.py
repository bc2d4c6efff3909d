"""Spectral resize against literal scipy / PyWavelets compositions (METHODS 1.3, 1.5, 2.1)."""
import math

import numpy as np
import pytest
import pywt
import scipy.fft as sf
import torch

import front_kernels as fk
from conftest import rel_err


def _dct_resize_axis(x, m, axis, rescale):
    n = x.shape[axis]
    if rescale == "reference":
        # the reference script's pair: X_k = sum_n x_n cos(pi k (2n+1) / 2N), and its exact inverse at size M
        coeffs = sf.dct(x, axis=axis, norm=None) / 2
        coeffs = _fit(coeffs, m, axis)
        return sf.idct(2 * coeffs, axis=axis, norm=None)
    coeffs = _fit(sf.dct(x, axis=axis, norm="ortho"), m, axis)
    y = sf.idct(coeffs, axis=axis, norm="ortho")
    return y * math.sqrt(m / n) if rescale == "amplitude" else y


def _fit(c, m, axis):
    n = c.shape[axis]
    if m <= n:
        return np.take(c, range(m), axis=axis)
    pad = [(0, 0)] * c.ndim
    pad[axis] = (0, m - n)
    return np.pad(c, pad)


def _restandardise(y, x, k):
    axes = tuple(range(x.ndim - k, x.ndim))
    return (y - y.mean(axis=axes, keepdims=True)) / (y.std(axis=axes, ddof=1, keepdims=True) + 1e-8) \
        * x.std(axis=axes, ddof=1, keepdims=True) + x.mean(axis=axes, keepdims=True)


@pytest.mark.parametrize("rescale", ["amplitude", "reference", "std"])
@pytest.mark.parametrize("shape_in,shape_out", [((12, 10), (6, 20)), ((7, 9), (7, 4)), ((5, 8, 6), (3, 8, 9)),
                                                ((16,), (11,))])
def test_dct_resize_matches_truncate_pad_composition(rescale, shape_in, shape_out, rng):
    x = rng.standard_normal((2,) + shape_in)
    ref = x
    for i, m in enumerate(shape_out):
        ref = _dct_resize_axis(ref, m, 1 + i, rescale)
    if rescale == "std":
        ref = _restandardise(ref, x, len(shape_out))
    got = fk.resize(torch.from_numpy(x), shape_out, method="dct", rescale=rescale)
    assert got.shape == (2,) + shape_out
    assert rel_err(got, ref) < 1e-10
    assert rel_err(fk.resize(torch.from_numpy(x).float(), shape_out, method="dct", rescale=rescale), ref) < 2e-5


def test_amplitude_keeps_a_constant_and_reference_scales_by_n_over_m():
    c = torch.full((1, 16, 16), 3.0, dtype=torch.float64)
    assert torch.allclose(fk.resize(c, (8, 32), rescale="amplitude"), torch.full((1, 8, 32), 3.0, dtype=torch.float64))
    assert torch.allclose(fk.resize(c, (8, 8), rescale="reference"), torch.full((1, 8, 8), 12.0, dtype=torch.float64))


def test_std_rescale_restores_source_statistics(rng):
    x = torch.from_numpy(rng.standard_normal((3, 20, 30)) * 0.02 + 0.5)
    y = fk.resize(x, (9, 44), rescale="std")
    assert torch.allclose(y.mean(dim=(1, 2)), x.mean(dim=(1, 2)), atol=1e-12)
    assert torch.allclose(y.std(dim=(1, 2)), x.std(dim=(1, 2)), rtol=1e-5)  # eps 1e-8 on std(y) ~ 0.02


@pytest.mark.parametrize("wavelet", ["haar", "db2", "db4"])
@pytest.mark.parametrize("level", [1, 2])
def test_dwt_shrink_is_the_pywt_approximation_band(wavelet, level, rng):
    x = rng.standard_normal((3, 32, 16))
    ref = pywt.wavedec2(x, wavelet, mode="periodization", level=level, axes=(-2, -1))[0]
    got = fk.resize(torch.from_numpy(x), (32 >> level, 16 >> level), method="dwt", rescale="reference", wavelet=wavelet)
    assert rel_err(got, ref) < 1e-10
    amp = fk.resize(torch.from_numpy(x), (32 >> level, 16 >> level), method="dwt", rescale="amplitude", wavelet=wavelet)
    assert rel_err(amp, ref / 2.0 ** level) < 1e-10  # sqrt(2)^level per axis, two axes


@pytest.mark.parametrize("wavelet", ["haar", "db3"])
def test_dwt_grow_is_pywt_synthesis_with_zero_details(wavelet, rng):
    x = rng.standard_normal((2, 6, 5))
    coeffs = [x, (np.zeros_like(x),) * 3]
    ref = pywt.waverec2(coeffs, wavelet, mode="periodization", axes=(-2, -1))
    got = fk.resize(torch.from_numpy(x), (12, 10), method="dwt", rescale="reference", wavelet=wavelet)
    assert rel_err(got, ref) < 1e-10
    amp = fk.resize(torch.from_numpy(x), (12, 10), method="dwt", rescale="amplitude", wavelet=wavelet)
    assert rel_err(amp, ref * 2.0) < 1e-10


def test_dwt_non_dyadic_finishes_with_dct(rng):
    # 24 -> 9: one haar level (24 -> 12), then a DCT resize 12 -> 9 of the approximation band
    x = rng.standard_normal((4, 24))
    band = pywt.dwt(x, "haar", mode="periodization", axis=-1)[0]
    ref = _dct_resize_axis(band, 9, 1, "amplitude") / math.sqrt(2)
    got = fk.resize(torch.from_numpy(x), (9,), method="dwt", rescale="amplitude")
    assert rel_err(got, ref) < 1e-10
    # 12 -> 18 along depth: no wavelet level fits, the DCT does it all
    y = rng.standard_normal((12, 3))
    got = fk.resize(torch.from_numpy(y), (18, 3), method="dwt", rescale="amplitude")
    assert rel_err(got, _dct_resize_axis(y, 18, 0, "amplitude")) < 1e-10


def test_dwt_non_dyadic_pad_truncates_or_extends_periodically(rng):
    x = rng.standard_normal((1, 8))
    band = pywt.dwt(x, "haar", mode="periodization", axis=-1)[0]  # 8 -> 4 (one level), target 3: truncate
    got = fk.resize(torch.from_numpy(x), (3,), method="dwt", rescale="reference", non_dyadic="pad")
    assert rel_err(got, band[:, :3]) < 1e-12
    small = rng.standard_normal((1, 4))
    up = pywt.idwt(small, None, "haar", mode="periodization", axis=-1)  # 4 -> 8, target 10: extend periodically
    got = fk.resize(torch.from_numpy(small), (10,), method="dwt", rescale="reference", non_dyadic="pad")
    assert rel_err(got, up[:, [0, 1, 2, 3, 4, 5, 6, 7, 0, 1]]) < 1e-12


@pytest.mark.parametrize("method", ["dct", "dwt"])
def test_resize_gradcheck(method):
    x = torch.randn(2, 8, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: fk.resize(a, (4, 9), method=method, rescale="std"), (x,))


def test_resize_keeps_dtype_and_accepts_minus_one():
    x = torch.randn(3, 8, 6, dtype=torch.bfloat16)
    y = fk.resize(x, (-1, 12))
    assert y.shape == (3, 8, 12) and y.dtype == torch.bfloat16


def test_resize_bad_input():
    x = torch.randn(4, 6)
    with pytest.raises(ValueError, match="method must be one of"):
        fk.resize(x, (2, 3), method="fft")
    with pytest.raises(ValueError, match="rescale must be one of"):
        fk.resize(x, (2, 3), rescale="none")
    with pytest.raises(ValueError, match="trailing dims"):
        fk.resize(x, (2, 3, 4))
    with pytest.raises(ValueError, match="shape must be >= 1"):
        fk.resize(x, (0, 3))
    with pytest.raises(TypeError, match="shape must be a sequence"):
        fk.resize(x, 3)
    with pytest.raises(ValueError, match="non_dyadic must be one of"):
        fk.resize(x, (2, 3), method="dwt", non_dyadic="zero")
    with pytest.raises(ValueError, match="wavelet"):
        fk.resize(x, (2, 3), method="dwt", wavelet="db99")
    with pytest.raises(TypeError, match="x must be a real floating"):
        fk.resize(torch.ones(4, 6, dtype=torch.int64), (2, 3))


@pytest.mark.parametrize("method", ["dct", "dwt"])
def test_resize_torch_compile_fullgraph(method):
    x = torch.randn(2, 8, 6)
    compiled = torch.compile(lambda a: fk.resize(a, (4, 3), method=method, wavelet="db2"), fullgraph=True)
    assert rel_err(compiled(x), fk.resize(x, (4, 3), method=method, wavelet="db2")) < 1e-5
