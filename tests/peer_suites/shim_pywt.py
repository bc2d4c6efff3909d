"""``pywt``'s discrete wavelet transforms backed by front_kernels.

Transforms (dwt, idwt, dwt2, idwt2, dwtn, idwtn, wavedec*, waverec*) and dwt_max_level,
dwt_coeff_len, wavelist are front_kernels': arrays are converted to tensors and back, every
other argument (wavelet names or ``pywt.Wavelet`` objects, modes, levels, axes) passes
through unchanged. The names in ``DELEGATED`` are taken from pywt itself because they are
not transforms: wavelet objects (their filter banks reach front_kernels as ``pywt.Wavelet``
objects, which it accepts), the mode enum, and the coefficient packing helpers the peer
tests use around a front_kernels transform (coeffs_to_array and friends work on the numpy
arrays this shim returns). Anything else pywt has (swt, wavelet packets, cwt, downcoef /
upcoef, fswavedecn, pad, thresholding) is absent: tests that need it are out of scope.
"""
from __future__ import annotations

import pywt as _pywt

import front_kernels as fk
from peer_suites._convert import to_numpy, to_torch

DELEGATED = ("Wavelet", "DiscreteContinuousWavelet", "ContinuousWavelet", "Modes", "families",
             "coeffs_to_array", "array_to_coeffs", "ravel_coeffs", "unravel_coeffs",
             "wavedecn_shapes", "wavedecn_size", "dwtn_max_level",
             # reached for by a few tests: the Modes enum (pywt._extensions._pywt.Modes.reflect) and
             # pywt's own dwt_max_level as the expected value (pywt._dwt.dwt_max_level)
             "_extensions", "_dwt")
for _name in DELEGATED:
    globals()[_name] = getattr(_pywt, _name)

dwt_max_level = fk.dwt_max_level
dwt_coeff_len = fk.dwt_coeff_len
wavelist = fk.wavelist


def _details(d):
    """One detail level: a dict or a tuple/list of arrays keeps its container, an array becomes a tensor."""
    if isinstance(d, dict):
        return {k: to_torch(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return type(d)(to_torch(v) for v in d)
    return to_torch(d)


def _levels(coeffs):
    """A multilevel list: the approximation an array, every later entry a detail level."""
    if not isinstance(coeffs, (list, tuple)):
        return to_torch(coeffs)
    if not coeffs:
        return coeffs
    return [to_torch(coeffs[0])] + [_details(d) for d in coeffs[1:]]


def dwt(data, *args, **kwargs):
    return to_numpy(fk.dwt(to_torch(data), *args, **kwargs))


def idwt(cA, cD, *args, **kwargs):
    return to_numpy(fk.idwt(to_torch(cA), to_torch(cD), *args, **kwargs))


def dwt2(data, *args, **kwargs):
    return to_numpy(fk.dwt2(to_torch(data), *args, **kwargs))


def idwt2(coeffs, *args, **kwargs):
    if isinstance(coeffs, (list, tuple)) and len(coeffs) == 2:
        coeffs = (to_torch(coeffs[0]), _details(coeffs[1]) if coeffs[1] is not None else None)
    return to_numpy(fk.idwt2(coeffs, *args, **kwargs))


def dwtn(data, *args, **kwargs):
    return to_numpy(fk.dwtn(to_torch(data), *args, **kwargs))


def idwtn(coeffs, *args, **kwargs):
    return to_numpy(fk.idwtn(_details(coeffs) if isinstance(coeffs, dict) else coeffs, *args, **kwargs))


def wavedec(data, *args, **kwargs):
    return to_numpy(fk.wavedec(to_torch(data), *args, **kwargs))


def wavedec2(data, *args, **kwargs):
    return to_numpy(fk.wavedec2(to_torch(data), *args, **kwargs))


def wavedecn(data, *args, **kwargs):
    return to_numpy(fk.wavedecn(to_torch(data), *args, **kwargs))


def waverec(coeffs, *args, **kwargs):
    return to_numpy(fk.waverec(_levels(coeffs), *args, **kwargs))


def waverec2(coeffs, *args, **kwargs):
    return to_numpy(fk.waverec2(_levels(coeffs), *args, **kwargs))


def waverecn(coeffs, *args, **kwargs):
    return to_numpy(fk.waverecn(_levels(coeffs), *args, **kwargs))
