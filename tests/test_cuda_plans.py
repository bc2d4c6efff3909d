"""The CUDA backend's host side and custom ops, checked on the CPU.

What the kernels compute is fixed by matrices, banded tables and level plans
built in Python. Here each launcher of :mod:`front_kernels._backends.cuda._launch`
is replaced by a literal float64 emulation of its kernel's loops (the same
reads and writes as csrc/), and the backend's entry points run end to end on
CPU tensors: custom ops, fake kernels, autograd (gradcheck) and torch.compile,
compared with PyWavelets, scipy.fft and the reference backend. The kernels
themselves run in test_cuda_gpu.py.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import pywt
import scipy.fft as sfft
import torch

from front_kernels._backends import reference
from front_kernels._backends.cuda import _launch, _ops, _plans, _tables
from front_kernels.wavelets import get_wavelet

cuda_dct = importlib.import_module("front_kernels._backends.cuda.dct")
cuda_dwt = importlib.import_module("front_kernels._backends.cuda.dwt")
cuda_resize = importlib.import_module("front_kernels._backends.cuda.resize")
reference_resize = importlib.import_module("front_kernels._backends.reference.resize")

MODES = ("zero", "symmetric", "periodization", "reflect", "periodic", "smooth", "constant", "antisymmetric",
         "antireflect")


# ------------------------------------------------------------------------------------------------
# literal emulations of the kernels (float64 in, float64 out; other dtypes: out_dtype)


def _out(y, x, out_dtype):
    return y if x.dtype == torch.float64 else y.to(out_dtype)


def _apply_last(v, idx, w):  # out[..., r] = sum_t w[r, t] v[..., idx[r, t]]  (idx < 0: no term)
    mask = idx >= 0
    return (v[..., idx.long().clamp(min=0)] * (w.double() * mask)).sum(-1)


def emu_matrix_axis(x, mat, dim, out_dtype):
    y = torch.tensordot(mat.double(), x.double().movedim(dim, 0), dims=1).movedim(0, dim)
    return _out(y, x, out_dtype)


def emu_sparse_axis(x, idx, weights, dim, out_dtype):
    return _out(_apply_last(x.double().movedim(dim, -1), idx, weights).movedim(-1, dim), x, out_dtype)


def emu_blocked(x, mat, block):
    *lead, h, w = x.shape
    tiles = x.double().reshape(*lead, h // block, block, w // block, block).transpose(-3, -2)
    a = mat.double()
    y = (a @ tiles @ a.T).transpose(-3, -2)
    return _out(y.reshape(x.shape), x, x.dtype)


def _flat(idx, w, off, rows, taps):
    n = rows * taps
    return idx[off:off + n].reshape(rows, taps), w[off:off + n].reshape(rows, taps)


def emu_dwt2_fused(x, idx, w, plan, synthesis):
    rows, buf0, buf1, approx_off, packed_len, height, width = _launch._plan_parts(plan)
    for in_h, in_w, kr, kc, *_ in rows:
        assert max(in_h * in_w, kr * kc) <= buf0 and in_h * 2 * kc <= buf1
    xd = x.double()
    if not synthesis:
        lead = x.shape[:-2]
        cur = xd.reshape(-1, height, width)
        out = torch.full((cur.shape[0], packed_len), float("nan"), dtype=torch.float64)
        for in_h, in_w, kr, kc, tr, tc, off_r, off_c, band_off in rows:
            assert cur.shape[1:] == (in_h, in_w)
            tmp = _apply_last(cur, *_flat(idx, w, off_c, 2 * kc, tc))
            full = _apply_last(tmp.transpose(1, 2), *_flat(idx, w, off_r, 2 * kr, tr)).transpose(1, 2)
            for b, (rs, cs) in enumerate([(slice(kr, None), slice(None, kc)), (slice(None, kr), slice(kc, None)),
                                          (slice(kr, None), slice(kc, None))]):
                start = band_off + b * kr * kc
                out[:, start:start + kr * kc] = full[:, rs, cs].reshape(-1, kr * kc)
            cur = full[:, :kr, :kc]
        out[:, approx_off:approx_off + cur[0].numel()] = cur.reshape(cur.shape[0], -1)
        assert not out.isnan().any(), "the packed layout leaves gaps"
        return _out(out.reshape(*lead, packed_len), x, x.dtype)
    lead = x.shape[:-1]
    packed = xd.reshape(-1, packed_len)
    kr, kc = rows[-1][2], rows[-1][3]
    cur = packed[:, approx_off:approx_off + kr * kc].reshape(-1, kr, kc)
    for l in range(len(rows) - 1, -1, -1):
        in_h, in_w, kr, kc, tr, tc, off_r, off_c, band_off = rows[l]
        bands = [packed[:, band_off + b * kr * kc: band_off + (b + 1) * kr * kc].reshape(-1, kr, kc)
                 for b in range(3)]
        quad = torch.cat([torch.cat([cur, bands[1]], 2), torch.cat([bands[0], bands[2]], 2)], 1)
        tmp = _apply_last(quad.transpose(1, 2), *_flat(idx, w, off_r, in_h, tr)).transpose(1, 2)
        cur = _apply_last(tmp, *_flat(idx, w, off_c, in_w, tc))
    return _out(cur.reshape(*lead, height, width), x, x.dtype)


def emu_restandardize(x, y, k):
    return _out(reference_resize._standardise_like(y.double(), x.double(), k), x, x.dtype)


@pytest.fixture
def emulated(monkeypatch):
    monkeypatch.setattr(_launch, "matrix_axis_launch", emu_matrix_axis)
    monkeypatch.setattr(_launch, "sparse_axis_launch", emu_sparse_axis)
    monkeypatch.setattr(_launch, "blocked_dct2_launch", emu_blocked)
    monkeypatch.setattr(_launch, "dwt2_fused_launch", emu_dwt2_fused)
    monkeypatch.setattr(_launch, "restandardize_launch", emu_restandardize)
    monkeypatch.setattr(_ops, "_shared_bytes_limit", lambda device: 1 << 30)


@pytest.fixture
def fused(emulated):
    return "fused"


@pytest.fixture
def per_level(emulated, monkeypatch):
    monkeypatch.setattr(_ops, "FUSED_2D", False)
    return "per_level"


def _close(a, b, tol=1e-6):  # the kernels' tables and matrices hold float32 numbers
    a = a.detach().double() if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a, np.float64))
    b = b.detach().double() if isinstance(b, torch.Tensor) else torch.as_tensor(np.asarray(b, np.float64))
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max(b.abs().max().item(), 1e-30)
    assert (a - b).abs().max().item() <= tol * scale


def _x(shape, seed=0, requires_grad=False):
    return torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed),
                       requires_grad=requires_grad)


# ------------------------------------------------------------------------------------------------
# wavelet tables


@pytest.mark.parametrize("name", ["haar", "db3"])
@pytest.mark.parametrize("mode", MODES)
def test_tables_are_the_reference_transforms(name, mode):
    w = get_wavelet(name)
    for n in (1, 2, 5, 12, 19):
        analysis = _tables.dense(_tables.analysis_table(n, w, mode), n)
        y = reference.dwt._analysis(torch.eye(n, dtype=torch.float64), 1, w, mode)
        _close(torch.from_numpy(analysis), torch.cat([y[0].T, y[1].T]), 1e-12)
        _close(torch.from_numpy(_tables.dense(_tables.analysis_table_t(n, w, mode), analysis.shape[0])),
               torch.from_numpy(analysis.T), 1e-15)
        length = analysis.shape[0] // 2
        rows = _tables.synthesis_len(length, w, mode)
        if rows < 1:
            continue
        coeffs = torch.eye(2 * length, dtype=torch.float64).reshape(2 * length, 2, length).permute(1, 0, 2)
        expected = reference.dwt._synthesis(coeffs, 1, w, mode).T
        _close(torch.from_numpy(_tables.dense(_tables.synthesis_table(length, w, mode, rows), 2 * length)), expected,
               1e-12)


# ------------------------------------------------------------------------------------------------
# wavelets through the backend's entry points


@pytest.mark.parametrize("path", ["fused", "per_level"])
@pytest.mark.parametrize("name,mode,shape,level", [
    ("haar", "periodization", (2, 16, 16), 3),
    ("haar", "zero", (3, 13, 10), 2),
    ("db2", "symmetric", (2, 1, 17, 23), 2),
    ("db3", "periodization", (21, 11), 2),
    ("db4", "zero", (2, 30, 19), 1),
    ("db2", "smooth", (9, 14), 1),
])
def test_wavedec2_waverec2_match_pywt(request, path, name, mode, shape, level):
    request.getfixturevalue(path)
    x = _x(shape, level)
    w = get_wavelet(name)
    dims = (x.ndim - 2, x.ndim - 1)
    coeffs = cuda_dwt.wavedecn(x, w, mode, level, dims)
    expected = pywt.wavedec2(x.numpy(), name, mode=mode, level=level, axes=(-2, -1))
    _close(coeffs[0], expected[0])
    for got, (cH, cV, cD) in zip(coeffs[1:], expected[1:]):
        _close(got["da"], cH)
        _close(got["ad"], cV)
        _close(got["dd"], cD)
    _close(cuda_dwt.waverecn(coeffs, w, mode, dims), pywt.waverec2(expected, name, mode=mode, axes=(-2, -1)))


@pytest.mark.parametrize("path", ["fused", "per_level"])
def test_dwtn_idwtn_single_level_match_pywt(request, path):
    request.getfixturevalue(path)
    x = _x((2, 11, 14), 3)
    w = get_wavelet("db2")
    for mode in ("zero", "symmetric", "periodization"):
        got = cuda_dwt.dwtn(x, w, mode, (1, 2))
        expected = pywt.dwtn(x.numpy(), "db2", mode=mode, axes=(1, 2))
        assert set(got) == set(expected)
        for key in expected:
            _close(got[key], expected[key])
        partial = {k: (None if k == "dd" else v) for k, v in got.items()}
        ref = pywt.idwtn({k: (None if k == "dd" else v) for k, v in expected.items()}, "db2", mode=mode,
                         axes=(1, 2))
        _close(cuda_dwt.idwtn(partial, w, mode, (1, 2)), ref)


def test_nd_and_reordered_dims(emulated):
    x = _x((5, 6, 9), 4)
    w = get_wavelet("db2")
    got = cuda_dwt.wavedecn(x, w, "symmetric", 2, (0, 1, 2))
    expected = pywt.wavedecn(x.numpy(), "db2", mode="symmetric", level=2)
    _close(got[0], expected[0])
    for g, e in zip(got[1:], expected[1:]):
        for key in e:
            _close(g[key], e[key])
    _close(cuda_dwt.waverecn(got, w, "symmetric", (0, 1, 2)), pywt.waverecn(expected, "db2", mode="symmetric"))
    swapped = cuda_dwt.dwtn(x, w, "zero", (2, 1))
    ref = pywt.dwtn(x.numpy(), "db2", mode="zero", axes=(2, 1))
    for key in ref:
        _close(swapped[key], ref[key])


@pytest.mark.parametrize("path,mode", [("fused", "zero"), ("per_level", "symmetric"), ("fused", "periodization")])
def test_wavelet_gradcheck(request, path, mode):
    """The backward ops (transposed tables, the paired transform) are the exact adjoints."""
    request.getfixturevalue(path)
    w = get_wavelet("db2")
    x = _x((1, 9, 7), 5, requires_grad=True)

    def decompose(t):
        c = cuda_dwt.wavedecn(t, w, mode, 2, (1, 2))
        return (c[0],) + tuple(v for d in c[1:] for v in d.values())

    assert torch.autograd.gradcheck(decompose, (x,))
    sizes = [c.shape for c in decompose(x.detach())]
    leaves = [_x(s, 6 + i, requires_grad=True) for i, s in enumerate(sizes)]

    def reconstruct(*ts):
        it = iter(ts[1:])
        coeffs = [ts[0]] + [{k: next(it) for k in ("da", "ad", "dd")} for _ in range(2)]
        return cuda_dwt.waverecn(coeffs, w, mode, (1, 2))

    assert torch.autograd.gradcheck(reconstruct, tuple(leaves))
    y = _x((2, 6, 5), 9, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: tuple(cuda_dwt.dwtn(t, w, mode, (0, 2)).values()), (y,))


def test_synthesis_plan_rejects_mismatched_levels():
    with pytest.raises(ValueError, match="cannot match"):
        _plans.plan_2d("synthesis", (20, 20, 4, 4), get_wavelet("db4"), "zero")


def test_wavelet_ops_check_their_input_sizes(emulated):
    w = _plans.filters_of(get_wavelet("db2"))
    with pytest.raises(ValueError, match="must end in dims"):
        _ops.wavelet2d_levels(_x((2, 9, 7)), w, "zero", [9, 8, 1], "analysis")
    with pytest.raises(ValueError, match="dim 1 of x has size"):
        _ops.wavelet_axes(_x((2, 9, 7)), w, "zero", [1], [8], "analysis")


# ------------------------------------------------------------------------------------------------
# DCT, blocked DCT, resize


@pytest.mark.parametrize("type,norm", [(1, "ortho"), (2, "backward"), (2, "ortho"), (3, "forward"), (4, "ortho")])
def test_dct_matches_scipy_and_gradcheck(emulated, type, norm):
    x = _x((2, 5, 6), type, requires_grad=True)
    for inverse in (False, True):
        got = cuda_dct.dct(x, type, (1, 2), norm, inverse)
        f = sfft.idctn if inverse else sfft.dctn
        _close(got, f(x.detach().numpy(), type=type, axes=(1, 2), norm=norm), 2e-7)
    assert torch.autograd.gradcheck(lambda t: cuda_dct.dct(t, type, (2, 0), norm, True), (x,))


@pytest.mark.parametrize("norm", ["ortho", "backward"])
def test_blocked_matches_reference_and_gradcheck(emulated, norm):
    x = _x((1, 8, 12), 2, requires_grad=True)
    for inverse in (False, True):
        _close(cuda_dct.blocked_dct2(x, 4, norm, inverse), reference.blocked_dct2(x.detach(), 4, norm, inverse), 2e-7)
    assert torch.autograd.gradcheck(lambda t: cuda_dct.blocked_dct2(t, 4, norm, False), (x,))


@pytest.mark.parametrize("rescale_std", [False, True])
def test_resize_matches_reference_and_gradcheck(emulated, rescale_std):
    x = _x((2, 6, 9), 5, requires_grad=True)
    for mats in ([torch.randn(4, 6, dtype=torch.float64), None],
                 [torch.randn(8, 6, dtype=torch.float64), torch.randn(3, 9, dtype=torch.float64)]):
        _close(cuda_resize.resize(x, mats, rescale_std), reference.resize(x.detach(), mats, rescale_std))
    mats32 = [m.float().double() for m in mats]
    if not rescale_std:  # the re-standardisation's backward runs in float32 (checked below)
        assert torch.autograd.gradcheck(lambda t: cuda_resize.resize(t, mats32, False), (x,))


def test_restandardize_backward_is_the_gradient():
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(3, 5, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    y = torch.randn(3, 7, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    g = torch.randn(3, 7, 2, dtype=torch.float64, generator=gen)
    out = reference_resize._standardise_like(y, x, 2)
    gx, gy = torch.autograd.grad(out, (x, y), g)
    ox, oy = _ops.restandardize_backward(x.detach().float(), y.detach().float(), 2, g.float())
    _close(ox, gx, 1e-5)
    _close(oy, gy, 1e-5)


# ------------------------------------------------------------------------------------------------
# torch.compile sees the custom ops whole


def test_torch_compile_fullgraph_through_every_op(emulated):
    w = get_wavelet("db2")
    mats = [torch.randn(4, 6, dtype=torch.float64), torch.randn(5, 9, dtype=torch.float64)]

    def f(t):
        c = cuda_dwt.wavedecn(t, w, "symmetric", 2, (1, 2))
        y = cuda_dwt.waverecn(c, w, "symmetric", (1, 2))
        z = cuda_dwt.dwtn(t, w, "zero", (0, 2))["ad"]
        return (y.sum() + z.sum() + cuda_dct.dct(t, 2, (1, 2), "ortho", False).sum()
                + cuda_dct.blocked_dct2(t[:, :4, :8], 4, "ortho", False).sum()
                + cuda_resize.resize(t[:, :, :9], mats, True).sum())

    x = _x((2, 6, 9), 11, requires_grad=True)
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    got = compiled(x)
    (g,) = torch.autograd.grad(got, x)
    x2 = x.detach().clone().requires_grad_(True)
    expected = f(x2)
    (ge,) = torch.autograd.grad(expected, x2)
    _close(got, expected, 1e-12)
    _close(g, ge, 1e-6)  # the re-standardisation's backward runs in float32
