"""PyWavelets' own pywt/tests/test_modes.py, run against front_kernels (see _peer.py)."""
from _peer import load

load(globals(), "pywt", "tests/test_modes.py", {"import pywt\n": "import shim_pywt as pywt\n"})
