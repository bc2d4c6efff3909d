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
