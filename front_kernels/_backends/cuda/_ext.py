"""Loading ``front_kernels._cuda`` and the checks every launch passes first.

The extension takes raw device pointers, element strides and a CUDA stream
handle; nothing here lets a pointer reach C++ before :func:`check_operand` has
checked the tensor's device, dtype, size and layout.
"""
from __future__ import annotations

import math

import torch

# Element type codes of csrc/common.cuh.
DTYPE_CODES = {torch.float32: 0, torch.float16: 1, torch.bfloat16: 2}

_ext = None
_import_error: Exception | None = None


def extension():
    """The compiled module, or a RuntimeError saying why it is missing."""
    global _ext, _import_error
    if _ext is None and _import_error is None:
        try:
            from front_kernels import _cuda

            _ext = _cuda
        except ImportError as exc:
            _import_error = exc
    if _ext is None:
        raise RuntimeError(
            "the CUDA extension front_kernels._cuda is not built (install with nvcc on PATH, or "
            f"FRONT_KERNELS_BUILD_CUDA=1): {_import_error}"
        )
    return _ext


def device_count() -> int:
    """CUDA devices the extension sees (0 when it is not built or there is no driver/device)."""
    try:
        return extension().device_count()
    except RuntimeError:
        return 0


_problems: dict[str, str] = {}


@torch.compiler.assume_constant_result
def build_problem() -> str:
    """Why the extension cannot be loaded here ('' when it can). Asked once per process; torch.compile
    takes the answer as a constant instead of tracing the import."""
    if "build" not in _problems:
        try:
            extension()
            _problems["build"] = ""
        except RuntimeError as exc:
            _problems["build"] = str(exc)
    return _problems["build"]


@torch.compiler.assume_constant_result
def device_problem() -> str:
    """Why the loaded extension sees no CUDA device ('' when it sees one); asked once per process, a
    constant to torch.compile (the extension's runtime queries cannot be traced)."""
    if "device" not in _problems:
        ext = extension()
        if ext.device_count() == 0:
            status = ext.device_status() or "no CUDA device"
            _problems["device"] = (f"front_kernels._cuda (CUDA runtime {ext.cuda_runtime_version()}) "
                                   f"sees no device: {status}")
        else:
            _problems["device"] = ""
    return _problems["device"]


def unusable_reason(x: torch.Tensor) -> str | None:
    """None if the CUDA kernels can run on ``x``, else why not."""
    if build_problem():
        return build_problem()
    if not x.is_cuda:
        return f"the cuda backend runs on CUDA tensors, got a tensor on {x.device}"
    if device_problem():
        return device_problem()
    if x.dtype not in DTYPE_CODES:
        return f"the cuda backend computes float32/float16/bfloat16 tensors, got {x.dtype}"
    return None


def check_operand(t, name: str, *, device: torch.device | None = None, dtypes=tuple(DTYPE_CODES),
                  contiguous: bool = False, ndim: int | None = None) -> torch.Tensor:
    """Raise TypeError/ValueError naming ``name`` unless ``t`` may be handed to the extension."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype not in dtypes:
        names = ", ".join(str(d).replace("torch.", "") for d in dtypes)
        raise TypeError(f"{name} must have dtype {names} for the cuda backend, got {t.dtype}")
    if not t.is_cuda:
        raise ValueError(f"{name} must be a CUDA tensor for the cuda backend, got a tensor on {t.device}")
    if device is not None and t.device != device:
        raise ValueError(f"{name} is on {t.device}, expected {device} (all operands on one device)")
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(t.shape)}")
    if contiguous and not t.is_contiguous():
        raise ValueError(f"{name} must be contiguous, got strides {t.stride()} for shape {tuple(t.shape)}")
    if t.numel() >= 2**62:
        raise ValueError(f"{name} is too large ({t.numel()} elements)")
    return t


def launch_args(t: torch.Tensor) -> tuple[int, int]:
    """``(device index, stream handle)`` of the current stream on ``t``'s device."""
    return t.device.index, torch.cuda.current_stream(t.device).cuda_stream


def as_3d(t: torch.Tensor, dim: int) -> torch.Tensor:
    """``t`` viewed as ``(outer, t.shape[dim], inner)``; copies only when the dims cannot merge."""
    outer = math.prod(t.shape[:dim])
    inner = math.prod(t.shape[dim + 1:])
    return t.reshape(outer, t.shape[dim], inner)
