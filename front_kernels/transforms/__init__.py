"""Public transforms: DCT (scipy.fft conventions), wavelets (PyWavelets
conventions), blocked DCT and spectral resize."""
from .blocked import blocked_dct2, blocked_idct2
from .dct import dct, dctn, idct, idctn
from .resize import resize

__all__ = ["dct", "idct", "dctn", "idctn", "blocked_dct2", "blocked_idct2", "resize"]
