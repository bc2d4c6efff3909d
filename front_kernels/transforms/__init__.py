"""Public transforms: DCT (scipy.fft conventions), wavelets (PyWavelets
conventions), blocked DCT and spectral resize."""
from .blocked import blocked_dct2, blocked_idct2
from .dct import dct, dctn, dst, dstn, idct, idctn, idst, idstn
from .resize import resize
from .wavelet import (dwt, dwt2, dwt_coeff_len, dwt_max_level, dwtn, idwt, idwt2, idwtn, wavedec, wavedec2,
                      wavedecn, waverec, waverec2, waverecn)

__all__ = ["dct", "idct", "dctn", "idctn", "dst", "idst", "dstn", "idstn", "blocked_dct2", "blocked_idct2", "resize",
           "dwt", "idwt", "dwt2", "idwt2", "dwtn", "idwtn", "wavedec", "waverec", "wavedec2", "waverec2",
           "wavedecn", "waverecn", "dwt_max_level", "dwt_coeff_len"]
