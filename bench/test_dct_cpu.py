"""pytest-benchmark version of bench_cpu_dct.py (not part of the test suite: tests/ is its testpath).

    python -m pytest bench/test_dct_cpu.py --benchmark-enable --benchmark-group-by=param:n,param:op

One group per (size, op): front_kernels native / pure torch, scipy.fft (2 workers), torch-dct.
"""
from __future__ import annotations

import pytest
import scipy.fft as sfft
import torch

import front_kernels as fk
from front_kernels._backends.reference import native

SIZES = (1024, 2048, 4096)
OPS = ("dctn", "idctn")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("n", SIZES)
def test_scipy(benchmark, op, n):
    x = torch.randn(n, n).numpy()
    benchmark(getattr(sfft, op), x, norm="ortho", workers=2)


@pytest.mark.parametrize("use_native", [True, False], ids=["native", "pure_torch"])
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("n", SIZES)
def test_front_kernels(benchmark, monkeypatch, op, n, use_native):
    if use_native and not native.available():
        pytest.fail(f"front_kernels._cpu is not built: {native.IMPORT_ERROR}")
    monkeypatch.setattr(native, "enabled", use_native)
    x = torch.randn(n, n)
    benchmark(getattr(fk, op), x, norm="ortho", backend="reference")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("n", SIZES)
def test_torch_dct(benchmark, op, n):
    torch_dct = pytest.importorskip("torch_dct", reason="pip install torch-dct --no-deps")
    fn = torch_dct.dct_2d if op == "dctn" else torch_dct.idct_2d
    benchmark(fn, torch.randn(n, n), norm="ortho")
