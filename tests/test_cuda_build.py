"""The CUDA extension on any machine: it builds where nvcc is, imports without a GPU,
exports its entry points, and the Python wrappers refuse bad input before C++ sees it."""
from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest
import torch

import front_kernels as fk
from front_kernels import _dispatch
from front_kernels._backends import cuda as cuda_backend
from front_kernels._backends.cuda import _ext, _launch, _ops, _plans

ENTRY_POINTS = ("device_count", "device_status", "max_shared_bytes", "dct_matrix_axis", "blocked_dct2", "dwt_sparse_axis",
                "dwt2_analysis", "dwt2_synthesis", "resize_restandardize")


def _nvcc_present() -> bool:
    if os.environ.get("FRONT_KERNELS_BUILD_CUDA") == "0":
        return False
    homes = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    return shutil.which("nvcc") is not None or any(h and Path(h, "bin", "nvcc").is_file() for h in homes)


def _module():
    try:
        return importlib.import_module("front_kernels._cuda")
    except ImportError:
        return None


def test_extension_is_built_where_nvcc_is():
    mod = _module()
    if _nvcc_present():
        assert mod is not None, "nvcc is installed but front_kernels._cuda was not built"
    else:
        assert mod is None or hasattr(mod, "device_count")
        if mod is None:
            assert "not built" in cuda_backend.unusable_reason(torch.zeros(2))


def test_entry_points_and_device_count():
    mod = _module()
    if mod is None:
        assert cuda_backend.device_count() == 0
        return
    for name in ENTRY_POINTS:
        assert callable(getattr(mod, name)), name
    assert any("dct" in n for n in ENTRY_POINTS) and any("dwt" in n for n in ENTRY_POINTS)
    assert any("resize" in n for n in ENTRY_POINTS)
    assert mod.device_count() == torch.cuda.device_count()
    assert isinstance(mod.device_status(), str) and (mod.device_count() == 0) == bool(mod.device_status())
    assert mod.cuda_runtime_version() >= 11000


def test_cpu_tensors_are_refused_with_a_reason():
    x = torch.randn(4, 8)
    reason = cuda_backend.unusable_reason(x)
    assert reason is not None and ("CUDA tensors" in reason or "not built" in reason)
    for call in (lambda: _dispatch.select("dct", x, "cuda"),
                 lambda: fk.dct(x, backend="cuda"),
                 lambda: fk.blocked_dct2(torch.randn(8, 8), backend="cuda")):
        with pytest.raises(RuntimeError, match="backend 'cuda' cannot run"):
            call()


def test_env_override_refuses_cpu_tensors(monkeypatch):
    monkeypatch.setenv("FRONT_KERNELS_BACKEND", "cuda")
    with pytest.raises(RuntimeError, match="backend 'cuda' cannot run dct"):
        fk.dct(torch.randn(5))


def test_default_dispatch_on_cpu_is_not_cuda():
    assert _dispatch.select("dct", torch.randn(3)) is not cuda_backend


@pytest.mark.parametrize("call", [
    lambda: _launch.matrix_axis_launch(torch.randn(3, 4), torch.eye(4), 1, torch.float32),
    lambda: _ops.apply_matrices(torch.randn(3, 4), [torch.eye(4)], [1], False),
    lambda: _ops.dct_axes(torch.randn(3, 4), 2, [1], "ortho", False, False),
    lambda: _ops.blocked_dct2(torch.randn(8, 8), 8, "ortho", False, False),
    lambda: _launch.sparse_axis_launch(torch.randn(3, 4), torch.zeros(2, 2, dtype=torch.int32),
                                       torch.zeros(2, 2), 1, torch.float32),
    lambda: _ops.wavelet_axes(torch.randn(3, 8), _plans.filters_of(fk.wavelets.get_wavelet("db2")), "zero",
                              [1], [8], "analysis"),
    lambda: _ops.restandardize(torch.randn(2, 4), torch.randn(2, 3), 1),
])
def test_wrappers_refuse_cpu_tensors(call):
    with pytest.raises(ValueError, match="must be a CUDA tensor"):
        call()


@pytest.mark.parametrize("dtype", [torch.float64, torch.int32, torch.complex64])
def test_wrappers_refuse_other_dtypes(dtype):
    x = torch.zeros(3, 4, dtype=dtype)
    with pytest.raises(TypeError, match="x must have dtype float32, float16, bfloat16"):
        _launch.matrix_axis_launch(x, torch.eye(4), 1, torch.float32)


def test_wrappers_refuse_wrong_table_dtypes_and_non_tensors():
    with pytest.raises(TypeError, match="idx must have dtype int32"):
        _ext.check_operand(torch.zeros(2, 2, dtype=torch.int64), "idx", dtypes=(torch.int32,))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        _ext.check_operand([1.0, 2.0], "x")


def test_float64_is_reported_unusable_on_any_device():
    reason = cuda_backend.unusable_reason(torch.zeros(2, dtype=torch.float64))
    assert reason is not None


def test_fake_kernels_and_backward_structure_on_meta_tensors():
    """The custom ops' fake kernels give the output shapes, and every backward returns one
    gradient per input in the structure autograd expects (run on meta tensors, no kernel)."""
    from front_kernels.wavelets import get_wavelet

    meta = torch.device("meta")

    def run(op, x, *args):
        x = x.requires_grad_(True)
        y = op(x, *args)
        y.sum().backward()
        assert x.grad.shape == x.shape
        return y

    x = torch.empty(3, 5, 7, device=meta)
    y = run(_ops.apply_matrices, x, [torch.empty(4, 5, device=meta), torch.empty(2, 7, device=meta)], [1, 2], True)
    assert y.shape == (3, 4, 2) and y.dtype == torch.float32
    assert run(_ops.dct_axes, torch.empty(3, 5, 7, device=meta), 2, [2, 1], "ortho", True, False).shape == (3, 5, 7)
    y = run(_ops.blocked_dct2, torch.empty(2, 16, 24, device=meta, dtype=torch.bfloat16), 8, "ortho", False, False)
    assert y.shape == (2, 16, 24) and y.dtype == torch.bfloat16
    db2 = _plans.filters_of(get_wavelet("db2"))
    packed = run(_ops.wavelet2d_levels, torch.empty(4, 13, 10, device=meta), db2, "zero", [13, 10, 2], "analysis")
    sizes = [(8, 6), (5, 4)]
    assert packed.shape == (4, sum(3 * a * b for a, b in sizes) + 5 * 4)
    back = run(_ops.wavelet2d_levels, torch.empty(4, packed.shape[1], device=meta), db2, "zero", [8, 6, 5, 4],
               "synthesis")
    assert back.shape == (4, 14, 10)
    y = run(_ops.wavelet_axes, torch.empty(3, 5, 7, device=meta), db2, "zero", [2, 1], [7, 5], "analysis")
    assert y.shape == (3, 8, 10)
    yr = torch.empty(2, 3, 4, device=meta, requires_grad=True)
    out = run(_ops.restandardize, torch.empty(2, 6, 9, device=meta), yr, 2)
    assert out.shape == (2, 3, 4) and yr.grad.shape == yr.shape
