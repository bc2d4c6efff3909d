"""Peer suites: scipy's and PyWavelets' own tests of the transforms front_kernels has, run through the
numpy <-> torch shims of this folder.

The peers whose wheels ship no tests (torch-dct, ptwt) have verbatim copies in ``vendored/``, which
pytest does not collect on its own (``collect_ignore_glob``): the ``test_peer_*`` modules run them.

Every test the peers ship in these modules runs, except those listed below, each with its reason:
``OUT_OF_SCOPE`` (skipped: features front_kernels does not offer) and ``KNOWN_FAILURES`` (in scope,
failing for the stated reason; strict xfail, so a fix shows up as XPASS). Patterns are matched
(fnmatch) against ``<module>::<test name with its parameters>``.
"""
from __future__ import annotations

import fnmatch

import numpy as np
import pytest

COMPLEX = "complex input is out of scope (front_kernels transforms real tensors)"
FLOAT16 = "float16 output dtype is out of scope (front_kernels returns float16; the peers return float32)"
LONGDOUBLE = "long double is out of scope (torch has no long double)"
NOT_PROVIDED = "uses a pywt function front_kernels does not provide (swt, downcoef/upcoef, fswavedecn, pad, cwt)"
PYWT_CLASS = "tests pywt's Wavelet / ContinuousWavelet classes themselves (delegated to pywt by the shim)"
WORKERS = "workers / threading is out of scope"

CONTINUOUS = "continuous wavelets are out of scope"
DTYPES = ("loops over pywt's dtype list, which includes complex and float16 (out of scope); the real "
          "float32 / float64 cases are covered by tests/test_wavelet_families.py and tests/test_wavelets.py")

collect_ignore_glob = ["vendored/*"]

SC, PF = "test_peer_scipy_real_transforms", "test_peer_pocketfft_real_transforms"
OUT_OF_SCOPE: dict[str, str] = {
    # scipy.fft
    f"{SC}::test_identity_*_overwrite[*float16*]": FLOAT16,
    f"{SC}::test_identity_*_overwrite[*complex*]": COMPLEX,
    f"{PF}::test_complex[*": COMPLEX,
    f"{PF}::*longdouble*": LONGDOUBLE,
    # pywt: functions front_kernels does not have
    "test_peer_pywt_pywt::test_*coef*": NOT_PROVIDED,
    "test_peer_pywt_concurrent::test_concurrent_swt": NOT_PROVIDED,
    "test_peer_pywt_concurrent::test_concurrent_cwt": NOT_PROVIDED,
    "test_peer_pywt_dwt_idwt::test_pad_*": NOT_PROVIDED,
    "test_peer_pywt_multilevel::test_fswavedecn*": NOT_PROVIDED,
    "test_peer_pywt_pywt::test_wavelet_repr": PYWT_CLASS,
    "test_peer_pywt_pywt::test_ContinuousWavelet_repr": PYWT_CLASS,
    "test_peer_pywt_pywt::test_wavelist": CONTINUOUS + " (it checks pywt.wavelist(kind='continuous'))",
    # pywt: complex data
    "test_peer_pywt_dwt_idwt::test_idwt_mixed_complex_dtype": COMPLEX,
    "test_peer_pywt_dwt_idwt::test_dwt_idwt_basic_complex": COMPLEX,
    "test_peer_pywt_dwt_idwt::test_dwt_idwt_partial_complex": COMPLEX,
    "test_peer_pywt_dwt_idwt::test_idwt_single_axis": COMPLEX,
    "test_peer_pywt_multidim::test_idwtn_mixed_complex_dtype": COMPLEX,
    "test_peer_pywt_multidim::test_idwtn_idwt2_complex": COMPLEX,
    "test_peer_pywt_multidim::test_3D_reconstruct_complex": COMPLEX,
    "test_peer_pywt_multidim::test_dwtn_axes": COMPLEX + " (axes=(1, 1) and per-axis order: test_negative_axes passes)",
    "test_peer_pywt_multidim::test_idwtn_axes": COMPLEX,
    "test_peer_pywt_multidim::test_idwt2_none_coeffs": COMPLEX + " (the None-band case itself: test_idwtn_none_coeffs of "
                                                         "tests/test_wavelets.py)",
    "test_peer_pywt_multidim::test_idwtn_none_coeffs": COMPLEX + " (see test_idwt_with_none_band in tests/test_wavelets.py)",
    "test_peer_pywt_multilevel::test_waverec_complex": COMPLEX,
    "test_peer_pywt_multilevel::test_wavedec2_complex": COMPLEX,
    "test_peer_pywt_multilevel::test_wavedecn_complex": COMPLEX,
    "test_peer_pywt_multilevel::test_waverec_mixed_precision": COMPLEX + " (its second half; the real half passes in "
                                                               "tests/test_wavelet_families.py)",
    # pywt: loops over dtypes that include complex and float16
    "test_peer_pywt_dwt_idwt::test_dwt_idwt_dtypes": DTYPES,
    "test_peer_pywt_multidim::test_dwtn_idwtn_dtypes": DTYPES,
    "test_peer_pywt_multidim::test_dwt2_idwt2_dtypes": DTYPES,
    "test_peer_pywt_multilevel::test_multilevel_dtypes_*": DTYPES,
    "test_peer_pywt_multilevel::test_waverec*_accuracies": DTYPES,
    "test_peer_pywt_multilevel::test_waverecn_dtypes": DTYPES,
}

KNOWN_FAILURES: dict[str, str] = {
    f"{PF}::test_definition[13-3-float32]": (
        "float32 DST-III of 1024 points: the largest coefficient (848640) is 2 ulp (1.5e-7 relative) off; the "
        "test allows 1e-7 of the maximum: pocketfft's float32 path is more accurate than front_kernels' "
        "float32 FFT (float64 matches to 1e-15)"),
}


def pytest_configure(config):
    for mark in ("skip_xp_backends", "xfail_xp_backends", "array_api_backends"):
        config.addinivalue_line("markers", f"{mark}: scipy's array-API marks (numpy only here)")


@pytest.fixture
def xp():
    """scipy's array-namespace fixture: the shim takes and returns numpy arrays."""
    return np


def _key(item) -> str:
    return f"{item.path.stem}::{item.nodeid.split('::', 1)[1]}"


def _matches(key: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(key, pattern.replace("[", "[[]"))  # '[' opens a parameter id, not a class


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "peer_suites" not in str(item.path):
            continue
        key = _key(item)
        for pattern, reason in OUT_OF_SCOPE.items():
            if _matches(key, pattern):
                item.add_marker(pytest.mark.skip(reason=f"out of scope: {reason}"))
                break
        else:
            for pattern, reason in KNOWN_FAILURES.items():
                if _matches(key, pattern):
                    item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
                    break
