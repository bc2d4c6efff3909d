"""The compiled 2-D DWT level of the CPU path (front_kernels._cpu dwt2_analysis / dwt2_synthesis)
against PyWavelets (the oracle) and against the blocked-GEMM level it replaces outside autograd."""
from __future__ import annotations

import numpy as np
import pytest
import pywt
import torch

import front_kernels as fk
from front_kernels._backends.reference import native, native_dwt

pytestmark = pytest.mark.skipif(not native.available(), reason="front_kernels._cpu is not built")

SIGNED_COPY_MODES = ["zero", "constant", "symmetric", "reflect", "periodic", "periodization", "antisymmetric"]
WAVELETS = ["haar", "db2", "db4", "sym5", "bior3.5", "coif6"]
SHAPES = [(1, 1), (2, 3), (7, 9), (16, 16), (33, 18), (3, 2, 11, 40)]


@pytest.fixture
def spy(monkeypatch):
    """Counts the calls that reach the compiled level, so a test fails if it silently falls back."""
    calls = {"dwt2": 0, "idwt2": 0, "dwt_last": 0, "idwt_last": 0, "dwt_axis": 0, "idwt_axis": 0}
    for name in calls:
        real = getattr(native_dwt, name)

        def wrapped(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(native_dwt, name, wrapped)
    return calls


def _x(shape, dtype, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


def _check(got, ref, dtype):
    tol = 1e-12 if dtype == torch.float64 else 2e-6
    got = got.double().numpy()
    scale = max(1.0, float(np.abs(ref).max()))
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * scale)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("mode", SIGNED_COPY_MODES)
@pytest.mark.parametrize("wavelet", WAVELETS)
def test_level_matches_pywt(spy, wavelet, mode, dtype):
    for shape in SHAPES:
        x = _x(shape, dtype)
        if mode == "reflect" and min(shape[-2:]) < 2:
            continue
        got = fk.dwt2(x, wavelet, mode)
        ref_a, ref_d = pywt.dwt2(x.double().numpy(), wavelet, mode)
        _check(got[0], ref_a, dtype)
        for g, r in zip(got[1], ref_d):
            _check(g, r, dtype)
        rec = fk.idwt2(got, wavelet, mode)
        _check(rec, pywt.idwt2((ref_a, ref_d), wavelet, mode), dtype)
    assert spy["dwt2"] > 0 and spy["idwt2"] > 0


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("mode", SIGNED_COPY_MODES)
@pytest.mark.parametrize("wavelet", WAVELETS)
def test_one_dim_level_matches_pywt(spy, wavelet, mode, dtype):
    for shape in [(1,), (2,), (9,), (4, 16), (2, 3, 41)]:
        if mode == "reflect" and shape[-1] < 4:  # its second level needs 2 samples
            continue
        x = _x(shape, dtype)
        got = fk.wavedec(x, wavelet, mode, level=2)
        ref = pywt.wavedec(x.double().numpy(), wavelet, mode, level=2)
        for g, r in zip(got, ref):
            _check(g, r, dtype)
        _check(fk.waverec(got, wavelet, mode), pywt.waverec(ref, wavelet, mode), dtype)
    assert spy["dwt_last"] > 0 and spy["idwt_last"] > 0


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("mode", SIGNED_COPY_MODES)
def test_levels_over_other_axes_match_pywt(spy, mode, dtype):
    """A level along a leading or middle dim (N-d transforms, 3-D volumes) runs the vertical pass alone."""
    x = _x((5, 6, 11, 12), dtype, seed=5)
    for axes in [(0,), (1,), (0, 2), (1, 2, 3), (0, 1, 2, 3)]:
        got = fk.wavedecn(x, "db2", mode, level=1, axes=axes)
        ref = pywt.wavedecn(x.double().numpy(), "db2", mode, level=1, axes=axes)
        _check(got[0], ref[0], dtype)
        for key in ref[1]:
            _check(got[1][key], ref[1][key], dtype)
        _check(fk.waverecn(got, "db2", mode, axes=axes), pywt.waverecn(ref, "db2", mode, axes=axes), dtype)
    assert spy["dwt_axis"] > 0 and spy["idwt_axis"] > 0


@pytest.mark.parametrize("mode", ["symmetric", "periodization", "zero"])
def test_multilevel_and_missing_bands_match_pywt(spy, mode):
    x = _x((2, 45, 37), torch.float64, seed=1)
    got = fk.wavedec2(x, "db3", mode, level=2)
    ref = pywt.wavedec2(x.numpy(), "db3", mode, level=2)
    _check(got[0], ref[0], torch.float64)
    for g_level, r_level in zip(got[1:], ref[1:]):
        for g, r in zip(g_level, r_level):
            _check(g, r, torch.float64)
    _check(fk.waverec2(got, "db3", mode), pywt.waverec2(ref, "db3", mode), torch.float64)
    a, (h, v, d) = pywt.dwt2(x.numpy(), "db3", mode)
    for dropped in range(4):
        bands = [a, h, v, d]
        bands[dropped] = None
        ours = [None if b is None else torch.from_numpy(b) for b in bands]
        _check(fk.idwt2((ours[0], tuple(ours[1:])), "db3", mode),
               pywt.idwt2((bands[0], tuple(bands[1:])), "db3", mode), torch.float64)
    assert spy["dwt2"] >= 2 and spy["idwt2"] >= 6


@pytest.mark.parametrize("mode", ["symmetric", "periodization"])
def test_compiled_and_gemm_levels_agree(monkeypatch, mode):
    x = _x((3, 29, 50), torch.float32, seed=2)
    fast = fk.wavedec2(x, "sym4", mode, level=2)
    rec_fast = fk.waverec2(fast, "sym4", mode)
    monkeypatch.setattr(native_dwt, "usable", lambda x: False)
    slow = fk.wavedec2(x, "sym4", mode, level=2)
    torch.testing.assert_close(fast[0], slow[0], rtol=2e-6, atol=2e-6)
    for f_level, s_level in zip(fast[1:], slow[1:]):
        for f, s in zip(f_level, s_level):
            torch.testing.assert_close(f, s, rtol=2e-6, atol=2e-6)
    torch.testing.assert_close(rec_fast, fk.waverec2(slow, "sym4", mode), rtol=2e-6, atol=2e-6)


def test_nan_stays_within_the_filter_support(spy):
    """Direct filtering: a NaN reaches exactly the outputs whose support covers it, as in pywt."""
    x = _x((40, 40), torch.float64, seed=3)
    x[17, 23] = float("nan")
    got = fk.dwt2(x, "db2", "symmetric")
    ref_a, ref_d = pywt.dwt2(x.numpy(), "db2", "symmetric")
    for g, r in zip([got[0], *got[1]], [ref_a, *ref_d]):
        np.testing.assert_array_equal(np.isnan(g.numpy()), np.isnan(r))
    assert spy["dwt2"] == 1


def test_independent_of_thread_count():
    x = _x((4, 130, 257), torch.float32, seed=4)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = fk.wavedec2(x, "db4", "reflect", level=2)
        rec_one = fk.waverec2(one, "db4", "reflect")
        torch.set_num_threads(max(2, before))
        many = fk.wavedec2(x, "db4", "reflect", level=2)
        rec_many = fk.waverec2(many, "db4", "reflect")
    finally:
        torch.set_num_threads(before)
    torch.testing.assert_close(one[0], many[0], rtol=0, atol=0)
    torch.testing.assert_close(rec_one, rec_many, rtol=0, atol=0)


def test_autograd_takes_the_differentiable_path(spy):
    x = _x((12, 10), torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: fk.wavedec2(t, "db2", "symmetric", level=1)[0], (x,))
    assert spy["dwt2"] == 0


def test_modes_that_mix_samples_fall_back(spy):
    x = _x((20, 21), torch.float64)
    for mode in ("smooth", "antireflect"):
        got = fk.dwt2(x, "db2", mode)
        _check(got[0], pywt.dwt2(x.numpy(), "db2", mode)[0], torch.float64)
    assert spy["dwt2"] == 0


def test_clear_workspace_forgets_the_wavelet_caches():
    from front_kernels._backends.reference import dwt

    x = _x((2, 40, 36), torch.float64)
    before = fk.wavedec2(x, "db2", "smooth", level=2)  # the GEMM path: filter matrices and scratch
    fk.wavedec2(x, "db2", "symmetric", level=2)        # the compiled path: boundary maps
    assert dwt._cache and native_dwt._maps
    fk.clear_workspace()
    assert not dwt._cache and not native_dwt._maps
    assert not getattr(dwt._scratch_pool, "buffers", {})
    after = fk.wavedec2(x, "db2", "smooth", level=2)
    torch.testing.assert_close(after[0], before[0], rtol=0, atol=0)
