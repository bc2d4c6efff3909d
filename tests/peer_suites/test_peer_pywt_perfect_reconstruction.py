"""PyWavelets' own pywt/tests/test_perfect_reconstruction.py, run against front_kernels (see _peer.py)."""
from _peer import load

load(globals(), "pywt", "tests/test_perfect_reconstruction.py", {"import pywt\n": "import shim_pywt as pywt\n"})
