"""Triton backend: fused GPU kernels, one op per module (kernels, launcher, custom op with its adjoint).

Runs on CUDA tensors, and on CPU tensors under Triton's interpreter
(``TRITON_INTERPRET=1``, read at launch time), which is how the tests exercise
it; anywhere else :func:`unusable_reason` says why not.

What it covers (the backend contract of :mod:`front_kernels._backends`):

* ``dct``: types 1-4, every norm, any dims, as products with cached DCT
  matrices (:mod:`.dct`, :mod:`.axis_matmul`);
* ``blocked_dct2``: any block size 4..64, one read and one write (:mod:`.blocked_dct`);
* ``resize``: the separable matrix chain with the fused re-standardisation (:mod:`.resize`);
* ``dwtn`` / ``idwtn`` / ``wavedecn`` / ``waverecn``: any filter bank of even length
  (every pywt family, orthogonal or biorthogonal, 2 to 76 taps, and custom banks),
  modes zero, symmetric, periodization, periodic, reflect, antisymmetric,
  constant and smooth (``antireflect`` raises ``NotImplementedError``)
  (:mod:`.dwt`); 2-D Haar decompositions of the last two dims run up to three
  levels per launch (:mod:`.haar2d`).

Inputs of any strides and leading dims; float16 / bfloat16 / float32 (float32
accumulation, output in the input dtype) and float64. Accuracy of float32
products on tensor cores: see :mod:`._runtime` (``FRONT_KERNELS_TRITON_FP32_DOT``).
"""
from ._runtime import unusable_reason
from .blocked_dct import blocked_dct2
from .dct import dct
from .dwt import dwtn, idwtn, wavedecn, waverecn
from .resize import resize

__all__ = ["dct", "blocked_dct2", "resize", "dwtn", "idwtn", "wavedecn", "waverecn", "unusable_reason"]
