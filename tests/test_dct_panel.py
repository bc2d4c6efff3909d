"""The panel kernels of the CPU DCT (csrc/cpu/dct_panel*.{h,cpp}) against scipy.fft in float64:
every FFT radix, partial panels, batches, scales, in place, each instruction set, any thread count."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.fft as sfft
import torch

import front_kernels as fk
from front_kernels._backends.reference import native

pytestmark = pytest.mark.skipif(not native.available(), reason=f"front_kernels._cpu is not built ({native.IMPORT_ERROR})")

# N/2 = 1, 2, 3, 4, 5, 7, 11, 13, 6, 8, 12, 24, 30, 210, 192, 768, 2048: every radix and mixes of them
LENGTHS = (2, 4, 6, 8, 10, 14, 22, 26, 12, 16, 24, 48, 60, 420, 384, 1536, 4096)


def _panel(x: np.ndarray, type: int, scales=(1.0, 1.0, 1.0, 1.0), out: np.ndarray | None = None) -> np.ndarray:
    b, n1, n2 = x.shape
    out = np.empty_like(x) if out is None else out
    fk._cpu.panel_dct2d(x.ctypes.data, out.ctypes.data, b, n1, n2, type, *scales, x.dtype == np.float64)
    return out


def _scaled_reference(x: np.ndarray, type: int, scales) -> np.ndarray:
    """(s1 (x) s2) * (M (x) M) x for type 2, (M (x) M)((s1 (x) s2) * x) for type 3, s = (a, b, b, ...)."""
    a1, b1, a2, b2 = scales
    n1, n2 = x.shape[-2:]
    s1 = np.full(n1, b1)
    s1[0] = a1
    s2 = np.full(n2, b2)
    s2[0] = a2
    s = np.outer(s1, s2)
    x = x.astype(np.float64)
    if n1 == 1:  # the length-1 axis: M2 = (2), M3 = (1)
        return s * (2 * sfft.dct(x, type=2, axis=-1)) if type == 2 else sfft.dct(s * x, type=3, axis=-1)
    return s * sfft.dctn(x, type=2, axes=(-2, -1)) if type == 2 else sfft.dctn(s * x, type=3, axes=(-2, -1))


def _rel_err(got, ref) -> float:
    return float(np.abs(got - ref).max() / np.abs(ref).max())


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("type", [2, 3])
def test_one_axis_every_radix(n, type):
    x = np.random.default_rng(n).standard_normal((37, 1, n))  # 37 rows: a partial panel of rows
    assert _rel_err(_panel(x, type), _scaled_reference(x, type, (1, 1, 1, 1))) < 1e-14
    assert _rel_err(_panel(x.astype(np.float32), type), _scaled_reference(x, type, (1, 1, 1, 1))) < 3e-6


@pytest.mark.parametrize("shape", [(1, 2, 2), (3, 6, 10), (2, 26, 14), (1, 48, 384), (2, 60, 24), (1, 384, 22),
                                   (4, 16, 16), (1, 420, 12)])
@pytest.mark.parametrize("type", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_axes_with_scales(shape, type, dtype):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    scales = tuple(rng.uniform(0.5, 2.0, 4))
    tol = 1e-14 if dtype == np.float64 else 3e-6
    assert _rel_err(_panel(x.astype(dtype), type, scales), _scaled_reference(x, type, scales)) < tol


@pytest.mark.parametrize("type", [2, 3])
def test_in_place_equals_out_of_place(type):
    x = np.random.default_rng(1).standard_normal((2, 24, 40))
    ref = _panel(x, type)
    y = x.copy()
    _panel(y, type, out=y)
    np.testing.assert_array_equal(y, ref)


def test_inverse_of_forward_is_identity():
    x = np.random.default_rng(2).standard_normal((3, 384, 1536))
    y = _panel(_panel(x, 2), 3)
    np.testing.assert_allclose(y, 4 * 384 * 1536 * x, rtol=0, atol=1e-9 * 4 * 384 * 1536)


def test_unsupported_lengths_are_refused():
    assert not fk._cpu.panel_dct_supported(9) and not fk._cpu.panel_dct_supported(34)  # odd; 17 is prime
    assert fk._cpu.panel_dct_supported(2 * 3 * 5 * 7 * 11 * 13)
    x = np.zeros((1, 4, 34))
    with pytest.raises(ValueError, match="even lengths"):
        _panel(x, 2)


@pytest.mark.parametrize("shape", [(6, 34), (34, 6), (9, 16), (17, 17)])
def test_public_dctn_falls_back_for_other_lengths(shape):
    x = np.random.default_rng(3).standard_normal(shape)
    for inverse in (False, True):
        got = (fk.idctn if inverse else fk.dctn)(torch.from_numpy(x), norm="ortho")
        ref = (sfft.idctn if inverse else sfft.dctn)(x, norm="ortho")
        assert _rel_err(got.numpy(), ref) < 1e-14


def test_threads_do_not_change_a_bit():
    x = torch.randn(3, 96, 160, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = fk.dctn(x, dim=(-2, -1), norm="ortho")
        torch.set_num_threads(2)
        two = fk.dctn(x, dim=(-2, -1), norm="ortho")
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, two)


def test_clear_workspace_releases_and_rebuilds():
    x = torch.randn(64, 48, dtype=torch.float64)
    ref = fk.dctn(x, norm="ortho")
    fk.clear_workspace()
    assert torch.equal(fk.dctn(x, norm="ortho"), ref)


_ISA_CHECK = """
import numpy as np, scipy.fft as sfft, torch, front_kernels as fk
print(fk._cpu.panel_dct_isa())
for dt, tol in ((torch.float64, 1e-14), (torch.float32, 3e-6)):
    x = torch.randn(5, 48, 384, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    for f, g in ((fk.dctn, sfft.dctn), (fk.idctn, sfft.idctn)):
        got = f(x.to(dt), dim=(-2, -1), norm="ortho").double().numpy()
        ref = g(x.numpy(), axes=(-2, -1), norm="ortho")
        assert np.abs(got - ref).max() < tol * np.abs(ref).max(), (dt, f)
"""


_ISAS = ("base", "avx2", "avx512")
# the instruction sets this CPU runs: every one up to the widest the kernels picked here
_HERE = _ISAS[: _ISAS.index(fk._cpu.panel_dct_isa()) + 1] if native.available() else ("base",)


@pytest.mark.parametrize("isa", _HERE)
def test_each_instruction_set_matches_scipy(isa):
    """FRONT_KERNELS_CPU_ISA caps the kernels' instruction set; each one this CPU has gives scipy's numbers."""
    env = {**os.environ, "FRONT_KERNELS_CPU_ISA": "" if isa == "avx512" else isa}
    run = subprocess.run([sys.executable, "-c", _ISA_CHECK], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == isa


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("lengths,stored,keep", [
    ((32, 48), (32, 48), (32, 48)),      # the plain transform
    ((64, 40), (32, 13), (64, 40)),      # zero-padded input (FRONT's growth)
    ((64, 40), (64, 40), (21, 20)),      # cropped output (FRONT's shrink: r_in > r_out, its own mid)
    ((96, 200), (48, 200), (32, 5)),
    ((64,), (17,), (64,)),               # one axis
    ((64,), (64,), (9,)),
])
def test_window_is_pad_transform_crop(lengths, stored, keep, inverse, dtype):
    from front_kernels._backends.reference.dct import ortho_window
    x = torch.randn((3,) + stored, dtype=dtype, generator=torch.Generator().manual_seed(5))
    padded = np.zeros((3,) + lengths)
    padded[(slice(None),) + tuple(slice(0, s) for s in stored)] = x.double().numpy()
    axes = tuple(range(-len(lengths), 0))
    full = (sfft.idctn if inverse else sfft.dctn)(padded, type=2, axes=axes, norm="ortho")
    want = full[(slice(None),) + tuple(slice(0, k) for k in keep)]
    got = ortho_window(x, lengths, keep, inverse)
    assert got.shape == want.shape and got.dtype == dtype
    tol = 2e-6 if dtype == torch.float32 else 1e-13
    np.testing.assert_allclose(got.double().numpy(), want, rtol=0, atol=tol * np.abs(want).max())
    into = torch.full(want.shape, float("nan"), dtype=dtype)
    assert ortho_window(x, lengths, keep, inverse, out=into) is into
    torch.testing.assert_close(into, got, rtol=0, atol=0)


def test_window_refuses_an_out_of_another_shape_or_dtype():
    x = torch.randn(2, 8, 8)
    factors = ((1.0, 1.0), (1.0, 1.0))
    for out in (torch.empty(2, 8, 7), torch.empty(2, 8, 8, dtype=torch.float64), torch.empty(2, 8, 16)[..., ::2]):
        with pytest.raises(ValueError, match="out must be"):
            native.dct_window(x, 2, (8, 8), (8, 8), factors, out=out)


def test_window_refuses_a_window_outside_the_lengths():
    x = torch.randn(2, 8, 8)
    with pytest.raises(ValueError, match="window"):
        native.dct_window(x, 2, (8, 8), (9, 8), ((1.0, 1.0), (1.0, 1.0)))
