"""FRONT with rescale='reference' against a literal numpy implementation of
METHODS.md 1.1-1.5 (the authors' DeiT script's rules) on a DeiT-style model.
The script treats every tensor as one signal (fused qkv as one matrix), so the
package's structure rules are turned off here (``builtin_rules=False``)."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import front_kernels as fk
from test_transfer_models import TinyViT, randomised


def dct_unnorm(x: np.ndarray, axis: int) -> np.ndarray:
    """X_k = sum_n x_n cos(pi k (2n+1) / 2N) along ``axis``, as an explicit cosine matrix."""
    n = x.shape[axis]
    k, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mat = np.cos(np.pi * k * (2 * i + 1) / (2 * n))
    return np.moveaxis(np.tensordot(mat, np.moveaxis(x, axis, 0), axes=1), 0, axis)


def idct_unnorm(c: np.ndarray, axis: int) -> np.ndarray:
    """Exact inverse: x_n = (X_0 + 2 sum_{k>=1} X_k cos(pi k (2n+1) / 2N)) / N."""
    n = c.shape[axis]
    i, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mat = np.cos(np.pi * k * (2 * i + 1) / (2 * n)) * np.where(k == 0, 1.0, 2.0) / n
    return np.moveaxis(np.tensordot(mat, np.moveaxis(c, axis, 0), axes=1), 0, axis)


def to_2d(shape):
    if len(shape) == 4:
        shape = (shape[0] * shape[1], shape[2] * shape[3])
    elif len(shape) == 3:
        shape = (shape[0] * shape[1], shape[2])
    if len(shape) == 2 and 1 in shape:
        shape = (shape[0] * shape[1],)
    return shape


def extract(w: np.ndarray):
    """1.1: standardise (ddof=1), 2-D view, un-normalised DCT of every axis."""
    mean, std = w.mean(), w.std(ddof=1)
    z = ((w - mean) / (std + 1e-8)).reshape(to_2d(w.shape))
    for ax in range(z.ndim):
        z = dct_unnorm(z, ax)
    return z, mean, std


def reconstruct(c: np.ndarray, target_shape, mean, std):
    """1.3: zero array of the target's 2-D shape, overlapping corner, inverse DCT, de-standardise."""
    t2 = to_2d(target_shape)
    out = np.zeros(t2)
    corner = tuple(slice(0, min(a, b)) for a, b in zip(c.shape, t2))
    out[corner] = c[corner]
    for ax in range(out.ndim):
        out = idct_unnorm(out, ax)
    return (out * std + mean).reshape(target_shape)


def reference_transfer(src: dict, tgt: dict) -> dict:
    src = {k: v.double().numpy() for k, v in src.items()}
    out = {}
    block = re.compile(r"^blocks\.(\d+)\.(.+)$")
    L = 1 + max(int(block.match(k).group(1)) for k in src if block.match(k))
    for name, t in tgt.items():
        if not t.is_floating_point():
            out[name] = t.double().numpy()
            continue
        if name.startswith("head.") and src[name].shape[0] != t.shape[0]:
            out[name] = t.double().numpy()
            continue
        m = block.match(name)
        if m is None:
            c, mean, std = extract(src[name])
            out[name] = reconstruct(c, tuple(t.shape), mean, std)
            continue
        i, suffix = int(m.group(1)), m.group(2)
        L_t = 1 + max(int(block.match(k).group(1)) for k in tgt if block.match(k))
        stacked = [extract(src[f"blocks.{l}.{suffix}"]) for l in range(L)]
        coeffs = np.stack([c for c, _, _ in stacked])
        d = dct_unnorm(coeffs, 0)
        s = min(L, L_t)
        slots = np.zeros((L_t,) + coeffs.shape[1:])
        slots[:s] = d[:s]
        per_layer = idct_unnorm(slots, 0)
        l = min(i, L - 1)
        out[name] = reconstruct(per_layer[i], tuple(t.shape), stacked[l][1], stacked[l][2])
    return out


CASES = [  # (source dim, depth), (target dim, depth)
    ((64, 6), (48, 4)),
    ((64, 6), (96, 4)),
    ((64, 4), (48, 6)),
]


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 2e-5)])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0][0]}x{c[0][1]}-{c[1][0]}x{c[1][1]}")
def test_reference_rescale_matches_literal_script(case, dtype, tol):
    (d_s, l_s), (d_t, l_t) = case
    torch.manual_seed(0)
    src = randomised(TinyViT(dim=d_s, depth=l_s, heads=4, classes=10), seed=3, dtype=dtype)
    tgt = {k: v.to(dtype) for k, v in TinyViT(dim=d_t, depth=l_t, heads=4, classes=7).state_dict().items()}
    got = fk.transfer(src, tgt, method="front", rescale="reference", builtin_rules=False)
    want = reference_transfer(src, tgt)
    assert list(got) == list(tgt)
    for name in tgt:
        g = got[name]
        assert g.dtype == dtype and tuple(g.shape) == tuple(tgt[name].shape), name
        ref = want[name]
        err = np.abs(g.double().numpy() - ref).max() / max(np.abs(ref).max(), 1e-30)
        assert err < tol, f"{name}: relative error {err:.2e}"
    assert torch.equal(got["head.weight"], tgt["head.weight"])


def test_reference_same_class_count_head_is_transferred():
    src = randomised(TinyViT(dim=64, depth=4, classes=10), seed=4, dtype=torch.float64)
    tgt = {k: v.double() for k, v in TinyViT(dim=48, depth=4, classes=10).state_dict().items()}
    got = fk.transfer(src, tgt, rescale="reference", builtin_rules=False)
    want = reference_transfer(src, tgt)
    np.testing.assert_allclose(got["head.weight"].numpy(), want["head.weight"], rtol=0, atol=1e-10)
    assert not torch.equal(got["head.weight"], tgt["head.weight"])
