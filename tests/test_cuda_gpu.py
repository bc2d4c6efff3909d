"""CUDA kernels (backend='cuda') on a GPU against the float64 reference backend.

Every test here is marked ``gpu`` and skipped when no CUDA device is present.
Shapes are not multiples of the kernels' tiles; batch dims, non-contiguous
inputs, float32/float16/bfloat16 and gradients are covered, with the shapes and
dtypes of the Triton tests. ``test_compute_sanitizer_memcheck`` reruns a small
subset (:data:`MEMCHECK_SUBSET`) under ``compute-sanitizer --tool memcheck``.
"""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.fft as sfft
import torch

import front_kernels as fk
from front_kernels._backends import reference
from front_kernels.wavelets import get_wavelet

cuda_backend = importlib.import_module("front_kernels._backends.cuda")
cuda_dwt = importlib.import_module("front_kernels._backends.cuda.dwt")
cuda_ops = importlib.import_module("front_kernels._backends.cuda._ops")
cuda_plans = importlib.import_module("front_kernels._backends.cuda._plans")

MEMCHECK_SUBSET = ("(test_dct2d_types_2_3_match_scipy and ortho) or (test_blocked_matches_scipy and ortho) "
                   "or test_resize_matches_reference or test_wavedec2_waverec2_match_reference")

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

# Relative (to the reference's max magnitude) tolerances, dominated by the output dtype's rounding.
RTOL = {torch.float32: 2e-5, torch.float16: 4e-3, torch.bfloat16: 2e-2}
DTYPES = (torch.float32, torch.float16, torch.bfloat16)
NORMS = ("backward", "ortho", "forward")


def assert_close_rel(actual, expected, rtol):
    actual = torch.as_tensor(actual)
    expected = torch.as_tensor(expected)
    assert tuple(actual.shape) == tuple(expected.shape), (actual.shape, expected.shape)
    err = (actual.detach().double().cpu() - expected.detach().double().cpu()).abs().max().item()
    scale = expected.detach().double().abs().max().item()
    assert err <= rtol * scale + 1e-30, f"max error {err:.3e} > {rtol:.1e} * {scale:.3e}"


def _randn(shape, dtype=torch.float32, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device="cuda", dtype=dtype)


@pytest.fixture(params=["fused", "per_dim"])
def dwt_path(request, monkeypatch):
    if request.param == "per_dim":
        monkeypatch.setattr(cuda_ops, "FUSED_2D", False)
    return request.param


# ------------------------------------------------------------------------------------------------
# DCT


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("type", [2, 3])
def test_dct2d_types_2_3_match_scipy(type, norm, inverse):
    x = _randn((2, 3, 19, 13), seed=type)
    y = cuda_backend.dct(x, type, (2, 3), norm, inverse)
    assert y.dtype == x.dtype and y.is_cuda
    f = sfft.idctn if inverse else sfft.dctn
    assert_close_rel(y, f(x.double().cpu().numpy(), type=type, axes=(2, 3), norm=norm), RTOL[torch.float32])


@pytest.mark.parametrize("type", [1, 4])
def test_dct_types_1_4_match_scipy(type):
    x = _randn((3, 17), seed=4)
    for inverse in (False, True):
        f = sfft.idct if inverse else sfft.dct
        y = cuda_backend.dct(x, type, (1,), "ortho", inverse)
        assert_close_rel(y, f(x.double().cpu().numpy(), type=type, axis=1, norm="ortho"), RTOL[torch.float32])


def test_dct_middle_dim_and_noncontiguous():
    base = _randn((7, 5, 22), seed=1)
    x = base.transpose(0, 2)[::2]
    assert not x.is_contiguous()
    assert_close_rel(cuda_backend.dct(x, 2, (1,), "backward", False), reference.dct(x.double(), 2, (1,), "backward", False),
                     RTOL[torch.float32])
    assert_close_rel(cuda_backend.dct(x, 3, (0, 2), "ortho", True), reference.dct(x.double(), 3, (0, 2), "ortho", True),
                     RTOL[torch.float32])


@pytest.mark.parametrize("dtype", DTYPES)
def test_dct_dtypes(dtype):
    x = _randn((2, 9, 21), dtype, seed=2)
    y = cuda_backend.dct(x, 2, (1, 2), "ortho", False)
    assert y.dtype == dtype
    assert_close_rel(y, reference.dct(x.double(), 2, (1, 2), "ortho", False), RTOL[dtype])


def test_public_api_dispatches_to_cuda():
    x = _randn((4, 6, 10), seed=3)
    y = fk.dctn(x, dim=(-2, -1), norm="ortho", backend="cuda")
    assert_close_rel(y, reference.dct(x.double(), 2, (1, 2), "ortho", False), RTOL[torch.float32])
    z = fk.idct(y, dim=1, norm="ortho", backend="cuda")
    assert_close_rel(z, reference.dct(y.double(), 2, (1,), "ortho", True), RTOL[torch.float32])


def test_dct_gradient_is_the_adjoint():
    x = _randn((3, 7, 9), seed=7).requires_grad_(True)
    g = _randn((3, 7, 9), seed=8)
    for type, norm, inverse in ((2, "ortho", False), (3, "forward", True), (1, "backward", False)):
        (gt,) = torch.autograd.grad(cuda_backend.dct(x, type, (1, 2), norm, inverse), x, g)
        xr = x.detach().double().requires_grad_(True)
        (gr,) = torch.autograd.grad(reference.dct(xr, type, (1, 2), norm, inverse), xr, g.double())
        assert_close_rel(gt, gr, RTOL[torch.float32])


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape,dims", [((1024, 1024), (0, 1)), ((12, 768, 3072), (1, 2)), ((4, 333, 517), (2,))])
@pytest.mark.parametrize("type,inverse", [(2, False), (2, True), (3, False)])
def test_dct_realistic_sizes(shape, dims, dtype, type, inverse):
    x = torch.randn(shape, device="cuda", dtype=dtype)
    y = cuda_backend.dct(x, type, dims, "ortho", inverse)
    assert_close_rel(y, reference.dct(x.double(), type, dims, "ortho", inverse), RTOL[dtype])


def test_dct_torch_compile_fullgraph():
    x = _randn((2, 12, 20), seed=9)
    compiled = torch.compile(lambda t: fk.dctn(t, dim=(-2, -1), norm="ortho", backend="cuda"), fullgraph=True)
    assert_close_rel(compiled(x), reference.dct(x.double(), 2, (1, 2), "ortho", False), RTOL[torch.float32])


# ------------------------------------------------------------------------------------------------
# blocked DCT


def _blocked_scipy(x, block, norm, inverse):
    a = x.double().cpu().numpy()
    *lead, h, w = a.shape
    tiles = a.reshape(*lead, h // block, block, w // block, block)
    f = sfft.idctn if inverse else sfft.dctn
    return torch.from_numpy(np.ascontiguousarray(f(tiles, type=2, axes=(-3, -1), norm=norm)).reshape(a.shape))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("norm", ["ortho", "backward", "forward"])
@pytest.mark.parametrize("block,shape", [(8, (2, 3, 24, 40)), (16, (48, 16)), (12, (2, 36, 24)), (64, (1, 64, 128))])
def test_blocked_matches_scipy(block, shape, norm, inverse):
    x = _randn(shape, seed=block)
    assert_close_rel(cuda_backend.blocked_dct2(x, block, norm, inverse), _blocked_scipy(x, block, norm, inverse),
                     RTOL[torch.float32])


@pytest.mark.parametrize("dtype", DTYPES)
def test_blocked_dtypes_and_noncontiguous(dtype):
    x = _randn((40, 3, 24), dtype, seed=9).permute(1, 2, 0)
    y = cuda_backend.blocked_dct2(x, 8, "ortho", False)
    assert y.dtype == dtype
    assert_close_rel(y, reference.blocked_dct2(x.double(), 8, "ortho", False), RTOL[dtype])


def test_blocked_public_api_round_trip_and_gradient():
    x = _randn((2, 32, 48), seed=10)
    y = fk.blocked_dct2(x, block=16, backend="cuda")
    assert_close_rel(y, _blocked_scipy(x, 16, "ortho", False), RTOL[torch.float32])
    assert_close_rel(fk.blocked_idct2(y, block=16, backend="cuda"), x, 4 * RTOL[torch.float32])
    xg = x.clone().requires_grad_(True)
    g = _randn((2, 32, 48), seed=11)
    (gt,) = torch.autograd.grad(cuda_backend.blocked_dct2(xg, 8, "forward", False), xg, g)
    xr = x.double().requires_grad_(True)
    (gr,) = torch.autograd.grad(reference.blocked_dct2(xr, 8, "forward", False), xr, g.double())
    assert_close_rel(gt, gr, RTOL[torch.float32])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("block", [8, 16, 32, 64])
@pytest.mark.parametrize("shape", [(4096, 4096), (12, 768, 3072)])
def test_blocked_realistic_sizes(shape, block, dtype):
    x = torch.randn(shape, device="cuda", dtype=dtype)
    for inverse in (False, True):
        y = cuda_backend.blocked_dct2(x, block, "ortho", inverse)
        assert_close_rel(y, reference.blocked_dct2(x.double(), block, "ortho", inverse), RTOL[dtype])


# ------------------------------------------------------------------------------------------------
# resize


def _mats(sizes_out, sizes_in, seed):
    g = torch.Generator().manual_seed(seed)
    return [None if m is None else torch.randn(m, n, dtype=torch.float64, generator=g)
            for m, n in zip(sizes_out, sizes_in)]


@pytest.mark.parametrize("rescale_std", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_resize_matches_reference(dtype, rescale_std):
    x = (3 * _randn((2, 5, 9, 13), seed=1) + 1).to(dtype)
    mats = _mats((3, None, 21), (5, 9, 13), 2)
    y = cuda_backend.resize(x, [None if m is None else m.float().cuda() for m in mats], rescale_std)
    assert y.dtype == dtype and y.shape == (2, 3, 9, 21)
    expected = reference.resize(x.double().cpu(), mats, rescale_std)
    assert_close_rel(y, expected, 2 * RTOL[dtype])


def test_resize_noncontiguous_input_and_public_api():
    x = _randn((11, 4, 6), seed=3).transpose(0, 2)
    mats = [torch.randn(5, 4, dtype=torch.float64), torch.randn(8, 11, dtype=torch.float64)]
    y = cuda_backend.resize(x, [m.float().cuda() for m in mats], True)
    assert_close_rel(y, reference.resize(x.double().cpu(), mats, True), 2 * RTOL[torch.float32])
    for method in ("dct", "dwt"):
        x = _randn((2, 12, 16), seed=5)
        y = fk.resize(x, (6, 32), method=method, rescale="std", backend="cuda")
        expected = fk.resize(x.double(), (6, 32), method=method, rescale="std", backend="reference")
        assert_close_rel(y, expected, 2 * RTOL[torch.float32])


@pytest.mark.parametrize("rescale_std", [False, True])
def test_resize_gradient(rescale_std):
    x = _randn((2, 3, 4), seed=6).requires_grad_(True)
    mats = [torch.randn(2, 3, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)]
    g = _randn((2, 2, 5), seed=7)
    (gt,) = torch.autograd.grad(cuda_backend.resize(x, [m.float().cuda() for m in mats], rescale_std), x, g)
    xr = x.detach().double().cpu().requires_grad_(True)
    (gr,) = torch.autograd.grad(reference.resize(xr, mats, rescale_std), xr, g.double().cpu())
    assert_close_rel(gt, gr, 1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("method", ["dct", "dwt"])
@pytest.mark.parametrize("src,dst", [((12, 768, 3072), (6, 384, 1536)), ((12, 384, 1536), (24, 768, 3072)),
                                     ((4096, 4096), (2048, 6144))])
def test_resize_realistic_sizes(src, dst, method, dtype):
    x = torch.randn(src, device="cuda", dtype=dtype)
    y = fk.resize(x, dst, method=method, rescale="std", backend="cuda")
    expected = fk.resize(x.double(), dst, method=method, rescale="std", backend="reference")
    assert_close_rel(y, expected, 2 * RTOL[dtype])


# ------------------------------------------------------------------------------------------------
# wavelets


@pytest.mark.parametrize("name,mode,shape,level", [
    ("haar", "periodization", (2, 16, 16), 3),
    ("haar", "zero", (3, 13, 10), 2),
    ("db2", "symmetric", (2, 1, 17, 23), 2),
    ("db3", "periodization", (21, 11), 2),
    ("db4", "zero", (2, 30, 19), 1),
    ("db2", "reflect", (2, 12, 9), 2),
    ("db8", "symmetric", (4, 70, 45), 2),
    ("db2", "smooth", (9, 14), 1),
])
def test_wavedec2_waverec2_match_reference(dwt_path, name, mode, shape, level):
    x = _randn(shape, seed=level)
    w = get_wavelet(name)
    dims = (x.ndim - 2, x.ndim - 1)
    got = cuda_backend.wavedecn(x, w, mode, level, dims)
    expected = reference.wavedecn(x.double(), w, mode, level, dims)
    assert_close_rel(got[0], expected[0], RTOL[torch.float32])
    for g, e in zip(got[1:], expected[1:]):
        assert set(g) == set(e)
        for key in e:
            assert_close_rel(g[key], e[key], RTOL[torch.float32])
    y = cuda_backend.waverecn(got, w, mode, dims)
    assert_close_rel(y, reference.waverecn(expected, w, mode, dims), RTOL[torch.float32])


@pytest.mark.parametrize("dtype", DTYPES)
def test_wavelet_dtypes_and_public_api(dwt_path, dtype):
    x = _randn((3, 2, 37, 26), dtype, seed=11)
    coeffs = fk.wavedec2(x, "db2", mode="periodization", level=2, backend="cuda")
    expected = fk.wavedec2(x.double(), "db2", mode="periodization", level=2, backend="reference")
    assert coeffs[0].dtype == dtype
    assert_close_rel(coeffs[0], expected[0], RTOL[dtype])
    for got, exp in zip(coeffs[1:], expected[1:]):
        for g, e in zip(got, exp):
            assert_close_rel(g, e, RTOL[dtype])
    back = fk.waverec2(coeffs, "db2", mode="periodization", backend="cuda")
    # As in pywt, periodization of the odd length 37 reconstructs 38 rows, the first 37 being x.
    assert_close_rel(back, fk.waverec2(expected, "db2", mode="periodization", backend="reference"), 4 * RTOL[dtype])
    assert_close_rel(back[..., :37, :], x, 4 * RTOL[dtype])


def test_dwtn_idwtn_nd_noncontiguous_and_missing_bands(dwt_path):
    x = _randn((9, 6, 11), seed=12).transpose(0, 2)
    w = get_wavelet("db3")
    for dims, mode in (((0, 1, 2), "symmetric"), ((2, 1), "zero"), ((1, 2), "periodization")):
        got = cuda_backend.dwtn(x, w, mode, dims)
        expected = reference.dwtn(x.double(), w, mode, dims)
        for key in expected:
            assert_close_rel(got[key], expected[key], RTOL[torch.float32])
        partial = {k: (None if k.endswith("d") else v) for k, v in got.items()}
        partial_ref = {k: (None if k.endswith("d") else v) for k, v in expected.items()}
        assert_close_rel(cuda_backend.idwtn(partial, w, mode, dims), reference.idwtn(partial_ref, w, mode, dims),
                         RTOL[torch.float32])


def test_large_slices_fall_back_to_the_per_dim_path():
    x = _randn((2, 300, 301), seed=13)
    w = get_wavelet("db2")
    got = cuda_backend.wavedecn(x, w, "symmetric", 3, (1, 2))
    expected = reference.wavedecn(x.double(), w, "symmetric", 3, (1, 2))
    assert_close_rel(got[0], expected[0], RTOL[torch.float32])
    assert_close_rel(got[1]["dd"], expected[1]["dd"], RTOL[torch.float32])


@pytest.mark.parametrize("mode", ["zero", "symmetric", "periodization"])
def test_wavelet_gradients_match_reference(dwt_path, mode):
    w = get_wavelet("db2")
    x = _randn((2, 13, 18), seed=14).requires_grad_(True)
    xr = x.detach().double().requires_grad_(True)
    got = cuda_backend.wavedecn(x, w, mode, 2, (1, 2))
    exp = reference.wavedecn(xr, w, mode, 2, (1, 2))
    gen = torch.Generator().manual_seed(15)
    weights = [torch.randn(exp[0].shape, generator=gen, dtype=torch.float64)]
    loss_g = (got[0] * weights[0].cuda().float()).sum()
    loss_e = (exp[0] * weights[0].cuda()).sum()
    for g, e in zip(got[1:], exp[1:]):
        for key in e:
            r = torch.randn(e[key].shape, generator=gen, dtype=torch.float64).cuda()
            loss_g = loss_g + (g[key] * r.float()).sum()
            loss_e = loss_e + (e[key] * r).sum()
    (gg,) = torch.autograd.grad(loss_g, x)
    (ge,) = torch.autograd.grad(loss_e, xr)
    assert_close_rel(gg, ge, RTOL[torch.float32])
    coeffs = [c.detach().requires_grad_(True) if isinstance(c, torch.Tensor) else
              {k: v.detach().requires_grad_(True) for k, v in c.items()} for c in got]
    y = cuda_backend.waverecn(coeffs, w, mode, (1, 2))
    ref_coeffs = [c.detach().double().requires_grad_(True) if isinstance(c, torch.Tensor) else
                  {k: v.detach().double().requires_grad_(True) for k, v in c.items()} for c in got]
    yr = reference.waverecn(ref_coeffs, w, mode, (1, 2))
    gy = torch.randn(yr.shape, generator=gen, dtype=torch.float64).cuda()
    leaves = [coeffs[0]] + [v for d in coeffs[1:] for v in d.values()]
    ref_leaves = [ref_coeffs[0]] + [v for d in ref_coeffs[1:] for v in d.values()]
    grads = torch.autograd.grad(y, leaves, gy.float())
    ref_grads = torch.autograd.grad(yr, ref_leaves, gy)
    for a, b in zip(grads, ref_grads):
        assert_close_rel(a, b, RTOL[torch.float32])


def test_wavelet_torch_compile_fullgraph():
    x = _randn((2, 24, 20), seed=16)

    def roundtrip(t):
        return fk.waverec2(fk.wavedec2(t, "db2", mode="symmetric", level=2, backend="cuda"), "db2",
                           mode="symmetric", backend="cuda")

    compiled = torch.compile(roundtrip, fullgraph=True)
    assert_close_rel(compiled(x), roundtrip(x), 1e-6)


# ------------------------------------------------------------------------------------------------
# registration, errors, memcheck


def test_custom_ops_pass_opcheck():
    x = _randn((3, 10, 12), seed=17)
    db2 = cuda_plans.filters_of(get_wavelet("db2"))
    torch.library.opcheck(cuda_ops.dct_axes, (x, 2, [2, 1], "ortho", False, False))
    torch.library.opcheck(cuda_ops.apply_matrices, (x, [_randn((5, 12), seed=19)], [2], False))
    torch.library.opcheck(cuda_ops.blocked_dct2, (_randn((2, 8, 12), seed=18), 4, "backward", True, False))
    torch.library.opcheck(cuda_ops.wavelet2d_levels, (x, db2, "zero", [10, 12, 2], "analysis"))
    torch.library.opcheck(cuda_ops.wavelet_axes, (x, db2, "symmetric", [0, 2], [3, 12], "analysis"))
    torch.library.opcheck(cuda_ops.restandardize, (x, _randn((3, 4, 5), seed=20), 2))


def test_launch_errors_carry_the_cuda_error_string():
    ext = importlib.import_module("front_kernels._cuda")
    x = _randn((4, 4))
    a = torch.eye(4, device="cuda")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ext.dct_matrix_axis(a.data_ptr(), 4, 4, x.data_ptr(), [16, 4, 1], 0, x.data_ptr(), [16, 4, 1], 0, 1, 4,
                            torch.cuda.device_count() + 7, torch.cuda.current_stream().cuda_stream)


def _sanitizer() -> str | None:
    for home in (os.environ.get("CUDA_HOME"), "/usr/local/cuda"):
        if home and Path(home, "bin", "compute-sanitizer").is_file():
            return str(Path(home, "bin", "compute-sanitizer"))
    return shutil.which("compute-sanitizer")


@pytest.mark.skipif(os.environ.get("FRONT_KERNELS_IN_SANITIZER") == "1", reason="already under the sanitizer")
def test_compute_sanitizer_memcheck():
    tool = _sanitizer()
    if tool is None:
        pytest.skip("compute-sanitizer is not installed next to the CUDA toolkit")
    env = dict(os.environ, FRONT_KERNELS_IN_SANITIZER="1")
    cmd = [tool, "--tool", "memcheck", "--error-exitcode", "97", sys.executable, "-m", "pytest", "-q", "-x",
           "-k", MEMCHECK_SUBSET, "-p", "no:cacheprovider", str(Path(__file__))]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
