"""PyWavelets' own pywt/tests/test__pywt.py, run against front_kernels (see _peer.py)."""
from _peer import load

load(globals(), "pywt", "tests/test__pywt.py", {"import pywt\n": "import shim_pywt as pywt\n"})
