"""front_kernels: fast DCT / wavelet transforms of tensors and FRONT / BoT
knowledge transfer between models of different sizes."""
from ._workspace import clear_workspace
from .regularize import SpectralRegularizer, spectral_penalty
from .transfer import BotOptions, FrontOptions, TransferReport, transfer, transfer_report
from .transforms import (blocked_dct2, blocked_idct2, dct, dctn, dst, dstn, dwt, dwt2, dwt_coeff_len, dwt_max_level,
                         dwtn, idct, idctn, idst, idstn, idwt, idwt2, idwtn, resize, wavedec, wavedec2, wavedecn,
                         waverec, waverec2, waverecn)
from .wavelets import Wavelet, get_wavelet, wavelist

__version__ = "0.1.0"

__all__ = [
    # DCT (scipy.fft conventions)
    "dct", "idct", "dctn", "idctn", "dst", "idst", "dstn", "idstn", "blocked_dct2", "blocked_idct2",
    # wavelets (PyWavelets conventions)
    "dwt", "idwt", "dwt2", "idwt2", "dwtn", "idwtn", "wavedec", "waverec", "wavedec2", "waverec2",
    "wavedecn", "waverecn", "dwt_max_level", "dwt_coeff_len", "Wavelet", "get_wavelet", "wavelist",
    # spectral resize
    "resize",
    # model transfer and the spectral regulariser
    "transfer", "transfer_report", "FrontOptions", "BotOptions", "TransferReport",
    "SpectralRegularizer", "spectral_penalty",
    # memory
    "clear_workspace",
]
