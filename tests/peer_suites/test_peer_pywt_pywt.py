"""PyWavelets' own pywt/tests/test__pywt.py, run against front_kernels (see _peer.py)."""
from peer_suites._peer import load

load(globals(), "pywt", "tests/test__pywt.py", {"import pywt\n": "import peer_suites.shim_pywt as pywt\n"})
