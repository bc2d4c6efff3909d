"""BoT per-group transfer against PyWavelets compositions (METHODS.md 2.1)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import pywt
import torch

import front_kernels as fk
from front_kernels.transfer import BotOptions, transfer_group


def pywt_resize(x: np.ndarray, shape, wavelet="haar"):
    """Per axis: j-level DWT keeping the approximation (shrink) or j-level IDWT with zero details (grow)."""
    for axis, m in enumerate(shape):
        n = x.shape[axis]
        while n > m:
            x = pywt.dwt(x, wavelet, mode="periodization", axis=axis)[0]
            n = x.shape[axis]
        while n < m:
            x = pywt.idwt(x, None, wavelet, mode="periodization", axis=axis)
            n = x.shape[axis]
    return x


def group(L, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(rng.normal() * 0.1, 0.05 + rng.random(), size=shape) for _ in range(L)]


@pytest.mark.parametrize("wavelet", ["haar", "db2"])
@pytest.mark.parametrize("src,dst", [((8, 16, 12), (4, 8, 6)), ((2, 8, 6), (4, 16, 12)), ((8, 16, 12), (2, 16, 3))])
def test_reference_rescale_matches_pywt(src, dst, wavelet):
    ws = group(src[0], src[1:])
    got = transfer_group("blocks.{i}.w", [torch.from_numpy(w) for w in ws], [dst[1:]] * dst[0],
                         BotOptions(rescale="reference", wavelet=wavelet, depth_grow="wavelet"))
    want = pywt_resize(np.stack(ws), dst, wavelet)
    np.testing.assert_allclose(np.stack([g.numpy() for g in got]), want, rtol=1e-10, atol=1e-12)


def test_amplitude_divides_by_sqrt2_per_level_and_axis():
    ws = group(8, (16, 12), seed=1)
    opts = dict(wavelet="haar")
    ref = transfer_group("blocks.{i}.w", [torch.from_numpy(w) for w in ws], [(4, 3)] * 4,
                         BotOptions(rescale="reference", **opts))
    amp = transfer_group("blocks.{i}.w", [torch.from_numpy(w) for w in ws], [(4, 3)] * 4,
                         BotOptions(rescale="amplitude", **opts))
    factor = math.sqrt(2) ** (1 + 2 + 2)  # depth 8->4, rows 16->4, cols 12->3
    for r, a in zip(ref, amp):
        np.testing.assert_allclose(a.numpy() * factor, r.numpy(), rtol=1e-10, atol=1e-12)


def test_std_rescale_interpolates_layer_statistics():
    ws = group(4, (8, 6), seed=2)
    got = transfer_group("blocks.{i}.w", [torch.from_numpy(w) for w in ws], [(4, 3)] * 2, BotOptions(rescale="std"))
    for j, g in enumerate(got):  # target layer j sits at source position 2j + 0.5
        pair = ws[2 * j], ws[2 * j + 1]
        mean = (pair[0].mean() + pair[1].mean()) / 2
        std = (pair[0].std(ddof=1) + pair[1].std(ddof=1)) / 2
        assert abs(g.numpy().mean() - mean) < 1e-10
        assert abs(g.numpy().std(ddof=1) - std) < 1e-7 * std
    # shape of the result: the reference BoT of the standardised layers, up to an affine map per layer
    zs = [(w - w.mean()) / (w.std(ddof=1) + 1e-8) for w in ws]
    want = pywt_resize(np.stack(zs), (2, 4, 3))
    for g, y in zip(got, want):
        assert np.corrcoef(g.numpy().ravel(), y.ravel())[0, 1] > 1 - 1e-10


def test_single_tensor_resizes_its_own_axes_only():
    w = torch.from_numpy(group(1, (16,), seed=3)[0])
    out = transfer_group("norm.weight", [w], [(8,)], BotOptions(rescale="reference"))[0]
    np.testing.assert_allclose(out.numpy(), pywt.dwt(w.numpy(), "haar", mode="periodization")[0], rtol=1e-12)


def test_non_dyadic_ratio_uses_resize():
    ws = [torch.from_numpy(w) for w in group(3, (12, 8), seed=4)]
    got = transfer_group("blocks.{i}.w", ws, [(18, 8)] * 4, BotOptions(rescale="amplitude", non_dyadic="dct",
                                                                              depth_grow="wavelet"))
    want = fk.resize(torch.stack(ws), (4, 18, 8), method="dwt", rescale="amplitude", non_dyadic="dct")
    torch.testing.assert_close(torch.stack(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bad,msg", [(dict(wavelet="db99"), "wavelet"), (dict(mode="wrap"), "mode"),
                                     (dict(non_dyadic="cut"), "non_dyadic"), (dict(rescale="x"), "rescale")])
def test_bad_options_are_named(bad, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        BotOptions(**bad)


def test_method_options_are_checked():
    with pytest.raises(TypeError, match="keep_ratio"):
        fk.transfer({"w": torch.ones(2)}, {"w": torch.ones(2)}, method="bot", keep_ratio=0.5)
    with pytest.raises(ValueError, match="method"):
        fk.transfer({"w": torch.ones(2)}, {"w": torch.ones(2)}, method="dwt")


@pytest.mark.gpu
def test_cuda_tensors_match_cpu():
    ws = [torch.from_numpy(w) for w in group(8, (16, 12), seed=7)]
    cpu = transfer_group("blocks.{i}.w", ws, [(8, 6)] * 4, BotOptions())
    gpu = transfer_group("blocks.{i}.w", [w.cuda() for w in ws], [(8, 6)] * 4, BotOptions())
    for a, b in zip(cpu, gpu):
        assert b.device.type == "cuda"
        torch.testing.assert_close(b.cpu(), a, rtol=1e-9, atol=1e-9)
