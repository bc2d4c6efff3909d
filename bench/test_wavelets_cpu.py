"""pytest-benchmark timings of the CPU wavelet transforms next to PyWavelets (and ptwt when installed).

    pytest bench/test_wavelets_cpu.py --benchmark-group-by=param:case --benchmark-columns=min,median

Not part of the test suite (which is ``tests/``); run it on a quiet machine.
"""
from __future__ import annotations

import pytest
import pywt
import torch

import front_kernels as fk

try:
    import ptwt
except ImportError:  # optional peer
    ptwt = None

CASES = [
    (n, wavelet, mode)
    for n in (1024, 2048, 4096)
    for wavelet in ("haar", "db4")
    for mode in ("symmetric", "periodization")
]
LEVEL = 3


def _ids(case):
    n, wavelet, mode = case
    return f"{n}-{wavelet}-{mode}"


@pytest.fixture(scope="module", params=CASES, ids=_ids)
def case(request):
    n, wavelet, mode = request.param
    x = torch.randn(n, n, generator=torch.Generator().manual_seed(0))
    return request.param, x


@pytest.mark.parametrize("impl", ["front_kernels", "pywt", "ptwt"])
def test_wavedec2(benchmark, case, impl):
    (n, wavelet, mode), x = case
    benchmark.group = f"wavedec2 {n}x{n} {wavelet} {mode} level {LEVEL}"
    if impl == "front_kernels":
        out = benchmark(fk.wavedec2, x, wavelet, mode, LEVEL)
    elif impl == "pywt":
        out = benchmark(pywt.wavedec2, x.numpy(), wavelet, mode, LEVEL)
    else:
        if ptwt is None:
            pytest.skip("ptwt is not installed")
        if mode == "periodization":
            pytest.skip("ptwt has no 'periodization' mode")
        out = benchmark(ptwt.wavedec2, x, wavelet, mode=mode, level=LEVEL)
    assert len(out) == LEVEL + 1


@pytest.mark.parametrize("impl", ["front_kernels", "pywt"])
def test_waverec2(benchmark, case, impl):
    (n, wavelet, mode), x = case
    benchmark.group = f"waverec2 {n}x{n} {wavelet} {mode} level {LEVEL}"
    if impl == "front_kernels":
        coeffs = fk.wavedec2(x, wavelet, mode, LEVEL)
        out = benchmark(fk.waverec2, coeffs, wavelet, mode)
    else:
        coeffs = pywt.wavedec2(x.numpy(), wavelet, mode, LEVEL)
        out = benchmark(pywt.waverec2, coeffs, wavelet, mode)
    assert tuple(out.shape) == (n, n)
