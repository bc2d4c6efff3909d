"""PyWavelets' own pywt/tests/test_perfect_reconstruction.py, run against front_kernels (see _peer.py)."""
from peer_suites._peer import load

load(globals(), "pywt", "tests/test_perfect_reconstruction.py", {"import pywt\n": "import peer_suites.shim_pywt as pywt\n"})
