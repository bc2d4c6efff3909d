"""FRONT per-group transfer: depth modes and bands, keep_ratio, mlp_dct, the
three rescalings, against literal numpy / scipy compositions of METHODS.md 1."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft as sf
import torch

from front_kernels.transfer import FrontOptions, transfer_group
from front_kernels.transfer.depth import map_depth


def standardised(w):
    return (w - w.mean()) / (w.std(ddof=1) + 1e-8), w.mean(), w.std(ddof=1)


def fit(x, axis, n):
    cur = x.shape[axis]
    if cur >= n:
        return np.take(x, range(n), axis=axis)
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, n - cur)
    return np.pad(x, pad)


def ortho_front(ws, L_t, tshape, keep_ratio=1.0, axes=(0, 1), depth="zero", band="first", select_n=None):
    """METHODS 1.1-1.3 with orthonormal scipy DCTs (no rescale) for 2-D tensors."""
    L = len(ws)
    zs = [standardised(w) for w in ws]
    c = np.stack([sf.dctn(z, axes=axes, norm="ortho") for z, _, _ in zs])
    for a in axes:
        c = fit(c, a + 1, max(1, math.floor(ws[0].shape[a] * keep_ratio)))
    s = min(L, L_t, select_n or L)
    if not (s == L == L_t):
        d = sf.dct(c, axis=0, norm="ortho")
        start = {"first": 0, "last": L - s, "middle": (L - s) // 2}[band]
        kept = d[start:start + s]
        if depth == "consistence":
            reps = [L_t // s + (k < L_t % s) for k in range(s)]
            slots = np.concatenate([np.repeat(kept[k:k + 1], r, axis=0) for k, r in enumerate(reps)])
        else:
            slots = np.concatenate([kept, np.zeros((L_t - s,) + kept.shape[1:])])
        c = sf.idct(slots, axis=0, norm="ortho")
    for a in range(2):
        c = fit(c, a + 1, tshape[a])
    y = sf.idctn(c, axes=tuple(a + 1 for a in axes), norm="ortho")
    return [(y[j], zs[min(j, L - 1)][1], zs[min(j, L - 1)][2]) for j in range(L_t)]


def group(L, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(rng.normal() * 0.1, 0.05 + rng.random(), size=shape) for _ in range(L)]


def run(ws, L_t, tshape, **opts):
    key = "blocks.{i}.mlp.fc1.weight" if opts.pop("mlp", False) else "blocks.{i}.attn.qkv.weight"
    out = transfer_group(key, [torch.from_numpy(w) for w in ws], [tshape] * L_t, FrontOptions(**opts))
    return [o.numpy() for o in out]


@pytest.mark.parametrize("depth", ["zero", "consistence"])
@pytest.mark.parametrize("band", ["first", "last", "middle"])
def test_amplitude_rescale_matches_scipy_composition(depth, band):
    ws = group(6, (12, 10))
    got = run(ws, 4, (9, 13), rescale="amplitude", depth_mode=depth, depth_band=band, select_n=3)
    want = ortho_front(ws, 4, (9, 13), depth=depth, band=band, select_n=3)
    factor = math.sqrt(4 / 6 * 9 / 12 * 13 / 10)
    for g, (y, m, s) in zip(got, want):
        np.testing.assert_allclose(g, y * factor * s + m, rtol=1e-10, atol=1e-12)


def test_keep_ratio_and_growth():
    ws = group(3, (16, 8), seed=1)
    got = run(ws, 5, (20, 8), rescale="amplitude", keep_ratio=0.5)
    want = ortho_front(ws, 5, (20, 8), keep_ratio=0.5)
    factor = math.sqrt(5 / 3 * 20 / 16)  # the unchanged axis is transformed too when cropped
    for g, (y, m, s) in zip(got, want):
        np.testing.assert_allclose(g, y * factor * s + m, rtol=1e-10, atol=1e-12)


def test_std_rescale_keeps_each_layers_statistics():
    ws = group(6, (12, 10), seed=2)
    got = run(ws, 4, (8, 7))
    for j, g in enumerate(got):
        src = ws[min(j, 5)]
        assert abs(g.mean() - src.mean()) < 1e-10
        assert abs(g.std(ddof=1) - src.std(ddof=1)) < 1e-7 * src.std(ddof=1)
    want = ortho_front(ws, 4, (8, 7))
    for g, (y, m, s) in zip(got, want):  # same shape as the un-rescaled result, up to an affine map
        corr = np.corrcoef(g.ravel(), y.ravel())[0, 1]
        assert corr > 1 - 1e-10


def test_amplitude_resamples_a_smooth_signal():
    """A single DCT mode cos(pi k (2n+1) / 2N) keeps its values on the new grid."""
    n, m, k = 32, 20, 3
    w = 0.7 + 0.2 * np.cos(np.pi * k * (2 * np.arange(n) + 1) / (2 * n))
    out = transfer_group("norm.weight", [torch.from_numpy(w)], [(m,)], FrontOptions(rescale="amplitude"))[0]
    want = 0.7 + 0.2 * np.cos(np.pi * k * (2 * np.arange(m) + 1) / (2 * m))
    np.testing.assert_allclose(out.numpy(), want, atol=1e-8)


def test_reference_rescale_scales_amplitude_by_n_over_m():
    n, m, k = 32, 16, 2
    w = 0.2 * np.cos(np.pi * k * (2 * np.arange(n) + 1) / (2 * n))
    ref = transfer_group("norm.weight", [torch.from_numpy(w)], [(m,)], FrontOptions(rescale="reference"))[0]
    amp = transfer_group("norm.weight", [torch.from_numpy(w)], [(m,)], FrontOptions(rescale="amplitude"))[0]
    np.testing.assert_allclose(ref.numpy() - w.mean(), (amp.numpy() - w.mean()) * n / m, atol=1e-10)


def test_mlp_dct_1d_transforms_the_hidden_axis_only():
    ws = group(2, (16, 6), seed=3)
    got = run(ws, 2, (12, 5), rescale="amplitude", mlp_dct="1d", mlp=True)
    want = ortho_front(ws, 2, (12, 5), axes=(0,))  # fc1 (hidden, embed): along dim 0; dim 1 cropped
    for g, (y, m, s) in zip(got, want):
        np.testing.assert_allclose(g, y * math.sqrt(12 / 16) * s + m, rtol=1e-10, atol=1e-12)


def test_depth_modes_fill_slots():
    c = torch.randn(4, 3, dtype=torch.float64)
    d = torch.from_numpy(sf.dct(c.numpy(), axis=0, norm="ortho"))

    def slots(mode):
        out = map_depth(c, 7, mode=mode, rescale="std", generator=torch.Generator().manual_seed(0))
        return torch.from_numpy(sf.dct(out.numpy(), axis=0, norm="ortho"))

    zero = slots("zero")
    torch.testing.assert_close(zero[:4], d)
    assert zero[4:].abs().max() < 1e-12
    cons = slots("consistence")  # 7 slots from 4: indices 0,0,1,1,2,2,3
    torch.testing.assert_close(cons, d[[0, 0, 1, 1, 2, 2, 3]])
    rnd = slots("random")
    torch.testing.assert_close(rnd[:4], d)
    assert rnd[4:].abs().min() > 0
    again = map_depth(c, 7, mode="random", rescale="std", generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(torch.from_numpy(sf.idct(rnd.numpy(), axis=0, norm="ortho")), again)


def test_random_depth_is_seeded_per_group():
    ws = [torch.from_numpy(w) for w in group(2, (6, 5), seed=4)]
    a = transfer_group("blocks.{i}.x", ws, [(6, 5)] * 4, FrontOptions(depth_mode="random", seed=1))
    b = transfer_group("blocks.{i}.x", ws, [(6, 5)] * 4, FrontOptions(depth_mode="random", seed=1))
    c = transfer_group("blocks.{i}.x", ws, [(6, 5)] * 4, FrontOptions(depth_mode="random", seed=2))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[3], c[3])


def test_conv_and_token_shapes():
    conv = [torch.randn(8, 3, 4, 4, dtype=torch.float64)]
    out = transfer_group("patch_embed.proj.weight", conv, [(6, 3, 4, 4)], FrontOptions(rescale="amplitude"))[0]
    z, m, s = standardised(conv[0].numpy().reshape(24, 16))
    want = sf.idct(fit(sf.dct(z, axis=0, norm="ortho"), 0, 18), axis=0, norm="ortho") * math.sqrt(18 / 24)
    np.testing.assert_allclose(out.numpy(), (want * s + m).reshape(6, 3, 4, 4), rtol=1e-10, atol=1e-12)
    tok = transfer_group("cls_token", [torch.randn(1, 1, 8)], [(1, 1, 6)], FrontOptions())[0]
    assert tok.shape == (1, 1, 6) and tok.dtype == torch.float32


def test_same_shape_is_an_exact_copy_in_any_dtype():
    w = [torch.randn(5, 4, dtype=torch.bfloat16)]
    out = transfer_group("w", w, [(5, 4)], FrontOptions(), dtype=torch.bfloat16)[0]
    assert torch.equal(out, w[0]) and out.data_ptr() != w[0].data_ptr()


def test_float32_matches_float64():
    ws = group(6, (12, 10), seed=5)
    g64 = run(ws, 4, (9, 13), rescale="reference")
    g32 = transfer_group("blocks.{i}.q", [torch.from_numpy(w).float() for w in ws], [(9, 13)] * 4,
                         FrontOptions(rescale="reference"))
    for a, b in zip(g32, g64):
        assert a.dtype == torch.float32
        np.testing.assert_allclose(a.numpy(), b, rtol=0, atol=2e-5 * np.abs(b).max())


@pytest.mark.parametrize("bad,msg", [
    (dict(keep_ratio=0), "keep_ratio"), (dict(keep_ratio=1.5), "keep_ratio"), (dict(mlp_dct="3d"), "mlp_dct"),
    (dict(depth_mode="copy"), "depth_mode"), (dict(depth_band="low"), "depth_band"), (dict(select_n=0), "select_n"),
    (dict(rescale="none"), "rescale"), (dict(skip=["(unclosed"]), "skip"), (dict(seed=1.5), "seed"),
])
def test_bad_options_are_named(bad, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        FrontOptions(**bad)


def test_group_errors_name_the_tensor():
    w = torch.randn(4, 4)
    bad = w.clone()
    bad[1, 2] = float("nan")
    with pytest.raises(ValueError, match=r"'blocks\.1\.w'.*non-finite"):
        transfer_group("blocks.{i}.w", [w, bad], [(3, 3)] * 2, FrontOptions(), names=["blocks.0.w", "blocks.1.w"])
    with pytest.raises(ValueError, match="disagree in shape"):
        transfer_group("blocks.{i}.w", [w, torch.randn(4, 5)], [(3, 3)] * 2, FrontOptions())
    with pytest.raises(ValueError, match="different ranks"):
        transfer_group("w", [w], [(3,)], FrontOptions())
    with pytest.raises(TypeError, match="floating"):
        transfer_group("w", [torch.ones(3, dtype=torch.int64)], [(3,)], FrontOptions())


@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["zero", "random", "consistence"])
def test_cuda_tensors_match_cpu(mode):
    ws = [torch.from_numpy(w) for w in group(6, (12, 10), seed=6)]
    opts = FrontOptions(depth_mode=mode, rescale="amplitude")
    cpu = transfer_group("blocks.{i}.w", ws, [(9, 13)] * 8, opts)
    gpu = transfer_group("blocks.{i}.w", [w.cuda() for w in ws], [(9, 13)] * 8, opts)
    for a, b in zip(cpu, gpu):
        assert b.device.type == "cuda"
        torch.testing.assert_close(b.cpu(), a, rtol=1e-10, atol=1e-10)


def test_random_depth_with_kept_coefficients_past_the_target_on_one_axis_and_padding_on_another():
    """keep_ratio 0.75 of 48 rows keeps 36 coefficients, more than the 24 target rows, while the columns
    grow 16 -> 40: the random fill draws from all 36 x 12 kept coefficients, and only the target's corner
    is inverted (a regression: the corner was once written into a resized view and lost)."""
    from front_kernels.transfer.group import group_generator
    key = "blocks.{i}.attn.qkv.weight"
    ws = group(3, (48, 16), seed=5)
    got = transfer_group(key, [torch.from_numpy(w) for w in ws], [(24, 40)] * 5,
                         FrontOptions(depth_mode="random", keep_ratio=0.75, seed=4))
    zs = [standardised(w) for w in ws]
    c = np.stack([sf.dctn(z, norm="ortho")[:36, :12] for z, _, _ in zs])
    d = map_depth(torch.from_numpy(c), 5, mode="random", rescale="std", generator=group_generator(key, 4)).numpy()
    corner = np.zeros((5, 24, 40))
    corner[:, :24, :12] = d[:, :24, :12]
    y = sf.idctn(corner, axes=(1, 2), norm="ortho")
    for j, g in enumerate(got):
        _, mean, std = zs[min(j, 2)]
        want = (y[j] - y[j].mean()) / (y[j].std(ddof=1) + 1e-8) * std + mean
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-9, atol=1e-10)
