"""DCT / IDCT against scipy.fft for every type, norm, size parity, dim and dtype."""
import itertools

import numpy as np
import pytest
import scipy.fft as sf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import front_kernels as fk
from conftest import TOL, rel_err

NORMS = [None, "backward", "ortho", "forward"]
TYPES = [1, 2, 3, 4]
SIZES = [1, 2, 3, 4, 5, 8, 9, 16, 17, 33]


# DCT type 1 is undefined for one point (scipy raises too; tested in test_bad_arguments...)
@pytest.mark.parametrize("type,n", [(t, n) for t in TYPES for n in SIZES if not (t == 1 and n < 2)])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("inverse", [False, True])
def test_dct_1d_matches_scipy(type, norm, n, inverse, rng):
    x = rng.standard_normal((3, n, 2))
    f, ours = (sf.idct, fk.idct) if inverse else (sf.dct, fk.dct)
    ref = f(x, type=type, axis=1, norm=norm)
    assert rel_err(ours(torch.from_numpy(x), type=type, dim=1, norm=norm), ref) < TOL[torch.float64]
    got32 = ours(torch.from_numpy(x).float(), type=type, dim=1, norm=norm)
    assert got32.dtype == torch.float32
    assert rel_err(got32, ref) < TOL[torch.float32]


ND_CASES = [((5, 6, 7), (1, 2)), ((4, 9, 3), (0, 2)), ((3, 8, 8), (2, 1)), ((2, 3, 5, 4), (0, 1, 3)),
            ((2, 1), None), ((6, 7), None)]


@pytest.mark.parametrize("type,shape,dim", [
    (t, shape, dim) for t in TYPES for shape, dim in ND_CASES
    if not (t == 1 and min(shape[a] for a in (dim if dim is not None else range(len(shape)))) < 2)
])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("inverse", [False, True])
def test_dctn_matches_scipy(type, norm, inverse, shape, dim, rng):
    x = rng.standard_normal(shape)
    axes = dim if dim is not None else tuple(range(len(shape)))
    f, ours = (sf.idctn, fk.idctn) if inverse else (sf.dctn, fk.dctn)
    ref = f(x, type=type, axes=axes, norm=norm)
    assert rel_err(ours(torch.from_numpy(x), type=type, dim=dim, norm=norm), ref) < TOL[torch.float64]
    assert rel_err(ours(torch.from_numpy(x).float(), type=type, dim=dim, norm=norm), ref) < TOL[torch.float32]


@pytest.mark.parametrize("n", [3, 6, 11])
@pytest.mark.parametrize("type", [2, 3])
def test_n_truncates_or_pads_like_scipy(n, type, rng):
    x = rng.standard_normal((2, 7))
    for norm in ["ortho", None]:
        assert rel_err(fk.dct(torch.from_numpy(x), type=type, n=n, norm=norm), sf.dct(x, type=type, n=n, norm=norm)) < 1e-10
        assert rel_err(fk.idct(torch.from_numpy(x), type=type, n=n, norm=norm), sf.idct(x, type=type, n=n, norm=norm)) < 1e-10


def test_dctn_s_selects_trailing_dims_like_scipy(rng):
    x = rng.standard_normal((3, 6, 5))
    ref = sf.dctn(x, s=(4, 8), norm="ortho")
    assert rel_err(fk.dctn(torch.from_numpy(x), s=(4, 8), norm="ortho"), ref) < 1e-10
    ref = sf.idctn(x, s=(4, 8), axes=(0, 2))
    assert rel_err(fk.idctn(torch.from_numpy(x), s=(4, 8), dim=(0, 2)), ref) < 1e-10


def test_non_contiguous_input(rng):
    x = torch.from_numpy(rng.standard_normal((9, 12, 10)))
    view = x.transpose(0, 2)[:, ::2]
    assert not view.is_contiguous()
    ref = sf.dctn(view.numpy(), axes=(1, 2), norm="ortho")
    assert rel_err(fk.dctn(view, dim=(1, 2), norm="ortho"), ref) < 1e-10


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_computes_in_float32(dtype, rng):
    x = torch.from_numpy(rng.standard_normal((4, 16))).to(dtype)
    y = fk.dct(x, norm="ortho")
    assert y.dtype == dtype
    ref = sf.dct(x.double().numpy(), norm="ortho")
    assert rel_err(y, ref) < (1e-2 if dtype == torch.bfloat16 else 2e-3)


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize("norm", NORMS)
def test_round_trip(type, norm, rng):
    x = torch.from_numpy(rng.standard_normal((2, 7, 6)))
    assert rel_err(fk.idctn(fk.dctn(x, type=type, norm=norm), type=type, norm=norm), x) < 1e-12
    assert rel_err(fk.idct(fk.dct(x, type=type, norm=norm, dim=1), type=type, norm=norm, dim=1), x) < 1e-12


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    type=st.sampled_from([2, 3, 4]),
    norm=st.sampled_from(NORMS),
    data=st.data(),
)
def test_dctn_fuzz_against_scipy_and_round_trip(shape, type, norm, data):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    x = np.random.default_rng(len(shape) * 31 + sum(shape)).standard_normal(shape)
    t = torch.from_numpy(x)
    y = fk.dctn(t, type=type, dim=axes, norm=norm)
    assert rel_err(y, sf.dctn(x, type=type, axes=axes, norm=norm)) < 1e-10
    assert rel_err(fk.idctn(y, type=type, dim=axes, norm=norm), x) < 1e-10


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize("norm", ["ortho", None, "forward"])
def test_gradcheck(type, norm):
    x = torch.randn(2, 5, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: fk.dctn(a, type=type, dim=(1, 2), norm=norm), (x,))
    assert torch.autograd.gradcheck(lambda a: fk.idct(a, type=type, dim=1, norm=norm), (x,))


def test_torch_compile_fullgraph():
    x = torch.randn(3, 8, 6)

    @torch.compile(fullgraph=True)
    def f(a):
        return fk.idctn(fk.dctn(a, norm="ortho", dim=(-2, -1)) * 2, norm="ortho", dim=(-2, -1))

    assert rel_err(f(x), 2 * x) < 1e-5


@pytest.mark.parametrize("bad,exc,match", [
    (torch.arange(6), TypeError, "x must be a real floating"),
    (torch.zeros(3, dtype=torch.complex64), TypeError, "x must be a real floating"),
    (torch.zeros(3, dtype=torch.bool), TypeError, "x must be a real floating"),
    (torch.zeros(0), ValueError, "x must not be empty"),
    ([1.0, 2.0], TypeError, "x must be a torch.Tensor"),
])
def test_bad_tensors_are_rejected(bad, exc, match):
    with pytest.raises(exc, match=match):
        fk.dct(bad)
    with pytest.raises(exc, match=match):
        fk.idctn(bad)


def test_bad_arguments_name_the_argument():
    x = torch.randn(4, 5)
    with pytest.raises(ValueError, match="type must be 1, 2, 3 or 4"):
        fk.dct(x, type=5)
    with pytest.raises(ValueError, match="norm must be"):
        fk.dct(x, norm="orthonormal")
    with pytest.raises(ValueError, match="dim=2 is out of range"):
        fk.dct(x, dim=2)
    with pytest.raises(ValueError, match="repeats a dimension"):
        fk.dctn(x, dim=(1, -1))
    with pytest.raises(ValueError, match="n must be >= 1"):
        fk.dct(x, n=0)
    with pytest.raises(ValueError, match="s has 3 entries"):
        fk.dctn(x, s=(2, 2, 2), dim=(0, 1))
    with pytest.raises(ValueError, match="type 1 needs at least 2 points"):
        fk.dct(torch.randn(3, 1), type=1)
