"""Drop-in replacements for other libraries' transform APIs, computed by front_kernels' own
transforms (so they run on its backends and have its autograd).

- :mod:`front_kernels.compat.torch_dct`: torch-dct's whole public API
  (``import front_kernels.compat.torch_dct as dct`` instead of ``import torch_dct as dct``).
- :mod:`front_kernels.compat.ptwt`: ptwt's fast wavelet transforms (``wavedec*`` / ``waverec*``,
  ``fswavedec*`` / ``fswaverec*``; ``import front_kernels.compat.ptwt as ptwt`` instead of
  ``import ptwt``). Not ptwt's packets, matrix transforms, CWT or SWT.
"""
from . import ptwt, torch_dct

__all__ = ["ptwt", "torch_dct"]
