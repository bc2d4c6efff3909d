"""DST types 1-4 and scipy's DCT argument conventions, against scipy.fft."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.fft as sf
import torch

from conftest import rel_err
from triton_support import interpreter  # noqa: F401

import front_kernels as fk

NORMS = [None, "backward", "ortho", "forward"]


@pytest.mark.parametrize("name", ["dst", "idst", "dct", "idct"])
def test_1d_every_type_norm_orthogonalize_and_n_match_scipy(name):
    rng = np.random.default_rng(0)
    for t in (1, 2, 3, 4):
        for norm in NORMS:
            for orth in (None, False, True):
                for n_in, n in ((5, None), (7, 4), (3, 6), (2, None)):
                    x = rng.standard_normal((3, n_in))
                    ref = getattr(sf, name)(x, t, n=n, axis=0 if n is None else -1, norm=norm,
                                            orthogonalize=orth)
                    got = getattr(fk, name)(torch.from_numpy(x), t, n=n, axis=0 if n is None else -1, norm=norm,
                                            orthogonalize=orth)
                    assert rel_err(got, ref) < 1e-12, (name, t, norm, orth, n_in, n)


@pytest.mark.parametrize("name", ["dstn", "idstn", "dctn", "idctn"])
def test_nd_s_and_axes_match_scipy(name):
    x = np.random.default_rng(1).standard_normal((4, 5, 6))
    for t in (1, 2, 3, 4):
        for s, axes in ((None, None), ((3, 7), (0, 2)), (np.array([4, 4]), None), (4, 0), (None, 1), ([-1, 3], None)):
            ref = getattr(sf, name)(x, t, s=s, axes=axes, norm="forward")
            got = getattr(fk, name)(torch.from_numpy(x), t, s=s, axes=axes, norm="forward")
            assert rel_err(got, ref) < 1e-12, (name, t, s, axes)


def test_scipy_argument_errors():
    x = torch.randn(4, 4)
    with pytest.raises(ValueError, match="same length"):
        fk.dctn(x, s=32, axes=(0, 1))
    with pytest.raises(ValueError):
        fk.dstn(x, s=[4.5])
    with pytest.raises(TypeError):
        fk.dct(x, axis=0, dim=1)
    assert fk.idctn(x, s=np.array([4, 4])).shape == (4, 4)
    assert fk.idctn(x, s=6, dim=0).shape == (6, 4)
    assert fk.dct(x, 2, np.int64(3), np.int64(0)).shape == (3, 4)


@pytest.mark.parametrize("t", [1, 2, 3, 4])
def test_dst_gradcheck(t):
    x = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: fk.dst(v, t, norm="ortho", orthogonalize=False), (x,))
    assert torch.autograd.gradcheck(lambda v: fk.idstn(v, t, s=(4, 7)), (x,))


def test_dst_torch_compile_fullgraph():
    x = torch.randn(4, 9)

    @torch.compile(fullgraph=True, backend="aot_eager")
    def f(v):
        return fk.dstn(v, 2, norm="ortho") + fk.idst(v, 1)

    torch.testing.assert_close(f(x), fk.dstn(x, 2, norm="ortho") + fk.idst(x, 1))


@pytest.mark.parametrize("t", [1, 2, 3, 4])
def test_dst_on_the_triton_backend(interpreter, t):
    x = torch.randn(3, 7, generator=torch.Generator().manual_seed(t))
    for name in ("dst", "idst"):
        got = getattr(fk, name)(x, t, norm="ortho", backend="triton")
        ref = getattr(sf, name)(x.double().numpy(), t, norm="ortho")
        assert rel_err(got, ref) < 2e-6, (name, t)
