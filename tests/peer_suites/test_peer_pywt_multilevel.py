"""PyWavelets' own pywt/tests/test_multilevel.py, run against front_kernels (see _peer.py)."""
from _peer import load

load(globals(), "pywt", "tests/test_multilevel.py", {"import pywt\n": "import shim_pywt as pywt\n"})
