"""Backend selection: the only module that knows every backend.

Order of precedence for one call:
1. the ``backend=`` keyword of the public function,
2. the ``FRONT_KERNELS_BACKEND`` environment variable,
3. the default: CPU tensors -> ``reference``; CUDA tensors -> the GPU backend
   that measured fastest for that op and size (:func:`gpu_choice`), if it is
   available, else ``reference``.

An explicit request (1 or 2) for a backend that is not available, or that
does not implement the op, is an error, never a silent fallback.
"""
from __future__ import annotations

import os
from types import ModuleType

import torch

BACKENDS = ("reference", "triton", "cuda")
ENV_VAR = "FRONT_KERNELS_BACKEND"

# The GPU defaults, from bench/results/gpu_cuda_vs_triton_nvidia_h200.md and gpu_triton_nvidia_h200.md
# (H200, torch 2.11, triton 3.6, 2026-12-04):
# - the matrix DCT / resize kernels beat cuFFT (the reference backend) on axes up to 1024 (dctn 1024^2:
#   Triton 0.34 ms, cuFFT 0.75 ms) and lose beyond (12 x 768 x 3072: Triton 6.6 ms, CUDA 15.5 ms, cuFFT
#   1.6 ms; 4096^2: Triton 9.8 ms, a cuFFT DCT 0.95 ms): above MATRIX_MAX_LENGTH the reference backend runs;
# - blocked DCT: Triton (4096^2, b=8: 0.20 ms against CUDA 0.51 ms);
# - DWT: Triton's Haar kernels (haar zero L3 12 x 768^2: 0.36 ms, CUDA 1.06 ms), the CUDA kernels for longer
#   filters (db4 symmetric L3 64 x 128^2: CUDA 0.53 ms, Triton 2.1 ms; db4 periodization 4096^2: 1.44 / 1.97).
MATRIX_MAX_LENGTH = 1024
GPU_DEFAULTS: dict[str, str] = {"dct": "triton", "resize": "triton", "blocked_dct2": "triton",
                                "dwtn": "cuda", "idwtn": "cuda", "wavedecn": "cuda", "waverecn": "cuda"}
GPU_FALLBACK = "triton"
_HAAR_FAVOURS = "triton"


def gpu_choice(op: str, lengths=None, filter_length: int | None = None) -> str:
    """The backend a CUDA tensor gets for ``op`` by default (see the measurements above): ``lengths``, the
    transformed axes' lengths (input and output) of a DCT or resize; ``filter_length`` of a wavelet."""
    if op in ("dct", "resize") and lengths and max(lengths) > MATRIX_MAX_LENGTH:
        return "reference"
    if filter_length is not None and filter_length <= 2:
        return _HAAR_FAVOURS
    return GPU_DEFAULTS.get(op, GPU_FALLBACK)


def _import(name: str) -> ModuleType:
    # Import statements rather than importlib: torch.compile traces an import statement (it runs the
    # import) but refuses importlib.import_module, and a compiled call may be the first to ask.
    if name == "triton":
        from ._backends import triton as mod
    elif name == "cuda":
        from ._backends import cuda as mod
    else:
        from ._backends import reference as mod
    return mod


_modules: dict[str, ModuleType | Exception] = {
    "reference": _import("reference"),
}


def _load(name: str) -> ModuleType | Exception:
    if name not in _modules:
        try:
            _modules[name] = _import(name)
        except Exception as exc:  # an import failure is reported when the backend is asked for
            _modules[name] = exc
    return _modules[name]


def backend_module(name: str) -> ModuleType:
    """Import a backend by name, raising a clear error when it is unusable here."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; got {name!r}")
    mod = _load(name)
    if isinstance(mod, Exception):
        raise RuntimeError(f"backend {name!r} is not available: {mod}") from mod
    return mod


def _usable_for(mod: ModuleType, x: torch.Tensor) -> str | None:
    """None if ``mod`` can run on ``x``'s device, else the reason it cannot."""
    check = getattr(mod, "unusable_reason", None)
    return check(x) if check is not None else None


def available_backends(x: torch.Tensor | None = None) -> list[str]:
    """Backends that import here (and, given ``x``, can run on its device)."""
    out = []
    for name in BACKENDS:
        mod = _load(name)
        if isinstance(mod, Exception):
            continue
        if x is not None and _usable_for(mod, x) is not None:
            continue
        out.append(name)
    return out


def select(op: str, x: torch.Tensor, backend: str | None = None, *, lengths=None,
           filter_length: int | None = None) -> ModuleType:
    """The backend module that runs ``op`` on ``x``; ``lengths`` and ``filter_length`` inform the GPU
    default (:func:`gpu_choice`)."""
    requested = backend if backend is not None else os.environ.get(ENV_VAR) or None
    if requested is not None:
        mod = backend_module(requested)
        reason = _usable_for(mod, x)
        if reason is not None:
            raise RuntimeError(f"backend {requested!r} cannot run {op} here: {reason}")
        if not hasattr(mod, op):
            raise NotImplementedError(f"backend {requested!r} does not implement {op}")
        return mod
    if x.is_cuda:
        choice = gpu_choice(op, lengths, filter_length)
        if choice == "reference":
            return backend_module("reference")
        for name in (choice, "triton", "cuda"):
            mod = _load(name)
            if not isinstance(mod, Exception) and hasattr(mod, op) and _usable_for(mod, x) is None:
                return mod
    return backend_module("reference")
