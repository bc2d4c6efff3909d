"""Wavelet transforms against PyWavelets (the oracle), round trips, bad input, gradients."""
from __future__ import annotations

import numpy as np
import pytest
import pywt
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import front_kernels as fk
from front_kernels.wavelets import MODES, dwt_coeff_len, dwt_max_level, get_wavelet, wavelist

WAVELETS = ["haar", "db1", "db2", "db3", "db4", "db5", "db6", "db7", "db8", "db9", "db10"]
SHORT_MODES = ("reflect", "antireflect")  # pywt needs >= 2 samples


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """These tensors are tiny: intra-op threads only add synchronisation cost."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _np(t):
    return t.detach().cpu().double().numpy()


def _close(ours, ref, dtype=torch.float64):
    ref = np.asarray(ref)
    assert tuple(ours.shape) == ref.shape
    tol = 1e-10 if dtype == torch.float64 else 2e-5
    scale = max(1.0, float(np.abs(ref).max()) if ref.size else 1.0)
    np.testing.assert_allclose(_np(ours), ref, rtol=tol, atol=tol * scale)


# ---------------------------------------------------------------------------------------------
# filter banks and length rules


@pytest.mark.parametrize("name", wavelist())
def test_filter_bank_equals_pywt(name):
    w = get_wavelet(name)
    ref = pywt.Wavelet(name)
    assert w.filter_bank == tuple(tuple(float(v) for v in f) for f in ref.filter_bank)
    assert w.dec_len == ref.dec_len


def test_haar_is_db1_and_names():
    assert get_wavelet("haar").filter_bank == get_wavelet("db1").filter_bank
    assert {"haar", "db1", "db4", "db10"} <= set(wavelist())
    assert get_wavelet(get_wavelet("db3")) is not None


def test_length_rules_match_pywt():
    for n in range(1, 130):
        for f in range(2, 21, 2):
            assert dwt_max_level(n, f) == pywt.dwt_max_level(n, f)
            for mode in MODES:
                assert dwt_coeff_len(n, f, mode) == pywt.dwt_coeff_len(n, f, mode)
    assert fk.dwt_max_level(1 << 20, "db1") == 20


# ---------------------------------------------------------------------------------------------
# single level, 1-D, against pywt


@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("mode", MODES)
def test_dwt_idwt_match_pywt(wavelet, mode):
    rng = np.random.default_rng(0)
    f = get_wavelet(wavelet).dec_len
    # every length up to 40 for short filters; for long ones, lengths around the filter length
    lengths = range(1, 41) if f <= 8 else sorted({1, 2, 3, 4, 7, f // 2, f - 1, f, f + 1, 2 * f - 1, 2 * f, 40})
    for n in lengths:
        if n < 2 and mode in SHORT_MODES:
            continue
        x = rng.standard_normal((2, n))
        ca, cd = fk.dwt(torch.from_numpy(x), wavelet, mode)
        ra, rd = pywt.dwt(x, wavelet, mode)
        _close(ca, ra)
        _close(cd, rd)
        if mode == "periodization" or 2 * ra.shape[-1] - get_wavelet(wavelet).dec_len + 2 >= 1:
            _close(fk.idwt(ca, cd, wavelet, mode), pywt.idwt(ra, rd, wavelet, mode))


@pytest.mark.parametrize("mode", ["zero", "symmetric", "periodization", "smooth"])
def test_idwt_with_none_band(mode):
    rng = np.random.default_rng(1)
    a, d = rng.standard_normal(9), rng.standard_normal(9)
    _close(fk.idwt(torch.from_numpy(a), None, "db2", mode), pywt.idwt(a, None, "db2", mode))
    _close(fk.idwt(None, torch.from_numpy(d), "db2", mode), pywt.idwt(None, d, "db2", mode))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_dwt_axis_batch_noncontiguous(dtype, axis):
    rng = np.random.default_rng(2)
    base = rng.standard_normal((7, 11, 5))
    t = torch.from_numpy(base).to(dtype).transpose(0, 2)  # non-contiguous (5, 11, 7)
    x = t.double().numpy()
    ca, cd = fk.dwt(t, "db3", "symmetric", axis=axis)
    ra, rd = pywt.dwt(x, "db3", "symmetric", axis=axis)
    assert ca.dtype == dtype
    _close(ca, ra, dtype)
    _close(cd, rd, dtype)
    _close(fk.idwt(ca, cd, "db3", "symmetric", dim=axis), pywt.idwt(ra, rd, "db3", "symmetric", axis=axis), dtype)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_computed_in_float32(dtype):
    x = torch.randn(3, 33).to(dtype)
    ref = pywt.wavedec(x.double().numpy(), "db2", "symmetric", level=2)
    out = fk.wavedec(x, "db2", level=2)
    for o, r in zip(out, ref):
        assert o.dtype == dtype
        np.testing.assert_allclose(_np(o), r, rtol=2e-2, atol=2e-2 * np.abs(r).max())


# ---------------------------------------------------------------------------------------------
# multilevel and N-D against pywt


@pytest.mark.parametrize("wavelet", ["haar", "db2", "db4", "db7"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_wavedec_waverec_match_pywt(wavelet, mode, dtype):
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 16, 17, 31, 40):
        x = rng.standard_normal((3, n))
        ref = pywt.wavedec(x, wavelet, mode)
        if n < 2 and mode in SHORT_MODES:
            continue
        out = fk.wavedec(torch.from_numpy(x).to(dtype), wavelet, mode)
        assert len(out) == len(ref)
        for o, r in zip(out, ref):
            _close(o, r, dtype)
        _close(fk.waverec(out, wavelet, mode), pywt.waverec(ref, wavelet, mode), dtype)


@pytest.mark.parametrize("wavelet", ["haar", "db3", "db5"])
@pytest.mark.parametrize("mode", MODES)
def test_wavedec2_waverec2_match_pywt(wavelet, mode):
    rng = np.random.default_rng(4)
    for shape in [(2, 9, 16), (17, 13), (1, 32, 31)]:
        x = rng.standard_normal(shape)
        ref = pywt.wavedec2(x, wavelet, mode)
        out = fk.wavedec2(torch.from_numpy(x), wavelet, mode)
        assert len(out) == len(ref)
        _close(out[0], ref[0])
        for o, r in zip(out[1:], ref[1:]):
            for ob, rb in zip(o, r):
                _close(ob, rb)
        _close(fk.waverec2(out, wavelet, mode), pywt.waverec2(ref, wavelet, mode))
        a, (h, v, d) = fk.dwt2(torch.from_numpy(x), wavelet, mode)
        ra, (rh, rv, rd) = pywt.dwt2(x, wavelet, mode)
        for o, r in ((a, ra), (h, rh), (v, rv), (d, rd)):
            _close(o, r)
        _close(fk.idwt2((a, (h, v, d)), wavelet, mode), pywt.idwt2((ra, (rh, rv, rd)), wavelet, mode))


@pytest.mark.parametrize("mode", ["zero", "symmetric", "periodization", "reflect", "periodic", "antisymmetric"])
@pytest.mark.parametrize("axes", [None, (0, 2), (2, 1)])
def test_wavedecn_waverecn_match_pywt(mode, axes):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 6, 11))
    ref = pywt.wavedecn(x, "db2", mode, level=1, axes=axes)
    out = fk.wavedecn(torch.from_numpy(x), "db2", mode, level=1, axes=axes)
    _close(out[0], ref[0])
    for o, r in zip(out[1:], ref[1:]):
        assert set(o) == set(r)
        for k in r:
            _close(o[k], r[k])
    _close(fk.waverecn(out, "db2", mode, axes=axes), pywt.waverecn(ref, "db2", mode, axes=axes))
    single = fk.dwtn(torch.from_numpy(x), "haar", mode, axes=axes)
    rsingle = pywt.dwtn(x, "haar", mode, axes=axes)
    assert set(single) == set(rsingle)
    for k in rsingle:
        _close(single[k], rsingle[k])
    _close(fk.idwtn(single, "haar", mode, axes=axes), pywt.idwtn(rsingle, "haar", mode, axes=axes))


def test_idwtn_missing_band_is_zero():
    x = np.random.default_rng(6).standard_normal((6, 8))
    c = pywt.dwtn(x, "db2")
    del c["dd"]
    ours = {k: torch.from_numpy(v) for k, v in c.items()}
    _close(fk.idwtn(ours, "db2"), pywt.idwtn(c, "db2"))


def test_level_none_is_max_level():
    x = torch.randn(2, 100, 37, dtype=torch.float64)
    out = fk.wavedec2(x, "db2")
    assert len(out) == 1 + min(dwt_max_level(100, 4), dwt_max_level(37, 4))
    assert len(fk.wavedec(torch.randn(3, dtype=torch.float64), "db4")) == 1  # max level 0


# ---------------------------------------------------------------------------------------------
# perfect reconstruction, fuzzed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 70),
    batch=st.integers(1, 3),
    wavelet=st.sampled_from(WAVELETS),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_wavedec_waverec_roundtrip(n, batch, wavelet, mode, data):
    max_level = dwt_max_level(n, get_wavelet(wavelet).dec_len)
    level = data.draw(st.integers(0, max_level))
    x = torch.randn(batch, n, dtype=torch.float64)
    rec = fk.waverec(fk.wavedec(x, wavelet, mode, level), wavelet, mode)
    torch.testing.assert_close(rec[..., :n], x, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.integers(2, 14), min_size=2, max_size=3),
    wavelet=st.sampled_from(["haar", "db2", "db3"]),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_wavedecn_waverecn_roundtrip(shape, wavelet, mode, data):
    x = torch.randn(*shape, dtype=torch.float64)
    ndim = len(shape)
    axes = tuple(data.draw(st.permutations(range(ndim)))[: data.draw(st.integers(1, ndim))])
    max_level = min(dwt_max_level(shape[a], get_wavelet(wavelet).dec_len) for a in axes)
    level = data.draw(st.integers(0, max_level))
    coeffs = fk.wavedecn(x, wavelet, mode, level, axes=axes)
    rec = fk.waverecn(coeffs, wavelet, mode, axes=axes) if level else coeffs[0]
    torch.testing.assert_close(rec[tuple(slice(s) for s in shape)], x, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_dtypes():
    for bad in (torch.arange(8), torch.ones(8, dtype=torch.bool), torch.ones(8, dtype=torch.complex64)):
        with pytest.raises(TypeError, match="data"):
            fk.dwt(bad, "db2")
        with pytest.raises(TypeError, match="data"):
            fk.wavedec2(bad.reshape(2, 4), "haar")
    with pytest.raises(TypeError, match="data"):
        fk.dwt(np.ones(8), "db2")


def test_bad_names_and_empty():
    x = torch.randn(16)
    with pytest.raises(ValueError, match="wavelet.*'db4'"):
        fk.dwt(x, "db42")
    with pytest.raises(ValueError, match="mode.*'periodization'"):
        fk.wavedec(x, "db2", mode="circular")
    with pytest.raises(ValueError, match="empty"):
        fk.dwt(torch.randn(3, 0), "haar")
    with pytest.raises(ValueError, match="at least 2 samples"):
        fk.dwt(torch.randn(4, 1), "haar", "reflect")


def test_bad_level():
    x = torch.randn(2, 64)
    with pytest.raises(ValueError, match="level"):
        fk.wavedec(x, "haar", level=-1)
    # above dwt_max_level pywt warns and decomposes anyway; so does front_kernels
    with pytest.warns(UserWarning, match=r"maximum is 6"):
        assert len(fk.wavedec(x, "haar", level=7)) == 8
    with pytest.warns(UserWarning, match=r"maximum is 2"):
        assert len(fk.wavedec2(torch.randn(64, 20), "db2", level=3)) == 4
    with pytest.raises(TypeError, match="level"):
        fk.wavedec(x, "haar", level=1.5)


def test_bad_axes():
    x = torch.randn(4, 8)
    with pytest.raises(ValueError, match="axis"):
        fk.dwt(x, "haar", axis=2)
    with pytest.raises(ValueError, match="repeats"):
        fk.wavedecn(x, "haar", axes=(1, -1))
    with pytest.raises(ValueError, match="axes"):
        fk.wavedec2(torch.randn(4, 4, 4), "haar", axes=(0, 1, 2))
    with pytest.raises(TypeError, match="dim"):
        fk.dwt(x, "haar", axis=0, dim=1)
    ca, _ = fk.dwt(x, "haar", dim=0)
    assert ca.shape == (2, 8)


def test_mismatched_coefficients():
    a, d = torch.randn(5), torch.randn(6)
    with pytest.raises(ValueError, match="shapes must match"):
        fk.idwt(a, d, "haar")
    with pytest.raises(ValueError, match="must not be None"):
        fk.idwt(None, None, "haar")
    with pytest.raises(ValueError, match="too few"):
        fk.idwt(torch.randn(2), torch.randn(2), "db4")
    coeffs = fk.wavedec(torch.randn(40), "db2", level=2)
    coeffs[1] = torch.randn(3)
    with pytest.raises(ValueError, match="do not match"):
        fk.waverec(coeffs, "db2")
    c2 = fk.wavedec2(torch.randn(16, 16), "haar", level=2)
    c2[2] = (c2[2][0], c2[2][1][:, :4], c2[2][2])
    with pytest.raises(ValueError, match="shapes must match"):
        fk.waverec2(c2, "haar")
    with pytest.raises(ValueError, match="invalid key"):
        fk.idwtn({"aa": torch.randn(3, 3), "ax": torch.randn(3, 3)}, "haar")
    with pytest.raises(TypeError, match="coeffs"):
        fk.waverec2(torch.randn(4, 4), "haar")


# ---------------------------------------------------------------------------------------------
# gradients and compile


@pytest.mark.parametrize("mode", ["zero", "symmetric", "periodization", "antireflect"])
def test_gradcheck_dwt_idwt(mode):
    x = torch.randn(2, 11, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: fk.dwt(t, "db2", mode), (x,))
    a = torch.randn(2, 7, dtype=torch.float64, requires_grad=True)
    d = torch.randn(2, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p, q: fk.idwt(p, q, "db2", mode), (a, d))


@pytest.mark.parametrize("mode", ["symmetric", "periodization", "smooth"])
def test_gradcheck_wavedec2_waverec2(mode):
    x = torch.randn(7, 6, dtype=torch.float64, requires_grad=True)

    def dec(t):
        out = fk.wavedec2(t, "db2", mode, level=1)
        return (out[0],) + tuple(out[1])

    assert torch.autograd.gradcheck(dec, (x,))
    bands = [b.detach().requires_grad_() for b in dec(x)]

    def rec(a, h, v, d):
        return fk.waverec2([a, (h, v, d)], "db2", mode)

    assert torch.autograd.gradcheck(rec, tuple(bands))


def test_compile_fullgraph_wavedec2_waverec2():
    x = torch.randn(2, 16, 12)

    def roundtrip(t):
        coeffs = fk.wavedec2(t, "db2", "symmetric", level=2)
        return coeffs[0], fk.waverec2(coeffs, "db2", "symmetric")

    compiled = torch.compile(roundtrip, fullgraph=True, backend="aot_eager")
    a, rec = compiled(x)
    a_ref, rec_ref = roundtrip(x)
    torch.testing.assert_close(a, a_ref)
    torch.testing.assert_close(rec, rec_ref)
    torch.testing.assert_close(rec[..., :16, :12], x, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("wavelet", ["haar", "db3"])
def test_autograd_and_inference_paths_agree(wavelet):
    """Without autograd the 2-D levels run the compiled CPU level (or the GEMMs with reused scratch
    buffers); with it, the blocked GEMMs: the two agree to rounding (float64)."""
    x = torch.randn(3, 32, 20, dtype=torch.float64)
    plain = fk.wavedec2(x, wavelet, "symmetric", level=2)
    tracked = fk.wavedec2(x.clone().requires_grad_(), wavelet, "symmetric", level=2)
    torch.testing.assert_close(plain[0], tracked[0].detach(), rtol=1e-14, atol=1e-14)
    for p, t in zip(plain[1:], tracked[1:]):
        for pb, tb in zip(p, t):
            torch.testing.assert_close(pb, tb.detach(), rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(fk.waverec2(plain, wavelet, "symmetric")[..., :32, :20], x)


def test_results_do_not_alias_scratch_buffers():
    """A later call must not overwrite the bands an earlier call returned."""
    x1 = torch.randn(40, 36, dtype=torch.float64)
    first = fk.wavedec2(x1, "db2", "symmetric", level=2)
    kept = [first[0].clone()] + [tuple(b.clone() for b in lv) for lv in first[1:]]
    fk.wavedec2(torch.randn(40, 36, dtype=torch.float64), "db2", "symmetric", level=2)
    fk.wavedec2(torch.randn(64, 64, dtype=torch.float64), "haar", "periodization", level=3)
    torch.testing.assert_close(first[0], kept[0], rtol=0, atol=0)
    for lv, kv in zip(first[1:], kept[1:]):
        for b, k in zip(lv, kv):
            torch.testing.assert_close(b, k, rtol=0, atol=0)


@pytest.mark.parametrize("wavelet", ["haar", "db4"])
@pytest.mark.parametrize("mode", ["symmetric", "periodization", "zero"])
def test_wavedec2_noncontiguous_float32_batch(wavelet, mode):
    base = torch.randn(40, 3, 2, 48)  # -> (2, 3, 48, 40) through a permutation: non-contiguous
    x = base.permute(2, 1, 3, 0)
    ref = pywt.wavedec2(x.double().numpy(), wavelet, mode, level=2)
    out = fk.wavedec2(x, wavelet, mode, level=2)
    assert out[0].dtype == torch.float32
    _close(out[0], ref[0], torch.float32)
    for o, r in zip(out[1:], ref[1:]):
        for ob, rb in zip(o, r):
            _close(ob, rb, torch.float32)
    _close(fk.waverec2(out, wavelet, mode), pywt.waverec2(ref, wavelet, mode), torch.float32)
