"""front_kernels: fast DCT / wavelet transforms of tensors and FRONT / BoT
knowledge transfer between models of different sizes."""
from .transforms import blocked_dct2, blocked_idct2, dct, dctn, idct, idctn, resize
from .transforms.wavelet import (dwt, dwt2, dwt_coeff_len, dwt_max_level, dwtn, idwt, idwt2, idwtn, wavedec,
                                 wavedec2, wavedecn, waverec, waverec2, waverecn)
from .wavelets import Wavelet, get_wavelet, wavelist
from .regularize import SpectralRegularizer, spectral_penalty
from .transfer import BotOptions, FrontOptions, TransferReport, transfer, transfer_report

__version__ = "0.1.0"

__all__ = ["dct", "idct", "dctn", "idctn", "blocked_dct2", "blocked_idct2", "resize", "SpectralRegularizer", "spectral_penalty",
           "transfer", "transfer_report", "FrontOptions", "BotOptions", "TransferReport",
           "dwt", "idwt", "dwt2", "idwt2", "dwtn", "idwtn", "wavedec", "waverec", "wavedec2", "waverec2",
           "wavedecn", "waverecn", "dwt_max_level", "dwt_coeff_len", "Wavelet", "get_wavelet", "wavelist"]
