"""The per-group chain of front_kernels.transfer.chain: its CPU path against its dense (fused resize) path,
and BoT's axis maps against the resampling matrices of front_kernels.resize."""
from __future__ import annotations

import pytest
import torch

from front_kernels.transfer.bot import wavelet_axis
from front_kernels.transfer.chain import Dense, Rescaling, Spectral, run_dense, run_spectral
from front_kernels.transforms.resampling import resample_matrix


@pytest.mark.parametrize("n, m", [(64, 32), (96, 48), (64, 256), (80, 120), (100, 30), (40, 40)])
@pytest.mark.parametrize("wavelet, mode, non_dyadic", [("haar", "periodization", "dct"), ("db2", "zero", "dct"),
                                                        ("db3", "symmetric", "pad")])
@pytest.mark.parametrize("rescale", ["amplitude", "reference"])
def test_bot_axis_map_is_the_resampling_matrix(n, m, wavelet, mode, non_dyadic, rescale):
    amap = wavelet_axis(n, m, rescale, wavelet, mode, non_dyadic)
    want = resample_matrix(n, m, "dwt", rescale, wavelet, mode, non_dyadic)
    if want is None:
        assert amap is None
    else:
        torch.testing.assert_close(amap.matrix(), want, rtol=0, atol=1e-12)


def _front_like(L):
    return Rescaling(standardise=True, restandardise=True,
                     target_stats=lambda j, means, stds: (means[min(j, L - 1)], stds[min(j, L - 1)]))


@pytest.mark.parametrize("maps, depth", [
    ([Spectral(72, 40, 30, 1.0), Spectral(80, 96, 80, 1.0)], Dense(torch.randn(5, 4, dtype=torch.float64))),
    ([wavelet_axis(128, 64, "amplitude", "db2", "zero", "dct"), Spectral(70, 70, 50, 2.0)], None),
    ([Dense(torch.randn(12, 16, dtype=torch.float64)), wavelet_axis(64, 96, "amplitude", "haar", "periodization",
                                                                    "dct")], Dense(torch.randn(3, 4, dtype=torch.float64))),
])
def test_cpu_chain_equals_the_fused_dense_resize(maps, depth):
    """run_spectral (FFTs, wavelet passes, small products) and run_dense (one matrix per dim, the op the GPU
    kernels implement; here the reference backend) give the same target layers, rescaling included."""
    n = tuple(a.n for a in maps)
    x = torch.randn((4,) + n, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.3 + 0.1
    got = run_spectral([x.clone()], depth, list(maps), _front_like(4))
    want = run_dense([x.clone()], depth, list(maps), _front_like(4), backend="reference")
    assert len(got) == len(want) == (4 if depth is None else depth.m)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)


def test_chain_outputs_own_their_memory_and_the_workspace_is_reused():
    """Two groups of different shapes in one thread share the coefficient and depth buffers of
    chain.workspace, every target layer is a tensor of its own (never a view of those buffers, whose next
    use would overwrite it), and release_workspace frees them."""
    from front_kernels.transfer import chain
    depth = Dense(torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2)))
    maps = [Spectral(24, 40, 24, 1.0), Spectral(16, 20, 16, 1.0)]
    x = torch.randn(4, 24, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    y = torch.randn(4, 12, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    chain.release_workspace()
    first = run_spectral([x.clone()], depth, list(maps), _front_like(4))
    saved = [t.clone() for t in first]
    buffers = {k: v.untyped_storage().data_ptr() for k, v in chain._WORKSPACE.items()}
    assert sorted(role for _, role in buffers) == ["coefficients", "depth"]
    second = run_spectral([y.clone()], depth, [Spectral(12, 8, 8, 1.0), Spectral(16, 20, 16, 1.0)], _front_like(4))
    assert {k: v.untyped_storage().data_ptr() for k, v in chain._WORKSPACE.items()} == buffers
    for t, s in zip(first, saved):
        torch.testing.assert_close(t, s, rtol=0, atol=0)
    ptrs = [t.untyped_storage().data_ptr() for t in first + second]
    assert len(set(ptrs)) == len(ptrs) and not set(ptrs) & set(buffers.values())
    want = run_dense([y.clone()], depth, [Spectral(12, 8, 8, 1.0), Spectral(16, 20, 16, 1.0)], _front_like(4),
                     backend="reference")
    for g, w in zip(second, want):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)
    chain.release_workspace()
    assert not chain._WORKSPACE


def test_fused_dense_resize_of_blocks_takes_a_strided_depth_matrix():
    """Heads as blocks (``blocks=3``) with a transposed, non-contiguous depth matrix (as depth maps are
    built): run_dense applies D (x) I_blocks and agrees with run_spectral."""
    depth = Dense(torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).t())
    assert not depth.a.is_contiguous()
    maps = [Spectral(24, 12, 12, 1.0), Spectral(16, 20, 16, 1.0)]
    x = torch.randn(4 * 3, 24, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    got = run_spectral([x.clone()], depth, list(maps), _front_like(4), blocks=3)
    want = run_dense([x.clone()], depth, list(maps), _front_like(4), backend="reference", blocks=3)
    assert len(got) == len(want) == 5
    for g, w in zip(got, want):
        assert g.shape == w.shape == (3, 12, 20)
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method, rescale, depth_mode", [
    ("front", "std", "zero"), ("front", "reference", "consistence"), ("front", "std", "random"),
    ("bot", "std", None), ("bot", "reference", None)])
@pytest.mark.parametrize("sv, tv, axis", [((4, 8, 48), (6, 8, 72), 0), ((48, 4, 8), (24, 2, 8), 1)])
def test_heads_as_one_stack_of_blocks_equal_one_group_per_head(method, rescale, depth_mode, sv, tv, axis):
    """execute._blocked runs the common heads of every layer as one stack of blocks (linear depth maps):
    each head's output equals that head transferred as a group of its own (float64, to rounding)."""
    from front_kernels.transfer.execute import _blocked
    from front_kernels.transfer.group import transfer_stacked
    from front_kernels.transfer.options import BotOptions, FrontOptions
    options = FrontOptions(rescale=rescale, depth_mode=depth_mode, keep_ratio=0.75, seed=3) \
        if method == "front" else BotOptions(rescale=rescale)
    key = "layers.{i}.attn.q.weight"
    n_src, n_tgt = 4, 6
    g = torch.Generator().manual_seed(0)
    x = torch.randn((n_src,) + sv, generator=g, dtype=torch.float64) * 0.1 + 0.02
    flat_s, flat_t = (sv[0] * sv[1], sv[2]) if axis == 0 else (sv[0], sv[1] * sv[2]), \
        (tv[0] * tv[1], tv[2]) if axis == 0 else (tv[0], tv[1] * tv[2])
    owns = [torch.full(flat_t, 7.0, dtype=torch.float64) for _ in range(n_tgt)]
    got = _blocked(key, (sv, tv, axis, None), flat_t, n_src, lambda: x.reshape((n_src,) + flat_s).clone(),
                   options, torch.float64, owns)
    common = min(sv[axis], tv[axis])
    block_s, block_t = sv[:axis] + sv[axis + 1:], tv[:axis] + tv[axis + 1:]
    for h in range(common):
        head = x.select(axis + 1, h).contiguous()
        want = transfer_stacked(key, lambda: head.clone(), (n_src,) + block_s, [block_t] * n_tgt, options,
                                dtype=torch.float64)
        for j in range(n_tgt):
            torch.testing.assert_close(got[j].reshape(tv).select(axis, h), want[j], rtol=1e-12, atol=1e-13)
    for j in range(n_tgt):
        assert torch.equal(got[j].reshape(tv).narrow(axis, common, tv[axis] - common),
                           torch.full_like(got[j].reshape(tv).narrow(axis, common, tv[axis] - common), 7.0))
