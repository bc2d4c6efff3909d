"""Drop-in replacements for other libraries' transform APIs, computed by front_kernels' own
transforms (so they run on its backends and have its autograd).

- :mod:`front_kernels.compat.torch_dct`: torch-dct's whole public API
  (``import front_kernels.compat.torch_dct as dct`` instead of ``import torch_dct as dct``).
"""
from . import torch_dct

__all__ = ["torch_dct"]
