"""front_kernels.compat.ptwt against ptwt itself (the oracle): numbers, coefficient containers,
axes, batch dims, every ptwt mode, reconstruction, gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

ptwt = pytest.importorskip("ptwt", reason="ptwt is not installed: it is the oracle of these tests (pip install ptwt)")
pywt = pytest.importorskip("pywt")

import front_kernels.compat.ptwt as fkp  # noqa: E402

MODES = ["reflect", "zero", "constant", "periodic", "symmetric"]
WAVELETS = ["haar", "db2", "db4", "sym3", "pywt-db3"]
LEVELS = [1, 2, 3, None]
DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: 1e-4, torch.float64: 1e-10}  # float32: 3-level 3-d sums of ~1e3 terms


def _w(name):
    return pywt.Wavelet("db3") if name == "pywt-db3" else name


def _data(shape, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)


def _same(ours, ref, tol, path="coeffs"):
    """Same container types (type() at every level, dict keys in order), shapes, dtypes, numbers."""
    assert type(ours) is type(ref), f"{path}: {type(ours)} vs {type(ref)}"
    if isinstance(ref, torch.Tensor):
        assert ours.shape == ref.shape, f"{path}: shape {tuple(ours.shape)} vs {tuple(ref.shape)}"
        assert ours.dtype == ref.dtype, f"{path}: dtype {ours.dtype} vs {ref.dtype}"
        torch.testing.assert_close(ours, ref, atol=tol, rtol=tol, msg=lambda m: f"{path}: {m}")
    elif isinstance(ref, dict):
        assert list(ours) == list(ref), f"{path}: keys {list(ours)} vs {list(ref)}"
        for k in ref:
            _same(ours[k], ref[k], tol, f"{path}[{k!r}]")
    else:
        assert len(ours) == len(ref), f"{path}: {len(ours)} entries vs {len(ref)}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            _same(a, b, tol, f"{path}[{i}]")


def _same_as_pywt(ours, ref_np, tol, path="coeffs"):
    """Numbers against pywt where ptwt refuses the input (torch's padding limits)."""
    if isinstance(ref_np, np.ndarray):
        np.testing.assert_allclose(ours.detach().double().numpy(), ref_np, atol=tol, rtol=tol, err_msg=path)
    elif isinstance(ref_np, dict):
        for k in ref_np:
            _same_as_pywt(ours[k], ref_np[k], tol, f"{path}[{k!r}]")
    else:
        assert len(ours) == len(ref_np)
        for i, (a, b) in enumerate(zip(ours, ref_np)):
            _same_as_pywt(a, b, tol, f"{path}[{i}]")


def _check(ours_fn, ref_fn, pywt_fn, tol):
    ours = ours_fn()
    try:
        ref = ref_fn()
    except RuntimeError:  # ptwt's torch padding refuses the size: pywt is the oracle there
        _same_as_pywt(ours, pywt_fn(), tol)
        return ours, None
    _same(ours, ref, tol)
    return ours, ref


def _trim_to(rec, x, dims):
    return rec[tuple(slice(0, x.shape[d]) if d in dims else slice(None) for d in range(x.ndim))]


# ----------------------------------------------------------------------------------------------
# 1-d


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wavelet", WAVELETS)
def test_wavedec_waverec(wavelet, mode, level, dtype):
    tol, w = TOL[dtype], _w(wavelet)
    for shape, axis in [((2, 3, 17), -1), ((32,), -1), ((19, 2), 0), ((2, 24, 3), 1)]:
        x = _data(shape, dtype)
        ours, ref = _check(lambda: fkp.wavedec(x, w, mode=mode, level=level, axis=axis),
                           lambda: ptwt.wavedec(x, w, mode=mode, level=level, axis=axis),
                           lambda: pywt.wavedec(x.double().numpy(), w, mode, level, axis=axis), tol)
        rec = fkp.waverec(ours, w, axis=axis)
        if ref is not None:
            _same(rec, ptwt.waverec(ref, w, axis=axis), tol)
        torch.testing.assert_close(_trim_to(rec, x, {axis % x.ndim}), x, atol=10 * tol, rtol=10 * tol)


# ----------------------------------------------------------------------------------------------
# 2-d


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wavelet", WAVELETS)
def test_wavedec2_waverec2(wavelet, mode, level, dtype):
    tol, w = TOL[dtype], _w(wavelet)
    for shape, axes in [((2, 13, 18), (-2, -1)), ((16, 15), (-2, -1)), ((14, 2, 17), (0, 2)),
                        ((2, 3, 12, 11), (-1, -2))]:
        x = _data(shape, dtype)
        ours, ref = _check(lambda: fkp.wavedec2(x, w, mode=mode, level=level, axes=axes),
                           lambda: ptwt.wavedec2(x, w, mode=mode, level=level, axes=axes),
                           lambda: pywt.wavedec2(x.double().numpy(), w, mode, level, axes=axes), tol)
        if len(ours) > 1:
            assert type(ours[1]).__name__ == "WaveletDetailTuple2d"
            assert ours[1]._fields == ("horizontal", "vertical", "diagonal")
        rec = fkp.waverec2(ours, w, axes=axes)
        if ref is not None:
            _same(rec, ptwt.waverec2(ref, w, axes=axes), tol)
        torch.testing.assert_close(_trim_to(rec, x, {a % x.ndim for a in axes}), x, atol=10 * tol, rtol=10 * tol)


# ----------------------------------------------------------------------------------------------
# 3-d and the separable transforms


def _ptwt_wavedec3(x, w, **kw):
    """ptwt.wavedec3, minus a ptwt 1.0.1 bug: when zero levels are run (level=None on a volume shorter
    than the filter allows) it returns ``(x,)`` with the batch / channel dims it adds internally still in
    place (``(B, 1, ...)`` or ``(1, 1, ...)``); the compat module returns ``(x,)`` as the other ptwt
    transforms do."""
    ref = ptwt.wavedec3(x, w, **kw)
    if len(ref) == 1 and ref[0].shape != x.shape:
        assert ref[0].numel() == x.numel() and torch.equal(ref[0].reshape(x.shape), x)
        return (x,)
    return ref


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wavelet", WAVELETS)
def test_wavedec3_waverec3(wavelet, mode, level, dtype):
    tol, w = TOL[dtype], _w(wavelet)
    for shape, axes in [((2, 9, 10, 11), (-3, -2, -1)), ((12, 8, 9), (-3, -2, -1)), ((10, 2, 9, 8), (0, 2, 3))]:
        x = _data(shape, dtype)
        ours, ref = _check(lambda: fkp.wavedec3(x, w, mode=mode, level=level, axes=axes),
                           lambda: _ptwt_wavedec3(x, w, mode=mode, level=level, axes=axes),
                           lambda: pywt.wavedecn(x.double().numpy(), w, mode, level, axes=axes), tol)
        rec = fkp.waverec3(ours, w, axes=axes)
        if ref is not None:
            _same(rec, ptwt.waverec3(ref, w, axes=axes), tol)
        torch.testing.assert_close(_trim_to(rec, x, {a % x.ndim for a in axes}), x, atol=10 * tol, rtol=10 * tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("ndim", [2, 3])
def test_fswavedec_fswaverec(ndim, wavelet, mode, level, dtype):
    tol, w = TOL[dtype], _w(wavelet)
    dec, rec_fn = (fkp.fswavedec2, fkp.fswaverec2) if ndim == 2 else (fkp.fswavedec3, fkp.fswaverec3)
    ref_dec, ref_rec = (ptwt.fswavedec2, ptwt.fswaverec2) if ndim == 2 else (ptwt.fswavedec3, ptwt.fswaverec3)
    cases = ([((2, 13, 18), (-2, -1)), ((15, 2, 16), (0, 2))] if ndim == 2
             else [((2, 9, 10, 11), (-3, -2, -1)), ((10, 2, 9, 8), (0, 2, 3))])
    for shape, axes in cases:
        x = _data(shape, dtype)
        ours, ref = _check(lambda: dec(x, w, mode=mode, level=level, axes=axes),
                           lambda: ref_dec(x, w, mode=mode, level=level, axes=axes),
                           lambda: pywt.wavedecn(x.double().numpy(), w, mode, level, axes=axes), tol)
        rec = rec_fn(ours, w, axes=axes)
        if ref is not None:
            _same(rec, ref_rec(ref, w, axes=axes), tol)
        torch.testing.assert_close(_trim_to(rec, x, {a % x.ndim for a in axes}), x, atol=10 * tol, rtol=10 * tol)


def test_fswaverec_leaves_the_dicts_alone():
    x = _data((1, 8, 8), torch.float64)
    coeffs = fkp.fswavedec2(x, "db2", level=2)
    keys = [list(d) for d in coeffs[1:]]
    fkp.fswaverec2(coeffs, "db2")
    assert [list(d) for d in coeffs[1:]] == keys


@pytest.mark.parametrize("ndim", [2, 3])
def test_fswaverec_takes_dicts_that_ptwt_has_reconstructed(ndim):
    """ptwt's fswaverec2/3 leave the running approximation under the all-'a' key of a batched
    caller's dicts; ptwt ignores that entry on the next call, and so must the drop-in."""
    x = _data((2, 16, 16, 16)[-ndim - 1:], torch.float64)
    dec, rec = (ptwt.fswavedec2, ptwt.fswaverec2) if ndim == 2 else (ptwt.fswavedec3, ptwt.fswaverec3)
    ours = fkp.fswaverec2 if ndim == 2 else fkp.fswaverec3
    coeffs = dec(x, "db2", level=2)
    expected = rec(coeffs, "db2")
    assert all("a" * ndim in d for d in coeffs[1:])  # ptwt 1.0.1 leaves it there
    torch.testing.assert_close(ours(coeffs, "db2"), expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# defaults, wavelet objects, odd inputs


def test_defaults_match_ptwt():
    x1, x2, x3 = _data((2, 33), torch.float64), _data((2, 17, 20), torch.float64), _data((1, 9, 12, 10), torch.float64)
    tol = TOL[torch.float64]
    _same(fkp.wavedec(x1, "db2"), ptwt.wavedec(x1, "db2"), tol)           # reflect, max level
    _same(fkp.wavedec2(x2, "db2"), ptwt.wavedec2(x2, "db2"), tol)         # reflect
    _same(fkp.wavedec3(x3, "db2"), ptwt.wavedec3(x3, "db2"), tol)         # zero
    _same(fkp.fswavedec2(x2, "db2"), ptwt.fswavedec2(x2, "db2"), tol)     # reflect
    _same(fkp.fswavedec3(x3, "haar"), ptwt.fswavedec3(x3, "haar"), tol)   # reflect


@pytest.mark.parametrize("level", [0, 5])
def test_level_zero_and_too_high(level):
    x = _data((2, 64), torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ptwt does not warn for a level above the maximum; neither do we
        ours = fkp.wavedec(x, "haar", mode="zero", level=level)
    _same(ours, ptwt.wavedec(x, "haar", mode="zero", level=level), 1e-10)
    x2 = _data((2, 32, 32), torch.float64)
    _same(fkp.wavedec2(x2, "db2", mode="zero", level=level), ptwt.wavedec2(x2, "db2", mode="zero", level=level),
          1e-10)


def test_wavelet_tensor_tuple_and_learnable_wavelet():
    from ptwt.wavelets_learnable import SoftOrthogonalWavelet
    w = pywt.Wavelet("db3")
    x = _data((3, 40), torch.float64)
    bank = ptwt.WaveletTensorTuple.from_wavelet(w, torch.float64)
    _same(fkp.wavedec(x, bank, mode="zero", level=2), ptwt.wavedec(x, bank, mode="zero", level=2), 1e-10)
    learn = SoftOrthogonalWavelet(*(torch.tensor(f, dtype=torch.float64) for f in w.filter_bank))
    _same(fkp.wavedec(x, learn, mode="symmetric", level=2), ptwt.wavedec(x, learn, mode="symmetric", level=2), 1e-10)
    with torch.no_grad():
        _same(fkp.wavedec(x, learn, mode="symmetric", level=2), ptwt.wavedec(x, learn, mode="symmetric", level=2),
              1e-10)


def _loss(coeffs):
    out = 0
    for i, lv in enumerate(coeffs):
        vals = lv.values() if isinstance(lv, dict) else (lv if isinstance(lv, tuple) else (lv,))
        out = out + sum(((v - 0.1) ** 2 * (i + 1)).sum() for v in vals)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,shape,axes", [("wavedec", (2, 3, 23), -1), ("wavedec2", (2, 13, 12), (-2, -1)),
                                             ("wavedec3", (1, 9, 8, 10), (-3, -2, -1)),
                                             ("fswavedec2", (3, 11, 14), (-1, -2)),
                                             ("fswavedec3", (9, 1, 8, 10), (0, 2, 3))])
def test_learnable_wavelet_gradients_match_ptwt(name, shape, axes, mode):
    """A learnable wavelet's filters get ptwt's gradients (analysis, and synthesis of the coefficients)."""
    from ptwt.wavelets_learnable import SoftOrthogonalWavelet
    rec_name = {"wavedec": "waverec", "wavedec2": "waverec2", "wavedec3": "waverec3", "fswavedec2": "fswaverec2",
                "fswavedec3": "fswaverec3"}[name]
    kw = {"axis": axes} if name == "wavedec" else {"axes": axes}
    x = _data(shape, torch.float64, seed=3)
    grads = []
    for mod in (fkp, ptwt):
        learn = SoftOrthogonalWavelet(*(torch.tensor(f, dtype=torch.float64) for f in pywt.Wavelet("db2").filter_bank))
        xi = x.clone().requires_grad_()
        coeffs = getattr(mod, name)(xi, learn, mode=mode, level=2, **kw)
        rec = getattr(mod, rec_name)(coeffs, learn, **kw)
        (_loss(coeffs) + (rec ** 3).sum()).backward()
        grads.append([xi.grad] + [p.grad for p in (learn.dec_lo, learn.dec_hi, learn.rec_lo, learn.rec_hi)])
    for ours, ref in zip(*grads):
        torch.testing.assert_close(ours, ref, atol=1e-9, rtol=1e-9)


def test_learnable_wavelet_gradcheck():
    x = _data((2, 10), torch.float64).requires_grad_()
    taps = [torch.tensor(f, dtype=torch.float64, requires_grad=True) for f in pywt.Wavelet("db2").filter_bank]
    fn = lambda t, *bank: tuple(fkp.wavedec(t, tuple(bank), mode="reflect", level=2))
    assert torch.autograd.gradcheck(fn, (x, *taps))
    c = [t.detach().requires_grad_() for t in fkp.wavedec(x.detach(), "db2", mode="zero", level=2)]
    assert torch.autograd.gradcheck(lambda *a: fkp.waverec(list(a[:3]), tuple(a[3:])), (*c, *taps))


# ----------------------------------------------------------------------------------------------
# gradients


def test_gradcheck():
    x = _data((2, 11), torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: tuple(fkp.wavedec(t, "db2", mode="reflect", level=2)), (x,))
    c = [t.detach().requires_grad_() for t in fkp.wavedec(x.detach(), "db2", mode="zero", level=2)]
    assert torch.autograd.gradcheck(lambda *t: fkp.waverec(list(t), "db2"), tuple(c))
    x2 = _data((1, 7, 6), torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda t: tuple(v for lv in fkp.wavedec2(t, "haar", mode="symmetric", level=2)[1:] for v in lv), (x2,))
    assert torch.autograd.gradcheck(
        lambda t: tuple(fkp.fswavedec2(t, "db2", mode="periodic", level=1)[1].values()), (x2,))
    x3 = _data((1, 4, 5, 4), torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: fkp.waverec3(fkp.wavedec3(t, "haar", level=1), "haar"), (x3,))


def test_gradients_match_ptwt():
    x = _data((2, 3, 19, 14), torch.float64)
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    loss = lambda c: sum((v ** 2).sum() * (i + 1) for i, lv in enumerate(c) for v in (lv if isinstance(lv, tuple) else (lv,)))
    loss(fkp.wavedec2(a, "sym3", mode="reflect", level=2)).backward()
    loss(ptwt.wavedec2(b, "sym3", mode="reflect", level=2)).backward()
    torch.testing.assert_close(a.grad, b.grad, atol=1e-10, rtol=1e-10)


# ----------------------------------------------------------------------------------------------
# bad input (ptwt's exception classes)


def test_bad_input():
    x = _data((2, 16, 16), torch.float64)
    for fn in (fkp.wavedec, fkp.wavedec2, fkp.fswavedec2):
        with pytest.raises(ValueError, match="Padding mode"):
            fn(x, "haar", mode="periodization")
    with pytest.raises(ValueError, match="same axis twice"):
        fkp.wavedec2(x, "haar", axes=(1, 1))
    with pytest.raises(ValueError, match="2D transforms work with 2 axes"):
        fkp.wavedec2(x, "haar", axes=(0, 1, 2))
    with pytest.raises(ValueError, match="At least 3 input dimensions"):
        fkp.wavedec3(x[0], "haar")
    coeffs = fkp.wavedec2(x, "haar", level=2)
    with pytest.raises(ValueError, match="3-tuple"):
        fkp.waverec2([coeffs[0], list(coeffs[1]), coeffs[2]], "haar")
    with pytest.raises(ValueError, match="same dtype"):
        fkp.waverec2((coeffs[0].float(),) + coeffs[1:], "haar")
    c3 = fkp.wavedec3(_data((1, 8, 8, 8), torch.float64), "haar", level=1)
    with pytest.raises(ValueError, match="7 tensors"):
        fkp.waverec3((c3[0], {k: v for k, v in c3[1].items() if k != "ddd"}), "haar")
