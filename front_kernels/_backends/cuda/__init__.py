"""CUDA backend: the kernels of ``csrc/`` (extension ``front_kernels._cuda``) behind the
backend contract of :mod:`front_kernels._backends`, as custom ops with adjoint backwards.

Runs on CUDA tensors of dtype float32, float16 or bfloat16 (float32 accumulation); the wavelet
kernels take any filter bank of even length (banded tables built from all four filters);
:func:`unusable_reason` says why it cannot run elsewhere. Modules: ``_ext`` (loading,
input checks), ``_launch`` (one launcher per kernel), ``_tables`` / ``_plans`` (wavelet
tables and level plans), ``_ops`` (custom ops and their adjoints), and the entry points
``dct``, ``resize``, ``dwt``. ``csrc/sim/simulate.py`` runs the kernels' source on the
CPU through this package to check them without a GPU.
"""
from ._ext import device_count, unusable_reason
from .dct import blocked_dct2, dct
from .dwt import dwtn, idwtn, wavedecn, waverecn
from .resize import resize

__all__ = ["dct", "blocked_dct2", "resize", "dwtn", "idwtn", "wavedecn", "waverecn", "unusable_reason",
           "device_count"]
