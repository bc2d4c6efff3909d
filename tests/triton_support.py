"""Helpers for the Triton kernel tests.

CPU tests run the kernels through Triton's interpreter: the ``interpreter``
fixture sets ``TRITON_INTERPRET=1`` for the duration of one test. The
backend compiles its kernels at launch time, so it does not matter whether
``triton`` was imported before. GPU tests (marker ``gpu``) run the compiled
kernels on CUDA tensors and are skipped when no CUDA device is present.
"""
from __future__ import annotations

import pytest
import torch

import triton  # noqa: F401  (the backend under test: a missing install is an error, not a skip)


def gpu(test):
    """Mark ``test`` as a GPU test (marker ``gpu``), skipped when no CUDA device is present."""
    return pytest.mark.gpu(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")(test))


@pytest.fixture
def interpreter(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    yield


@pytest.fixture
def compiled(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    yield


# Relative (to the reference's max magnitude) tolerances of the kernels' output,
# dominated by the rounding of the output dtype.
RTOL = {torch.float64: 1e-12, torch.float32: 2e-6, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}
GPU_RTOL = {torch.float64: 1e-12, torch.float32: 2e-5, torch.float16: 4e-3, torch.bfloat16: 2e-2}


def assert_close_rel(actual: torch.Tensor, expected: torch.Tensor, rtol: float) -> None:
    """max |actual - expected| <= rtol * max |expected| (plus a tiny floor for all-zero references)."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    err = (actual.double().cpu() - expected.double().cpu()).abs().max().item()
    scale = expected.double().abs().max().item()
    assert err <= rtol * scale + 1e-30, f"max error {err:.3e} > {rtol:.1e} * {scale:.3e}"
