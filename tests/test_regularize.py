"""Spectral regulariser against the plain formula (full orthonormal DCT + mask) and scipy."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft
import torch
from torch import nn

from front_kernels import SpectralRegularizer, dctn, spectral_penalty
from front_kernels._backends.reference import native, spectral_cpu


def _signal(w: torch.Tensor) -> torch.Tensor:
    """METHODS 1.1 shape rules, written out."""
    s = tuple(w.shape)
    if len(s) == 4:
        s = (s[0] * s[1], s[2] * s[3])
    elif len(s) == 3:
        s = (s[0] * s[1], s[2])
    if len(s) == 2 and 1 in s:
        s = (s[0] * s[1],)
    return w.reshape(s)


def plain_penalty(w: torch.Tensor, keep_ratio: float, standardize: bool = True) -> torch.Tensor:
    """The definition: standardise, full orthonormal DCT, zero the kept corner, square, sum."""
    x = _signal(w)
    if standardize:
        x = (x - x.mean()) / (x.std() + 1e-8)
    coef = dctn(x, norm="ortho")
    mask = torch.ones_like(coef)
    mask[tuple(slice(0, math.floor(n * keep_ratio)) for n in coef.shape)] = 0
    return (coef * mask).square().sum()


def scipy_penalty(w: np.ndarray, keep_ratio: float, standardize: bool = True) -> float:
    x = w.astype(np.float64)
    if standardize:
        x = (x - x.mean()) / (x.std(ddof=1) + 1e-8)
    coef = scipy.fft.dctn(x, norm="ortho")
    coef[tuple(slice(0, math.floor(n * keep_ratio)) for n in coef.shape)] = 0
    return float((coef ** 2).sum())


# The native path exists only when front_kernels._cpu is built; test_native_cpu.py fails in CI when it is not.
PATHS = ["native", "torch"] if native.available() else ["torch"]


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    """Each CPU path there is: the fused passes of ``front_kernels._cpu`` and the pure-torch transforms."""
    monkeypatch.setattr(native, "enabled", request.param == "native")
    return request.param


SHAPES = [(7, 5), (6,), (4, 3, 3, 3), (2, 3, 5), (1, 9), (40, 33), (33, 70), (65,), (64, 64)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("keep_ratio", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("standardize", [True, False])
def test_value_and_grad_match_plain_formula(shape, keep_ratio, standardize, path):
    g = torch.Generator().manual_seed(hash((shape, keep_ratio)) % 2**31)
    w = (torch.randn(shape, generator=g, dtype=torch.float64) * 0.3 + 0.7).requires_grad_()
    got = spectral_penalty(w, keep_ratio, standardize=standardize)
    (g_got,) = torch.autograd.grad(got, w)
    want = plain_penalty(w, keep_ratio, standardize)
    (g_want,) = torch.autograd.grad(want, w)
    assert got.dtype == torch.float64 and got.ndim == 0
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-8)
    torch.testing.assert_close(g_got, g_want, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("shape", [(12, 10), (48, 20), (37,)])
def test_value_matches_scipy(shape, path):
    rng = np.random.default_rng(3)
    w = rng.standard_normal(shape)
    got = spectral_penalty(torch.from_numpy(w), 0.4)
    assert abs(float(got) - scipy_penalty(w, 0.4)) <= 1e-9 * max(1.0, scipy_penalty(w, 0.4))


@pytest.mark.parametrize("shape", [(6, 5), (34, 4), (3, 35), (33,)])
@pytest.mark.parametrize("standardize", [True, False])
def test_gradcheck(shape, standardize, path):
    w = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: spectral_penalty(t, 0.5, standardize=standardize), (w,))


def test_batch_dims_sums_independent_penalties(path):
    w = torch.randn(3, 9, 40, dtype=torch.float64)
    got = spectral_penalty(w, 0.5, batch_dims=1)
    want = sum(plain_penalty(w[i], 0.5) for i in range(3))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-9)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(12, 40) for _ in range(3))
        self.conv = nn.Conv2d(2, 3, 3)
        self.norm = nn.LayerNorm(40)
        self.frozen = nn.Linear(5, 5)
        self.frozen.weight.requires_grad_(False)
        self.token = nn.Parameter(torch.randn(1, 1, 40))


def test_module_equals_sum_of_plain_formula_with_gradients(path):
    torch.manual_seed(0)
    net = _Net().double()
    reg = SpectralRegularizer(net, keep_ratio=0.5, weight=0.25)
    expected_names = {"blocks.0.weight", "blocks.1.weight", "blocks.2.weight", "conv.weight", "token"}
    assert set(reg.names) == expected_names
    got = reg()
    got.backward()
    params = dict(net.named_parameters())
    got_grads = {n: params[n].grad.clone() for n in expected_names}
    net.zero_grad()
    want = 0.25 * sum(plain_penalty(params[n], 0.5) for n in sorted(expected_names))
    want.backward()
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-8)
    for n in expected_names:
        torch.testing.assert_close(got_grads[n], params[n].grad, rtol=1e-10, atol=1e-8)
    assert params["frozen.weight"].grad is None
    assert len(list(reg.parameters())) == 0 and len(reg.state_dict()) == 0


def test_module_selection_options():
    net = _Net()
    with_1d = SpectralRegularizer(net, include_1d=True)
    assert {"norm.weight", "norm.bias", "blocks.0.bias"} <= set(with_1d.names)
    assert "frozen.bias" in with_1d.names and "frozen.weight" not in with_1d.names
    only = SpectralRegularizer(net, include=r"^blocks\.\d+\.weight$", exclude=["blocks.1"])
    assert only.names == ["blocks.0.weight", "blocks.2.weight"]
    by_fn = SpectralRegularizer(net, include=lambda n, p: n == "conv.weight")
    assert by_fn.names == ["conv.weight"]
    with pytest.raises(ValueError, match="no parameter"):
        SpectralRegularizer(net, include="nothing-matches")


def test_bfloat16_parameters_accumulate_in_float32(path):
    torch.manual_seed(1)
    w32 = torch.randn(3, 40, 24)
    w16 = w32.to(torch.bfloat16).requires_grad_()
    ref = w16.detach().float().requires_grad_()
    got = spectral_penalty(w16, 0.5, batch_dims=1)
    want = spectral_penalty(ref, 0.5, batch_dims=1)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-3)
    got.backward(), want.backward()
    assert w16.grad.dtype == torch.bfloat16
    torch.testing.assert_close(w16.grad.float(), ref.grad, rtol=1e-2, atol=1e-2)


def test_autocast_does_not_lower_precision():
    w = torch.randn(50, 30, requires_grad=True)
    want = spectral_penalty(w.double(), 0.5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = spectral_penalty(w, 0.5)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-4)


def test_torch_compile_fullgraph_matches_eager(path):
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(36, 40), nn.ReLU(), nn.Linear(40, 36)).double()
    reg = SpectralRegularizer(net, keep_ratio=0.5)
    eager = reg()
    (g_eager,) = torch.autograd.grad(eager, net[0].weight)
    compiled = torch.compile(reg, backend="aot_eager", fullgraph=True)
    got = compiled()
    (g_got,) = torch.autograd.grad(got, net[0].weight)
    torch.testing.assert_close(got, eager, rtol=1e-12, atol=1e-10)
    torch.testing.assert_close(g_got, g_eager, rtol=1e-12, atol=1e-10)


def test_float32_matches_float64_formula(path):
    torch.manual_seed(4)
    w = (torch.randn(3, 96, 64) * 0.02).requires_grad_()
    got = spectral_penalty(w, 0.5, batch_dims=1)
    (g_got,) = torch.autograd.grad(got, w)
    w64 = w.detach().double().requires_grad_()
    want = sum(plain_penalty(w64[i], 0.5) for i in range(3))
    (g_want,) = torch.autograd.grad(want, w64)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), want, rtol=2e-6, atol=0)
    torch.testing.assert_close(g_got.double(), g_want, rtol=1e-4, atol=1e-5 * g_want.abs().max().item())


@pytest.mark.parametrize("spread", [0.0, 1e-5])
def test_nearly_constant_float32_weight_is_accurate(spread, path):
    # Norm gains start at 1 with tiny spread: the penalty must not be rounding noise / d^2.
    # The gradient moves by r / d^2 per unit error of the mean, so a float32 mean (about
    # 1 ulp of 1.0 off) would shift it by ~1e-3 of its scale, as in the plain float32
    # formula; the mean and the norms are accumulated in float64.
    torch.manual_seed(5)
    w = (1.0 + spread * torch.randn(2, 48)).requires_grad_()
    got = spectral_penalty(w, 0.5, batch_dims=1)
    (g_got,) = torch.autograd.grad(got, w)
    if spread == 0.0:
        assert got.item() == 0.0 and torch.count_nonzero(g_got) == 0
        return
    w64 = w.detach().double().requires_grad_()
    want = sum(plain_penalty(w64[i], 0.5) for i in range(2))
    (g_want,) = torch.autograd.grad(want, w64)
    assert want.item() > 1.0
    torch.testing.assert_close(got.double(), want, rtol=1e-6, atol=0)
    scale = g_want.abs().max().item()
    torch.testing.assert_close(g_got.double(), g_want, rtol=0, atol=2e-6 * scale)


def test_module_skips_empty_parameters(path):
    net = _Net()
    net.empty = nn.Parameter(torch.zeros(0, 4))
    for standardize in (True, False):
        reg = SpectralRegularizer(net, standardize=standardize)
        assert "empty" not in reg.names and "blocks.0.weight" in reg.names
        reg().backward()


def test_no_grad_value_and_repeated_backward(path):
    torch.manual_seed(6)
    w = torch.randn(30, 20, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        value = spectral_penalty(w, 0.5)
    got = spectral_penalty(w, 0.5)
    torch.testing.assert_close(value, got, rtol=0, atol=0)
    got.backward(retain_graph=True)
    first = w.grad.clone()
    got.backward()
    torch.testing.assert_close(w.grad, 2 * first, rtol=1e-15, atol=0)
    (g_want,) = torch.autograd.grad(plain_penalty(w, 0.5), w)
    torch.testing.assert_close(first, g_want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(weight=torch.ones(3, 3), keep_ratio=1.5), ValueError, "keep_ratio"),
        (dict(weight=torch.ones(3, 3), keep_ratio="half"), TypeError, "keep_ratio"),
        (dict(weight=torch.ones(3, 3, dtype=torch.int64)), TypeError, "weight"),
        (dict(weight=torch.ones(2, 2, 2, 2, 2)), ValueError, "weight"),
        (dict(weight=torch.ones(1, 1)), ValueError, "standardize"),
        (dict(weight=torch.ones(3, 3), batch_dims=2), ValueError, "batch_dims"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        spectral_penalty(**kwargs)


def test_bad_module_arguments():
    with pytest.raises(TypeError, match="model"):
        SpectralRegularizer(torch.ones(3))
    with pytest.raises(ValueError, match="weight"):
        SpectralRegularizer(nn.Linear(3, 3), weight=float("nan"))
    with pytest.raises(ValueError, match="keep_ratio"):
        SpectralRegularizer(nn.Linear(3, 3), keep_ratio=-0.1)


def _count_chunks(monkeypatch) -> list[int]:
    calls = []
    run = spectral_cpu._run_chunk

    def counted(pieces, *args):
        calls.append(sum(take for _, _, take in pieces))
        return run(pieces, *args)

    monkeypatch.setattr(spectral_cpu, "_run_chunk", counted)
    return calls


@pytest.mark.parametrize("per_chunk", [1, 2, 3, 5])
def test_native_chunks_split_and_span_tensors(monkeypatch, per_chunk, path):
    # Three stacked tensors of 8x6 matrices (2, 3 and 1 of them) in chunks of per_chunk matrices:
    # chunks start inside a tensor and run across tensors.
    monkeypatch.setattr(spectral_cpu, "CHUNK_ELEMENTS", per_chunk * 48)
    calls = _count_chunks(monkeypatch)
    torch.manual_seed(7)
    net = nn.Module()
    net.a, net.b = nn.Parameter(torch.randn(2, 8, 6, dtype=torch.float64)), nn.Parameter(torch.randn(3, 8, 6).double())
    net.c = nn.Parameter(torch.randn(8, 6, dtype=torch.float64))
    stacks = [net.a, net.b]
    got = sum(spectral_penalty(p, 0.5, batch_dims=1) for p in stacks) + SpectralRegularizer(
        net, keep_ratio=0.5, include="^c$", weight=1.0)()
    got.backward()
    grads = [p.grad.clone() for p in (net.a, net.b, net.c)]
    net.zero_grad()
    want = sum(plain_penalty(p[i], 0.5) for p in stacks for i in range(p.shape[0])) + plain_penalty(net.c, 0.5)
    want.backward()
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-10)
    for g, p in zip(grads, (net.a, net.b, net.c)):
        torch.testing.assert_close(g, p.grad, rtol=1e-10, atol=1e-10)
    if path == "native":
        assert calls and all(c <= per_chunk for c in calls) and sum(calls) == 6
    else:
        assert calls == []


def test_module_spans_chunks_across_parameters(monkeypatch, path):
    monkeypatch.setattr(spectral_cpu, "CHUNK_ELEMENTS", 2 * 12 * 40)
    calls = _count_chunks(monkeypatch)
    torch.manual_seed(8)
    net = _Net().double()
    reg = SpectralRegularizer(net, keep_ratio=0.5, include=r"^blocks\.\d+\.weight$")
    reg().backward()
    got = [b.weight.grad.clone() for b in net.blocks]
    net.zero_grad()
    sum(plain_penalty(b.weight, 0.5) for b in net.blocks).backward()
    for g, b in zip(got, net.blocks):
        torch.testing.assert_close(g, b.weight.grad, rtol=1e-10, atol=1e-10)
    assert calls == ([2, 1] if path == "native" else [])


def test_non_contiguous_weight(path):
    base = torch.randn(20, 14, dtype=torch.float64)
    w = base.t().requires_grad_()
    got = spectral_penalty(w, 0.5)
    (g_got,) = torch.autograd.grad(got, w)
    w_c = base.t().contiguous().requires_grad_()
    want = plain_penalty(w_c, 0.5)
    (g_want,) = torch.autograd.grad(want, w_c)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-10)
    torch.testing.assert_close(g_got, g_want, rtol=1e-10, atol=1e-10)


@pytest.mark.skipif(not native.available(), reason="front_kernels._cpu is not built")
def test_native_second_backward_refuses_an_updated_weight():
    # The first backward hands the gradient to autograd; a second one recomputes it from the
    # saved weight, so a weight changed in between must be an error, not the new point's gradient.
    w = torch.randn(16, 12, dtype=torch.float64, requires_grad=True)
    loss = spectral_penalty(w, 0.5)
    loss.backward(retain_graph=True)
    with torch.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.skipif(not native.available(), reason="front_kernels._cpu is not built")
def test_native_chunks_larger_than_the_cached_size_use_fresh_buffers(monkeypatch):
    monkeypatch.setattr(spectral_cpu, "CACHED_ELEMENTS", 100)
    native.clear_workspace()
    w = torch.randn(3, 24, 30, dtype=torch.float64, requires_grad=True)
    got = spectral_penalty(w, 0.5, batch_dims=1)
    (g_got,) = torch.autograd.grad(got, w)
    assert not any(role.startswith("spectral_") for role in vars(native._workspace))
    want = sum(plain_penalty(w[i], 0.5) for i in range(3))
    (g_want,) = torch.autograd.grad(want, w)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-10)
    torch.testing.assert_close(g_got, g_want, rtol=1e-10, atol=1e-10)
