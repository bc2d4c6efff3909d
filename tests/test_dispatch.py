"""Backend selection: keyword, environment variable, clear errors, no silent fallback."""
import pytest
import torch

import front_kernels as fk
from front_kernels import _dispatch


def test_cpu_tensors_default_to_reference():
    assert _dispatch.select("dct", torch.randn(3)).__name__ == "front_kernels._backends.reference"


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="backend must be one of 'reference', 'triton', 'cuda'; got 'fast'"):
        fk.dct(torch.randn(4), backend="fast")


def test_environment_variable_selects_backend(monkeypatch):
    monkeypatch.setenv(_dispatch.ENV_VAR, "nonsense")
    with pytest.raises(ValueError, match="got 'nonsense'"):
        fk.dct(torch.randn(4))
    monkeypatch.setenv(_dispatch.ENV_VAR, "reference")
    assert torch.allclose(fk.dct(torch.ones(4)), torch.tensor([8.0, 0, 0, 0]), atol=1e-6)


def test_keyword_overrides_environment(monkeypatch):
    monkeypatch.setenv(_dispatch.ENV_VAR, "nonsense")
    fk.dct(torch.randn(4), backend="reference")


def test_cuda_backend_on_cpu_tensor_is_an_error_not_a_fallback():
    with pytest.raises(RuntimeError, match="backend 'cuda'"):
        fk.dct(torch.randn(4), backend="cuda")


def test_triton_backend_on_cpu_without_interpreter_is_an_error(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    with pytest.raises(RuntimeError, match="backend 'triton'"):
        fk.dctn(torch.randn(4, 4), backend="triton")


@pytest.mark.parametrize("op, lengths, filter_length, expected", [
    ("dct", [1024, 1024], None, "triton"), ("dct", [768, 3072], None, "reference"),
    ("resize", [3072, 1536], None, "reference"), ("resize", [512, 256], None, "triton"),
    ("blocked_dct2", None, None, "triton"),
    ("wavedecn", None, 2, "triton"), ("wavedecn", None, 8, "cuda"), ("waverecn", None, 4, "cuda"),
])
def test_gpu_default_follows_the_h200_measurements(op, lengths, filter_length, expected):
    """The GPU rule table (bench/results/gpu_cuda_vs_triton_nvidia_h200.md): matrix kernels up to axes of
    MATRIX_MAX_LENGTH, cuFFT beyond; Triton for Haar, CUDA for longer filters."""
    assert _dispatch.gpu_choice(op, lengths, filter_length) == expected
