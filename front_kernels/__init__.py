"""front_kernels: fast DCT / wavelet transforms of tensors and FRONT / BoT
knowledge transfer between models of different sizes."""
from .transforms import blocked_dct2, blocked_idct2, dct, dctn, idct, idctn
from .regularize import SpectralRegularizer, spectral_penalty

__version__ = "0.1.0"

__all__ = ["dct", "idct", "dctn", "idctn", "blocked_dct2", "blocked_idct2", "SpectralRegularizer", "spectral_penalty"]
