"""Every discrete wavelet family of PyWavelets, pywt's argument conventions, and a differential
fuzz test over family x mode x level x dtype x dims against pywt."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import pywt
import torch

from conftest import rel_err

import front_kernels as fk
from front_kernels.wavelets import MODES, get_wavelet

NAMES = fk.wavelist()


def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


# ---------------------------------------------------------------------------------------------
# the tables


def test_every_discrete_pywt_wavelet_is_tabulated_exactly():
    assert sorted(NAMES) == sorted(pywt.wavelist(kind="discrete"))
    for name in NAMES:
        ours, ref = get_wavelet(name), pywt.Wavelet(name)
        for f, g in zip(ours.filter_bank, ref.filter_bank):
            np.testing.assert_allclose(f, g, rtol=0, atol=1e-14, err_msg=name)
        assert (ours.dec_len, ours.rec_len) == (ref.dec_len, ref.rec_len)
        assert (ours.orthogonal, ours.biorthogonal, ours.short_family_name) == (
            ref.orthogonal, ref.biorthogonal, ref.short_family_name)
        assert fk.dwt_max_level(1000, name) == pywt.dwt_max_level(1000, name)
        assert fk.dwt_coeff_len(37, name, "symmetric") == pywt.dwt_coeff_len(37, ref, "symmetric")
    assert fk.wavelist("coif") == pywt.wavelist("coif")
    assert fk.wavelist(kind="continuous") == []


def test_filter_bank_objects_are_accepted():
    x = torch.randn(3, 21, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for w in (pywt.Wavelet("sym5"), pywt.Wavelet("bior2.4")):
        for got, ref in zip(fk.dwt(x, w, "smooth"), pywt.dwt(x.numpy(), w, "smooth")):
            assert rel_err(got, ref) < 1e-12

    class Bank:  # any object with a pywt-style filter_bank; odd length padded as pywt does
        filter_bank = ([1.0, 2.0, 3.0], [1.0, -2.0, 3.0], [3.0, 2.0, 1.0], [3.0, -2.0, 1.0])

    ref_w = pywt.Wavelet("odd", filter_bank=Bank.filter_bank)
    assert get_wavelet(Bank()).dec_len == ref_w.dec_len == 4
    for got, ref in zip(fk.dwt(x, Bank(), "zero"), pywt.dwt(x.numpy(), ref_w, "zero")):
        assert rel_err(got, ref) < 1e-12
    with pytest.raises(ValueError, match="closest: 'db4'"):
        fk.dwt(x, "db42")
    with pytest.raises(ValueError):
        fk.dwt(x, pywt.ContinuousWavelet("morl"))


@pytest.mark.parametrize("family", ["db", "sym", "coif", "bior", "rbio", "dmey"])
def test_every_member_every_mode_1d_matches_pywt(family):
    """Each wavelet of the family in every mode, dwt and idwt, float64 to 1e-10 (short and long axes)."""
    rng = np.random.default_rng(7)
    for i, name in enumerate(pywt.wavelist(family)):
        n = (5, 33, 70)[i % 3]
        x = rng.standard_normal((2, n))
        for mode in MODES:
            ra, rd = pywt.dwt(x, name, mode)
            ca, cd = fk.dwt(_t(x), name, mode)
            assert max(rel_err(ca, ra), rel_err(cd, rd)) < 1e-10, (name, mode)
            assert rel_err(fk.idwt(_t(ra), _t(rd), name, mode), pywt.idwt(ra, rd, name, mode)) < 1e-10, (name, mode)


# ---------------------------------------------------------------------------------------------
# differential fuzz: family x mode x level (up to above the maximum) x dtype x number of axes


def _err(got, ref, x) -> float:
    """max |got - ref| relative to the larger of the reference's magnitude and ``x``'s (the input,
    or the decomposition's largest coefficient: a band that is zero up to rounding has no scale
    of its own)."""
    got = got.double().numpy()
    assert got.shape == ref.shape
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), np.abs(x).max(), 1e-300))


def _fuzz_cases(count: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(count):
        name = NAMES[i % len(NAMES)]
        mode = MODES[rng.integers(len(MODES))]
        nd = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(2, 40 if nd == 1 else 14, size=nd))
        dtype = (torch.float64, torch.float32)[int(rng.integers(2))]
        yield name, mode, shape, dtype, int(rng.integers(0, 4)), rng


def test_differential_fuzz_against_pywt():
    """Every wavelet at least once (and more at random): wavedecn / waverecn over random axes and
    levels (including levels above the maximum, where pywt warns), dwtn per-axis wavelets, in
    float64 (1e-10) and float32 (1e-4)."""
    for name, mode, shape, dtype, extra, rng in _fuzz_cases(2 * len(NAMES), seed=11):
        # float32: levels above the maximum in 'smooth' mode amplify by up to 1e7 over three axes
        tol = 1e-10 if dtype == torch.float64 else 1e-4
        x = rng.standard_normal(shape)
        axes = tuple(int(a) for a in rng.permutation(len(shape))[: int(rng.integers(1, len(shape) + 1))])
        max_level = min(pywt.dwt_max_level(shape[a], pywt.Wavelet(name).dec_len) for a in axes)
        level = max_level + extra if extra == 3 else min(max_level, extra) or None
        if mode in ("reflect", "antireflect") and level is not None and level > max_level:
            level = max_level or None  # pywt itself refuses these once an axis shrinks to one sample
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ref = pywt.wavedecn(x, name, mode, level=level, axes=axes)
            got = fk.wavedecn(_t(x).to(dtype), name, mode, level=level, axes=axes)
        assert len(got) == len(ref), (name, mode, shape, axes, level)
        big = max(np.abs(x).max(), np.abs(ref[0]).max())  # the scale of the whole decomposition
        assert _err(got[0], ref[0], x) < tol, (name, mode, shape, axes, level)
        for g, r in zip(got[1:], ref[1:]):
            assert set(g) == set(r)
            for k in r:
                assert _err(g[k], r[k], big) < tol, (name, mode, shape, axes, level, k)
        rec = fk.waverecn(got, name, mode, axes=axes)
        assert _err(rec, pywt.waverecn(ref, name, mode, axes=axes), x) < 10 * tol, (name, mode, shape, axes)
        other = NAMES[int(rng.integers(len(NAMES)))]
        ws, ms = (name, other)[: len(axes)], (mode, "periodization")[: len(axes)]
        if len(axes) == 2:
            ref1 = pywt.dwtn(x, ws, ms, axes=axes)
            got1 = fk.dwtn(_t(x).to(dtype), ws, ms, axes=axes)
            for k in ref1:
                assert _err(got1[k], ref1[k], x) < tol, (ws, ms, k)
            assert _err(fk.idwtn(got1, ws, ms, axes=axes), pywt.idwtn(ref1, ws, ms, axes=axes), x) < 10 * tol


# ---------------------------------------------------------------------------------------------
# pywt's conventions


def test_per_axis_wavelets_and_modes_match_pywt():
    x = np.random.default_rng(3).standard_normal((2, 13, 18))
    ws, ms = ("haar", "db2"), ("symmetric", "periodization")
    ref = pywt.wavedecn(x, ws, ms, level=2, axes=(1, 2))
    got = fk.wavedecn(_t(x), ws, ms, level=2, axes=(1, 2))
    for g, r in zip(got[1:], ref[1:]):
        for k in r:
            assert rel_err(g[k], r[k]) < 1e-12
    assert rel_err(fk.waverecn(got, ws, ms, axes=(1, 2)), pywt.waverecn(ref, ws, ms, axes=(1, 2))) < 1e-12
    a, (h, v, d) = fk.dwt2(_t(x), ws, ms)
    ra, (rh, rv, rd) = pywt.dwt2(x, ws, ms)
    assert max(rel_err(a, ra), rel_err(h, rh), rel_err(v, rv), rel_err(d, rd)) < 1e-12
    with pytest.raises(ValueError):
        fk.dwtn(_t(x), ("haar", "db2", "db1"), axes=(1, 2))
    with pytest.raises(ValueError):
        fk.dwtn(_t(x), "haar", ("zero", "symmetric", "periodization"), axes=(1, 2))
    xg = torch.randn(9, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: fk.dwtn(t, ("db2", "haar"), ("zero", "periodization"))["ad"], (xg,))


def test_level_above_maximum_warns_and_decomposes_as_pywt():
    x = np.arange(8.0)
    with pytest.warns(UserWarning, match="too high"):
        got = fk.wavedec(_t(x), "haar", level=20)
    with pytest.warns(UserWarning):
        ref = pywt.wavedec(x, "haar", level=20)
    assert len(got) == len(ref) == 21
    for g, r in zip(got, ref):
        assert rel_err(g, r) < 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for mode in ("periodization", "symmetric"):
            for dec, rec in ((fk.wavedec2, fk.waverec2), (fk.wavedecn, fk.waverecn)):
                data = torch.arange(64.0, dtype=torch.float64).reshape(8, 8)
                assert rel_err(rec(dec(data, "haar", mode, level=20), "haar", mode), data) < 1e-12


def test_none_detail_levels_match_pywt():
    x = np.random.default_rng(4).standard_normal((6, 10))
    c = pywt.wavedec(x, "db2", level=2)
    c[2], c[0] = None, None
    ours = fk.wavedec(_t(x), "db2", level=2)
    ours[2], ours[0] = None, None
    assert rel_err(fk.waverec(ours, "db2"), pywt.waverec(c, "db2")) < 1e-12
    c2 = pywt.wavedec2(x, "db1")
    c2[1] = (None, None, None)
    o2 = fk.wavedec2(_t(x), "db1")
    o2[1] = (None, None, None)
    assert rel_err(fk.waverec2(o2, "db1"), pywt.waverec2(c2, "db1")) < 1e-12
    cn = [np.ones((2, 2, 2)), {}, {}]
    got = fk.waverecn([torch.ones(2, 2, 2, dtype=torch.float64), {}, {}], "db1")
    assert rel_err(got, pywt.waverecn(cn, "db1")) < 1e-12 and got.shape == (8, 8, 8)


def _raised(f, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001  (the class is what is compared)
        return exc
    return None


def test_same_exception_classes_as_pywt():
    """Each bad input raises, in front_kernels, an instance of the class pywt raises for it."""
    x8, x88 = np.ones(8), np.ones((8, 8))
    c2 = pywt.wavedec2(x88, "haar")
    ours2 = fk.wavedec2(_t(x88), "haar")
    cases = [
        ((pywt.dwt, x8, "db2", None), (fk.dwt, _t(x8), "db2", None)),
        ((pywt.dwt, x8, "db2", "unknown"), (fk.dwt, _t(x8), "db2", "unknown")),
        ((pywt.dwt, x8, "db2", 9), (fk.dwt, _t(x8), "db2", 9)),
        ((pywt.waverec, x8, "haar"), (fk.waverec, _t(x8), "haar")),
        ((pywt.waverec2, x88, "haar"), (fk.waverec2, _t(x88), "haar")),
        ((pywt.waverecn, pywt.wavedec(x8, "haar"), "haar"), (fk.waverecn, fk.wavedec(_t(x8), "haar"), "haar")),
        ((pywt.waverec2, pywt.wavedecn(x88, "haar"), "haar"), (fk.waverec2, fk.wavedecn(_t(x88), "haar"), "haar")),
        ((pywt.wavedec2, x88, "haar", "symmetric", None, 1), (fk.wavedec2, _t(x88), "haar", "symmetric", None, 1)),
        ((pywt.waverec2, c2, "haar", "symmetric", 1), (fk.waverec2, ours2, "haar", "symmetric", 1)),
        ((pywt.wavedec, x8, "haar", "symmetric", -1), (fk.wavedec, _t(x8), "haar", "symmetric", -1)),
        ((pywt.waverecn, [np.ones((4, 4, 4)), {k: np.ones((4, 4, 4)) for k in ("ad", "da", "dd")}], "haar"),
         (fk.waverecn, [torch.ones(4, 4, 4), {k: torch.ones(4, 4, 4) for k in ("ad", "da", "dd")}], "haar")),
        ((pywt.waverecn, [None, {}], "db1"), (fk.waverecn, [None, {}], "db1")),
        ((pywt.idwt, None, None, "db2"), (fk.idwt, None, None, "db2")),
        ((pywt.dwt_max_level, 16, 3.3), (fk.dwt_max_level, 16, 3.3)),
        ((pywt.dwt_max_level, 16, 1), (fk.dwt_max_level, 16, 1)),
        ((pywt.dwt_max_level, 16, "mexh"), (fk.dwt_max_level, 16, "mexh")),
    ]
    for (pf, *pargs), (ff, *fargs) in cases:
        ref, got = _raised(pf, *pargs), _raised(ff, *fargs)
        assert ref is not None, pf
        assert isinstance(got, type(ref)), (pf.__name__, pargs[1:], type(ref), got)


def test_numpy_scalars_where_pywt_takes_them():
    assert fk.dwt_max_level(np.int64(28), 4) == pywt.dwt_max_level(np.int64(28), 4)
    assert fk.dwt_max_level(16, 10.0) == 0 and fk.dwt_max_level(16, np.int8(10)) == 0
    x = torch.randn(4, 16, dtype=torch.float64)
    ref = pywt.wavedec(x.numpy(), "db2", level=np.int64(2), axis=np.int64(1))
    got = fk.wavedec(x, "db2", level=np.int64(2), axis=np.int64(1))
    assert all(rel_err(g, r) < 1e-12 for g, r in zip(got, ref))
    assert fk.dwt(x, "db2", pywt.Modes.periodization)[0].shape == (4, 8)


@pytest.mark.parametrize("name", ["bior3.9", "rbio2.2", "dmey"])
def test_triton_kernels_take_biorthogonal_and_long_banks(name):
    """The Triton filter-bank kernels take any even filter length (20-tap bior3.9, 62-tap dmey)."""
    pytest.importorskip("triton")
    mp = pytest.MonkeyPatch()
    mp.setenv("TRITON_INTERPRET", "1")
    try:
        x = torch.randn(2, 25, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
        for mode in ("symmetric", "periodization"):
            a, d = fk.dwt(x, name, mode, backend="triton")
            ra, rd = pywt.dwt(x.numpy(), name, mode)
            assert max(rel_err(a, ra), rel_err(d, rd)) < 1e-12
            rec = fk.idwt(a, d, name, mode, backend="triton")
            assert rel_err(rec, pywt.idwt(ra, rd, name, mode)) < 1e-12
    finally:
        mp.undo()
