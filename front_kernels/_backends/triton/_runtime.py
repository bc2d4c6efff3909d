"""Where the Triton kernels run, and how they are compiled.

A kernel is written as a plain Python function and wrapped in
:class:`LazyKernel`, which builds the Triton object on first launch, not at
import: ``TRITON_INTERPRET=1`` (Triton's CPU interpreter, used by the tests)
is read when the kernel is launched, so the order in which modules import
``triton`` does not matter. Under the interpreter the autotuner is skipped and
one small fixed configuration runs (several programs, masked edges).
The kernels call only Triton builtins (``tl.full``, ``tl.reduce`` with
``tl.standard._sum_combine``, ...), never the ``@triton.jit`` helpers of
``triton.language`` (``tl.zeros``, ``tl.sum``, ``tl.cdiv``): those are
compiled or interpreted according to ``TRITON_INTERPRET`` at the time
``triton`` itself was imported, and would break one mode or the other.

``FRONT_KERNELS_TRITON_FP32_DOT`` picks how float32 products use tensor cores:
``tf32x3`` (default: three TF32 products, about float32 accuracy, relative
error ~1e-6), ``tf32`` (fastest, relative error ~1e-3) or ``ieee`` (no tensor
cores). bfloat16 operands are multiplied natively with float32 accumulation
(the matrix rounded to bfloat16: relative error ~4e-3, the order of bfloat16's
own rounding); float16 operands are converted to float32 first (scaled DCT
matrices reach float16's subnormal range); float64 uses ``ieee``.
"""
from __future__ import annotations

import functools
import os

import torch

try:
    import triton
    import triton.language as tl  # noqa: F401  (re-exported for the kernel modules)

    _IMPORT_ERROR: Exception | None = None
except Exception as exc:  # the backend module reports it through unusable_reason
    triton = None
    _IMPORT_ERROR = exc

FP32_DOT_ENV = "FRONT_KERNELS_TRITON_FP32_DOT"
FP32_DOT_CHOICES = ("tf32x3", "tf32", "ieee")
MAX_GRID_YZ = 65535  # CUDA limit on grid dims 1 and 2


def device_cache(maxsize: int):
    """``functools.lru_cache`` for builders of device tensors (DCT matrices, filter taps),
    bypassed while ``torch.compile`` traces so that no fake tensor is ever cached."""
    def wrap(fn):
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(*args):
            if torch.compiler.is_compiling():
                return fn(*args)
            return cached(*args)

        call.cache_clear = cached.cache_clear
        return call
    return wrap


def interpreting() -> bool:
    """True when Triton's CPU interpreter is switched on (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "yes", "on")


def unusable_reason(x: torch.Tensor) -> str | None:
    """None if the kernels can run on ``x``'s device, else why not."""
    if _IMPORT_ERROR is not None:
        return f"triton does not import: {_IMPORT_ERROR}"
    if x.is_cuda:
        return None
    if x.device.type == "cpu" and interpreting():
        return None
    return (
        f"the triton backend runs on CUDA tensors (got a tensor on {x.device}); "
        f"CPU tensors need Triton's interpreter, TRITON_INTERPRET=1"
    )


def fp32_dot_precision() -> str:
    value = os.environ.get(FP32_DOT_ENV, "tf32x3")
    if value not in FP32_DOT_CHOICES:
        raise ValueError(f"{FP32_DOT_ENV} must be one of {', '.join(FP32_DOT_CHOICES)}; got {value!r}")
    return value


def dot_precision(dtype: torch.dtype) -> str:
    """``input_precision`` for ``tl.dot`` on operands computed from ``dtype``."""
    if dtype == torch.float64 or interpreting():
        return "ieee"
    return fp32_dot_precision()


class LazyKernel:
    """A kernel function compiled for the mode in force when it is launched.

    ``configs`` / ``key`` are the autotune space on a GPU; ``interpret_meta`` the
    fixed meta-parameters used under the interpreter; ``do_not_specialize`` names
    integer arguments the kernel treats as tensors (``.to(...)``), which must not
    become compile-time constants when they equal 1.
    """

    def __init__(self, fn, configs=None, key=None, interpret_meta=None, do_not_specialize=()):
        self.fn = fn
        self.do_not_specialize = list(do_not_specialize)
        self.configs = configs
        self.key = key or []
        self.interpret_meta = interpret_meta or {}
        self._built: dict[bool, object] = {}

    def _build(self, interp: bool):
        if interp not in self._built:
            if interp:
                from triton.runtime.interpreter import InterpretedFunction

                self._built[interp] = InterpretedFunction(self.fn)
            else:
                from triton.runtime.jit import JITFunction

                jitted = JITFunction(self.fn, do_not_specialize=self.do_not_specialize)
                if self.configs:
                    jitted = triton.autotune(configs=self.configs, key=self.key)(jitted)
                self._built[interp] = jitted
        return self._built[interp]

    @property
    def autotuned(self) -> bool:
        return bool(self.configs) and not interpreting()

    def launch(self, grid, *args, **meta):
        """Launch with ``grid`` (a tuple or a ``meta -> tuple`` callable)."""
        interp = interpreting()
        kernel = self._build(interp)
        if interp:
            meta = {**self.interpret_meta, **meta}
        elif not self.configs:
            meta = {**self.interpret_meta, **meta}
        return kernel[grid](*args, **meta)

