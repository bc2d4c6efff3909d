"""Blocked (tile-local) 2-D DCT against scipy.fft.dctn applied tile by tile."""
import numpy as np
import pytest
import scipy.fft as sf
import torch

import front_kernels as fk
from conftest import rel_err


def _tilewise(x: np.ndarray, block: int, norm, inverse: bool) -> np.ndarray:
    f = sf.idctn if inverse else sf.dctn
    out = np.empty_like(x)
    for i in range(0, x.shape[-2], block):
        for j in range(0, x.shape[-1], block):
            out[..., i:i + block, j:j + block] = f(x[..., i:i + block, j:j + block], axes=(-2, -1), norm=norm)
    return out


@pytest.mark.parametrize("block", [4, 8, 16, 32, 64])
@pytest.mark.parametrize("inverse", [False, True])
def test_blocked_matches_tilewise_scipy(block, inverse, rng):
    x = rng.standard_normal((2, block * 2, block * 3))
    ours = fk.blocked_idct2 if inverse else fk.blocked_dct2
    ref = _tilewise(x, block, "ortho", inverse)
    assert rel_err(ours(torch.from_numpy(x), block=block), ref) < 1e-10
    assert rel_err(ours(torch.from_numpy(x).float(), block=block), ref) < 2e-5


@pytest.mark.parametrize("norm", [None, "forward"])
def test_blocked_other_norms(norm, rng):
    x = rng.standard_normal((8, 16))
    assert rel_err(fk.blocked_dct2(torch.from_numpy(x), 8, norm=norm), _tilewise(x, 8, norm, False)) < 1e-10
    y = fk.blocked_dct2(torch.from_numpy(x), 8, norm=norm)
    assert rel_err(fk.blocked_idct2(y, 8, norm=norm), x) < 1e-12


def test_blocked_pad_zero_fills_partial_tiles(rng):
    x = rng.standard_normal((3, 10, 13))
    padded = np.zeros((3, 16, 16))
    padded[:, :10, :13] = x
    got = fk.blocked_dct2(torch.from_numpy(x), 8, pad=True)
    assert got.shape == (3, 16, 16)
    assert rel_err(got, _tilewise(padded, 8, "ortho", False)) < 1e-10


def test_blocked_round_trip_non_contiguous(rng):
    x = torch.from_numpy(rng.standard_normal((16, 24))).T
    assert rel_err(fk.blocked_idct2(fk.blocked_dct2(x, 8), 8), x) < 1e-12


def test_blocked_gradcheck():
    x = torch.randn(8, 12, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: fk.blocked_dct2(a, 4), (x,))


def test_blocked_bad_input():
    x = torch.randn(10, 16)
    with pytest.raises(ValueError, match="not multiples of block=8; pass pad=True"):
        fk.blocked_dct2(x, 8)
    with pytest.raises(ValueError, match="block must be an int in \\[4, 64\\]"):
        fk.blocked_dct2(torch.randn(128, 128), 128)
    with pytest.raises(ValueError, match="block must be an int"):
        fk.blocked_dct2(torch.randn(8, 8), 3)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fk.blocked_dct2(torch.randn(16), 8)
    with pytest.raises(TypeError, match="x must be a real floating"):
        fk.blocked_dct2(torch.ones(8, 8, dtype=torch.int32), 8)
