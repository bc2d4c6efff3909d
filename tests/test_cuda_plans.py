"""The host side of the CUDA backend, checked on the CPU.

The kernels' index arithmetic is fixed by tables and plans built in Python
(banded wavelet tables, fused 2-D level plans, packed coefficient layout, DCT
matrices). Here each kernel is replaced by a literal float64 emulation of its
loops (the same reads and writes as csrc/), so every table, offset, buffer
size, adjoint and unpacking step is compared with the reference backend and
PyWavelets without a GPU.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import pywt
import scipy.fft as sfft
import torch

from front_kernels._backends import reference
from front_kernels._backends.cuda import _ops, _tables
from front_kernels.wavelets import get_wavelet

cuda_dct = importlib.import_module("front_kernels._backends.cuda.dct")
cuda_dwt = importlib.import_module("front_kernels._backends.cuda.dwt")
cuda_resize = importlib.import_module("front_kernels._backends.cuda.resize")
reference_resize = importlib.import_module("front_kernels._backends.reference.resize")

MODES = ("zero", "symmetric", "periodization", "reflect", "periodic", "smooth", "constant", "antisymmetric",
         "antireflect")


# ------------------------------------------------------------------------------------------------
# literal emulations of the kernels (float64, CPU)


def _table(idx, w, off, rows, taps):
    n = rows * taps
    return idx[off:off + n].reshape(rows, taps).long(), w[off:off + n].reshape(rows, taps).double()


def _apply_last(v, I, W):  # out[..., o] = sum_t W[o, t] v[..., I[o, t]]  (I < 0: no term)
    mask = I >= 0
    return (v[..., I.clamp(min=0)] * (W * mask)).sum(-1)


def emulate_dwt2(x, idx, w, plan, synthesis):
    rows, buf0, buf1, approx_off, packed_len, height, width = _ops._plan_parts(plan)
    for in_h, in_w, kr, kc, *_ in rows:
        assert max(in_h * in_w, kr * kc) <= buf0 and in_h * 2 * kc <= buf1
    x = x.double()
    if not synthesis:
        lead = x.shape[:-2]
        cur = x.reshape(-1, height, width)
        out = torch.full((cur.shape[0], packed_len), float("nan"), dtype=torch.float64)
        for l, (in_h, in_w, kr, kc, tr, tc, off_r, off_c, band_off) in enumerate(rows):
            assert cur.shape[1:] == (in_h, in_w)
            tmp = _apply_last(cur, *_table(idx, w, off_c, 2 * kc, tc))                       # (B, in_h, 2kc)
            full = _apply_last(tmp.transpose(1, 2), *_table(idx, w, off_r, 2 * kr, tr)).transpose(1, 2)
            for b, (rs, cs) in enumerate([(slice(kr, None), slice(None, kc)), (slice(None, kr), slice(kc, None)),
                                          (slice(kr, None), slice(kc, None))]):
                start = band_off + b * kr * kc
                out[:, start:start + kr * kc] = full[:, rs, cs].reshape(-1, kr * kc)
            cur = full[:, :kr, :kc]
        out[:, approx_off:approx_off + cur[0].numel()] = cur.reshape(cur.shape[0], -1)
        assert not out.isnan().any(), "the packed layout leaves gaps"
        return out.reshape(*lead, packed_len)
    lead = x.shape[:-1]
    packed = x.reshape(-1, packed_len)
    kr, kc = rows[-1][2], rows[-1][3]
    cur = packed[:, approx_off:approx_off + kr * kc].reshape(-1, kr, kc)
    for l in range(len(rows) - 1, -1, -1):
        in_h, in_w, kr, kc, tr, tc, off_r, off_c, band_off = rows[l]
        bands = [packed[:, band_off + b * kr * kc: band_off + (b + 1) * kr * kc].reshape(-1, kr, kc)
                 for b in range(3)]
        quad = torch.cat([torch.cat([cur, bands[1]], 2), torch.cat([bands[0], bands[2]], 2)], 1)
        tmp = _apply_last(quad.transpose(1, 2), *_table(idx, w, off_r, in_h, tr)).transpose(1, 2)
        cur = _apply_last(tmp, *_table(idx, w, off_c, in_w, tc))
    return cur.reshape(*lead, height, width)


def fake_dwt2_fused(x, idx, w, plan, adj_idx, adj_w, adj_plan, synthesis):
    return emulate_dwt2(x, idx, w, plan, synthesis)


def fake_sparse_maps(x, idx, w, dims, in_sizes, adj_idx, adj_w):
    y = x.double()
    for I, W, d, n in zip(idx, w, dims, in_sizes):
        assert y.shape[d] == n
        y = _apply_last(y.movedim(d, -1), I.long(), W.double()).movedim(-1, d)
    return y


def fake_apply_matrices(x, mats, dims, float32_out):
    y = x.double()
    for a, d in zip(mats, dims):
        y = torch.tensordot(a.double(), y.movedim(d, 0), dims=1).movedim(0, d)
    return y


@pytest.fixture
def emulated(monkeypatch):
    monkeypatch.setattr(cuda_dwt, "dwt2_fused", fake_dwt2_fused)
    monkeypatch.setattr(cuda_dwt, "sparse_maps", fake_sparse_maps)
    monkeypatch.setattr(cuda_dct, "apply_matrices", fake_apply_matrices)
    monkeypatch.setattr(cuda_resize, "apply_matrices", fake_apply_matrices)
    monkeypatch.setattr(cuda_dwt, "_fits", lambda nbytes, device: True)


@pytest.fixture
def per_dim(monkeypatch, emulated):
    monkeypatch.setattr(cuda_dwt, "_fits", lambda nbytes, device: False)


def _pywt_2d(x, name, mode, level):
    return pywt.wavedec2(x.numpy(), name, mode=mode, level=level, axes=(-2, -1))


def _close(a, b, tol=1e-6):  # the kernels' tables hold float32 weights
    a = a.detach().double() if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a, np.float64))
    b = b.detach().double() if isinstance(b, torch.Tensor) else torch.as_tensor(np.asarray(b, np.float64))
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max(b.abs().max().item(), 1e-30)
    assert (a - b).abs().max().item() <= tol * scale


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
# fused 2-D plans and the per-dim path, through the backend's own entry points


@pytest.mark.parametrize("path", ["emulated", "per_dim"])
@pytest.mark.parametrize("name,mode,shape,level", [
    ("haar", "periodization", (2, 16, 16), 3),
    ("haar", "zero", (3, 13, 10), 2),
    ("db2", "symmetric", (2, 1, 17, 23), 2),
    ("db3", "periodization", (21, 11), 2),
    ("db4", "zero", (2, 30, 19), 1),
    ("db2", "reflect", (2, 12, 9), 2),
    ("db2", "smooth", (9, 14), 1),
])
def test_wavedec2_waverec2_match_pywt(request, path, name, mode, shape, level):
    request.getfixturevalue(path)
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(level))
    w = get_wavelet(name)
    coeffs = cuda_dwt.wavedecn(x, w, mode, level, (x.ndim - 2, x.ndim - 1))
    expected = _pywt_2d(x, name, mode, level)
    _close(coeffs[0], expected[0])
    for got, (cH, cV, cD) in zip(coeffs[1:], expected[1:]):
        _close(got["da"], cH)
        _close(got["ad"], cV)
        _close(got["dd"], cD)
    y = cuda_dwt.waverecn(coeffs, w, mode, (x.ndim - 2, x.ndim - 1))
    _close(y, pywt.waverec2(expected, name, mode=mode, axes=(-2, -1)))


@pytest.mark.parametrize("path", ["emulated", "per_dim"])
def test_dwtn_idwtn_single_level_match_pywt(request, path):
    request.getfixturevalue(path)
    x = torch.randn(2, 11, 14, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
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


def test_nd_and_reordered_dims_use_the_per_dim_path(emulated):
    x = torch.randn(5, 6, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
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


@pytest.mark.parametrize("synthesis", [False, True])
@pytest.mark.parametrize("name,mode,hw,level", [("db2", "zero", (13, 10), 2), ("haar", "periodization", (9, 8), 3),
                                                 ("db3", "symmetric", (20, 17), 2)])
def test_fused_plans_carry_their_adjoints(synthesis, name, mode, hw, level):
    """<A x, g> == <x, A^T g> for the plan and the adjoint plan the backward runs."""
    w = get_wavelet(name)
    cpu = torch.device("cpu")
    ana, sizes, _ = cuda_dwt._analysis_plan(*hw, w, mode, level, cpu)
    args = ana if not synthesis else cuda_dwt._synthesis_plan(tuple(sizes), w, mode, cpu)[0]
    idx, wts, plan, aidx, awts, aplan = args
    gen = torch.Generator().manual_seed(7)
    head = _ops._plan_parts(plan)
    x = torch.randn(3, head[4], dtype=torch.float64, generator=gen) if synthesis else \
        torch.randn(3, head[5], head[6], dtype=torch.float64, generator=gen)
    y = emulate_dwt2(x, idx, wts, plan, synthesis)
    g = torch.randn(y.shape, dtype=torch.float64, generator=gen)
    back = emulate_dwt2(g, aidx, awts, aplan, not synthesis)
    assert back.shape == x.shape
    assert abs((y * g).sum().item() - (x * back).sum().item()) <= 1e-10 * (y.abs().sum() * g.abs().max()).item()


def test_synthesis_plan_rejects_mismatched_levels():
    w = get_wavelet("db4")
    with pytest.raises(ValueError, match="cannot match"):
        cuda_dwt._synthesis_plan(((20, 20), (4, 4)), w, "zero", torch.device("cpu"))


# ------------------------------------------------------------------------------------------------
# DCT matrices, blocked matrices, resize plumbing


@pytest.mark.parametrize("type,norm", [(1, "ortho"), (2, "backward"), (2, "ortho"), (3, "forward"), (4, "ortho")])
def test_dct_through_its_matrices_matches_scipy(emulated, type, norm):
    x = torch.randn(3, 7, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(type))
    for inverse in (False, True):
        got = cuda_dct.dct(x, type, (1, 2), norm, inverse)
        f = sfft.idctn if inverse else sfft.dctn
        _close(got, f(x.numpy(), type=type, axes=(1, 2), norm=norm), 2e-7)  # float32 matrices


def test_blocked_matrix_is_the_tile_transform():
    block = 8
    x = torch.randn(2, 16, 24, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    for norm in ("ortho", "backward"):
        for inverse in (False, True):
            a = cuda_dct.dct_matrix(block, 2, norm, inverse, torch.device("cpu")).double()
            tiles = x.reshape(2, 2, block, 3, block)
            got = torch.einsum("rk,bikjl,cl->birjc", a, tiles, a).reshape(x.shape)
            _close(got, reference.blocked_dct2(x, block, norm, inverse), 2e-7)


@pytest.mark.parametrize("rescale_std", [False, True])
def test_resize_plumbing_matches_reference(emulated, monkeypatch, rescale_std):
    def fake_restandardize(x, y, k):
        return reference_resize._standardise_like(y.double(), x.double(), k)

    monkeypatch.setattr(cuda_resize, "restandardize", fake_restandardize)
    x = torch.randn(2, 6, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    mats = [torch.randn(4, 6, dtype=torch.float64), None]
    _close(cuda_resize.resize(x, mats, rescale_std), reference.resize(x, mats, rescale_std))
    mats = [torch.randn(8, 6, dtype=torch.float64), torch.randn(3, 9, dtype=torch.float64)]
    _close(cuda_resize.resize(x, mats, rescale_std), reference.resize(x, mats, rescale_std))


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
