"""The compiled CPU fast path (front_kernels._cpu) of the DCT-II / DCT-III against
scipy.fft, against the pure-torch reference path, and its autograd / custom-op
registration (gradcheck, opcheck, torch.compile)."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.fft as sfft
import torch

import front_kernels as fk
from front_kernels._backends.reference import native

needs_native = pytest.mark.skipif(
    not native.available(),
    reason=f"front_kernels._cpu is not built ({native.IMPORT_ERROR}); `pip install -e .` builds it",
)

NORMS = ("backward", "ortho", "forward")
SIZES = (1, 2, 3, 4, 5, 8, 16, 17)


def test_extension_required_in_ci_and_default_path_matches_scipy():
    """In CI (``CI`` set) or with FRONT_KERNELS_REQUIRE_NATIVE=1 the install must have built the
    extension; anywhere, the default CPU path (native or its pure-torch fallback) gives scipy's numbers."""
    if os.environ.get("CI") or os.environ.get("FRONT_KERNELS_REQUIRE_NATIVE") == "1":
        assert native.available(), f"front_kernels._cpu is missing: {native.IMPORT_ERROR}"
    x = np.random.default_rng(7).standard_normal((3, 10, 12))
    got = fk.dctn(torch.from_numpy(x), dim=(-2, -1), norm="ortho")
    assert np.abs(got.numpy() - sfft.dctn(x, axes=(-2, -1), norm="ortho")).max() < 1e-10


@pytest.fixture
def native_on(monkeypatch):
    monkeypatch.setattr(native, "enabled", True)
    calls = {"two": 0, "last": 0}
    two, last = native.dct_two_axes, native.dct_last_axis

    def count_two(*a, **k):
        calls["two"] += 1
        return two(*a, **k)

    def count_last(*a, **k):
        calls["last"] += 1
        return last(*a, **k)

    monkeypatch.setattr(native, "dct_two_axes", count_two)
    monkeypatch.setattr(native, "dct_last_axis", count_last)
    return calls


def _tol(dtype, ref: np.ndarray) -> float:
    return 64 * torch.finfo(dtype).eps * max(1.0, float(np.abs(ref).max()))


def _close(y: torch.Tensor, ref: np.ndarray):
    assert y.shape == ref.shape
    err = float(np.abs(y.double().numpy() - ref).max())
    assert err <= _tol(y.dtype, ref), f"max error {err:.3g} > {_tol(y.dtype, ref):.3g}"


def _factors(n, t, norm, inverse):
    from front_kernels._backends.reference.dct import _axis_factors
    return _axis_factors(n, t, norm, inverse)


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("norm", NORMS)
def test_op_all_small_sizes_match_scipy(norm, inverse, dtype):
    """The op itself on every (N1, N2) in SIZES x SIZES, batched, including length-1 axes."""
    g = torch.Generator().manual_seed(0)
    t = 3 if inverse else 2
    scipy_fn = sfft.idctn if inverse else sfft.dctn
    for n1 in SIZES:
        for n2 in SIZES:
            x = torch.randn(2, 3, n1, n2, generator=g, dtype=dtype)
            y = native.dct_two_axes(x, t, 2, 3, _factors(n1, t, norm, inverse), _factors(n2, t, norm, inverse))
            _close(y, scipy_fn(x.double().numpy(), type=2, axes=(2, 3), norm=norm))


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("type", [2, 3])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("shape", [(6, 9), (2, 17, 16), (3, 1, 64, 96), (33, 250), (130, 128)])
def test_dctn_idctn_match_scipy(native_on, shape, norm, type, dtype):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=dtype)
    xn = x.double().numpy()
    dims = (-2, -1)
    _close(fk.dctn(x, type=type, dim=dims, norm=norm, backend="reference"),
           sfft.dctn(xn, type=type, axes=dims, norm=norm))
    _close(fk.idctn(x, type=type, dim=dims, norm=norm, backend="reference"),
           sfft.idctn(xn, type=type, axes=dims, norm=norm))
    assert native_on["two"] == 2


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm", NORMS)
def test_dct_idct_last_axis_match_scipy(native_on, norm, dtype):
    g = torch.Generator().manual_seed(2)
    for n in (*SIZES, 250):
        x = torch.randn(3, 2, n, generator=g, dtype=dtype)
        xn = x.double().numpy()
        for type in (2, 3):
            _close(fk.dct(x, type=type, norm=norm, backend="reference"), sfft.dct(xn, type=type, norm=norm))
            _close(fk.idct(x, type=type, norm=norm, backend="reference"), sfft.idct(xn, type=type, norm=norm))
    assert native_on["last"] == 4 * (len(SIZES) + 1)


@needs_native
@pytest.mark.parametrize("norm", NORMS)
def test_non_contiguous_and_non_trailing_dims(native_on, norm):
    g = torch.Generator().manual_seed(3)
    base = torch.randn(12, 5, 18, generator=g, dtype=torch.float64)
    cases = [
        (base.transpose(0, 2), (-2, -1)),    # transposed view
        (base[::2, :, 1::2], (-2, -1)),       # strided view
        (base, (0, 2)),                       # two non-adjacent, non-trailing dims
        (base, (0, 1)),                       # two leading dims
        (base.transpose(0, 1), None),         # all three dims: two-axis pass then the last axis
    ]
    for x, dims in cases:
        axes = None if dims is None else tuple(d % x.ndim for d in dims)
        _close(fk.dctn(x, dim=dims, norm=norm, backend="reference"), sfft.dctn(x.numpy(), axes=axes, norm=norm))
        _close(fk.idctn(x, dim=dims, norm=norm, backend="reference"), sfft.idctn(x.numpy(), axes=axes, norm=norm))
    assert native_on["two"] == 2 * len(cases)


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_native_matches_pure_torch_path(monkeypatch, dtype):
    x = torch.randn(2, 37, 64, generator=torch.Generator().manual_seed(4), dtype=dtype)
    for norm in NORMS:
        for fn in (fk.dctn, fk.idctn):
            for dims in ((-2, -1), (-1,)):
                monkeypatch.setattr(native, "enabled", True)
                fast = fn(x, dim=dims, norm=norm, backend="reference")
                monkeypatch.setattr(native, "enabled", False)
                slow = fn(x, dim=dims, norm=norm, backend="reference")
                tol = 64 * torch.finfo(dtype).eps * max(1.0, slow.abs().max().item())
                assert (fast - slow).abs().max().item() <= tol


@needs_native
@pytest.mark.parametrize("norm", NORMS)
def test_gradcheck_float64(native_on, norm):
    g = torch.Generator().manual_seed(5)
    for shape, fast in (((3, 4), False), ((2, 5, 3), True)):
        x = torch.randn(shape, generator=g, dtype=torch.float64, requires_grad=True)
        for fn in (fk.dctn, fk.idctn):
            assert torch.autograd.gradcheck(lambda t: fn(t, dim=(-2, -1), norm=norm, backend="reference"), (x,),
                                            fast_mode=fast)
        for fn in (fk.dct, fk.idct):
            assert torch.autograd.gradcheck(lambda t: fn(t, norm=norm, backend="reference"), (x,), fast_mode=fast)
    assert native_on["two"] > 0 and native_on["last"] > 0


@needs_native
def test_gradgradcheck_float64():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    f = _factors(3, 2, "backward", False), _factors(4, 2, "backward", False)
    assert torch.autograd.gradgradcheck(lambda t: native.dct_two_axes(t, 2, 0, 1, *f), (x,))


@needs_native
def test_opcheck_registration():
    for t in (2, 3):
        for shape in ((2, 3, 5),):
            x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
            torch.library.opcheck(native.dct23, (x, t, 0.3, 0.7, 1.1, 0.5))


@needs_native
def test_torch_compile_fullgraph():
    x = torch.randn(2, 6, 10, dtype=torch.float32, requires_grad=True)

    def f(t):
        return fk.idct(fk.dctn(t, dim=(-2, -1), norm="ortho"), norm="forward")

    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    y = compiled(x)
    torch.testing.assert_close(y, f(x), rtol=0, atol=0)
    (g,) = torch.autograd.grad(y.sum(), x)
    (g_ref,) = torch.autograd.grad(f(x).sum(), x)
    torch.testing.assert_close(g, g_ref, rtol=0, atol=0)


def test_env_var_forces_pure_torch_path():
    code = "from front_kernels._backends.reference import native; print(native.enabled)"
    env = {**os.environ, native.ENV_VAR: "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
