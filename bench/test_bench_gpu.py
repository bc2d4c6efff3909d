"""pytest-benchmark microbenchmarks of the Triton kernels on a CUDA device.

    pytest bench/test_bench_gpu.py --benchmark-enable [--benchmark-json bench/results/triton.json]

Not collected by the test suite (``pytest tests``); skipped when no CUDA device is
present. Each call synchronises the device so that the timer sees the kernel.
"""
from __future__ import annotations

import pytest
import torch

import front_kernels as fk

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SQUARES = [1024, 4096, 16384]
STACKED = (12, 768, 3072)


def _timed(benchmark, fn):
    def run():
        out = fn()
        torch.cuda.synchronize()
        return out

    run()
    benchmark(run)


@pytest.fixture(autouse=True)
def _compiled(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")


@pytest.mark.parametrize("shape", [(n, n) for n in SQUARES] + [STACKED], ids=str)
def test_dctn(benchmark, shape):
    x = torch.randn(shape, device="cuda")
    _timed(benchmark, lambda: fk.dctn(x, dim=(-2, -1), norm="ortho", backend="triton"))


@pytest.mark.parametrize("shape", [(4096, 4096)], ids=str)
def test_dctn_torch_fft_reference(benchmark, shape):
    x = torch.randn(shape, device="cuda")
    _timed(benchmark, lambda: fk.dctn(x, dim=(-2, -1), norm="ortho", backend="reference"))


@pytest.mark.parametrize("block", [8, 16, 32, 64])
@pytest.mark.parametrize("shape", [(4096, 4096), STACKED], ids=str)
def test_blocked_dct2(benchmark, shape, block):
    x = torch.randn(shape, device="cuda")
    _timed(benchmark, lambda: fk.blocked_dct2(x, block=block, backend="triton"))


@pytest.mark.parametrize("wavelet,mode", [("haar", "periodization"), ("db4", "symmetric")])
@pytest.mark.parametrize("shape", [(4096, 4096), STACKED], ids=str)
def test_wavedec2(benchmark, shape, wavelet, mode):
    x = torch.randn(shape, device="cuda")
    _timed(benchmark, lambda: fk.wavedec2(x, wavelet, mode=mode, level=3, backend="triton"))


@pytest.mark.parametrize("method", ["dct", "dwt"])
@pytest.mark.parametrize("src,dst", [((4096, 4096), (2048, 2048)), (STACKED, (6, 384, 1536))], ids=str)
def test_resize(benchmark, src, dst, method):
    x = torch.randn(src, device="cuda")
    _timed(benchmark, lambda: fk.resize(x, dst, method=method, rescale="std", backend="triton"))
