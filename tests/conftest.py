import os

import numpy as np
import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device; none is present")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


def rel_err(got, ref) -> float:
    """max |got - ref| / max |ref| (float64, numpy or torch inputs)."""
    got = got.detach().double().cpu().numpy() if isinstance(got, torch.Tensor) else np.asarray(got, np.float64)
    ref = ref.detach().double().cpu().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref, np.float64)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = max(np.abs(ref).max(initial=0.0), 1e-300)
    return float(np.abs(got - ref).max(initial=0.0) / scale)


# float64 must match the oracle to 1e-10; float32 to 2e-5 (issue tolerance).
TOL = {torch.float64: 1e-10, torch.float32: 2e-5}
