"""Triton backend: fused GPU kernels, one op per module (kernel, launcher, custom op with its adjoint).

Runs on CUDA tensors, and on CPU tensors under Triton's interpreter
(``TRITON_INTERPRET=1``), which is how the tests exercise it.
"""
from ._runtime import unusable_reason
from .blocked_dct import blocked_dct2
from .dct import dct
from .dwt import dwtn, idwtn, wavedecn, waverecn
from .resize import resize

__all__ = ["dct", "blocked_dct2", "resize", "dwtn", "idwtn", "wavedecn", "waverecn", "unusable_reason"]
