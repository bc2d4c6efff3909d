"""The Triton backend's torch.library custom ops: schema, autograd registration and fake
(meta) kernels, so that torch.compile traces through them without graph breaks."""
from __future__ import annotations

import pytest
import torch
from torch.library import opcheck

from triton_support import compiled, gpu, interpreter  # noqa: F401

import front_kernels as fk
from front_kernels._backends.triton.axis_matmul import apply_matrices
from front_kernels._backends.triton.blocked_dct import blocked_transform, tile_matrix
from front_kernels._backends.triton.dwt import _taps, dwt_analysis, dwt_synthesis
from front_kernels._backends.triton.haar2d import haar2_analysis, haar2_synthesis
from front_kernels._backends.triton.resize import resize_std
from front_kernels.wavelets import get_wavelet

# test_aot_dispatch_dynamic needs real device storage, which Triton's CPU interpreter does not
# provide; the GPU variant below runs it.
CPU_UTILS = ("test_schema", "test_autograd_registration", "test_faketensor")


def _cases(device):
    g = torch.Generator().manual_seed(0)

    def rnd(*shape):
        return torch.randn(*shape, generator=g).to(device).requires_grad_(True)

    db2, haar = get_wavelet("db2"), get_wavelet("haar")
    dev = torch.device(device)
    x = rnd(2, 5, 6)
    mats = [torch.randn(3, 5, generator=g).to(device), torch.randn(4, 6, generator=g).to(device)]
    img = rnd(1, 8, 16)
    haar_bands = [rnd(1, 2, 4)] + [rnd(1, 4, 8) for _ in range(3)] + [rnd(1, 2, 4) for _ in range(3)]
    return {
        "apply_matrices": (apply_matrices, (x, mats, [1, 2])),
        "resize_std": (resize_std, (x, mats, [1, 2], 2)),
        "dwt_analysis": (dwt_analysis, (x, _taps(db2, True, dev), 2, "symmetric", 2, 4, torch.float32)),
        "dwt_synthesis": (dwt_synthesis, (rnd(2, 2, 5, 4), _taps(db2, False, dev), 2, False, 0, 0, 6, torch.float32)),
        "haar2_analysis": (haar2_analysis, (img, _taps(haar, True, dev), 2)),
        "haar2_synthesis": (haar2_synthesis, (haar_bands, _taps(haar, False, dev))),
        "blocked_transform": (blocked_transform, (img, tile_matrix(8, 16, "ortho", False, torch.float32, dev), 8)),
    }


@pytest.mark.parametrize("name", list(_cases("cpu")))
def test_custom_op_registration(interpreter, name):
    op, args = _cases("cpu")[name]
    result = opcheck(op, args, test_utils=CPU_UTILS)
    assert all(v == "SUCCESS" for v in result.values()), result


@gpu
@pytest.mark.parametrize("name", list(_cases("cpu")))
def test_gpu_custom_op_full_opcheck(compiled, name):
    op, args = _cases("cuda")[name]
    result = opcheck(op, args)
    assert all(v == "SUCCESS" for v in result.values()), result


@gpu
def test_gpu_torch_compile_fullgraph(compiled):
    x = torch.randn(4, 64, 96, device="cuda")

    def f(t):
        y = fk.dctn(t, dim=(-2, -1), norm="ortho", backend="triton")
        coeffs = fk.wavedec2(t, "haar", "periodization", level=2, backend="triton")
        z = fk.resize(t, (32, 48), backend="triton")
        return y.sum() + coeffs[0].sum() + z.sum()

    expected = f(x)
    got = torch.compile(f, fullgraph=True)(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)


def test_torch_compile_fullgraph_through_the_triton_ops(interpreter):
    from front_kernels import _dispatch

    _dispatch.backend_module("triton")  # imported outside the trace
    x = torch.randn(3, 8, 12, generator=torch.Generator().manual_seed(1))

    def f(t):
        y = fk.dctn(t, dim=(-2, -1), norm="ortho", backend="triton")
        coeffs = fk.wavedec2(t, "db2", "symmetric", level=1, backend="triton")
        z = fk.resize(t, (5, 7), backend="triton")
        return y.sum() + coeffs[0].sum() + coeffs[1][2].sum() + z.sum()

    compiled_f = torch.compile(f, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled_f(x), f(x), rtol=1e-5, atol=1e-5)
    x2 = x + 1  # a second call reuses the graph; nothing traced was cached
    torch.testing.assert_close(compiled_f(x2), f(x2), rtol=1e-5, atol=1e-5)
